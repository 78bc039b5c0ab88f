"""Report fixtures: every database test runs on SQLite and, when QC_TEST_POSTGRES_URL is set
(.ci/run sets it), on a PostgreSQL database created for the test session; each test starts
from a migrated, empty database, and `seeded` fills it with the seeded data set."""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from . import seed as seed_module

PG_ENV = "QC_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def reports_postgres() -> Iterator[str]:
    """A new PostgreSQL database for this session, migrated once, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped (.ci/run sets it to the "
                    "local server)")
    import psycopg

    from qc_engine.db.session import make_engine, upgrade

    name = f"qc_reports_{uuid.uuid4().hex[:10]}"
    conninfo = base.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"{PG_ENV}={base} is set but PostgreSQL cannot be reached: {exc}")
    url = f"{conninfo.rsplit('/', 1)[0]}/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def reports_sqlite_template(tmp_path_factory: Any) -> Any:
    """A SQLite file migrated once; each test starts from a copy."""
    from qc_engine.db.session import make_engine, upgrade

    path = tmp_path_factory.mktemp("reports-template") / "qc.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: Any, tmp_path: Any) -> str:
    if request.param == "sqlite":
        target = tmp_path / "qc.sqlite3"
        shutil.copyfile(request.getfixturevalue("reports_sqlite_template"), target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("reports_postgres")
    from sqlalchemy import text

    from qc_engine.db.session import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [row[0] for row in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"))]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return str(url)


@pytest.fixture
def sessions(database_url: str) -> Iterator[Any]:
    """A session factory on the test's database (migrated, empty)."""
    from qc_engine.db.session import make_engine, session_factory, upgrade

    engine = make_engine(database_url)
    upgrade(engine)  # already at head: a no-op that proves it
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def seed() -> list[seed_module.SeedChat]:
    return seed_module.build()


@pytest.fixture
def seeded(sessions: Any, seed: list[seed_module.SeedChat]) -> Any:
    with sessions.begin() as session:
        seed_module.insert(session, seed)
    return sessions
