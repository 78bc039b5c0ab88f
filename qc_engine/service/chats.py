"""Every stored chat, not only those with work items: browsing and searching them (the
desk's 全部会话), and starting a review of a chat that has no open work item. Agents see
only their own chats, as everywhere else (transcripts.stored_chat)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import StoredFlag, StoredMessage, StoredTranscript, WorkItem
from qc_engine.errors import Code
from qc_engine.service.auth import Principal
from qc_engine.service.common import audit
from qc_engine.service.errors import Forbidden, Invalid
from qc_engine.service.ingest import new_work_item
from qc_engine.service.queue import UNSET, is_value
from qc_engine.service.review import ACTIVE, READERS, REVIEWERS
from qc_engine.service.transcripts import stored_chat

PAGE = 50


def _chat_time() -> Any:
    """A chat's own date: when it started, or (a transcript without times) when stored."""
    return func.coalesce(StoredTranscript.started_at, StoredTranscript.ingested_at)


@dataclass(frozen=True)
class ChatFilters:
    """What the chat list can be narrowed by; every field optional. Days are Asia/Shanghai
    days of the chat's own date; `text` is searched in every message, as typed."""

    date_from: date | None = None
    date_to: date | None = None
    shop: str | None = None
    agent: str | None = None
    channel: str | None = None
    checklist: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    category: str | None = None
    passed: bool | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise Invalid(Code.E422, "date_from is after date_to", field="date_from")
        if (
            self.score_min is not None
            and self.score_max is not None
            and self.score_min > self.score_max
        ):
            raise Invalid(Code.E422, "score_min is above score_max", field="score_min")


@dataclass
class ChatRow:
    """One chat of the list: the stored transcript, its flagged categories (each once, in
    the order flagged) and how many of its work items are still to review."""

    transcript: StoredTranscript
    categories: list[str]
    open_items: int
    items: int


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), SHANGHAI).astimezone(UTC)


def _where(query: Any, principal: Principal, f: ChatFilters) -> Any:
    if principal.role == "agent":
        query = query.where(StoredTranscript.agent == principal.agent_name)
    if f.date_from:
        query = query.where(_chat_time() >= _day_start(f.date_from))
    if f.date_to:
        query = query.where(_chat_time() < _day_start(f.date_to + timedelta(days=1)))
    for column, value in (
        (StoredTranscript.shop, f.shop),
        (StoredTranscript.agent, f.agent),
        (StoredTranscript.channel, f.channel),
    ):
        if value:
            query = query.where(is_value(column, value))
    if f.checklist:
        query = query.where(StoredTranscript.checklist == f.checklist)
    if f.score_min is not None:
        query = query.where(StoredTranscript.score >= f.score_min)
    if f.score_max is not None:
        query = query.where(StoredTranscript.score <= f.score_max)
    if f.passed is not None:
        query = query.where(StoredTranscript.passed.is_(f.passed))
    if f.category:
        query = query.where(
            exists().where(
                StoredFlag.transcript_id == StoredTranscript.id, StoredFlag.category == f.category
            )
        )
    if f.text:
        query = query.where(
            exists().where(
                StoredMessage.transcript_id == StoredTranscript.id,
                StoredMessage.text.contains(f.text, autoescape=True),
            )
        )
    return query


def search(
    session: Session, principal: Principal, filters: ChatFilters, *, page: int = 1
) -> tuple[list[ChatRow], int]:
    """One page of the chats that match, newest first, and how many match in all."""
    if principal.role not in READERS:
        raise Forbidden(
            Code.E403, f"role {principal.role!r} may not do this; allowed: {', '.join(READERS)}"
        )
    if page < 1:
        raise Invalid(Code.E422, "page must be 1 or more", field="page")
    total = session.scalar(_where(select(func.count(StoredTranscript.id)), principal, filters))
    rows = list(
        session.scalars(
            _where(select(StoredTranscript), principal, filters)
            .order_by(_chat_time().desc(), StoredTranscript.id)
            .offset((page - 1) * PAGE)
            .limit(PAGE)
        )
    )
    ids = [r.id for r in rows]
    categories: dict[str, list[str]] = {i: [] for i in ids}
    items: dict[str, list[int]] = {i: [0, 0] for i in ids}
    if ids:
        for transcript_id, category in session.execute(
            select(StoredFlag.transcript_id, StoredFlag.category)
            .where(StoredFlag.transcript_id.in_(ids))
            .order_by(StoredFlag.transcript_id, StoredFlag.message_index, StoredFlag.id)
        ):
            if category not in categories[transcript_id]:
                categories[transcript_id].append(category)
        for transcript_id, status, n in session.execute(
            select(WorkItem.transcript_id, WorkItem.status, func.count())
            .where(WorkItem.transcript_id.in_(ids))
            .group_by(WorkItem.transcript_id, WorkItem.status)
        ):
            items[transcript_id][1] += n
            if status in ACTIVE:
                items[transcript_id][0] += n
    return [ChatRow(r, categories[r.id], *items[r.id]) for r in rows], total or 0


def facets(session: Session, principal: Principal) -> dict[str, list[str]]:
    """The shops, agents, channels and checklists the chats hold (for the filter menus)."""
    out: dict[str, list[str]] = {}
    for name, column in (
        ("shop", StoredTranscript.shop),
        ("agent", StoredTranscript.agent),
        ("channel", StoredTranscript.channel),
        ("checklist", StoredTranscript.checklist),
    ):
        query = _where(select(column).distinct(), principal, ChatFilters())
        values = list(session.scalars(query.order_by(column).limit(500)))
        out[name] = [UNSET if v is None else str(v) for v in values]
    return out


def open_chat(
    session: Session, principal: Principal, transcript_id: str
) -> tuple[StoredTranscript, WorkItem | None]:
    """The chat, and the work item a reader opening it should land on: one still to review
    if there is one, else the latest; None when the chat has none."""
    row, items = stored_chat(session, principal, transcript_id)
    active = [i for i in items if i.status in ACTIVE]
    if active:
        return row, active[0]
    return row, items[-1] if items else None


def start_review(
    session: Session, principal: Principal, transcript_id: str, *, now: datetime | None = None
) -> WorkItem:
    """Put a chat with no work item still to review into the queue as a `sample` item (a
    specialist reads it whole and records what the engine missed), and return it. A chat
    that already has one returns that one: starting twice adds nothing."""
    if principal.role not in REVIEWERS:
        raise Forbidden(
            Code.E403, f"role {principal.role!r} may not do this; allowed: {', '.join(REVIEWERS)}"
        )
    row, items = stored_chat(session, principal, transcript_id)
    waiting = [i for i in items if i.status in ACTIVE]
    if waiting:
        return waiting[0]
    item = new_work_item(row, None, now=now or datetime.now(UTC))
    session.add(item)
    session.flush()
    audit(
        session,
        actor=principal.name,
        entity="work_item",
        entity_id=item.id,
        action="start_review",
        from_state=None,
        to_state="open",
        note="a review started from the chat list",
    )
    return item
