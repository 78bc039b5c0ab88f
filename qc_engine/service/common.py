from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from qc_engine.db.models import AuditEntry


def utcnow() -> datetime:
    return datetime.now(UTC)


def audit(
    session: Session,
    *,
    actor: str,
    entity: str,
    entity_id: object,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """Record who did what, when, from what, to what, and why."""
    session.add(
        AuditEntry(
            at=at or utcnow(),
            actor=actor,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            from_state=from_state,
            to_state=to_state,
            note=note,
        )
    )
