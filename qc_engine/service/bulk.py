"""Bulk decisions: a lead confirms or dismisses the open items of one rule across chats,
with one note. Each item goes through the same transition as one by one
(workitems.confirm / dismiss: roles, states, someone else's claim, the audit entry, the
chat rescored), each in a transaction of its own, so one item refused or changed meanwhile
skips that item and nothing else.

Repeating the same request changes nothing more: an item already in the state asked for
is counted as done before (`already`), not decided again, so a double submit (or a retry
after a lost answer) is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from qc_engine.db.models import WorkItem
from qc_engine.errors import Code
from qc_engine.service.auth import Principal
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Conflict, Forbidden, Invalid
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.queue import filtered
from qc_engine.service.review import (
    ACTIVE,
    LEADS,
    TRANSITIONS,
    HeldBySomeoneElse,
    refusal,
)
from qc_engine.service.workitems import confirm, dismiss, user_name, visible

BULK_MAX = 500
"""Items one request decides (the rest stay for the next)."""
NOTE_MAX = 4000
Decision = Literal["confirm", "dismiss"]
SkipReason = Literal["not_found", "other_rule", "held", "status", "changed"]


@dataclass
class Skipped:
    item_id: int
    reason: SkipReason
    status: str | None = None
    holder: str | None = None


@dataclass
class BulkResult:
    rule: str
    decision: Decision
    done: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    """Items that were in the state asked for before this request (a repeat)."""
    skipped: list[Skipped] = field(default_factory=list)
    remaining: int = 0
    """Open items of the rule left after this request (more than BULK_MAX, or skipped)."""


def candidates(
    session: Session,
    *,
    principal: Principal,
    rule: str,
    filters: dict[str, Any] | None = None,
    limit: int = BULK_MAX,
) -> list[int]:
    """The open items (open or in review) of one rule, with the queue's other filters, in
    the queue's order: what a bulk decision from the queue acts on."""
    if principal.role not in LEADS:
        return []
    query = filtered(select(WorkItem.id), **((filters or {}) | {"rule": rule}))
    query = query.where(WorkItem.status.in_(ACTIVE), WorkItem.kind == "flag")
    order = (WorkItem.priority.desc(), WorkItem.created_at, WorkItem.id)
    return list(session.scalars(query.order_by(*order).limit(limit)))


def _open_left(session: Session, rule: str) -> int:
    query = filtered(select(func.count()).select_from(WorkItem), rule=rule)
    return int(session.scalar(query.where(WorkItem.status.in_(ACTIVE))) or 0)


def _checked_note(note: str | None) -> str:
    text = (note or "").strip()
    if not text:
        raise Invalid(Code.E422, "a bulk decision needs a note", field="note")
    if len(text) > NOTE_MAX:
        raise Invalid(Code.E422, f"the note is over {NOTE_MAX} characters", field="note")
    if UNSTORABLE.search(text):
        raise Invalid(
            Code.E422, "the note contains a NUL character or half of a surrogate pair",
            field="note",
        )  # fmt: skip
    return text


def decide_committed(
    session: Session,
    *,
    principal: Principal,
    rule: str,
    decision: str,
    note: str | None,
    item_ids: Sequence[int] | None = None,
    filters: dict[str, Any] | None = None,
) -> BulkResult:
    """Confirm or dismiss the given items of one rule (None: its open items, at most
    BULK_MAX, the queue's filters applied), committing each. Leads only."""
    if principal.role not in LEADS:
        raise Forbidden(
            Code.E403,
            f"role {principal.role!r} may not decide in bulk; allowed: {', '.join(LEADS)}",
        )
    if decision not in ("confirm", "dismiss"):
        raise Invalid(Code.E422, "decision must be confirm or dismiss", field="decision")
    text = _checked_note(note)
    if item_ids is None:
        ids = candidates(session, principal=principal, rule=rule, filters=filters)
    else:
        ids = list(dict.fromkeys(item_ids))
        if len(ids) > BULK_MAX:
            raise Invalid(Code.E422, f"at most {BULK_MAX} items per request", field="item_ids")
    session.commit()  # end the read: each item is decided in a transaction of its own
    result = BulkResult(rule=rule, decision=cast(Decision, decision))
    target = TRANSITIONS[decision].target
    act = confirm if decision == "confirm" else dismiss
    for item_id in ids:
        outcome = _one(session, principal, item_id, rule, decision, target, text, act)
        if isinstance(outcome, Skipped):
            result.skipped.append(outcome)
        elif outcome == "done":
            result.done.append(item_id)
        else:
            result.already.append(item_id)
    if result.done:
        audit(
            session, actor=principal.name, entity="rule", entity_id=rule,
            action=f"bulk_{decision}", to_state=f"{len(result.done)} items", note=text,
        )  # fmt: skip
    session.commit()
    result.remaining = _open_left(session, rule)
    session.commit()
    return result


def _one(
    session: Session,
    principal: Principal,
    item_id: int,
    rule: str,
    decision: str,
    target: str | None,
    note: str,
    act: Any,
) -> str | Skipped:
    """Decide one item in its own transaction: "done", "already", or why it was skipped."""
    item = session.get(
        WorkItem, item_id, options=[joinedload(WorkItem.flag)], populate_existing=True
    )
    if item is None or not visible(principal, item):
        session.rollback()
        return Skipped(item_id, "not_found")
    if item.flag is None or item.flag.rule != rule:
        session.rollback()
        return Skipped(item_id, "other_rule", status=item.status)
    if item.status == target:
        session.rollback()
        return "already"
    problem = refusal(
        decision, role=principal.role, user_id=principal.user_id, item=item, now=utcnow()
    )
    if isinstance(problem, HeldBySomeoneElse):
        holder = user_name(session, problem.user_id)
        session.rollback()
        return Skipped(item_id, "held", status=item.status, holder=holder)
    if problem is not None:
        session.rollback()
        return Skipped(item_id, "status", status=item.status)
    try:
        act(session, principal=principal, item_id=item_id, version=item.version, note=note)
        session.commit()
    except Conflict:  # changed between the read and the write (the version check)
        session.rollback()
        now = session.get(WorkItem, item_id, populate_existing=True)
        status = now.status if now is not None else None
        session.rollback()
        return "already" if status == target else Skipped(item_id, "changed", status=status)
    return "done"


__all__ = ["BULK_MAX", "BulkResult", "Skipped", "candidates", "decide_committed"]
