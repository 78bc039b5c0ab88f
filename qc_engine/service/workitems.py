"""The work-item lifecycle: claim, release, confirm, dismiss, review a sample, appeal,
decide, teach, skip. The rules (states, transitions, roles, the per-chat claim) are in
review.py; this module applies them to stored items.

Every change names the version the caller saw; a stale version is a 409 Conflict and
nothing is overwritten. Every change is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from qc_engine.db.models import Appeal, MissedFinding, StoredTranscript, User, WorkItem
from qc_engine.errors import Code
from qc_engine.service import assignment
from qc_engine.service.auth import Principal
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Conflict, Invalid, not_found
from qc_engine.service.ingest import rescore
from qc_engine.service.queue import filtered
from qc_engine.service.review import (
    ACTIVE,
    CLAIM_MINUTES,
    TRANSITIONS,
    HeldBySomeoneElse,
    Status,
    holder,
    refusal,
    role_refusal,
)
from qc_engine.taxonomy import CATEGORIES


def visible(principal: Principal, item: WorkItem) -> bool:
    return principal.role != "agent" or (
        item.agent is not None and item.agent == principal.agent_name
    )


def get_item(session: Session, principal: Principal, item_id: int) -> WorkItem:
    item = session.get(
        WorkItem, item_id, options=[joinedload(WorkItem.flag), joinedload(WorkItem.reviewer)]
    )
    if item is None or not visible(principal, item):
        raise not_found("work item", item_id)
    return item


def user_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(select(User.name).where(User.id == user_id))


def _open(
    session: Session, principal: Principal, action: str, item_id: int, version: int
) -> tuple[WorkItem, datetime]:
    """The item, once the caller's role, sight of it, version and the transition table
    allow the action (403, 404, 409 or 422 otherwise, in that order)."""
    forbidden = role_refusal(action, principal.role)
    if forbidden is not None:
        raise forbidden
    now = utcnow()
    item = get_item(session, principal, item_id)
    if item.version != version:
        raise Conflict(
            Code.E409,
            f"work item {item.id} was changed by someone else (version "
            f"{item.version}, you sent {version}): reload it",
            field="version",
        )
    problem = refusal(action, role=principal.role, user_id=principal.user_id, item=item, now=now)
    if isinstance(problem, HeldBySomeoneElse):
        raise problem.named(user_name(session, problem.user_id))
    if problem is not None:
        raise problem
    return item, now


def _transition(
    session: Session,
    item: WorkItem,
    *,
    principal: Principal,
    action: str,
    to: str,
    note: str | None,
    now: datetime,
) -> None:
    audit(
        session,
        actor=principal.name,
        entity="work_item",
        entity_id=item.id,
        action=action,
        from_state=item.status,
        to_state=to,
        note=note,
        at=now,
    )
    item.status = to
    item.updated_at = now


def _set_reviewer(session: Session, item: WorkItem, user_id: int | None) -> None:
    """Set through the relationship, so the item answered shows its new reviewer (the
    session does not expire loaded relationships on commit)."""
    with session.no_autoflush:  # one UPDATE per change: the version goes up by one
        item.reviewer = session.get(User, user_id) if user_id is not None else None


def _flush(session: Session, item: WorkItem) -> WorkItem:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(
            Code.E409,
            f"work item {item.id} was changed by someone else at the same time: reload it",
            field="version",
        ) from None
    return item


def _count_flag(session: Session, item: WorkItem, *, counts: bool) -> None:
    """Whether the item's flag still costs the chat its points; the chat is rescored."""
    if item.flag is None:
        return
    item.flag.counts = counts
    transcript = session.get(StoredTranscript, item.transcript_id)
    assert transcript is not None
    rescore(transcript)


# Claims: per chat ------------------------------------------------------------------------


def claim(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    version: int,
    minutes: int = CLAIM_MINUTES,
) -> WorkItem:
    """Claim the item, and with it every other open item of its chat (review.py)."""
    item, now = _open(session, principal, "claim", item_id, version)
    _transition(
        session, item, principal=principal, action="claim", to=Status.IN_REVIEW, note=None,
        now=now,
    )  # fmt: skip
    _set_reviewer(session, item, principal.user_id)
    item.claimed_at = now
    item.claim_expires_at = now + timedelta(minutes=minutes)
    _flush(session, item)
    _claim_rest_of_chat(session, principal, item, now)
    return item


