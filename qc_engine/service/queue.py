"""The queue: work items listed with filters and cursor pagination, counted per column,
and the engine's measured miss rate. Read-only; every change is in workitems.py."""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from qc_engine.db.models import MissedFinding, StoredFlag, User, WorkItem
from qc_engine.errors import Code
from qc_engine.service import assignment
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Invalid
from qc_engine.taxonomy import CATEGORIES

SORTS = ("priority", "age")
# What the counts call an item whose agent, shop or channel is not known, and the filter
# value that selects those items (the desk labels it 未填写).
UNSET = "(none)"


def is_value(column: Any, value: str) -> Any:
    """`column` holds `value`; UNSET selects the rows where it is not known."""
    return column.is_(None) if value == UNSET else column == value


_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def filtered(
    query: _Query,
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
    rule: str | None = None,
    assigned_to: int | None = None,
) -> _Query:
    """The query narrowed to the items matching every filter given. `rule` is the rule or
    model that raised the item's flag (StoredFlag.rule), `assigned_to` a user id: the items
    assigned to them, by chat or by queue rule (assignment.py)."""
    if status:
        query = query.where(WorkItem.status.in_(status.split(",")))
    if category:
        query = query.where(WorkItem.category.in_(category.split(",")))
    if severity:
        query = query.where(WorkItem.severity == severity)
    if agent:
        query = query.where(is_value(WorkItem.agent, agent))
    if shop:
        query = query.where(is_value(WorkItem.shop, shop))
    if channel:
        query = query.where(is_value(WorkItem.channel, channel))
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
    if rule:
        query = query.where(
            WorkItem.flag_id.in_(select(StoredFlag.id).where(StoredFlag.rule == rule))
        )
    if assigned_to is not None:
        query = query.where(assignment.assigned_to(assigned_to))
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
        raise Invalid(
            Code.E422, "the cursor is not one this API gave out", field="cursor"
        ) from None


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
        raise Invalid(Code.E422, f"sort must be one of {', '.join(SORTS)}", field="sort")
    query = filtered(select(WorkItem), **(filters or {}))
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
        order = (WorkItem.created_at, WorkItem.id)  # type: ignore[assignment]
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
    """How many items per value of a column (for the queue's filter counts); by rule, the
    flag items per rule or model that raised them."""
    column = {
        "category": WorkItem.category,
        "severity": WorkItem.severity,
        "agent": WorkItem.agent,
        "shop": WorkItem.shop,
        "channel": WorkItem.channel,
        "status": WorkItem.status,
        "rule": StoredFlag.rule,
    }[by]
    selected = select(column, func.count())
    if by == "rule":
        selected = selected.select_from(WorkItem).join(
            StoredFlag, StoredFlag.id == WorkItem.flag_id
        )
    query = filtered(selected, **(filters or {}))
    if principal.role == "agent":
        query = query.where(WorkItem.agent == principal.agent_name)
    empty = "sample" if by in ("category", "severity") else UNSET
    return {
        str(value) if value is not None else empty: n
        for value, n in session.execute(query.group_by(column))
    }


def assigned_counts(
    session: Session, *, principal: Principal, filters: dict[str, Any] | None = None
) -> dict[str, int]:
    """The user's assigned items among those the filters select: by chat and by rule."""
    out = {}
    for how, condition in (
        ("chat", assignment.by_chat(principal.user_id)),
        ("rule", assignment.by_rule(principal.user_id)),
    ):
        query = filtered(select(func.count()).select_from(WorkItem), **(filters or {}))
        out[how] = int(session.scalar(query.where(condition)) or 0)
    return out


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
