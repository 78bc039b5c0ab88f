"""A demo data set, so a newcomer sees a working queue at once (`qc serve --demo`)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qc_engine.db.models import ApiKey, StoredTranscript, User
from qc_engine.engine import Engine
from qc_engine.inputs import load_path
from qc_engine.service.auth import create_key
from qc_engine.service.common import utcnow
from qc_engine.service.ingest import Sampling, ingest
from qc_engine.settings import package_path
from qc_engine.transcript import Transcript

EXAMPLES = package_path("examples", "chats.jsonl")
DEMO_USERS = (
    ("demo-admin", "admin"),
    ("demo-lead", "lead"),
    ("demo-specialist", "specialist"),
    ("demo-specialist-2", "specialist"),
    ("demo-service", "service"),
)


def demo_transcripts(count: int = 300, seed: int = 2026) -> list[Transcript]:
    from qc_engine.chatgen import generate

    bundled = [item.transcript for item in load_path(EXAMPLES) if item.transcript]
    return bundled + generate(count, seed=seed)


def load_demo(session: Session, *, engine: Engine, sampling: Sampling, count: int = 300) -> int:
    """Ingest the demo chats unless they are there already; returns how many were new."""
    transcripts = demo_transcripts(count)
    present = session.scalar(
        select(StoredTranscript.id).where(StoredTranscript.id == transcripts[-1].id)
    )
    if present is not None:
        return 0
    ingest(session, transcripts, engine=engine, sampling=sampling, actor="demo")
    return len(transcripts)


def demo_keys(session: Session) -> dict[str, str]:
    """Fresh keys for the demo users (older demo keys are revoked), printed at start-up."""
    agent = session.scalars(
        select(StoredTranscript.agent).where(StoredTranscript.agent.is_not(None))
    ).all()
    top_agent = Counter(agent).most_common(1)[0][0] if agent else "伟霆"
    users = [*DEMO_USERS, (f"demo-agent-{top_agent}", "agent")]
    keys: dict[str, str] = {}
    now = utcnow()
    for name, role in users:
        existing = session.scalar(select(User).where(User.name == name))
        if existing is not None:
            session.execute(
                update(ApiKey)
                .where(ApiKey.user_id == existing.id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        _, key = create_key(
            session,
            name=name,
            role=role,
            agent_name=top_agent if role == "agent" else None,
            actor="demo",
        )
        keys[name] = key
    return keys
