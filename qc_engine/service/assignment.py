"""Assignment: leads give work to reviewers, and each reviewer's daily target.

Two kinds of assignment, both for the open items (open or in review) of the queue:

- a whole chat given to one reviewer (`ChatAssignment`): every open item of that chat,
  and any the chat gets later, is theirs;
- a standing queue rule (`AssignmentRule`): a reviewer takes the open items of a shop,
  agent, channel and category (each left empty: any; "sample" is the sampled chats).

Whose an item is: its chat's assignee, while that reviewer is active; else every active
reviewer with a rule that matches it; else nobody's. Active means an enabled account with
a reviewer role that a lead has not paused (`User.away`, 暂停分配). Claim-next hands a
reviewer their own items first (their chats, then their rules), then the items that are
nobody's, in the queue's order, and never an item that is someone else's; claiming an item
by its id is not limited (a lead can always open and take it). The conditions below are SQL,
so the queue, its counts and claim-next agree with the overview on every database.

Today's count is the desk's (desk.done_today): items a reviewer decided since midnight,
Asia/Shanghai. Every change is a lead's (review.LEADS) and is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import (
    AssignmentRule,
    ChatAssignment,
    StoredTranscript,
    User,
    WorkItem,
)
from qc_engine.errors import Code
from qc_engine.service.auth import Principal
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Forbidden, Invalid, Problem, not_found
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.review import ACTIVE, LEADS, REVIEWERS
from qc_engine.taxonomy import CATEGORIES

SAMPLE = "sample"
"""A rule's category for the sampled chats (they have no category of their own)."""
TARGET_MAX = 1000
CHATS_MAX = 200
"""Chats assigned in one request."""
RULES_MAX = 50
"""Standing rules per reviewer."""
WIDTHS = {"shop": 200, "agent": 200, "channel": 40, "category": 40}
RULE_FIELDS = ("shop", "agent", "channel", "category")


# Refusals ---------------------------------------------------------------------------------


class AssignmentInvalid(Invalid):
    """A request the assignment rules refuse (422), with its problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(Code.E422, str(problem), field=problem.field)


def _refuse(field_name: str, reason: str, *values: object) -> AssignmentInvalid:
    return AssignmentInvalid(Problem(field_name, reason, tuple(str(v) for v in values)))


def require_lead(principal: Principal) -> None:
    if principal.role not in LEADS:
        raise Forbidden(
            Code.E403, f"role {principal.role!r} may not assign work; allowed: {', '.join(LEADS)}"
        )


# Who is active, whose an item is (SQL) --------------------------------------------------


def _active(user: Any) -> ColumnElement[bool]:
    return and_(user.disabled.is_(False), user.away.is_(False), user.role.in_(REVIEWERS))


def _chat_assignee(*, only_active: bool) -> ColumnElement[int]:
    """The user id the item's chat is assigned to (0: none, or not active)."""
    person = aliased(User)
    query = (
        select(ChatAssignment.user_id)
        .join(person, person.id == ChatAssignment.user_id)
        .where(ChatAssignment.transcript_id == WorkItem.transcript_id)
    )
    if only_active:
        query = query.where(_active(person))
    return func.coalesce(query.correlate(WorkItem).scalar_subquery(), 0)


def rule_matches(rule: Any) -> ColumnElement[bool]:
    """Whether a rule (a row of assignment_rules, or an alias of it) takes the work item."""
    return and_(
        or_(rule.shop.is_(None), rule.shop == WorkItem.shop),
        or_(rule.agent.is_(None), rule.agent == WorkItem.agent),
        or_(rule.channel.is_(None), rule.channel == WorkItem.channel),
        or_(
            rule.category.is_(None),
            rule.category == func.coalesce(WorkItem.category, literal(SAMPLE)),
        ),
    )


def _has_rule(user_id: int, *, others: bool = False) -> ColumnElement[bool]:
    """Some rule of this user matches the item (others: some active other user's rule)."""
    rule, person = aliased(AssignmentRule), aliased(User)
    query = select(rule.id).where(rule_matches(rule))
    if others:
        query = query.join(person, person.id == rule.user_id).where(
            rule.user_id != user_id, _active(person)
        )
    else:
        query = query.where(rule.user_id == user_id)
    return exists(query.correlate(WorkItem))


def by_chat(user_id: int) -> ColumnElement[bool]:
    """The item's chat is assigned to this user (active or not: their own view)."""
    return _chat_assignee(only_active=False) == user_id


def by_rule(user_id: int) -> ColumnElement[bool]:
    """One of this user's rules takes the item, and its chat is not given to an active
    reviewer (nor to this user: then it counts under by_chat)."""
    return and_(
        _chat_assignee(only_active=True) == 0,
        _chat_assignee(only_active=False) != user_id,
        _has_rule(user_id),
    )


