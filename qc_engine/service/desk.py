"""Read models of the review desk: a chat laid out with its flags, spans and waits, and
what the user may do with each; open appeals; the teaching-case search; today's count.
Nothing here changes state: every change goes through workitems.py, and what a user may
do is what workitems.may says (the same table the service enforces)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from qc_engine.clock import SHANGHAI, waits_by_message
from qc_engine.db.models import (
    Appeal,
    MissedFinding,
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    User,
    WorkItem,
)
from qc_engine.service import assignment
from qc_engine.service.auth import Principal
from qc_engine.service.workitems import ClaimState, claim_state, may


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
    return dict(rows)


# The chat view ---------------------------------------------------------------------------


@dataclass
class Segment:
    text: str
    flags: list[int]  # flag numbers whose evidence span covers this text
    void: bool = False  # every one of those flags was dismissed or overturned


@dataclass
class FlagView:
    number: int
    flag: StoredFlag
    item: WorkItem | None
    claim: ClaimState | None
    appeal: Appeal | None
    appeal_by: str | None
    checklist_title: str | None
    can_decide: bool = False
    can_teach: bool = False
    can_appeal: bool = False
    can_decide_appeal: bool = False


@dataclass
class MessageView:
    message: StoredMessage
    segments: list[Segment]
    flags: list[FlagView] = field(default_factory=list)
    wait_seconds: float | None = None
    day_break: str | None = None  # a date line before this message when the day changes


@dataclass
class ChatView:
    transcript: StoredTranscript
    messages: list[MessageView]
    flags: list[FlagView]
    items: list[WorkItem]
    findings: list[MissedFinding]


def _segments(text: str, spans: list[tuple[int, int, int]]) -> list[Segment]:
    """Cut the text where evidence spans start and end; each piece knows its flags."""
    cuts = {0, len(text)}
    for start, end, _ in spans:
        cuts.update((start, end))
    bounds = sorted(cuts)
    out: list[Segment] = []
    for start, end in pairwise(bounds):
        if start == end:
            continue
        covering = [n for s, e, n in spans if s <= start and end <= e]
        out.append(Segment(text[start:end], covering))
    return out or [Segment(text, [])]


def load_chat(
    session: Session, *, transcript_id: str, principal: Principal, titles: dict[str, str]
) -> ChatView:
    row = session.scalar(
        select(StoredTranscript)
        .where(StoredTranscript.id == transcript_id)
        .options(selectinload(StoredTranscript.messages), selectinload(StoredTranscript.flags))
    )
    assert row is not None
    items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.transcript_id == row.id)
            .options(joinedload(WorkItem.reviewer))
            .order_by(WorkItem.id)
        )
    )
    by_flag = {i.flag_id: i for i in items if i.flag_id is not None}
    appeals: dict[int, Appeal] = {}
    appellants: dict[int, str] = {}
    if items:
        for row_appeal in session.scalars(
            select(Appeal).where(Appeal.work_item_id.in_([i.id for i in items])).order_by(Appeal.id)
        ):
            appeals[row_appeal.work_item_id] = row_appeal  # the latest one wins
        ids = {a.appellant_id for a in appeals.values()}
        appellants = _names(session, ids)
    now = datetime.now(UTC)
    flags: list[FlagView] = []
    for number, flag in enumerate(row.flags, start=1):
        item = by_flag.get(flag.id)
        appeal = appeals.get(item.id) if item is not None else None
        view = FlagView(
            number,
            flag,
            item,
            claim_state(item, principal, now) if item else None,
            appeal,
            appellants.get(appeal.appellant_id) if appeal else None,
            titles.get(flag.rule),
        )
        if item is not None:
            view.can_decide = may("confirm", principal, item, now)
            view.can_teach = may("teaching_case", principal, item, now)
            view.can_appeal = may("appeal", principal, item, now)
            view.can_decide_appeal = may("decide_appeal", principal, item, now)
        flags.append(view)
    waits = waits_by_message([(m.role, m.ts) for m in row.messages])  # one clock
    messages: list[MessageView] = []
    last_day = None
    for message in row.messages:
        mine = [f for f in flags if f.flag.message_index == message.idx]
        spans = [
            (f.flag.span_start, f.flag.span_end, f.number)
            for f in mine
            if f.flag.span_start is not None
            and f.flag.span_end is not None
            and 0 <= f.flag.span_start < f.flag.span_end <= len(message.text)
        ]
        segments = _segments(message.text, spans)
        void = {f.number for f in mine if not f.flag.counts}
        for segment in segments:
            segment.void = bool(segment.flags) and set(segment.flags) <= void
        shown = MessageView(message, segments, mine, waits.get(message.idx))
        if message.ts is not None:
            day = message.ts.astimezone(SHANGHAI).date()
            if last_day is not None and day != last_day:
                shown.day_break = day.isoformat()
            last_day = day
        messages.append(shown)
    findings = (
        list(
            session.scalars(
                select(MissedFinding)
                .where(MissedFinding.work_item_id.in_([i.id for i in items]))
                .order_by(MissedFinding.id)
            )
        )
        if items
        else []
    )
    return ChatView(row, messages, flags, items, findings)


def flag_number(item: WorkItem) -> int | None:
    """The number the chat view gives the item's flag (1, 2, ... in message order), or
    None for a sample item."""
    if item.flag_id is None:
        return None
    return next(
        (n for n, flag in enumerate(item.transcript.flags, start=1) if flag.id == item.flag_id),
        None,
    )


# Lists -----------------------------------------------------------------------------------


def today() -> date:
    """Today in Asia/Shanghai, where the desk's days begin."""
    return datetime.now(UTC).astimezone(SHANGHAI).date()


