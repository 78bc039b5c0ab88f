"""Report fixtures: every database test runs on SQLite and, when QC_TEST_POSTGRES_URL is set
(.ci/run sets it), on a PostgreSQL database created for the test session; each test starts
from a migrated, empty database, and `seeded` fills it with the seeded data set (seeded once
per session into a SQLite file: SQLite tests start from a copy of it, PostgreSQL tests get
its rows in one bulk insert per table)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.databases import *  # noqa: F403 - the shared database fixtures

from . import seed as seed_module


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


@pytest.fixture(scope="session")
def seeded_sqlite(
    sqlite_template: Any, seed: list[seed_module.SeedChat], tmp_path_factory: Any
) -> Any:
    """A migrated SQLite file holding the seeded data set, made once per session."""
    from qc_engine.db.session import make_engine, session_factory

    path = tmp_path_factory.mktemp("seeded") / "qc.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine).begin() as session:
        seed_module.insert(session, seed)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def seeded_rows(seeded_sqlite: Any) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Every table's rows of the seeded file, parents before children."""
    from sqlalchemy import select

    from qc_engine.db.models import Base
    from qc_engine.db.session import make_engine

    engine = make_engine(f"sqlite:///{seeded_sqlite}")
    with engine.connect() as connection:
        tables = [
            (table, [dict(row._mapping) for row in connection.execute(select(table))])
            for table in Base.metadata.sorted_tables
        ]
    engine.dispose()
    return [(table, rows) for table, rows in tables if rows]


@pytest.fixture
def seeded(database_url: str, request: Any) -> Any:
    """`sessions` on a database holding the seeded data set."""
    if database_url.startswith("sqlite:///"):
        # Before any connection to the test's file is open: copy the seeded one over it.
        shutil.copyfile(
            request.getfixturevalue("seeded_sqlite"), database_url.removeprefix("sqlite:///")
        )
        return request.getfixturevalue("sessions")
    from sqlalchemy import Integer, text

    sessions = request.getfixturevalue("sessions")
    with sessions.begin() as session:
        connection = session.connection()
        for table, rows in request.getfixturevalue("seeded_rows"):
            connection.execute(table.insert(), rows)
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                # The rows came with their ids: move the sequence past them.
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                    {"t": table.name, "n": max(row["id"] for row in rows)},
                )
    return sessions
