"""Reading a stored chat: its messages, flags and work items, as the caller may see it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qc_engine.db.models import StoredTranscript, WorkItem
from qc_engine.errors import Code
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, not_found
from qc_engine.service.review import READERS
from qc_engine.transcript import Message, Transcript


def stored_chat(
    session: Session, principal: Principal, transcript_id: str
) -> tuple[StoredTranscript, list[WorkItem]]:
    """The chat with its messages and flags loaded, and its work items by id; an agent sees
    only their own chats (404 otherwise, as for a chat that does not exist)."""
    if principal.role not in READERS:
        raise Forbidden(
            Code.E403, f"role {principal.role!r} may not do this; allowed: {', '.join(READERS)}"
        )
    row = session.scalar(
        select(StoredTranscript)
        .where(StoredTranscript.id == transcript_id)
        .options(selectinload(StoredTranscript.messages), selectinload(StoredTranscript.flags))
    )
    if row is None or (principal.role == "agent" and row.agent != principal.agent_name):
        raise not_found("transcript", transcript_id)
    items = list(
        session.scalars(
            select(WorkItem).where(WorkItem.transcript_id == row.id).order_by(WorkItem.id)
        )
    )
    return row, items


def as_transcript(row: StoredTranscript) -> Transcript:
    """A stored chat as the engine reads it (to score it again, e.g. under a draft
    checklist)."""
    return Transcript(
        id=row.id,
        messages=[
            Message(role=m.role, text=m.text, ts=m.ts, sender=m.sender, extra=dict(m.extra))
            for m in row.messages
        ],
        channel=row.channel,
        shop=row.shop,
        agent=row.agent,
        order_status=row.order_status,
        extra=dict(row.extra),
    )
