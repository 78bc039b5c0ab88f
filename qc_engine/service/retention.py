"""Retention: chats older than a number of days are purged with everything made from them.

What goes: the transcript, its messages and flags, its work items with their appeals and
missed findings (foreign keys ON DELETE CASCADE), the notes written on those work items in
the audit log (the entries stay: who did what and when, without the text), the texts quoted
from chats in stored weekly reports of weeks before the cut (their figures stay), and
webhook events older than the cut (their payloads quote chats). A chat's age is its first
message's time, else (or if that is later) when it was stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from qc_engine.db.models import (
    AuditEntry,
    StoredReport,
    StoredTranscript,
    WebhookEvent,
    WorkItem,
)
from qc_engine.service.common import audit, utcnow

CHUNK = 500
# Report fields that quote chats: their red-line examples and teaching cases.
_QUOTED = {
    "red_lines": ("items", ("evidence", "message")),
    "teaching_cases": (None, ("evidence", "message", "note")),
}


@dataclass(frozen=True)
class Purged:
    transcripts: int
    work_items: int
    audit_notes: int
    reports_scrubbed: int
    webhook_events: int
    cutoff: datetime


def purge(
    session: Session, *, days: float, actor: str, now: datetime | None = None, dry_run: bool = False
) -> Purged:
    """Purge what is older than `days` (caller commits; `dry_run` counts and changes
    nothing). Chunked, so a large purge holds no lock for long on PostgreSQL."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    # The first message's time, unless it is later than the storing (a clock in the future
    # must not keep a chat forever).
    age = case(
        (StoredTranscript.started_at < StoredTranscript.ingested_at, StoredTranscript.started_at),
        else_=StoredTranscript.ingested_at,
    )
    ids = list(session.scalars(select(StoredTranscript.id).where(age < cutoff)))
    work_items = notes = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        item_ids = [
            str(i)
            for i in session.scalars(select(WorkItem.id).where(WorkItem.transcript_id.in_(chunk)))
        ]
        work_items += len(item_ids)
        if item_ids:
            notes += (
                session.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(
                        AuditEntry.entity == "work_item",
                        AuditEntry.entity_id.in_(item_ids),
                        AuditEntry.note.is_not(None),
                    )
                )
                or 0
            )
        if dry_run:
            continue
        if item_ids:
            session.execute(
                update(AuditEntry)
                .where(AuditEntry.entity == "work_item", AuditEntry.entity_id.in_(item_ids))
                .values(note=None)
            )
        session.execute(delete(StoredTranscript).where(StoredTranscript.id.in_(chunk)))
    old_events = (
        session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.created_at < cutoff)
        )
        or 0
    )
    scrubbed = 0
    for report in session.scalars(select(StoredReport)):
        ends = _period_end(report.period)
        if ends is None or ends > cutoff or not _quotes(report.payload):
            continue
        scrubbed += 1
        if not dry_run:
            report.payload = _scrubbed(report.payload)
    if not dry_run:
        session.execute(delete(WebhookEvent).where(WebhookEvent.created_at < cutoff))
        audit(
            session,
            actor=actor,
            entity="retention",
            entity_id=cutoff.date().isoformat(),
            action="purge",
            to_state=str(len(ids)),
        )
    return Purged(len(ids), work_items, notes, scrubbed, old_events, cutoff)


def _period_end(period: str) -> datetime | None:
    from qc_engine.errors import QCError
    from qc_engine.weeks import IsoWeek

    try:
        return IsoWeek.parse(period).end
    except QCError:
        return None


def _quotes(payload: dict[str, Any]) -> bool:
    return any(
        row.get(field)
        for section, (inner, fields) in _QUOTED.items()
        for row in _rows(payload, section, inner)
        for field in fields
    )


def _rows(payload: dict[str, Any], section: str, inner: str | None) -> list[dict[str, Any]]:
    value = payload.get(section)
    if inner is not None:
        value = value.get(inner) if isinstance(value, dict) else None
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _scrubbed(payload: dict[str, Any]) -> dict[str, Any]:
    """The report with the quoted chat texts removed (a new object, so the JSON column is
    written back)."""
    import copy

    out = copy.deepcopy(payload)
    for section, (inner, fields) in _QUOTED.items():
        for row in _rows(out, section, inner):
            for field in fields:
                if field in row:
                    row[field] = None
    return out
