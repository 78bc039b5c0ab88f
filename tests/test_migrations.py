"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL):
a model changed without a migration, or a migration that drifts from its model, fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from qc_engine.db.models import Base
from qc_engine.db.session import make_engine

from .databases import *  # noqa: F403 (database_url: SQLite and PostgreSQL)


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