def assigned_to(user_id: int) -> ColumnElement[bool]:
    """The item is this user's: their chat, or their rule (the queue's 分配给我)."""
    return or_(by_chat(user_id), by_rule(user_id))


def someone_elses(user_id: int) -> ColumnElement[bool]:
    """The item belongs to another active reviewer (claim-next does not hand it out)."""
    chat_owner = _chat_assignee(only_active=True)
    return and_(
        ~assigned_to(user_id),
        or_(
            and_(chat_owner != 0, chat_owner != user_id),
            and_(chat_owner == 0, _has_rule(user_id, others=True)),
        ),
    )


def claim_order(user_id: int) -> ColumnElement[int]:
    """0 for the user's chats, 1 for their rules' items, 2 for the rest (sorted first)."""
    return case((by_chat(user_id), 0), (by_rule(user_id), 1), else_=2)


# Today ------------------------------------------------------------------------------------


def day_start(now: datetime | None = None) -> datetime:
    """Midnight of today in Asia/Shanghai, where the desk's days begin."""
    moment = (now or utcnow()).astimezone(SHANGHAI)
    return datetime.combine(moment.date(), time.min, SHANGHAI)


def done_today(
    session: Session, user_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, int]:
    """Items each user decided since midnight (desk.done_today's count, for several)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(WorkItem.reviewer_id, func.count())
        .where(WorkItem.reviewer_id.in_(ids), WorkItem.decided_at >= day_start(now))
        .group_by(WorkItem.reviewer_id)
    ).all()
    counted = {int(user): int(n) for user, n in rows if user is not None}
    return {i: counted.get(i, 0) for i in ids}


def daily_target(session: Session, user_id: int) -> int | None:
    return session.scalar(select(User.daily_target).where(User.id == user_id))


# Reading ----------------------------------------------------------------------------------


def reviewers(session: Session) -> list[User]:
    """Everyone work can be given to: enabled users with a reviewer role, specialists
    first, then leads and admins, by name."""
    order = {"specialist": 0, "lead": 1, "admin": 2}
    rows = session.scalars(
        select(User).where(User.role.in_(REVIEWERS), User.disabled.is_(False))
    ).all()
    return sorted(rows, key=lambda u: (order.get(u.role, 3), u.name))


@dataclass
class AssignedChat:
    transcript_id: str
    open_items: int
    first_item_id: int
    agent: str | None
    shop: str | None
    assigned_at: datetime


@dataclass
class RuleLoad:
    rule: AssignmentRule
    open_items: int


@dataclass
class ReviewerLoad:
    """A reviewer on the assignment page: today's work, target and what is assigned."""

    user: User
    done_today: int
    chats: list[AssignedChat] = field(default_factory=list)
    rules: list[RuleLoad] = field(default_factory=list)
    by_chat: int = 0
    by_rule: int = 0

    @property
    def assigned_open(self) -> int:
        return self.by_chat + self.by_rule

    @property
    def active(self) -> bool:
        return not self.user.away


def _open_count(session: Session, condition: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(WorkItem).where(WorkItem.status.in_(ACTIVE))
    return int(session.scalar(query.where(condition)) or 0)


def overview(
    session: Session, *, principal: Principal, now: datetime | None = None
) -> list[ReviewerLoad]:
    """Every reviewer with today's count, target, assigned chats and rules, and their open
    assigned items (by chat and by rule)."""
    require_lead(principal)
    people = reviewers(session)
    done = done_today(session, [u.id for u in people], now=now)
    loads = {u.id: ReviewerLoad(u, done[u.id]) for u in people}
    chats = session.execute(
        select(
            ChatAssignment.user_id,
            ChatAssignment.transcript_id,
            ChatAssignment.assigned_at,
            StoredTranscript.agent,
            StoredTranscript.shop,
            func.count(WorkItem.id),
            func.min(WorkItem.id),
        )
        .join(StoredTranscript, StoredTranscript.id == ChatAssignment.transcript_id)
        .join(WorkItem, WorkItem.transcript_id == ChatAssignment.transcript_id)
        .where(ChatAssignment.user_id.in_(loads), WorkItem.status.in_(ACTIVE))
        .group_by(
            ChatAssignment.user_id,
            ChatAssignment.transcript_id,
            ChatAssignment.assigned_at,
            StoredTranscript.agent,
            StoredTranscript.shop,
        )
        .order_by(ChatAssignment.assigned_at, ChatAssignment.transcript_id)
    ).all()
    for user_id, transcript_id, at, agent, shop, n, first in chats:
        loads[user_id].chats.append(AssignedChat(transcript_id, n, first, agent, shop, at))
    rules = session.scalars(
        select(AssignmentRule).where(AssignmentRule.user_id.in_(loads)).order_by(AssignmentRule.id)
    ).all()
    for rule in rules:
        owner = loads[rule.user_id]
        matching = and_(
            rule_matches(AssignmentRule),
            _chat_assignee(only_active=True) == 0,
            _chat_assignee(only_active=False) != rule.user_id,
        )
        count = session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .join(AssignmentRule, AssignmentRule.id == rule.id)
            .where(WorkItem.status.in_(ACTIVE), matching)
        )
        owner.rules.append(RuleLoad(rule, int(count or 0)))
    for load in loads.values():
        load.by_chat = _open_count(session, by_chat(load.user.id))
        load.by_rule = _open_count(session, by_rule(load.user.id))
    return list(loads.values())


