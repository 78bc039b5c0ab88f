"""The weekly QC report's figures: one ISO week in Asia/Shanghai, for all shops or one shop;
the same figures over any range of days (`build_range`, the desk's 报表 page); and the
report's trend and categories over one agent's chats against the team's (`agent_trend`,
`agent_categories`, the desk's agent page), so that the desk and the report never count a
figure two ways.

(One file of about 1,200 lines on purpose: each section below is one function over the same
query helper (`_Query`), in the order the report reads, so a figure in the report is found
by reading down; the three renderings are the JSON itself and, in the reports layer,
reports/html.py and reports/excel.py.)

Every figure is aggregated in the database (SQLAlchemy Core, GROUP BY, window functions or
percentile_disc), so building a week over a million stored chats reads no chat into Python;
only the per-agent, per-category and per-rule rows come back. The same queries run on
SQLite and PostgreSQL.

Which chats a week holds: those that started in it (their first message time); a chat
without any message time counts in the week it was stored. Work items, flags and reviews
are those of the week's chats, as they stand when the report is built; reviewer throughput
and sample reviews are the decisions made during the week (whatever the chat's date).

The JSON shape is documented in docs/reports.md ("The JSON form"); `SCHEMA_VERSION` changes
when a field changes meaning or disappears (new fields may be added without it).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import (
    Appeal,
    MissedFinding,
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    User,
    WorkItem,
)
from qc_engine.errors import Code
from qc_engine.service import review
from qc_engine.service.common import utcnow
from qc_engine.service.errors import Invalid
from qc_engine.service.links import LinkSigner, chat_page_link, report_links
from qc_engine.taxonomy import CATEGORIES
from qc_engine.weeks import FIRST_YEAR, LAST_YEAR, IsoWeek

SCHEMA_VERSION = 1

T = StoredTranscript.__table__
F = StoredFlag.__table__
W = WorkItem.__table__
U = User.__table__
A = Appeal.__table__
M = StoredMessage.__table__
MF = MissedFinding.__table__

# The state groups of the review domain (service/review.py), as the report counts them.
CONFIRMED = tuple(str(s) for s in review.CONFIRMED)
"""A reviewer confirmed it and it stands (an appeal may still be pending)."""
REJECTED = (str(review.Status.DISMISSED), str(review.Status.OVERTURNED))
"""A reviewer dismissed it, or an appeal overturned the confirmation."""
OPEN = tuple(str(s) for s in review.ACTIVE)
APPEALED = (str(review.Status.APPEALED), *(str(s) for s in review.APPEAL_DECIDED))
AGENT_CATEGORIES = tuple(c.code for c in CATEGORIES.values() if c.who == "agent")
CUSTOMER_CATEGORIES = tuple(c.code for c in CATEGORIES.values() if c.who == "customer")
UNKNOWN_AGENT = "（未识别）"
OVERALL = "\x00overall"
"""The key of the figures over all chats (None is the key of chats without an agent)."""
SCORE_BUCKETS = [(f"{b * 10}–{b * 10 + 9}", b * 10, b * 10 + 9) for b in range(10)] + [
    ("100", 100, 100)
]


@dataclass(frozen=True)
class ReportOptions:
    """What the report compares against and how much it lists."""

    trend_weeks: int = 8
    red_line_limit: int = 500
    teaching_cases: int = 5
    coaching_share: float = 0.2
    """The bottom share of ranked agents marked for coaching (at least one)."""
    coaching_min_chats: int = 3
    """Agents with fewer chats in the week are listed but not ranked."""
    first_response_standard: float = 30.0
    reply_wait_standard: float = 180.0
    target_mean_score: float = 90.0
    target_pass_rate: float = 0.9
    target_precision: float = 0.7


class Span(Protocol):
    """What a report covers: an ISO week (`IsoWeek`) or a range of days (`DateRange`), in
    Asia/Shanghai; `previous()` is the span of the same length just before, the report's
    comparison."""

    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    def previous(self) -> Span: ...
    def label_zh(self) -> str: ...


MAX_RANGE_DAYS = 366
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class DateRange:
    """A range of Asia/Shanghai days, both ends included: a report of any days, not only an
    ISO week (the desk's 报表 page). Years as the weeks reports cover."""

    first: date
    last: date

    @classmethod
    def of(cls, first: date, last: date) -> DateRange:
        for day, field in ((first, "date_from"), (last, "date_to")):
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise Invalid(Code.E422, f"dates run from {FIRST_YEAR} to {LAST_YEAR}", field=field)
        if last < first:
            raise Invalid(Code.E422, "the range ends before it starts", field="order")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise Invalid(Code.E422, f"a range holds at most {MAX_RANGE_DAYS} days", field="range")
        return cls(first, last)

    @classmethod
    def parse(cls, date_from: str, date_to: str) -> DateRange:
        """Two days as a form sends them (YYYY-MM-DD); an Invalid naming the field that is
        wrong: date_from, date_to, order (the end before the start) or range (too long)."""
        days: list[date] = []
        for text, field in ((date_from, "date_from"), (date_to, "date_to")):
            text = (text or "").strip()
            try:
                if not _DAY.fullmatch(text):  # fromisoformat also takes 20261101 and 2026-W47-1
                    raise ValueError(text)
                days.append(date.fromisoformat(text))
            except ValueError:
                raise Invalid(
                    Code.E422, f"{text[:40]!r} is not a date (YYYY-MM-DD)", field=field
                ) from None
        return cls.of(days[0], days[1])

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first day, 00:00 Asia/Shanghai."""
        return datetime.combine(self.first, time(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """The day after the last, 00:00 Asia/Shanghai (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=SHANGHAI)

    def previous(self) -> DateRange:
        """As many days, just before."""
        return DateRange(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def label_zh(self) -> str:
        first, last = self.first, self.last
        end = (
            f"{last.month}月{last.day}日"
            if last.year == first.year
            else f"{last:%Y}年{last.month}月{last.day}日"
        )
        return f"{first.year}年{first.month}月{first.day}日—{end}（{self.days} 天）"


# Small helpers ---------------------------------------------------------------------------


def _num(value: Any, digits: int = 2) -> float | None:
    if value is None:
        return None
    return round(float(value), digits)


def _int(value: Any) -> int:
    return int(value or 0)


def _ratio(part: Any, whole: Any, digits: int = 4) -> float | None:
    whole = float(whole or 0)
    return round(float(part or 0) / whole, digits) if whole else None


def _time(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_period(start: datetime, end: datetime, shop: str | None) -> Any:
    """The chats of a period: by start time, or by storage time when a chat has no times."""
    condition = or_(
        and_(T.c.started_at >= start, T.c.started_at < end),
        and_(T.c.started_at.is_(None), T.c.ingested_at >= start, T.c.ingested_at < end),
    )
    return and_(condition, T.c.shop == shop) if shop is not None else condition


class _Query:
    """The queries of one report: its database connection and whose chats it reads (all
    shops or one; `agents`, a narrower set of chats, is only read by the agents' own figures
    (`agent_trend`, `agent_categories`): their trend, headline and categories)."""

    def __init__(self, connection: Connection, shop: str | None, agents: Any = None) -> None:
        self.connection = connection
        self.shop = shop
        self.agents = agents
        self.postgres = connection.dialect.name == "postgresql"

    def chats_in(self, start: datetime, end: datetime) -> Any:
        """The chats of the period that this report reads."""
        condition = _in_period(start, end, self.shop)
        return and_(condition, self.agents) if self.agents is not None else condition

    def rows(self, query: Any) -> list[Any]:
        return list(self.connection.execute(query))

    def one(self, query: Any) -> Any:
        return self.connection.execute(query).one()

    def percentiles(
        self,
        value: Any,
        where: Any,
        *,
        group: Any = None,
        select_from: Any = T,
        ps: tuple[int, ...] = (50, 90),
    ) -> dict[Any, tuple[int, list[float | None]]]:
        """Per group (OVERALL without a group): how many values, and the nearest-rank percentiles
        (the smallest value with at least p% of the values at or below it), the same on
        PostgreSQL (percentile_disc) as on SQLite (row_number over a window)."""
        key = group if group is not None else literal("all")
        where = and_(where, value.is_not(None))
        if self.postgres:
            columns = [func.percentile_disc(p / 100).within_group(value) for p in ps]
            query = (
                select(key.label("g"), func.count(value), *columns)
                .select_from(select_from)
                .where(where)
            )
            if group is not None:
                query = query.group_by(group)
        else:
            partition = [group] if group is not None else None
            inner = (
                select(
                    key.label("g"),
                    value.label("v"),
                    func.row_number().over(partition_by=partition, order_by=value).label("rn"),
                    func.count().over(partition_by=partition).label("n"),
                )
                .select_from(select_from)
                .where(where)
                .subquery()
            )
            columns = [
                func.min(case((inner.c.rn * 100 >= p * inner.c.n, inner.c.v)))  # type: ignore[misc]
                for p in ps
            ]
            query = select(inner.c.g, func.max(inner.c.n), *columns).group_by(inner.c.g)
        out: dict[Any, tuple[int, list[float | None]]] = {}
        for row in self.rows(query):
            out[row[0] if group is not None else OVERALL] = (
                _int(row[1]),
                [_num(v, 1) for v in row[2:]],
            )
        return out


# The sections ----------------------------------------------------------------------------


def _headline(q: _Query, start: datetime, end: datetime) -> dict[str, Any]:
    where = q.chats_in(start, end)
    row = q.one(
        select(
            func.count(),
            func.coalesce(func.sum(T.c.message_count), 0),
            func.count(func.distinct(T.c.agent)),
            func.count(func.distinct(T.c.shop)),
            _count_if(T.c.passed.is_(True)),
            func.avg(T.c.score),
            func.coalesce(func.sum(T.c.flag_count), 0),
            _count_if(T.c.flag_count > 0),
        )
        .select_from(T)
        .where(where)
    )
    chats = _int(row[0])
    return {
        "chats": chats,
        "messages": _int(row[1]),
        "agents": _int(row[2]),
        "shops": _int(row[3]),
        "passed": _int(row[4]),
        "pass_rate": _ratio(row[4], chats),
        "mean_score": _num(row[5]),
        "flags_raised": _int(row[6]),
        "chats_with_flags": _int(row[7]),
    }


def _flag_join() -> Any:
    return F.join(T, F.c.transcript_id == T.c.id).outerjoin(
        W, and_(W.c.flag_id == F.c.id, W.c.kind == "flag")
    )


def _category_rows(q: _Query, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    standing = F.c.counts.is_(True)
    query = (
        select(
            F.c.category,
            func.count(),
            _count_if(standing),
            func.count(func.distinct(case((standing, F.c.transcript_id)))),
            func.coalesce(
                func.sum(case((and_(standing, F.c.severity == "deduct"), F.c.points), else_=0)), 0
            ),
            _count_if(and_(standing, F.c.severity == "red_line")),
            _count_if(W.c.status.in_(CONFIRMED)),
            _count_if(W.c.status.in_(REJECTED)),
        )
        .select_from(_flag_join())
        .where(q.chats_in(start, end))
        .group_by(F.c.category)
    )
    return {
        row[0]: {
            "raised": _int(row[1]),
            "flags": _int(row[2]),
            "chats": _int(row[3]),
            "points_lost": _int(row[4]),
            "red_lines": _int(row[5]),
            "confirmed": _int(row[6]),
            "rejected": _int(row[7]),
        }
        for row in q.rows(query)
    }


def _categories(
    current: dict[str, dict[str, Any]],
    previous: dict[str, dict[str, Any]],
    chats: int,
    previous_chats: int,
) -> list[dict[str, Any]]:
    total = sum(current.get(code, {}).get("flags", 0) for code in AGENT_CATEGORIES)
    out: list[dict[str, Any]] = []
    for code in AGENT_CATEGORIES:
        now, before = current.get(code), previous.get(code)
        flags = now["flags"] if now else 0
        before_flags = before["flags"] if before else 0
        if not flags and not before_flags:
            continue
        rate = flags * 100 / chats if chats else None
        before_rate = before_flags * 100 / previous_chats if previous_chats else None
        change = flags - before_flags
        category = CATEGORIES[code]
        out.append(
            {
                "code": code,
                "name": category.name_zh,
                "severity": category.severity,
                "flags": flags,
                "chats": now["chats"] if now else 0,
                "share": _ratio(flags, total),
                "per_100_chats": _num(rate),
                "points_lost": now["points_lost"] if now else 0,
                "red_lines": now["red_lines"] if now else 0,
                "confirmed": now["confirmed"] if now else 0,
                "rejected": now["rejected"] if now else 0,
                "previous_flags": before_flags,
                "previous_per_100_chats": _num(before_rate),
                "change": change,
                "change_pct": _ratio(change, before_flags) if before_flags else None,
                "rising": bool(change > 0 and (before_rate is None or (rate or 0) > before_rate)),
            }
        )
    out.sort(key=lambda c: (-c["flags"], -c["change"], c["code"]))
    return out


def _work_items(q: _Query, start: datetime, end: datetime) -> dict[str, int]:
    rows = q.rows(
        select(W.c.kind, W.c.status, func.count())
        .select_from(W.join(T, W.c.transcript_id == T.c.id))
        .where(q.chats_in(start, end))
        .group_by(W.c.kind, W.c.status)
    )
    by: dict[tuple[str, str], int] = {(k, s): _int(n) for k, s, n in rows}

    def total(*statuses: str, kind: str | None = None) -> int:
        return sum(
            n
            for (k, s), n in by.items()
            if (not statuses or s in statuses) and (kind is None or k == kind)
        )

    return {
        "work_items": total(),
        "open": total(*OPEN),
        "reviewed": total(*CONFIRMED, *REJECTED, review.Status.REVIEWED),
        "confirmed": total(*CONFIRMED, review.Status.OVERTURNED),
        "dismissed": total(review.Status.DISMISSED),
        "appealed": total(*APPEALED),
        "overturned": total("overturned"),
        "withdrawn": total("withdrawn"),
        "samples": total(kind="sample"),
    }


def _score_distribution(q: _Query, start: datetime, end: datetime) -> list[dict[str, Any]]:
    bucket = case((T.c.score >= 100, 10), else_=T.c.score // 10)
    inner = select(bucket.label("b")).select_from(T).where(q.chats_in(start, end)).subquery()
    counts = {
        _int(b): _int(n) for b, n in q.rows(select(inner.c.b, func.count()).group_by(inner.c.b))
    }
    total = sum(counts.values())
    return [
        {
            "bucket": label,
            "from": low,
            "to": high,
            "chats": counts.get(i, 0),
            "share": _ratio(counts.get(i, 0), total),
        }
        for i, (label, low, high) in enumerate(SCORE_BUCKETS)
    ]


def _trend(q: _Query, week: IsoWeek, weeks: int) -> list[dict[str, Any]]:
    span = [week.shifted(i - weeks + 1) for i in range(weeks)]
    where = q.chats_in(span[0].start, week.end)
    moment = func.coalesce(T.c.started_at, T.c.ingested_at)
    index = case(*[(moment < w.end, i) for i, w in enumerate(span[:-1])], else_=weeks - 1)
    inner = select(index.label("w"), T.c.score, T.c.passed).select_from(T).where(where).subquery()
    per_week = {
        _int(r[0]): r
        for r in q.rows(
            select(
                inner.c.w,
                func.count(),
                func.avg(inner.c.score),
                _count_if(inner.c.passed.is_(True)),
            ).group_by(inner.c.w)
        )
    }
    flags_inner = (
        select(index.label("w"), F.c.severity)
        .select_from(F.join(T, F.c.transcript_id == T.c.id))
        .where(where, F.c.counts.is_(True), F.c.category.in_(AGENT_CATEGORIES))
        .subquery()
    )
    problems: dict[int, int] = {}
    red_lines: dict[int, int] = {}
    for w, n, reds in q.rows(
        select(
            flags_inner.c.w, func.count(), _count_if(flags_inner.c.severity == "red_line")
        ).group_by(flags_inner.c.w)
    ):
        problems[_int(w)], red_lines[_int(w)] = _int(n), _int(reds)
    out: list[dict[str, Any]] = []
    for i, w in enumerate(span):
        row = per_week.get(i)
        chats = _int(row[1]) if row else 0
        out.append(
            {
                "week": str(w),
                "start": w.monday.isoformat(),
                "chats": chats,
                "mean_score": _num(row[2]) if row else None,
                "pass_rate": _ratio(row[3], chats) if row else None,
                "problems": problems.get(i, 0),
                "problems_per_100_chats": _num(problems.get(i, 0) * 100 / chats) if chats else None,
                "red_lines": red_lines.get(i, 0),
            }
        )
    return out


def _agents(
    q: _Query, week: Span, options: ReportOptions, confirmed_by_agent: dict[Any, int]
) -> list[dict[str, Any]]:
    def per_agent(start: datetime, end: datetime) -> dict[Any, Any]:
        return {
            r[0]: r
            for r in q.rows(
                select(
                    T.c.agent,
                    func.count(),
                    func.avg(T.c.score),
                    _count_if(T.c.passed.is_(True)),
                    func.sum(T.c.score),
                )
                .select_from(T)
                .where(q.chats_in(start, end))
                .group_by(T.c.agent)
            )
        }

    now = per_agent(week.start, week.end)
    before = per_agent(week.previous().start, week.previous().end)
    problems: dict[Any, dict[str, int]] = {}
    red_lines: dict[Any, int] = {}
    for agent, category, count, reds in q.rows(
        select(T.c.agent, F.c.category, func.count(), _count_if(F.c.severity == "red_line"))
        .select_from(F.join(T, F.c.transcript_id == T.c.id))
        .where(
            q.chats_in(week.start, week.end),
            F.c.counts.is_(True),
            F.c.category.in_(AGENT_CATEGORIES),
        )
        .group_by(T.c.agent, F.c.category)
    ):
        problems.setdefault(agent, {})[category] = _int(count)
        red_lines[agent] = red_lines.get(agent, 0) + _int(reds)
    agents: list[dict[str, Any]] = []
    for agent, row in now.items():
        chats = _int(row[1])
        prior = before.get(agent)
        mean = _num(row[2])
        prior_mean = _num(prior[2]) if prior else None
        pass_rate = _ratio(row[3], chats)
        prior_pass = _ratio(prior[3], prior[1]) if prior else None
        agents.append(
            {
                "agent": agent if agent is not None else UNKNOWN_AGENT,
                "chats": chats,
                "mean_score": mean,
                "pass_rate": pass_rate,
                "problems": dict(sorted(problems.get(agent, {}).items(), key=lambda kv: -kv[1])),
                "problems_total": sum(problems.get(agent, {}).values()),
                "confirmed": confirmed_by_agent.get(agent, 0),
                "red_lines": red_lines.get(agent, 0),
                "previous_chats": _int(prior[1]) if prior else 0,
                "previous_mean_score": prior_mean,
                "score_change": _num(mean - prior_mean)
                if mean is not None and prior_mean is not None
                else None,
                "previous_pass_rate": prior_pass,
                "pass_rate_change": _num(pass_rate - prior_pass, 4)
                if pass_rate is not None and prior_pass is not None
                else None,
                "rank": None,
                "coaching": False,
                "coaching_reason": None,
            }
        )
    ranked = sorted(
        (a for a in agents if a["chats"] >= options.coaching_min_chats),
        key=lambda a: (-(a["mean_score"] or 0), -(a["pass_rate"] or 0), -a["chats"], a["agent"]),
    )
    for position, agent in enumerate(ranked, 1):
        agent["rank"] = position
    if len(ranked) >= 2:
        overall = sum((a["mean_score"] or 0) * a["chats"] for a in ranked) / sum(
            a["chats"] for a in ranked
        )
        bottom = max(1, math.ceil(len(ranked) * options.coaching_share))
        for agent in ranked[-bottom:]:
            if (agent["mean_score"] or 0) < overall:
                agent["coaching"] = True
                agent["coaching_reason"] = (
                    f"平均分排名后 {round(options.coaching_share * 100)}%"
                    f"（{agent['mean_score']} 分，全体 {overall:.1f} 分）"
                )
    unranked = sorted(
        (a for a in agents if a["rank"] is None), key=lambda a: (-a["chats"], a["agent"])
    )
    return ranked + unranked


def _confirmed_by_agent(q: _Query, week: Span) -> dict[Any, int]:
    return {
        agent: _int(n)
        for agent, n in q.rows(
            select(T.c.agent, func.count())
            .select_from(_flag_join())
            .where(
                q.chats_in(week.start, week.end),
                W.c.status.in_(CONFIRMED),
                F.c.category.in_(AGENT_CATEGORIES),
            )
            .group_by(T.c.agent)
        )
    }


def _customers(q: _Query, week: Span, headline: dict[str, Any]) -> dict[str, Any]:
    where = q.chats_in(week.start, week.end)
    signals = (
        select(
            F.c.transcript_id.label("tid"),
            func.max(case((F.c.category == "customer_negative", 1), else_=0)).label("neg"),
            func.max(case((F.c.category == "complaint_risk", 1), else_=0)).label("comp"),
        )
        .select_from(F.join(T, F.c.transcript_id == T.c.id))
        .where(where, F.c.category.in_(CUSTOMER_CATEGORIES))
        .group_by(F.c.transcript_id)
        .subquery()
    )
    rows = q.rows(
        select(
            signals.c.neg,
            signals.c.comp,
            func.count(),
            func.coalesce(func.sum(T.c.score), 0),
            _count_if(T.c.passed.is_(True)),
        )
        .select_from(signals.join(T, T.c.id == signals.c.tid))
        .group_by(signals.c.neg, signals.c.comp)
    )
    score_total = q.one(select(func.coalesce(func.sum(T.c.score), 0)).select_from(T).where(where))[
        0
    ]

    def group(chosen: list[Any], chats_total: int) -> dict[str, Any]:
        chats = sum(_int(r[2]) for r in chosen)
        scores = sum(_int(r[3]) for r in chosen)
        passed = sum(_int(r[4]) for r in chosen)
        return {
            "chats": chats,
            "share": _ratio(chats, chats_total),
            "mean_score": _num(scores / chats) if chats else None,
            "pass_rate": _ratio(passed, chats),
        }

    chats = headline["chats"]
    negative = group([r for r in rows if r[0]], chats)
    complaint = group([r for r in rows if r[1]], chats)
    either = group(rows, chats)
    calm_chats = chats - either["chats"]
    calm_scores = _int(score_total) - sum(_int(r[3]) for r in rows)
    calm_passed = headline["passed"] - sum(_int(r[4]) for r in rows)
    calm = {
        "chats": calm_chats,
        "share": _ratio(calm_chats, chats),
        "mean_score": _num(calm_scores / calm_chats) if calm_chats else None,
        "pass_rate": _ratio(calm_passed, calm_chats),
    }
    return {
        "chats": chats,
        "negative_emotion": negative,
        "complaint_risk": complaint,
        "any_signal": either,
        "no_signal": calm,
    }


def _response(q: _Query, week: Span, options: ReportOptions) -> dict[str, Any]:
    where = q.chats_in(week.start, week.end)
    first = T.c.first_response_seconds
    wait = case((T.c.reply_waits > 0, T.c.reply_wait_total_seconds / T.c.reply_waits))
    first_pct = {**q.percentiles(first, where), **q.percentiles(first, where, group=T.c.agent)}
    wait_pct = {**q.percentiles(wait, where), **q.percentiles(wait, where, group=T.c.agent)}
    fr_std, rw_std = options.first_response_standard, options.reply_wait_standard

    def counts(group: Any) -> dict[Any, Any]:
        columns = [
            func.avg(first),
            _count_if(first > fr_std),
            func.coalesce(func.sum(T.c.reply_waits), 0),
            func.sum(T.c.reply_wait_total_seconds),
            _count_if(T.c.reply_waits > 0),
            _count_if(T.c.reply_wait_max_seconds > rw_std),
        ]
        if group is None:
            return {OVERALL: q.one(select(literal(None), *columns).select_from(T).where(where))}
        return {
            r[0]: r
            for r in q.rows(select(group, *columns).select_from(T).where(where).group_by(group))
        }

    def figures(key: Any, row: Any) -> dict[str, Any]:
        fr_n, (fr_p50, fr_p90) = first_pct.get(key, (0, [None, None]))
        rw_n, (rw_p50, rw_p90) = wait_pct.get(key, (0, [None, None]))
        waits, wait_total, wait_chats = _int(row[3]), row[4], _int(row[5])
        return {
            "first_response": {
                "chats": fr_n,
                "mean": _num(row[1], 1),
                "median": fr_p50,
                "p90": fr_p90,
                "over_standard": _int(row[2]),
                "over_standard_share": _ratio(row[2], fr_n),
            },
            "reply_wait": {
                "chats": wait_chats,
                "waits": waits,
                "mean": _num(float(wait_total) / waits, 1) if waits else None,
                "median": rw_p50,
                "p90": rw_p90,
                "chats_over_standard": _int(row[6]),
                "chats_over_standard_share": _ratio(row[6], rw_n),
            },
        }

    overall = figures(OVERALL, counts(None)[OVERALL])
    agents: list[dict[str, Any]] = [
        {"agent": agent if agent is not None else UNKNOWN_AGENT} | figures(agent, row)
        for agent, row in counts(T.c.agent).items()
    ]
    agents.sort(
        key=lambda a: (
            a["first_response"]["median"] is None,
            -(a["first_response"]["median"] or 0),
            a["agent"],
        )
    )
    return {
        "standards": {"first_response_seconds": fr_std, "reply_wait_seconds": rw_std},
        "overall": overall,
        "agents": agents,
    }


def _qc_system(q: _Query, week: Span, options: ReportOptions) -> dict[str, Any]:
    rows = q.rows(
        select(
            F.c.source,
            F.c.rule,
            F.c.category,
            func.count(),
            _count_if(F.c.counts.is_(True)),
            func.count(W.c.id),
            _count_if(W.c.status.in_(CONFIRMED)),
            _count_if(W.c.status == review.Status.DISMISSED),
            _count_if(W.c.status == "overturned"),
            _count_if(W.c.status.in_(OPEN)),
        )
        .select_from(_flag_join())
        .where(q.chats_in(week.start, week.end))
        .group_by(F.c.source, F.c.rule, F.c.category)
    )
    rules: list[dict[str, Any]] = []
    for (
        source,
        rule,
        category,
        raised,
        standing,
        items,
        confirmed,
        dismissed,
        overturned,
        pending,
    ) in rows:
        decided = _int(confirmed) + _int(dismissed) + _int(overturned)
        precision = _ratio(confirmed, decided)
        rules.append(
            {
                "source": source,
                "rule": rule,
                "category": category,
                "category_name": CATEGORIES[category].name_zh
                if category in CATEGORIES
                else category,
                "flags": _int(raised),
                "standing": _int(standing),
                "work_items": _int(items),
                "decided": decided,
                "confirmed": _int(confirmed),
                "dismissed": _int(dismissed),
                "overturned": _int(overturned),
                "pending": _int(pending),
                "precision": precision,
                "below_target": precision is not None and precision < options.target_precision,
            }
        )
    rules.sort(
        key=lambda r: (
            r["precision"] is None,
            r["precision"] or 0,
            -r["decided"],
            -r["flags"],
            r["rule"],
        )
    )

    decided_in = and_(W.c.decided_at >= week.start, W.c.decided_at < week.end)
    if q.shop is not None:
        decided_in = and_(decided_in, W.c.shop == q.shop)
    reviewers: dict[str, dict[str, Any]] = {}
    for name, role, flags, confirmed, dismissed, samples, overturned in q.rows(
        select(
            U.c.name,
            U.c.role,
            _count_if(W.c.kind == "flag"),
            _count_if(W.c.status.in_((*CONFIRMED, "overturned"))),
            _count_if(W.c.status == review.Status.DISMISSED),
            _count_if(W.c.status == "reviewed"),
            _count_if(W.c.status == "overturned"),
        )
        .select_from(W.join(U, W.c.reviewer_id == U.c.id))
        .where(decided_in)
        .group_by(U.c.name, U.c.role)
    ):
        reviewers[name] = {
            "reviewer": name,
            "role": role,
            "decided": _int(flags) + _int(samples),
            "confirmed": _int(confirmed),
            "dismissed": _int(dismissed),
            "samples_reviewed": _int(samples),
            "later_overturned": _int(overturned),
            "appeals_decided": 0,
            "appeals_upheld": 0,
            "appeals_overturned": 0,
        }
    appeal_in = and_(A.c.decided_at >= week.start, A.c.decided_at < week.end)
    if q.shop is not None:
        appeal_in = and_(appeal_in, W.c.shop == q.shop)
    for name, role, upheld, overturned in q.rows(
        select(
            U.c.name,
            U.c.role,
            _count_if(A.c.decision == "upheld"),
            _count_if(A.c.decision == "overturned"),
        )
        .select_from(A.join(W, A.c.work_item_id == W.c.id).join(U, A.c.decided_by == U.c.id))
        .where(appeal_in)
        .group_by(U.c.name, U.c.role)
    ):
        entry = reviewers.setdefault(
            name,
            {
                "reviewer": name,
                "role": role,
                "decided": 0,
                "confirmed": 0,
                "dismissed": 0,
                "samples_reviewed": 0,
                "later_overturned": 0,
            },
        )
        entry |= {
            "appeals_decided": _int(upheld) + _int(overturned),
            "appeals_upheld": _int(upheld),
            "appeals_overturned": _int(overturned),
        }
    samples = q.one(
        select(func.count(func.distinct(W.c.id)), func.count(func.distinct(MF.c.work_item_id)))
        .select_from(W.outerjoin(MF, MF.c.work_item_id == W.c.id))
        .where(decided_in, W.c.kind == "sample", W.c.status == "reviewed")
    )
    ordered = sorted(
        reviewers.values(), key=lambda r: (-(r["decided"] + r["appeals_decided"]), r["reviewer"])
    )
    return {
        "rules": rules,
        "reviewers": ordered,
        "samples": {
            "reviewed": _int(samples[0]),
            "with_missed_problem": _int(samples[1]),
            "miss_rate": _ratio(samples[1], samples[0]),
        },
    }


def _red_lines(
    q: _Query, week: Span, options: ReportOptions, base_url: str | None, total: int
) -> dict[str, Any]:
    rows = q.rows(
        select(
            T.c.id,
            T.c.started_at,
            T.c.shop,
            T.c.agent,
            T.c.channel,
            F.c.category,
            F.c.rule,
            F.c.evidence,
            F.c.message_index,
            W.c.id,
            W.c.status,
        )
        .select_from(_flag_join())
        .where(
            q.chats_in(week.start, week.end),
            F.c.severity == "red_line",
            F.c.counts.is_(True),
        )
        .order_by(T.c.started_at.asc().nulls_last(), T.c.id, F.c.id)
        .limit(options.red_line_limit)
    )
    items = [
        {
            "transcript_id": r[0],
            "started_at": _time(r[1]),
            "shop": r[2],
            "agent": r[3],
            "channel": r[4],
            "category": r[5],
            "category_name": CATEGORIES[r[5]].name_zh if r[5] in CATEGORIES else r[5],
            "rule": r[6],
            "evidence": r[7],
            "message_index": r[8],
            "work_item_id": r[9],
            "status": r[10],
            "link": chat_page_link(base_url, r[0]),
        }
        for r in rows
    ]
    return {"total": total, "shown": len(items), "items": items}


def _teaching_cases(
    q: _Query, week: Span, options: ReportOptions, base_url: str | None
) -> list[dict[str, Any]]:
    joined = (
        W.join(T, W.c.transcript_id == T.c.id)
        .outerjoin(F, W.c.flag_id == F.c.id)
        .outerjoin(U, W.c.reviewer_id == U.c.id)
        .outerjoin(M, and_(M.c.transcript_id == W.c.transcript_id, M.c.idx == F.c.message_index))
    )
    rows = q.rows(
        select(
            W.c.id,
            W.c.transcript_id,
            T.c.started_at,
            W.c.agent,
            W.c.shop,
            W.c.category,
            W.c.severity,
            W.c.points,
            W.c.note,
            F.c.evidence,
            M.c.text,
            U.c.name,
        )
        .select_from(joined)
        .where(q.chats_in(week.start, week.end), W.c.teaching_case.is_(True))
        .order_by(case((W.c.severity == "red_line", 0), else_=1), W.c.points.desc(), W.c.id)
        .limit(options.teaching_cases)
    )
    return [
        {
            "work_item_id": r[0],
            "transcript_id": r[1],
            "started_at": _time(r[2]),
            "agent": r[3],
            "shop": r[4],
            "category": r[5],
            "category_name": CATEGORIES[r[5]].name_zh if r[5] in CATEGORIES else r[5],
            "severity": r[6],
            "points": r[7],
            "note": r[8],
            "evidence": r[9],
            "message": (r[10] or "")[:300] or None,
            "reviewer": r[11],
            "link": chat_page_link(base_url, r[1]),
        }
        for r in rows
    ]


# The report ------------------------------------------------------------------------------


def build_weekly(
    db: Connection | Session,
    *,
    week: IsoWeek | str,
    shop: str | None = None,
    options: ReportOptions | None = None,
    base_url: str | None = None,
    link_signer: LinkSigner | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The report of one ISO week (Asia/Shanghai), for all shops or `shop`, as JSON-ready
    data. `base_url` makes the links to chats and to the report absolute."""
    week = IsoWeek.parse(week) if isinstance(week, str) else week
    options = options or ReportOptions()
    shop = shop or None
    report = _build(db, week, trend_to=week, shop=shop, options=options, base_url=base_url)
    report = {
        "kind": "weekly",
        "schema_version": SCHEMA_VERSION,
        "week": str(week),
        "shop": shop,
        "period": {
            "start": week.start.isoformat(),
            "end": week.end.isoformat(),
            "timezone": "Asia/Shanghai",
            "label": week.label_zh(),
            "previous_week": str(week.previous()),
        },
        "generated_at": _time(now or utcnow()),
        "empty": report["empty"],
        "notice": (
            f"{week.label_zh()}没有质检数据：没有在这一周开始的会话"
            + (f"（店铺 {shop}）" if shop else "")
            + "。"
        )
        if report["empty"]
        else None,
    } | report
    report["links"] = report_links(base_url, str(week), shop, link_signer, now)
    report["summary"] = summarize(report)
    return report


def build_range(
    db: Connection | Session,
    *,
    period: DateRange,
    shop: str | None = None,
    options: ReportOptions | None = None,
    base_url: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The weekly report's figures over a range of days instead of a week: the same
    sections, the same queries, compared with as many days just before; the trend is the
    `trend_weeks` ISO weeks up to the week holding the range's last day (whole weeks).
    Ranges have no stored form and no HTML or Excel export (`links` is None)."""
    options = options or ReportOptions()
    shop = shop or None
    previous = period.previous()
    report = _build(
        db, period, trend_to=IsoWeek.of(period.last), shop=shop, options=options,
        base_url=base_url,
    )  # fmt: skip
    report = {
        "kind": "range",
        "schema_version": SCHEMA_VERSION,
        "week": None,
        "shop": shop,
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "timezone": "Asia/Shanghai",
            "label": period.label_zh(),
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "days": period.days,
            "previous_label": previous.label_zh(),
        },
        "generated_at": _time(now or utcnow()),
        "empty": report["empty"],
        "notice": (
            f"{period.label_zh()}没有质检数据：没有在这段时间开始的会话"
            + (f"（店铺 {shop}）" if shop else "")
            + "。"
        )
        if report["empty"]
        else None,
    } | report
    report["links"] = None
    report["summary"] = summarize(report)
    return report


def _build(
    db: Connection | Session,
    span: Span,
    *,
    trend_to: IsoWeek,
    shop: str | None,
    options: ReportOptions,
    base_url: str | None,
) -> dict[str, Any]:
    """Every section of a report over `span`, compared with `span.previous()`."""
    connection = db.connection() if isinstance(db, Session) else db
    q = _Query(connection, shop)
    previous = span.previous()
    headline = _headline(q, span.start, span.end)
    before = _headline(q, previous.start, previous.end)
    current_categories = _category_rows(q, span.start, span.end)
    previous_categories = _category_rows(q, previous.start, previous.end)
    items = _work_items(q, span.start, span.end)
    flags_standing = sum(c["flags"] for c in current_categories.values())
    red_line_total = sum(c["red_lines"] for c in current_categories.values())
    previous_red_lines = sum(c["red_lines"] for c in previous_categories.values())
    score_distribution = _score_distribution(q, span.start, span.end)
    median = q.percentiles(T.c.score, q.chats_in(span.start, span.end), ps=(50,))
    coverage = headline | {
        "median_score": median.get(OVERALL, (0, [None]))[1][0],
        "flags_standing": flags_standing,
        "problems": sum(
            c["flags"] for code, c in current_categories.items() if code in AGENT_CATEGORIES
        ),
        "red_lines": red_line_total,
        **items,
        "previous": before | {"red_lines": previous_red_lines},
    }
    categories = _categories(
        current_categories, previous_categories, headline["chats"], before["chats"]
    )
    return {
        "empty": headline["chats"] == 0,
        "options": asdict(options),
        "coverage": coverage,
        "score_distribution": score_distribution,
        "trend": _trend(q, trend_to, options.trend_weeks),
        "categories": categories,
        "red_lines": _red_lines(q, span, options, base_url, red_line_total),
        "agents": _agents(q, span, options, _confirmed_by_agent(q, span)),
        "customers": _customers(q, span, headline),
        "response": _response(q, span, options),
        "qc_system": _qc_system(q, span, options),
        "teaching_cases": _teaching_cases(q, span, options, base_url),
    }


# One agent against the team (the desk's agent page) -----------------------------------------


def _agent_chats(agent: str | None) -> Any:
    """One agent's chats; None: the team's, every chat an agent is named on."""
    return T.c.agent == agent if agent is not None else T.c.agent.is_not(None)


def agent_trend(
    db: Connection | Session, *, agent: str | None, last: IsoWeek, weeks: int
) -> list[dict[str, Any]]:
    """The report's trend (per ISO week: chats, mean score, pass rate, problems, problems
    per 100 chats, red lines), `weeks` weeks up to `last`, over one agent's chats or (None)
    the team's."""
    connection = db.connection() if isinstance(db, Session) else db
    return _trend(_Query(connection, None, _agent_chats(agent)), last, weeks)


def agent_categories(
    db: Connection | Session, *, agent: str | None, span: Span
) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """Over one agent's chats of the span, or (None) the team's: the report's headline
    (chats, passed, pass rate, mean score, ...) and, per agent category with a flag, the
    report's category figures (raised, flags still standing, chats, points lost, red lines,
    confirmed and rejected by reviewers)."""
    connection = db.connection() if isinstance(db, Session) else db
    q = _Query(connection, None, _agent_chats(agent))
    rows = _category_rows(q, span.start, span.end)
    return _headline(q, span.start, span.end), {
        code: row for code, row in rows.items() if code in AGENT_CATEGORIES
    }


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures (stored beside the report, listed, and pushed to webhooks)."""
    coverage = report["coverage"]
    previous = coverage["previous"]
    return {
        "chats": coverage["chats"],
        "previous_chats": previous["chats"],
        "pass_rate": coverage["pass_rate"],
        "previous_pass_rate": previous["pass_rate"],
        "mean_score": coverage["mean_score"],
        "previous_mean_score": previous["mean_score"],
        "red_lines": coverage["red_lines"],
        "problems": coverage["problems"],
        "work_items": coverage["work_items"],
        "reviewed": coverage["reviewed"],
        "top_categories": [
            {"code": c["code"], "name": c["name"], "flags": c["flags"]}
            for c in report["categories"][:3]
            if c["flags"]
        ],
        "coaching": [a["agent"] for a in report["agents"] if a["coaching"]],
    }