def done_today(session: Session, principal: Principal) -> int:
    """Items this user decided since midnight (Asia/Shanghai): assignment.done_today's count,
    the one the lead's targets are measured with."""
    return assignment.done_today(session, [principal.user_id])[principal.user_id]


def flags_of(session: Session, items: list[WorkItem]) -> dict[int, StoredFlag]:
    ids = [i.flag_id for i in items if i.flag_id is not None]
    if not ids:
        return {}
    return {f.id: f for f in session.scalars(select(StoredFlag).where(StoredFlag.id.in_(ids)))}


def chat_times(session: Session, items: list[WorkItem]) -> dict[str, datetime | None]:
    """When each item's chat started (None for a chat without times), by transcript id."""
    ids = {i.transcript_id for i in items}
    if not ids:
        return {}
    query = select(StoredTranscript.id, StoredTranscript.started_at)
    rows = session.execute(query.where(StoredTranscript.id.in_(ids))).all()
    return dict(rows)


def messages_at(session: Session, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The text of the flagged message of each (transcript, index)."""
    if not pairs:
        return {}
    query = select(StoredMessage.transcript_id, StoredMessage.idx, StoredMessage.text).where(
        or_(
            *[and_(StoredMessage.transcript_id == t, StoredMessage.idx == i) for t, i in set(pairs)]
        )
    )
    return {(t, i): text for t, i, text in session.execute(query)}


@dataclass
class AppealRow:
    item: WorkItem
    flag: StoredFlag | None
    appeal: Appeal | None
    appellant: str | None
    decider: str | None


def appeal_rows(
    session: Session, *, principal: Principal, statuses: tuple[str, ...], limit: int = 200
) -> list[AppealRow]:
    """Items in these states with their latest appeal, newest first; an agent sees only
    their own."""
    query = (
        select(WorkItem)
        .where(WorkItem.status.in_(statuses))
        .options(joinedload(WorkItem.flag), joinedload(WorkItem.reviewer))
        .order_by(WorkItem.updated_at.desc(), WorkItem.id.desc())
        .limit(limit)
    )
    if principal.role == "agent":
        query = query.where(WorkItem.agent == principal.agent_name)
    items = list(session.scalars(query).unique())
    latest: dict[int, Appeal] = {}
    if items:
        for appeal in session.scalars(
            select(Appeal).where(Appeal.work_item_id.in_([i.id for i in items])).order_by(Appeal.id)
        ):
            latest[appeal.work_item_id] = appeal
    user_ids = {a.appellant_id for a in latest.values()} | {
        a.decided_by for a in latest.values() if a.decided_by
    }
    names = _names(session, user_ids)
    return [
        AppealRow(
            i,
            i.flag,
            latest.get(i.id),
            names.get(latest[i.id].appellant_id) if i.id in latest else None,
            names.get(latest[i.id].decided_by or -1) if i.id in latest else None,
        )
        for i in items
    ]


def search_cases(
    session: Session,
    *,
    principal: Principal,
    category: str | None,
    text: str | None,
    limit: int = 200,
) -> list[WorkItem]:
    """Teaching cases, newest first, by category and words in the evidence, the note, the
    agent or shop, or any message of the chat."""
    query = (
        select(WorkItem)
        .where(WorkItem.teaching_case.is_(True))
        .options(joinedload(WorkItem.flag), joinedload(WorkItem.reviewer))
        .order_by(WorkItem.updated_at.desc(), WorkItem.id.desc())
        .limit(limit)
    )
    if principal.role == "agent":
        query = query.where(WorkItem.agent == principal.agent_name)
    if category:
        query = query.where(WorkItem.category == category)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                WorkItem.note.ilike(pattern, escape="\\"),
                WorkItem.agent.ilike(pattern, escape="\\"),
                WorkItem.shop.ilike(pattern, escape="\\"),
                WorkItem.transcript_id.ilike(pattern, escape="\\"),
                exists().where(
                    StoredFlag.id == WorkItem.flag_id,
                    StoredFlag.evidence.ilike(pattern, escape="\\"),
                ),
                exists().where(
                    StoredMessage.transcript_id == WorkItem.transcript_id,
                    StoredMessage.text.ilike(pattern, escape="\\"),
                ),
            )
        )
    return list(session.scalars(query).unique())


def day_counts(
    session: Session, *, principal: Principal, base: dict[str, Any], count: Any
) -> dict[str, int]:
    """Items for the quick day filters (today, yesterday, last 7 days), other filters kept."""
    day = today()
    ranges = {
        "today": (day, day),
        "yesterday": (day - timedelta(days=1),) * 2,
        "week": (day - timedelta(days=6), day),
    }
    out = {}
    for name, (start, end) in ranges.items():
        filters = dict(base)
        filters["created_from"] = datetime.combine(start, datetime.min.time(), SHANGHAI)
        filters["created_to"] = datetime.combine(
            end + timedelta(days=1), datetime.min.time(), SHANGHAI
        )
        out[name] = sum(count(filters).values())
    return out
