"""Alembic environment: runs on the connection `qc_engine.db.session.upgrade` hands in, or on
the database of QC_DATABASE_URL when run from the alembic command line."""

from __future__ import annotations

from alembic import context

from qc_engine.db.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    from qc_engine.db.session import make_engine

    engine = make_engine()
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
