"""Database fixtures shared by every test that stores data: each test gets a migrated, empty
database, on SQLite and, when QC_TEST_POSTGRES_URL is set (.ci/run sets it), on a PostgreSQL
database created for the test session (skipped, saying why, when it is not set). Import the
fixtures into a conftest with `from tests.databases import *`."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest

__all__ = ["database_url", "migrated_postgres", "postgres_database", "sqlite_template"]

PG_ENV = "QC_TEST_POSTGRES_URL"


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


@pytest.fixture(scope="session")
def postgres_database():
    """A new, empty PostgreSQL database for this test session, dropped afterwards."""
    base = _pg_admin_url()
    if not base:
        pytest.skip(
            f"{PG_ENV} is not set: PostgreSQL tests skipped (.ci/run sets it to the local server)"
        )
    import psycopg

    name = f"qc_test_{uuid.uuid4().hex[:10]}"
    conninfo = base.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"{PG_ENV}={base} is set but PostgreSQL cannot be reached: {exc}")
    prefix = conninfo.rsplit("/", 1)[0]
    yield f"{prefix}/{name}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_postgres(postgres_database):
    """The session's PostgreSQL database, migrated once."""
    from qc_engine.db.session import make_engine, upgrade

    engine = make_engine(postgres_database)
    upgrade(engine)
    engine.dispose()
    return postgres_database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated once; each test starts from a copy of it."""
    from qc_engine.db.session import make_engine, upgrade

    path = tmp_path_factory.mktemp("template") / "qc.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A migrated, empty database: a copy of the SQLite template, or the session's
    PostgreSQL database with every table emptied."""
    if request.param == "sqlite":
        target = tmp_path / "qc.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("migrated_postgres")
    from sqlalchemy import text

    from qc_engine.db.session import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url