def _claim_rest_of_chat(
    session: Session, principal: Principal, item: WorkItem, now: datetime
) -> None:
    """The chat's other open items (or ones whose claim ran out) go to the same reviewer
    until the same time; one somebody else changed meanwhile is left as it is."""
    rows = session.execute(
        select(WorkItem.id, WorkItem.version, WorkItem.status).where(
            WorkItem.transcript_id == item.transcript_id,
            WorkItem.id != item.id,
            or_(
                WorkItem.status == Status.OPEN,
                and_(WorkItem.status == Status.IN_REVIEW, WorkItem.claim_expires_at <= now),
            ),
        )
    ).all()
    values = {"reviewer_id": principal.user_id, "claimed_at": now,
              "claim_expires_at": item.claim_expires_at}  # fmt: skip
    _move_siblings(session, principal, item, rows, "claim", Status.IN_REVIEW, values, now)


def _move_siblings(
    session: Session,
    principal: Principal,
    item: WorkItem,
    rows: Sequence[Any],
    action: str,
    to: str,
    values: dict[str, Any],
    now: datetime,
) -> int:
    """Move each (id, version, status) row of the item's chat to `to` with `values`, if its
    version is still the one read (else it is left: someone changed it meanwhile); audited
    as done "with" the item. How many moved."""
    moved = 0
    for sibling_id, version, status in rows:
        done = session.execute(
            update(WorkItem)
            .where(WorkItem.id == sibling_id, WorkItem.version == version)
            .values(status=to, updated_at=now, version=version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:  # type: ignore[attr-defined]
            audit(
                session, actor=principal.name, entity="work_item", entity_id=sibling_id,
                action=action, from_state=status, to_state=to,
                note=f"with #{item.id} (same chat)", at=now,
            )  # fmt: skip
            moved += 1
            stale = session.get(WorkItem, sibling_id)
            if stale is not None:
                session.expire(stale)
    return moved


def claim_next(
    session: Session,
    *,
    principal: Principal,
    filters: dict[str, Any] | None = None,
    minutes: int = CLAIM_MINUTES,
    skip_chat: str | None = None,
) -> WorkItem | None:
    """Claim the highest-priority item nobody holds (or the one the caller holds), with its
    chat; `skip_chat` leaves one chat out (the desk's "skip"). The caller's assigned work
    comes first (their chats, then their queue rules), and work assigned to another active
    reviewer is not handed out (assignment.py)."""
    forbidden = role_refusal("claim", principal.role)
    if forbidden is not None:
        raise forbidden
    now = utcnow()
    query = filtered(select(WorkItem), **(filters or {}))
    if skip_chat is not None:
        query = query.where(WorkItem.transcript_id != skip_chat)
    query = (
        query.where(
            or_(
                WorkItem.status == Status.OPEN,
                and_(
                    WorkItem.status == Status.IN_REVIEW,
                    or_(
                        WorkItem.claim_expires_at <= now,
                        WorkItem.reviewer_id == principal.user_id,
                    ),
                ),
            )
        )
        .where(~assignment.someone_elses(principal.user_id))
        .order_by(
            assignment.claim_order(principal.user_id),
            WorkItem.priority.desc(),
            WorkItem.created_at,
            WorkItem.id,
        )
        .limit(5)
    )
    for candidate in session.scalars(query):
        try:
            return claim(
                session,
                principal=principal,
                item_id=candidate.id,
                version=candidate.version,
                minutes=minutes,
            )
        except Conflict:
            continue
    return None


def release(session: Session, *, principal: Principal, item_id: int, version: int) -> WorkItem:
    """Give the item back to the queue (the holder or a lead), with the rest of the chat
    the same reviewer holds."""
    return release_chat(session, principal=principal, item_id=item_id, version=version)[0]


def release_chat(
    session: Session, *, principal: Principal, item_id: int, version: int
) -> tuple[WorkItem, int]:
    """release(), and how many other items of the chat went back with it."""
    item, now = _open(session, principal, "release", item_id, version)
    held_by = item.reviewer_id
    _transition(
        session, item, principal=principal, action="release", to=Status.OPEN, note=None,
        now=now,
    )  # fmt: skip
    _set_reviewer(session, item, None)
    item.claimed_at = item.claim_expires_at = None
    _flush(session, item)
    others = 0 if held_by is None else _release_rest_of_chat(session, principal, item, held_by, now)
    return item, others


def _release_rest_of_chat(
    session: Session, principal: Principal, item: WorkItem, held_by: int, now: datetime
) -> int:
    rows = session.execute(
        select(WorkItem.id, WorkItem.version, WorkItem.status).where(
            WorkItem.transcript_id == item.transcript_id,
            WorkItem.id != item.id,
            WorkItem.status == Status.IN_REVIEW,
            WorkItem.reviewer_id == held_by,
        )
    ).all()
    values = {"reviewer_id": None, "claimed_at": None, "claim_expires_at": None}
    return _move_siblings(session, principal, item, rows, "release", Status.OPEN, values, now)


def pending_in_chat(session: Session, principal: Principal, transcript_id: str) -> int:
    """Items of the chat this user could still decide (open, theirs, or an expired claim)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .where(
                WorkItem.transcript_id == transcript_id,
                or_(
                    WorkItem.status == Status.OPEN,
                    and_(
                        WorkItem.status == Status.IN_REVIEW,
                        or_(
                            WorkItem.reviewer_id == principal.user_id,
                            WorkItem.claim_expires_at <= utcnow(),
                        ),
                    ),
                ),
            )
        )
        or 0
    )


def skip_chat(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    filters: dict[str, Any] | None = None,
    minutes: int = CLAIM_MINUTES,
) -> tuple[WorkItem, WorkItem | None]:
    """Give back what this user holds of the item's chat and claim the next chat in the
    queue's order: (the skipped item, the next one or None when nothing is left)."""
    skipped = get_item(session, principal, item_id)
    held = session.scalar(
        select(WorkItem).where(
            WorkItem.transcript_id == skipped.transcript_id,
            WorkItem.status == Status.IN_REVIEW,
            WorkItem.reviewer_id == principal.user_id,
        )
    )
    if held is not None:
        release(session, principal=principal, item_id=held.id, version=held.version)
    nxt = claim_next(
        session,
        principal=principal,
        filters=(filters or {}) | {"status": ",".join(ACTIVE)},
        minutes=minutes,
        skip_chat=skipped.transcript_id,
    )
    return skipped, nxt


# Decisions -------------------------------------------------------------------------------


def _decide(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    version: int,
    action: str,
    note: str | None,
) -> WorkItem:
    item, now = _open(session, principal, action, item_id, version)
    to = TRANSITIONS[action].target
    assert to is not None
    _transition(session, item, principal=principal, action=action, to=to, note=note, now=now)
    _set_reviewer(session, item, principal.user_id)
    item.decided_at, item.note = now, note
    item.claim_expires_at = None
    _count_flag(session, item, counts=to == Status.CONFIRMED)
    return _flush(session, item)


def confirm(
    session: Session, *, principal: Principal, item_id: int, version: int, note: str | None = None
) -> WorkItem:
    return _decide(
        session, principal=principal, item_id=item_id, version=version, action="confirm",
        note=note,
    )  # fmt: skip


def dismiss(
    session: Session, *, principal: Principal, item_id: int, version: int, note: str | None = None
) -> WorkItem:
    return _decide(
        session, principal=principal, item_id=item_id, version=version, action="dismiss",
        note=note,
    )  # fmt: skip


@dataclass
class Finding:
    category: str
    message_index: int | None = None
    note: str | None = None


def review_sample(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    version: int,
    findings: list[Finding],
    note: str | None = None,
) -> WorkItem:
    """Complete a sample item, recording what the engine missed (empty: nothing)."""
    item, now = _open(session, principal, "review", item_id, version)
    for index, finding in enumerate(findings):
        if finding.category not in CATEGORIES:
            raise Invalid(
                Code.E422,
                f"unknown category {finding.category!r}",
                field=f"findings[{index}].category",
            )
        session.add(
            MissedFinding(
                work_item_id=item.id,
                category=finding.category,
                message_index=finding.message_index,
                note=finding.note,
                created_by=principal.user_id,
                created_at=now,
            )
        )
    summary = note or (", ".join(f.category for f in findings) or None)
    _transition(
        session, item, principal=principal, action="review", to=Status.REVIEWED,
        note=summary, now=now,
    )  # fmt: skip
    _set_reviewer(session, item, principal.user_id)
    item.decided_at, item.note = now, note
    item.claim_expires_at = None
    return _flush(session, item)


def appeal(
    session: Session, *, principal: Principal, item_id: int, version: int, reason: str
) -> WorkItem:
    item, now = _open(session, principal, "appeal", item_id, version)
    if not reason.strip():
        raise Invalid(Code.E422, "an appeal needs a reason", field="reason")
    session.add(
        Appeal(work_item_id=item.id, appellant_id=principal.user_id, reason=reason, created_at=now)
    )
    _transition(
        session, item, principal=principal, action="appeal", to=Status.APPEALED, note=reason,
        now=now,
    )  # fmt: skip
    return _flush(session, item)


def decide_appeal(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    version: int,
    decision: str,
    note: str | None = None,
) -> WorkItem:
    if principal.role in TRANSITIONS["decide_appeal"].roles and decision not in (
        Status.UPHELD,
        Status.OVERTURNED,
    ):
        raise Invalid(Code.E422, "decision must be upheld or overturned", field="decision")
    item, now = _open(session, principal, "decide_appeal", item_id, version)
    open_appeal = session.scalar(
        select(Appeal).where(Appeal.work_item_id == item.id, Appeal.decision.is_(None))
    )
    if open_appeal is not None:
        open_appeal.decision, open_appeal.decided_by = decision, principal.user_id
        open_appeal.decided_at, open_appeal.decision_note = now, note
    _transition(
        session, item, principal=principal, action="decide_appeal", to=decision, note=note,
        now=now,
    )  # fmt: skip
    _count_flag(session, item, counts=decision == Status.UPHELD)
    return _flush(session, item)


def mark_teaching_case(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    version: int,
    value: bool = True,
    note: str | None = None,
) -> WorkItem:
    item, now = _open(session, principal, "teaching_case", item_id, version)
    audit(
        session,
        actor=principal.name,
        entity="work_item",
        entity_id=item.id,
        action="teaching_case",
        from_state=str(item.teaching_case).lower(),
        to_state=str(value).lower(),
        note=note,
        at=now,
    )
    item.teaching_case, item.updated_at = value, now
    return _flush(session, item)


# What the desk may offer -----------------------------------------------------------------


def may(action: str, principal: Principal, item: WorkItem, now: datetime) -> bool:
    """Whether the service would accept this action from this user on this item now (the
    version aside): the desk shows a button exactly then."""
    return (
        refusal(action, role=principal.role, user_id=principal.user_id, item=item, now=now) is None
    )


@dataclass
class ClaimState:
    """Who holds an item now (an expired claim holds nothing)."""

    holder: str | None
    until: datetime | None
    mine: bool
    expired_from: str | None  # the name on a claim that ran out


def claim_state(item: WorkItem, principal: Principal, now: datetime) -> ClaimState:
    name = item.reviewer.name if item.reviewer is not None else None
    if item.status != Status.IN_REVIEW:
        return ClaimState(None, None, False, None)
    if holder(item, now) is None:
        return ClaimState(None, None, False, name)
    return ClaimState(name, item.claim_expires_at, item.reviewer_id == principal.user_id, None)


@dataclass
class CurrentState:
    """An item as it is now, read again after a refused change (for the desk's wording)."""

    status: str
    version: int
    holder: str | None  # someone else's live claim
    until: datetime | None
    reviewer: str | None


def current_state(
    session: Session, principal: Principal, item_id: int, now: datetime
) -> CurrentState | None:
    session.rollback()
    item = session.get(WorkItem, item_id, populate_existing=True)
    if item is None:
        return None
    held = holder(item, now)
    other = held is not None and held != principal.user_id
    return CurrentState(
        status=item.status,
        version=item.version,
        holder=user_name(session, held) if other else None,
        until=item.claim_expires_at if other else None,
        reviewer=user_name(session, item.reviewer_id),
    )


__all__ = [
    "ClaimState",
    "CurrentState",
    "Finding",
    "appeal",
    "claim",
    "claim_next",
    "claim_state",
    "confirm",
    "current_state",
    "decide_appeal",
    "dismiss",
    "get_item",
    "mark_teaching_case",
    "may",
    "pending_in_chat",
    "release",
    "release_chat",
    "review_sample",
    "skip_chat",
    "visible",
]
