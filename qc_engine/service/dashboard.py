"""The dashboard's figures (/ui/dashboard): how a date range went, for a QC lead.

Two clocks, said once here and on the page:
- the quality figures (chats, score, pass rate, red lines, problems by category, shop and
  agent) are those of the chats that started in the range, as the weekly report counts a
  week (a chat without message times counts on the day it was stored: `_chats_in` writes
  that rule again, and tests/service/test_dashboard.py holds the two to the same figures),
  with their current scores and flags (after the reviews);
- the review figures (what each reviewer closed, and each rule's confirmed share) are the
  decisions made in the range, whatever the chat's date: the reviewers' time spent then.

Days are Asia/Shanghai days; a range of up to `DAILY_UP_TO` days is drawn per day, a longer
one per ISO week (the first and last weeks cut at the range's ends). Everything is
aggregated in the database (GROUP BY over a CASE of bucket bounds, the same SQL on SQLite
and PostgreSQL); scores come back as sums and counts, so a mean is one exact division here.

Only leads and admins see it. Principals are not limited to shops (an agent sees their own
chats, and agents do not see the dashboard), so every lead sees every shop: if shop-scoped
principals come, `_chats_in` and `_decided_in` are where the scope goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from qc_engine.db.models import StoredFlag, StoredTranscript, User, WorkItem
from qc_engine.errors import Code
from qc_engine.service import review
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, Invalid
from qc_engine.service.weekly import MAX_RANGE_DAYS, DateRange, ReportOptions
from qc_engine.taxonomy import CATEGORIES
from qc_engine.weeks import IsoWeek

DEFAULT_DAYS = 28
MAX_DAYS = MAX_RANGE_DAYS
DAILY_UP_TO = 31
"""Ranges up to this many days are drawn per day; longer ones per ISO week."""
TARGET_PRECISION = ReportOptions.target_precision
"""Below this confirmed share a rule costs reviewers more than it finds (the weekly report's
target)."""
AGENT_CATEGORIES = tuple(c.code for c in CATEGORIES.values() if c.who == "agent")
# The review outcomes as the dashboard counts them (the states of service/review.py).
CONFIRMED = tuple(str(s) for s in review.CONFIRMED)
DISMISSED = str(review.Status.DISMISSED)
OVERTURNED = str(review.Status.OVERTURNED)
REVIEWED = str(review.Status.REVIEWED)

Bucketing = Literal["day", "week"]


# The range ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket(DateRange):
    """One point of the trend: a day, or the part of an ISO week inside the range."""

    week: IsoWeek | None = None

    @property
    def label(self) -> str:
        """Short, for an axis: 11-16, or W47."""
        if self.week is None:
            return self.first.strftime("%m-%d")
        return f"W{self.week.week:02d}"

    @property
    def title(self) -> str:
        """In full: 2026-11-16, or 2026-W47（11-16 至 11-22）."""
        if self.week is None:
            return self.first.isoformat()
        return f"{self.week}（{self.first:%m-%d} 至 {self.last:%m-%d}）"


@dataclass(frozen=True)
class Period(DateRange):
    """The dashboard's range: the report's range of Asia/Shanghai days (both ends included,
    validated by `DateRange.of`), with the defaults of the form and the trend's buckets."""

    @classmethod
    def of(cls, first: date, last: date) -> Period:
        DateRange.of(first, last)
        return cls(first, last)

    @classmethod
    def last_days(cls, today: date, days: int = DEFAULT_DAYS) -> Period:
        """The `days` days ending today."""
        return cls(today - timedelta(days=days - 1), today)

    @classmethod
    def from_form(cls, date_from: str | None, date_to: str | None, *, today: date) -> Period:
        """A range from a form's two dates (YYYY-MM-DD). Neither: the last 28 days; only
        the start: from it to today (or 28 days if it is later); only the end: the 28 days
        up to it. An Invalid names what is wrong: date_from, date_to, order or range."""
        first = _parse_day(date_from, "date_from")
        last = _parse_day(date_to, "date_to")
        if first is None and last is None:
            return cls.last_days(today)
        if last is None:
            assert first is not None
            last = today if first <= today else first + timedelta(days=DEFAULT_DAYS - 1)
        if first is None:
            first = last - timedelta(days=DEFAULT_DAYS - 1)
        return cls.of(first, last)

    @property
    def bucketing(self) -> Bucketing:
        return "day" if self.days <= DAILY_UP_TO else "week"

    def buckets(self) -> list[Bucket]:
        if self.bucketing == "day":
            return [
                Bucket(self.first + timedelta(days=i), self.first + timedelta(days=i))
                for i in range(self.days)
            ]
        out: list[Bucket] = []
        week = IsoWeek.of(self.first)
        while week.monday <= self.last:
            sunday = week.monday + timedelta(days=6)
            out.append(Bucket(max(week.monday, self.first), min(sunday, self.last), week))
            week = week.shifted(1)
        return out