@dataclass
class Owner:
    """Whose a queue row is: a chat's assignee, or the reviewers whose rules take it."""

    names: tuple[str, ...]
    by_chat: bool
    mine: bool


def owners(
    session: Session, *, principal: Principal, items: Sequence[WorkItem]
) -> dict[int, Owner]:
    """For queue rows: who each item is assigned to (rows of nobody's are left out)."""
    ids = [i.id for i in items]
    if not ids:
        return {}
    names = {
        u.id: (u.name, not u.away and not u.disabled and u.role in REVIEWERS)
        for u in session.scalars(select(User))
    }
    direct = dict(
        session.execute(
            select(WorkItem.id, ChatAssignment.user_id)
            .join(ChatAssignment, ChatAssignment.transcript_id == WorkItem.transcript_id)
            .where(WorkItem.id.in_(ids))
        ).all()
    )
    ruled: dict[int, set[int]] = {}
    for item_id, user_id in session.execute(
        select(WorkItem.id, AssignmentRule.user_id)
        .join(AssignmentRule, rule_matches(AssignmentRule))
        .where(WorkItem.id.in_(ids))
    ):
        ruled.setdefault(item_id, set()).add(user_id)
    out: dict[int, Owner] = {}
    for item_id in ids:
        chat_user = direct.get(item_id)
        if chat_user is not None and (names[chat_user][1] or chat_user == principal.user_id):
            out[item_id] = Owner((names[chat_user][0],), True, chat_user == principal.user_id)
            continue
        users = sorted(u for u in ruled.get(item_id, ()) if names[u][1] or u == principal.user_id)
        if users:
            out[item_id] = Owner(
                tuple(names[u][0] for u in users), False, principal.user_id in users
            )
    return out


# Changing ---------------------------------------------------------------------------------


def _reviewer(session: Session, user_id: int | None) -> User:
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or user.disabled or user.role not in REVIEWERS:
        raise _refuse("user", "unknown")
    return user


@dataclass
class ChatsAssigned:
    user: User | None
    chats: list[str]
    open_items: int
    moved_from: dict[str, str]
    """Chats that were someone else's: transcript id -> their name."""


