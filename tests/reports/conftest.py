"""Report fixtures: every database test runs on SQLite and, when QC_TEST_POSTGRES_URL is set
(.ci/run sets it), on a PostgreSQL database created for the test session; each test starts
from a migrated, empty database, and `seeded` fills it with the seeded data set."""
from __future__ import annotations

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


@pytest.fixture
def seeded(sessions: Any, seed: list[seed_module.SeedChat]) -> Any:
    with sessions.begin() as session:
        seed_module.insert(session, seed)
    return sessions