def _parse_day(value: str | None, field: str) -> date | None:
    """One day of the form, checked as the report checks a range's (format, years) before
    any arithmetic on it can overflow; None when not given."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return DateRange.parse(text, text).first
    except Invalid as error:
        raise Invalid(error.code, error.message, field=field) from None


# The figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quality:
    """The quality figures of a set of chats."""

    chats: int = 0
    score_total: int = 0
    passed: int = 0
    problems: int = 0
    """Flags of the agent's side that still count (not dismissed, not overturned)."""
    red_lines: int = 0
    """Of those, the red lines."""

    @property
    def mean_score(self) -> float | None:
        return self.score_total / self.chats if self.chats else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.chats if self.chats else None


@dataclass(frozen=True)
class TrendPoint:
    bucket: Bucket
    quality: Quality


@dataclass(frozen=True)
class GroupRow:
    """A shop or an agent; `name` None for chats without one."""

    name: str | None
    quality: Quality


@dataclass(frozen=True)
class CategoryRow:
    code: str
    name: str
    problems: int
    red_lines: int

    @property
    def deducts(self) -> int:
        return self.problems - self.red_lines


@dataclass(frozen=True)
class ReviewerRow:
    """What one reviewer closed in the range."""

    name: str
    role: str
    closed: int
    confirmed: int
    """Flags they confirmed (including those an appeal later overturned)."""
    dismissed: int
    samples: int
    overturned: int
    """Of their confirmations, those an appeal overturned since."""

    @property
    def agreement(self) -> float | None:
        """The share of the flags they decided that they confirmed."""
        decided = self.confirmed + self.dismissed
        return self.confirmed / decided if decided else None


@dataclass(frozen=True)
class RuleRow:
    """One rule or model in practice: its flags decided in the range."""

    source: str
    rule: str
    category: str
    confirmed: int
    dismissed: int
    overturned: int

    @property
    def category_name(self) -> str:
        known = CATEGORIES.get(self.category)
        return known.name_zh if known is not None else self.category

    @property
    def rejected(self) -> int:
        """Reviews that found nothing: dismissed, or confirmed and then overturned."""
        return self.dismissed + self.overturned

    @property
    def decided(self) -> int:
        return self.confirmed + self.rejected

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.decided if self.decided else None

    @property
    def below_target(self) -> bool:
        return self.precision is not None and self.precision < TARGET_PRECISION


@dataclass(frozen=True)
class Dashboard:
    period: Period
    overall: Quality
    trend: list[TrendPoint]
    categories: list[CategoryRow]
    """Agent categories with a problem in the range, most problems first."""
    shops: list[GroupRow]
    agents: list[GroupRow]
    """Lowest mean score first."""
    reviewers: list[ReviewerRow]
    """Most items closed first."""
    rules: list[RuleRow]
    """The rules that cost reviewers most first: most rejected, then lowest confirmed share."""

    @property
    def closed(self) -> int:
        return sum(r.closed for r in self.reviewers)

    @property
    def agreement(self) -> float | None:
        confirmed = sum(r.confirmed for r in self.reviewers)
        decided = confirmed + sum(r.dismissed for r in self.reviewers)
        return confirmed / decided if decided else None


# Queries --------------------------------------------------------------------------------


T = StoredTranscript
F = StoredFlag
W = WorkItem


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _int(value: Any) -> int:
    return int(value or 0)


def _chats_in(period: Period) -> ColumnElement[bool]:
    """The chats of the range: by start time, or by storage time when a chat has no times
    (the weekly report's rule; the OR keeps both indexes usable)."""
    return or_(
        and_(T.started_at >= period.start, T.started_at < period.end),
        and_(T.started_at.is_(None), T.ingested_at >= period.start, T.ingested_at < period.end),
    )


def _decided_in(period: Period) -> ColumnElement[bool]:
    return and_(W.decided_at >= period.start, W.decided_at < period.end)


def _bucket_of(period: Period) -> ColumnElement[int]:
    """The trend bucket (0, 1, ...) of a chat of the range."""
    buckets = period.buckets()
    if len(buckets) == 1:
        return literal(0)
    moment = func.coalesce(T.started_at, T.ingested_at)
    return case(*[(moment < b.end, i) for i, b in enumerate(buckets[:-1])], else_=len(buckets) - 1)


def _problems() -> ColumnElement[bool]:
    return and_(F.counts.is_(True), F.category.in_(AGENT_CATEGORIES))


def _chat_figures(session: Session, period: Period, group: Any) -> dict[Any, tuple[int, int, int]]:
    """Per group value: chats, the sum of their scores, how many passed."""
    inner = select(group.label("g"), T.score, T.passed).where(_chats_in(period)).subquery()
    rows = session.execute(
        select(
            inner.c.g,
            func.count(),
            func.coalesce(func.sum(inner.c.score), 0),
            _count_if(inner.c.passed.is_(True)),
        ).group_by(inner.c.g)
    )
    return {g: (_int(n), _int(total), _int(passed)) for g, n, total, passed in rows}


