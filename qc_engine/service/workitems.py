"""The work-item lifecycle: claim, release, confirm, dismiss, appeal, decide, teach.

    open -> in_review -> confirmed -> appealed -> upheld | overturned
                      -> dismissed
    sample items: open -> in_review -> reviewed (with any problems the engine missed)

Every change names the version the caller saw; a stale version is a 409 Conflict and
nothing is overwritten. Every change is written to the audit log.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from qc_engine.db.models import Appeal, MissedFinding, StoredTranscript, User, WorkItem
from qc_engine.service.auth import Principal
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Conflict, Forbidden, Invalid, not_found
from qc_engine.service.ingest import rescore
from qc_engine.taxonomy import CATEGORIES

CLAIM_MINUTES = 30
REVIEWERS = ("specialist", "lead", "admin")
LEADS = ("lead", "admin")
STATUSES = (
    "open",
    "in_review",
    "confirmed",
    "dismissed",
    "appealed",
    "upheld",
    "overturned",
    "withdrawn",
    "reviewed",
)


def _require(principal: Principal, roles: tuple[str, ...], action: str) -> None:
    if principal.role not in roles:
        raise Forbidden("E403", f"role {principal.role!r} may not {action}")


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


def _holder(item: WorkItem, now: datetime) -> int | None:
    """The user holding a claim that has not expired."""
    if item.status == "in_review" and item.claim_expires_at and item.claim_expires_at > now:
        return item.reviewer_id
    return None


def _check_version(item: WorkItem, version: int) -> None:
    if item.version != version:
        raise Conflict(
            "E409",
            f"work item {item.id} was changed by someone else (version "
            f"{item.version}, you sent {version}): reload it",
            field="version",
        )


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
            "E409",
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


def _reviewable(session: Session, item: WorkItem, principal: Principal, now: datetime) -> None:
    """A reviewer may decide an open item, or one they hold; not one someone else holds."""
    holder = _holder(item, now)
    if holder is not None and holder != principal.user_id:
        name = session.scalar(select(User.name).where(User.id == holder))
        raise Conflict(
            "E409",
            f"work item {item.id} is being reviewed by {name} until {item.claim_expires_at:%H:%M}",
            field="status",
        )
    if item.status not in ("open", "in_review"):
        raise Conflict(
            "E409", f"work item {item.id} is {item.status}, not open for review", field="status"
        )


def claim(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    version: int,
    minutes: int = CLAIM_MINUTES,
) -> WorkItem:
    _require(principal, REVIEWERS, "claim work items")
    now = utcnow()
    item = get_item(session, principal, item_id)
    _check_version(item, version)
    _reviewable(session, item, principal, now)
    _transition(
        session, item, principal=principal, action="claim", to="in_review", note=None, now=now
    )
    _set_reviewer(session, item, principal.user_id)
    item.claimed_at = now
    item.claim_expires_at = now + timedelta(minutes=minutes)
    return _flush(session, item)


def claim_next(
    session: Session,
    *,
    principal: Principal,
    filters: dict[str, Any] | None = None,
    minutes: int = CLAIM_MINUTES,
) -> WorkItem | None:
    """Claim the highest-priority item nobody holds (or the one the caller holds)."""
    _require(principal, REVIEWERS, "claim work items")
    now = utcnow()
    query = _filtered(select(WorkItem), **(filters or {}))
    query = (
        query.where(
            or_(
                WorkItem.status == "open",
                and_(
                    WorkItem.status == "in_review",
                    or_(
                        WorkItem.claim_expires_at <= now, WorkItem.reviewer_id == principal.user_id
                    ),
                ),
            )
        )
        .order_by(WorkItem.priority.desc(), WorkItem.created_at, WorkItem.id)
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
    _require(principal, REVIEWERS, "release work items")
    now = utcnow()
    item = get_item(session, principal, item_id)
    _check_version(item, version)
    if item.status != "in_review":
        raise Conflict("E409", f"work item {item.id} is {item.status}, not claimed", field="status")
    holder = _holder(item, now)
    if holder not in (None, principal.user_id) and principal.role not in LEADS:
        raise Forbidden("E403", "only the holder or a lead may release a claim")
    _transition(session, item, principal=principal, action="release", to="open", note=None, now=now)
    _set_reviewer(session, item, None)
    item.claimed_at = item.claim_expires_at = None
    return _flush(session, item)


def _decide(
    session: Session, *, principal: Principal, item_id: int, version: int, to: str, note: str | None
) -> WorkItem:
    _require(principal, REVIEWERS, "review work items")
    now = utcnow()
    item = get_item(session, principal, item_id)
    _check_version(item, version)
    if item.kind == "sample":
        raise Invalid(
            "E422",
            "a sample item is completed with review-sample, not "
            f"{'confirm' if to == 'confirmed' else 'dismiss'}",
            field="kind",
        )
    _reviewable(session, item, principal, now)
    _transition(
        session,
        item,
        principal=principal,
        action=to.removesuffix("ed") or to,
        to=to,
        note=note,
        now=now,
    )
    _set_reviewer(session, item, principal.user_id)
    item.decided_at, item.note = now, note
    item.claim_expires_at = None
    _count_flag(session, item, counts=to == "confirmed")
    return _flush(session, item)


def confirm(
    session: Session, *, principal: Principal, item_id: int, version: int, note: str | None = None
) -> WorkItem:
    return _decide(
        session, principal=principal, item_id=item_id, version=version, to="confirmed", note=note
    )


def dismiss(
    session: Session, *, principal: Principal, item_id: int, version: int, note: str | None = None
) -> WorkItem:
    return _decide(
        session, principal=principal, item_id=item_id, version=version, to="dismissed", note=note
    )


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
    _require(principal, REVIEWERS, "review work items")
    now = utcnow()
    item = get_item(session, principal, item_id)
    _check_version(item, version)
    if item.kind != "sample":
        raise Invalid(
            "E422", "only sample items take findings; confirm or dismiss flags", field="kind"
        )
    _reviewable(session, item, principal, now)
    for index, finding in enumerate(findings):
        if finding.category not in CATEGORIES:
            raise Invalid(
                "E422",
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
    _transition(
        session,
        item,
        principal=principal,
        action="review",
        to="reviewed",
        note=note or (", ".join(f.category for f in findings) or None),
        now=now,
    )
    _set_reviewer(session, item, principal.user_id)
    item.decided_at, item.note = now, note
    item.claim_expires_at = None
    return _flush(session, item)


def appeal(
    session: Session, *, principal: Principal, item_id: int, version: int, reason: str
) -> WorkItem:
    _require(principal, ("agent",), "appeal (only the agent concerned appeals)")
    now = utcnow()
    item = get_item(session, principal, item_id)
    _check_version(item, version)
    if item.status != "confirmed":
        raise Conflict(
            "E409",
            f"only a confirmed item can be appealed; this one is {item.status}",
            field="status",
        )
    if not reason.strip():
        raise Invalid("E422", "an appeal needs a reason", field="reason")
    session.add(
        Appeal(work_item_id=item.id, appellant_id=principal.user_id, reason=reason, created_at=now)
    )
    _transition(
        session, item, principal=principal, action="appeal", to="appealed", note=reason, now=now
    )
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
    _require(principal, LEADS, "decide appeals")
    if decision not in ("upheld", "overturned"):
        raise Invalid("E422", "decision must be upheld or overturned", field="decision")
    now = utcnow()
    item = get_item(session, principal, item_id)
    _check_version(item, version)
    if item.status != "appealed":
        raise Conflict(
            "E409", f"work item {item.id} is {item.status}, not appealed", field="status"
        )
    open_appeal = session.scalar(
        select(Appeal).where(Appeal.work_item_id == item.id, Appeal.decision.is_(None))
    )
    if open_appeal is not None:
        open_appeal.decision, open_appeal.decided_by = decision, principal.user_id
        open_appeal.decided_at, open_appeal.decision_note = now, note
    _transition(
        session, item, principal=principal, action="decide_appeal", to=decision, note=note, now=now
    )
    _count_flag(session, item, counts=decision == "upheld")
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
    _require(principal, REVIEWERS, "mark teaching cases")
    now = utcnow()
    item = get_item(session, principal, item_id)
    _check_version(item, version)
    if item.status not in ("confirmed", "appealed", "upheld"):
        raise Conflict(
            "E409",
            f"only a confirmed item can be a teaching case; this one is {item.status}",
            field="status",
        )
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


# Listing ---------------------------------------------------------------------------------

SORTS = ("priority", "age")


def _filtered(
    query: Select[Any],
    *,
    status: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    agent: str | None = None,
    shop: str | None = None,
    channel: str | None = None,
    reviewer: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    kind: str | None = None,
    teaching_case: bool | None = None,
    transcript_id: str | None = None,
) -> Select[Any]:
    if status:
        query = query.where(WorkItem.status.in_(status.split(",")))
    if category:
        query = query.where(WorkItem.category.in_(category.split(",")))
    if severity:
        query = query.where(WorkItem.severity == severity)
    if agent:
        query = query.where(WorkItem.agent == agent)
    if shop:
        query = query.where(WorkItem.shop == shop)
    if channel:
        query = query.where(WorkItem.channel == channel)
    if reviewer:
        query = query.join(User, User.id == WorkItem.reviewer_id).where(User.name == reviewer)
    if created_from:
        query = query.where(WorkItem.created_at >= created_from)
    if created_to:
        query = query.where(WorkItem.created_at < created_to)
    if kind:
        query = query.where(WorkItem.kind == kind)
    if teaching_case is not None:
        query = query.where(WorkItem.teaching_case.is_(teaching_case))
    if transcript_id:
        query = query.where(WorkItem.transcript_id == transcript_id)
    return query


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> list[Any]:
    def aware(value: Any) -> datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a cursor time has an offset")
        return moment

    def row_id(value: Any) -> int:
        ident = int(value)
        if not 0 <= ident < 2**63:
            raise ValueError("a cursor id fits a database integer")
        return ident

    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise TypeError("a cursor is a list")
        if sort == "priority":
            if not math.isfinite(float(values[0])):
                raise ValueError("a cursor priority is a number")
            return [float(values[0]), aware(values[1]), row_id(values[2])]
        return [aware(values[0]), row_id(values[1])]
    except (ValueError, TypeError, IndexError):  # JSONDecodeError is a ValueError
        raise Invalid("E422", "the cursor is not one this API gave out", field="cursor") from None


def list_items(
    session: Session,
    *,
    principal: Principal,
    sort: str = "priority",
    limit: int = 50,
    cursor: str | None = None,
    filters: dict[str, Any] | None = None,
) -> tuple[list[WorkItem], str | None]:
    """A page of work items and the cursor of the next page (None at the end)."""
    if sort not in SORTS:
        raise Invalid("E422", f"sort must be one of {', '.join(SORTS)}", field="sort")
    query = _filtered(select(WorkItem), **(filters or {}))
    if principal.role == "agent":
        query = query.where(WorkItem.agent == principal.agent_name)
    if sort == "priority":
        order = (WorkItem.priority.desc(), WorkItem.created_at, WorkItem.id)
        if cursor:
            p, created, ident = _decode_cursor(cursor, sort)
            query = query.where(
                or_(
                    WorkItem.priority < p,
                    and_(WorkItem.priority == p, WorkItem.created_at > created),
                    and_(
                        WorkItem.priority == p, WorkItem.created_at == created, WorkItem.id > ident
                    ),
                )
            )
    else:
        order = (WorkItem.created_at, WorkItem.id)
        if cursor:
            created, ident = _decode_cursor(cursor, sort)
            query = query.where(
                or_(
                    WorkItem.created_at > created,
                    and_(WorkItem.created_at == created, WorkItem.id > ident),
                )
            )
    rows = list(
        session.scalars(
            query.options(joinedload(WorkItem.reviewer)).order_by(*order).limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        values = (
            [last.priority, last.created_at, last.id]
            if sort == "priority"
            else [last.created_at, last.id]
        )
        next_cursor = _encode_cursor(values)
    return rows, next_cursor


def counts(
    session: Session, *, principal: Principal, by: str, filters: dict[str, Any] | None = None
) -> dict[str, int]:
    """How many items per value of a column (for the queue's filter counts)."""
    column = {
        "category": WorkItem.category,
        "severity": WorkItem.severity,
        "agent": WorkItem.agent,
        "shop": WorkItem.shop,
        "channel": WorkItem.channel,
        "status": WorkItem.status,
    }[by]
    query = _filtered(select(column, func.count()), **(filters or {}))
    if principal.role == "agent":
        query = query.where(WorkItem.agent == principal.agent_name)
    empty = "sample" if by in ("category", "severity") else "(none)"
    return {
        str(value) if value is not None else empty: n
        for value, n in session.execute(query.group_by(column))
    }


def miss_rate(session: Session) -> dict[str, Any]:
    """The engine's measured miss rate: of the sampled chats specialists reviewed, the share
    in which they found a problem of each category that the engine had not flagged."""
    reviewed = (
        session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .where(WorkItem.kind == "sample", WorkItem.status == "reviewed")
        )
        or 0
    )
    per_category = dict(
        session.execute(
            select(MissedFinding.category, func.count(func.distinct(MissedFinding.work_item_id)))
            .join(WorkItem, WorkItem.id == MissedFinding.work_item_id)
            .where(WorkItem.status == "reviewed")
            .group_by(MissedFinding.category)
        ).all()
    )
    return {
        "sampled_reviewed": reviewed,
        "categories": {
            code: {
                "chats_with_miss": per_category.get(code, 0),
                "miss_rate": round(per_category.get(code, 0) / reviewed, 4) if reviewed else None,
            }
            for code in CATEGORIES
        },
    }
