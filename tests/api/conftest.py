"""API fixtures: the same tests run on SQLite and, when QC_TEST_POSTGRES_URL is set (.ci/run
sets it), on a fresh PostgreSQL database created for the test session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.databases import *  # noqa: F403 - the shared database fixtures


@dataclass
class Api:
    client: object
    keys: dict[str, str]
    app: object

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture
def api(database_url):
    """A running app (TestClient) on a fresh database, with one key per role; sampling
    off unless a test changes it."""
    from fastapi.testclient import TestClient

    from qc_engine.api.main import build_state, create_app
    from qc_engine.service.auth import create_key
    from qc_engine.settings import Settings

    from ..conftest import CHECKLISTS

    settings = Settings(database_url=database_url, checklist_dir=CHECKLISTS, sample_rate=0.0)
    state = build_state(settings)
    keys = {}
    with state.sessions.begin() as session:
        for role in ("admin", "lead", "specialist", "service"):
            keys[role] = create_key(session, name=f"test-{role}", role=role)[1]
        keys["specialist2"] = create_key(session, name="test-specialist-2", role="specialist")[1]
        keys["agent"] = create_key(session, name="test-agent", role="agent", agent_name="小美")[1]
        keys["other_agent"] = create_key(
            session, name="test-agent-2", role="agent", agent_name="阿杰"
        )[1]
    app = create_app(settings, state=state)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, keys=keys, app=app)
    state.sessions.kw["bind"].dispose()