def _problem_figures(session: Session, period: Period, group: Any) -> dict[Any, tuple[int, int]]:
    """Per group value: problems, and of them red lines."""
    inner = (
        select(group.label("g"), F.severity)
        .join_from(F, T, F.transcript_id == T.id)
        .where(_chats_in(period), _problems())
        .subquery()
    )
    rows = session.execute(
        select(inner.c.g, func.count(), _count_if(inner.c.severity == "red_line")).group_by(
            inner.c.g
        )
    )
    return {g: (_int(n), _int(red)) for g, n, red in rows}


def _quality(chats: tuple[int, int, int] | None, problems: tuple[int, int] | None) -> Quality:
    n, total, passed = chats or (0, 0, 0)
    flags, red = problems or (0, 0)
    return Quality(chats=n, score_total=total, passed=passed, problems=flags, red_lines=red)


def _groups(session: Session, period: Period, column: Any) -> list[GroupRow]:
    chats = _chat_figures(session, period, column)
    problems = _problem_figures(session, period, column)
    rows = [GroupRow(name, _quality(chats.get(name), problems.get(name))) for name in chats]
    rows.sort(
        key=lambda r: (
            r.quality.mean_score if r.quality.mean_score is not None else 101.0,
            -r.quality.red_lines,
            -r.quality.chats,
            r.name is None,
            r.name or "",
        )
    )
    return rows


def _categories(session: Session, period: Period) -> list[CategoryRow]:
    found = _problem_figures(session, period, F.category)
    rows = [
        CategoryRow(code, CATEGORIES[code].name_zh, *found[code])
        for code in AGENT_CATEGORIES
        if code in found
    ]
    rows.sort(key=lambda r: (-r.problems, -r.red_lines, AGENT_CATEGORIES.index(r.code)))
    return rows


def _reviewers(session: Session, period: Period) -> list[ReviewerRow]:
    rows = session.execute(
        select(
            User.name,
            User.role,
            func.count(),
            _count_if(and_(W.kind == "flag", W.status.in_((*CONFIRMED, OVERTURNED)))),
            _count_if(W.status == DISMISSED),
            _count_if(W.status == REVIEWED),
            _count_if(W.status == OVERTURNED),
        )
        .join_from(W, User, W.reviewer_id == User.id)
        .where(_decided_in(period))
        .group_by(User.name, User.role)
    )
    out = [ReviewerRow(name, role, *(_int(v) for v in values)) for name, role, *values in rows]
    out.sort(key=lambda r: (-r.closed, r.name))
    return out


def _rules(session: Session, period: Period) -> list[RuleRow]:
    rows = session.execute(
        select(
            F.source,
            F.rule,
            F.category,
            _count_if(W.status.in_(CONFIRMED)),
            _count_if(W.status == DISMISSED),
            _count_if(W.status == OVERTURNED),
        )
        .join_from(W, F, W.flag_id == F.id)
        .where(
            _decided_in(period),
            W.kind == "flag",
            W.status.in_((*CONFIRMED, DISMISSED, OVERTURNED)),
        )
        .group_by(F.source, F.rule, F.category)
    )
    out = [
        RuleRow(source, rule, category, *(_int(v) for v in values))
        for source, rule, category, *values in rows
    ]
    out.sort(
        key=lambda r: (
            -r.rejected,
            r.precision if r.precision is not None else 1.0,
            -r.decided,
            r.rule,
            r.category,
        )
    )
    return out


def build(session: Session, *, principal: Principal, period: Period) -> Dashboard:
    """The dashboard of one range, for a lead or an admin."""
    if principal.role not in review.LEADS:
        raise Forbidden(Code.E403, f"role {principal.role!r} may not see the dashboard")
    bucket = _bucket_of(period)
    chats = _chat_figures(session, period, bucket)
    problems = _problem_figures(session, period, bucket)
    trend = [
        TrendPoint(b, _quality(chats.get(i), problems.get(i)))
        for i, b in enumerate(period.buckets())
    ]
    overall = Quality(
        chats=sum(p.quality.chats for p in trend),
        score_total=sum(p.quality.score_total for p in trend),
        passed=sum(p.quality.passed for p in trend),
        problems=sum(p.quality.problems for p in trend),
        red_lines=sum(p.quality.red_lines for p in trend),
    )
    return Dashboard(
        period=period,
        overall=overall,
        trend=trend,
        categories=_categories(session, period),
        shops=_groups(session, period, T.shop),
        agents=_groups(session, period, T.agent),
        reviewers=_reviewers(session, period),
        rules=_rules(session, period),
    )
