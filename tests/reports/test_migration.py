"""Migration 0002: response times computed at ingest equal the ones backfilled from stored
messages, and going down and up again keeps every chat's messages, flags and work items."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from qc_engine.clock import response_times
from qc_engine.db.session import MIGRATIONS, upgrade
from qc_engine.service.ingest import Sampling, ingest
from qc_engine.transcript import transcript_from_dict

from ..conftest import CHECKLISTS

COLUMNS = (
    "first_response_seconds",
    "reply_waits",
    "reply_wait_total_seconds",
    "reply_wait_max_seconds",
)


def _snapshot(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            "times": conn.execute(
                text(f"SELECT id, {', '.join(COLUMNS)} FROM transcripts ORDER BY id")
            ).all(),
            "counts": [
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("messages", "flags", "work_items")
            ],
        }


def test_down_and_up_again_backfills_the_same_times(sessions):
    from qc_engine.chatgen import generate
    from qc_engine.engine import Engine

    chats = generate(60, seed=11)
    with sessions.begin() as session:
        ingest(
            session, chats, engine=Engine.from_dir(CHECKLISTS), sampling=Sampling(), actor="test"
        )
    engine = sessions.kw["bind"]
    before = _snapshot(engine)
    assert sum(1 for row in before["times"] if row[1] is not None) > 50
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with engine.connect() as conn:  # nothing cascaded away with the dropped columns
        assert [
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("messages", "flags", "work_items")
        ] == before["counts"]
    upgrade(engine)
    assert _snapshot(engine) == before


def test_response_times_follow_the_checkers_clocks():
    def times(*messages: tuple[str, str | None]) -> dict[str, Any]:
        return response_times(
            transcript_from_dict(
                {
                    "id": "x",
                    "messages": [
                        {
                            "role": role,
                            "text": "…",
                            **({"ts": f"2026-11-20T{ts}+08:00"} if ts else {}),
                        }
                        for role, ts in messages
                    ],
                }
            )
        )

    # The bot does not stop the clock; consecutive customer messages share one wait.
    assert times(
        ("customer", "10:00:00"),
        ("bot", "10:00:01"),
        ("agent", "10:00:40"),
        ("customer", "10:01:00"),
        ("customer", "10:01:30"),
        ("agent", "10:03:00"),
        ("customer", "10:04:00"),
    ) == {
        "first_response_seconds": 40.0,
        "reply_waits": 2,
        "reply_wait_total_seconds": 160.0,
        "reply_wait_max_seconds": 120.0,
    }
    # The agent spoke first: no first response; a wait without times is left out.
    assert times(("agent", "10:00:00"), ("customer", None), ("agent", "10:05:00")) == {
        "first_response_seconds": None,
        "reply_waits": 0,
        "reply_wait_total_seconds": None,
        "reply_wait_max_seconds": None,
    }
    # Nobody answered.
    assert times(("customer", "10:00:00"), ("system", "10:10:00"))["reply_waits"] == 0
