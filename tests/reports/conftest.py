"""Report fixtures: every database test runs on SQLite and, when QC_TEST_POSTGRES_URL is set
(.ci/run sets it), on a PostgreSQL database created for the test session; each test starts
from a migrated, empty database, and `seeded` fills it with the seeded data set (on SQLite:
a copy of a file seeded once per session)."""
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
def seeded_sqlite(sqlite_template: Any, seed: list[seed_module.SeedChat],
                  tmp_path_factory: Any) -> Any:
    """A migrated SQLite file holding the seeded data set, made once per session."""
    from qc_engine.db.session import make_engine, session_factory

    path = tmp_path_factory.mktemp("seeded") / "qc.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine).begin() as session:
        seed_module.insert(session, seed)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture
def seeded(database_url: str, seed: list[seed_module.SeedChat], request: Any) -> Any:
    """`sessions` on a database holding the seeded data set."""
    if database_url.startswith("sqlite:///"):
        # Before any connection to the test's file is open: copy the seeded one over it.
        shutil.copyfile(request.getfixturevalue("seeded_sqlite"),
                        database_url.removeprefix("sqlite:///"))
        return request.getfixturevalue("sessions")
    sessions = request.getfixturevalue("sessions")
    with sessions.begin() as session:
        seed_module.insert(session, seed)
    return sessions