def assign_chats(
    session: Session,
    *,
    principal: Principal,
    transcript_ids: Sequence[str],
    user_id: int | None,
) -> ChatsAssigned:
    """Give whole chats to one reviewer (user_id None: take them back). Every chat must
    exist and have open items; nothing changes otherwise."""
    require_lead(principal)
    wanted = list(dict.fromkeys(t.strip() for t in transcript_ids if t and t.strip()))
    if not wanted:
        raise _refuse("chats", "missing")
    if len(wanted) > CHATS_MAX:
        raise _refuse("chats", "too_many", CHATS_MAX, len(wanted))
    user = _reviewer(session, user_id) if user_id is not None else None
    known = set(session.scalars(select(StoredTranscript.id).where(StoredTranscript.id.in_(wanted))))
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise _refuse("chats", "unknown", *unknown)
    open_items = dict(
        session.execute(
            select(WorkItem.transcript_id, func.count())
            .where(WorkItem.transcript_id.in_(wanted), WorkItem.status.in_(ACTIVE))
            .group_by(WorkItem.transcript_id)
        ).all()
    )
    if user is not None:
        closed = [t for t in wanted if not open_items.get(t)]
        if closed:
            raise _refuse("chats", "nothing_open", *closed)
    existing = {
        row.transcript_id: row
        for row in session.scalars(
            select(ChatAssignment).where(ChatAssignment.transcript_id.in_(wanted))
        )
    }
    now = utcnow()
    previous = _names(session, {row.user_id for row in existing.values()})
    moved: dict[str, str] = {}
    for transcript_id in wanted:
        row = existing.get(transcript_id)
        before = previous.get(row.user_id) if row is not None else None
        after = user.name if user is not None else None
        if before == after:
            continue
        if row is not None and user is not None and row.user_id != user.id and before:
            moved[transcript_id] = before
        if user is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                ChatAssignment(
                    transcript_id=transcript_id,
                    user_id=user.id,
                    assigned_by=principal.user_id,
                    assigned_at=now,
                )
            )
        else:
            row.user_id, row.assigned_by, row.assigned_at = user.id, principal.user_id, now
        audit(
            session, actor=principal.name, entity="chat", entity_id=transcript_id,
            action="assign" if user is not None else "unassign", from_state=before,
            to_state=after, at=now,
        )  # fmt: skip
    session.flush()
    return ChatsAssigned(user, wanted, sum(open_items.get(t, 0) for t in wanted), moved)


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _rule_value(name: str, value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > WIDTHS[name]:
        raise _refuse(name, "too_long", WIDTHS[name], len(text))
    if UNSTORABLE.search(text):
        raise _refuse(name, "unstorable")
    if name == "category" and text != SAMPLE and text not in CATEGORIES:
        raise _refuse(name, "unknown", text)
    return text


def add_rule(
    session: Session,
    *,
    principal: Principal,
    user_id: int | None,
    shop: str | None = None,
    agent: str | None = None,
    channel: str | None = None,
    category: str | None = None,
) -> AssignmentRule:
    """A standing rule: this reviewer takes the open items matching every value given."""
    require_lead(principal)
    user = _reviewer(session, user_id)
    given = {"shop": shop, "agent": agent, "channel": channel, "category": category}
    values = {name: _rule_value(name, value) for name, value in given.items()}
    if not any(values.values()):
        raise _refuse("rule", "empty")
    mine = session.scalars(select(AssignmentRule).where(AssignmentRule.user_id == user.id)).all()
    if any(all(getattr(r, k) == v for k, v in values.items()) for r in mine):
        raise _refuse("rule", "duplicate")
    if len(mine) >= RULES_MAX:
        raise _refuse("rule", "too_many", RULES_MAX)
    now = utcnow()
    rule = AssignmentRule(user_id=user.id, created_by=principal.user_id, created_at=now, **values)
    session.add(rule)
    session.flush()
    audit(
        session, actor=principal.name, entity="assignment_rule", entity_id=rule.id,
        action="create", to_state=user.name, note=describe(rule), at=now,
    )  # fmt: skip
    return rule


def delete_rule(session: Session, *, principal: Principal, rule_id: int) -> AssignmentRule:
    require_lead(principal)
    rule = session.get(AssignmentRule, rule_id)
    if rule is None:
        raise not_found("assignment rule", rule_id)
    owner = _names(session, {rule.user_id}).get(rule.user_id)
    audit(
        session, actor=principal.name, entity="assignment_rule", entity_id=rule.id,
        action="delete", from_state=owner, note=describe(rule),
    )  # fmt: skip
    session.delete(rule)
    session.flush()
    return rule


def describe(rule: AssignmentRule) -> str:
    """A rule in a line, for the audit log (the desk words it in Chinese)."""
    return ", ".join(f"{k}={getattr(rule, k)}" for k in RULE_FIELDS if getattr(rule, k))


def set_target(
    session: Session, *, principal: Principal, user_id: int | None, target: int | None
) -> User:
    """The items per day a reviewer is expected to decide (None: no target)."""
    require_lead(principal)
    user = _reviewer(session, user_id)
    if target is not None and not 1 <= target <= TARGET_MAX:
        raise _refuse("target", "out_of_range", 1, TARGET_MAX)
    if user.daily_target != target:
        audit(
            session, actor=principal.name, entity="user", entity_id=user.id,
            action="daily_target", from_state=_text(user.daily_target), to_state=_text(target),
        )  # fmt: skip
        user.daily_target = target
        session.flush()
    return user


def set_away(session: Session, *, principal: Principal, user_id: int | None, away: bool) -> User:
    """Pause (or resume) a reviewer's assignments: while paused, what is assigned to them
    is anyone's to claim next (they still get it first themselves)."""
    require_lead(principal)
    user = _reviewer(session, user_id)
    if user.away != away:
        audit(
            session, actor=principal.name, entity="user", entity_id=user.id,
            action="away" if away else "back", from_state=str(user.away).lower(),
            to_state=str(away).lower(),
        )  # fmt: skip
        user.away = away
        session.flush()
    return user


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "CHATS_MAX",
    "RULES_MAX",
    "SAMPLE",
    "TARGET_MAX",
    "AssignedChat",
    "AssignmentInvalid",
    "ChatsAssigned",
    "Owner",
    "Problem",
    "ReviewerLoad",
    "RuleLoad",
    "add_rule",
    "assign_chats",
    "assigned_to",
    "by_chat",
    "by_rule",
    "claim_order",
    "daily_target",
    "day_start",
    "delete_rule",
    "describe",
    "done_today",
    "overview",
    "owners",
    "require_lead",
    "reviewers",
    "rule_matches",
    "set_away",
    "set_target",
    "someone_elses",
]
