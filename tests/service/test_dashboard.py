"""The dashboard's figures (service/dashboard.py) over a small arranged data set, on SQLite
and PostgreSQL: which chats a range holds (Asia/Shanghai days, both ends), the trend per
day and per ISO week, problems by category, shop and agent, what each reviewer closed and
each rule's confirmed share; and the same week's figures as the weekly report's."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import StoredFlag, StoredTranscript, User, WorkItem
from qc_engine.db.session import make_engine, session_factory
from qc_engine.service import dashboard
from qc_engine.service.auth import Principal
from qc_engine.service.dashboard import Period
from qc_engine.service.errors import Forbidden, Invalid
from qc_engine.service.weekly import build_weekly

from ..databases import *  # noqa: F403 (the database fixtures)

WEEK = Period.of(date(2026, 11, 9), date(2026, 11, 15))  # Monday to Sunday: 2026-W46
LEAD = Principal(user_id=1, name="lea", role="lead", agent_name=None)


def sh(day: int, hour: int = 10, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


# The range, without a database -------------------------------------------------------------


def test_a_range_is_read_from_the_form_or_defaults_to_the_last_28_days():
    today = date(2026, 12, 8)
    assert Period.from_form(None, None, today=today) == Period(date(2026, 11, 11), today)
    assert Period.from_form("", " ", today=today).days == 28
    assert Period.from_form("2026-11-01", "2026-11-30", today=today) == Period(
        date(2026, 11, 1), date(2026, 11, 30)
    )
    assert Period.from_form("2026-12-01", None, today=today) == Period(date(2026, 12, 1), today)
    assert Period.from_form(None, "2026-11-30", today=today) == Period(
        date(2026, 11, 3), date(2026, 11, 30)
    )
    assert Period.from_form("2026-12-08", "2026-12-08", today=today).days == 1


@pytest.mark.parametrize(
    ("date_from", "date_to", "field"),
    [
        ("2026-13-01", "2026-12-01", "date_from"),
        ("yesterday", None, "date_from"),
        ("20261101", None, "date_from"),  # fromisoformat would take it; the form never sends it
        ("2026-11-01", "2026-02-30", "date_to"),
        ("1969-12-31", "1970-01-02", "date_from"),
        ("9999-12-31", None, "date_from"),
        (None, "0001-01-05", "date_to"),
        (None, "1970-01-05", "date_from"),  # 28 days up to it start in 1969
        ("2026-11-30", "2026-11-01", "order"),
        ("2025-01-01", "2026-01-02", "range"),  # 367 days
    ],
)
def test_a_bad_range_is_refused_naming_what_is_wrong(date_from, date_to, field):
    with pytest.raises(Invalid) as refused:
        Period.from_form(date_from, date_to, today=date(2026, 12, 8))
    assert refused.value.field == field


def test_up_to_31_days_are_days_and_longer_ranges_iso_weeks_cut_at_the_ends():
    month = Period.of(date(2026, 11, 1), date(2026, 12, 1))
    assert month.days == 31 and month.bucketing == "day"
    assert [b.label for b in month.buckets()[:2]] == ["11-01", "11-02"]
    assert month.buckets()[0].title == "2026-11-01"
    longer = Period.of(date(2026, 11, 4), date(2026, 12, 31))  # a Wednesday to a Thursday
    buckets = longer.buckets()
    assert longer.bucketing == "week" and len(buckets) == 9
    assert (buckets[0].first, buckets[0].last, buckets[0].label) == (
        date(2026, 11, 4),
        date(2026, 11, 8),
        "W45",
    )
    assert buckets[0].title == "2026-W45（11-04 至 11-08）"
    assert (buckets[-1].first, buckets[-1].last, buckets[-1].label) == (
        date(2026, 12, 28),
        date(2026, 12, 31),
        "W53",
    )
    assert sum((b.last - b.first).days + 1 for b in buckets) == longer.days
    assert buckets[1].start == sh(9, 0) and buckets[1].end == sh(16, 0)
    assert len(Period.of(date(2026, 1, 1), date(2026, 12, 31)).buckets()) == 53
    assert Period.of(date(2026, 1, 1), date(2027, 1, 1)).days == dashboard.MAX_DAYS


# Against a database ----------------------------------------------------------------------


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    yield sessions
    engine.dispose()


_ids = itertools.count(1)


def _chat(session, ident, *, started, shop, agent, score, passed=True, ingested=None):
    stored = ingested or started
    session.add(
        StoredTranscript(
            id=ident, channel="taobao", shop=shop, agent=agent, content_hash="x",
            started_at=started, message_count=2, ingested_at=stored, updated_at=stored,
            checklist="default", checklist_version=1, pass_score=80, engine_score=score,
            score=score, passed=passed, inspected_at=stored,
        )
    )  # fmt: skip
    session.flush()


def _flag(session, chat, category, *, rule=None, severity="deduct", counts=True, source="rule"):
    flag = StoredFlag(
        transcript_id=chat, fingerprint=f"fp-{next(_ids)}", category=category, message_index=0,
        evidence="……", severity=severity, points=0 if severity == "red_line" else 5,
        source=source, rule=rule or f"phrase.{category}", confidence=1.0, counts=counts,
    )  # fmt: skip
    session.add(flag)
    session.flush()
    return flag


def _user(session, name, role="specialist"):
    user = User(name=name, role=role, created_at=sh(1))
    session.add(user)
    session.flush()
    return user


def _item(session, chat, *, status, reviewer=None, decided=None, flag=None, kind="flag"):
    at = sh(20)
    session.add(
        WorkItem(
            transcript_id=chat, flag_id=flag.id if flag else None, kind=kind, status=status,
            category=flag.category if flag else None, severity=flag.severity if flag else None,
            priority=1.0, agent="小美", shop="甲店", reviewer_id=reviewer.id if reviewer else None,
            decided_at=decided, created_at=at, updated_at=at,
        )
    )  # fmt: skip


@pytest.fixture
def arranged(db):
    """Five chats in 2026-W46 (three at the edges of its days), four outside it, and
    decisions made inside the week and just after it."""
    with db.begin() as s:
        _chat(s, "in-1", started=sh(9, 9), shop="甲店", agent="小美", score=100)
        _chat(s, "in-2", started=sh(9, 23, 30), shop="甲店", agent="小美", score=60, passed=False)
        _chat(s, "in-3", started=sh(10, 0, 10), shop="乙店", agent="阿杰", score=85)
        _chat(s, "in-4", started=None, ingested=sh(12), shop="乙店", agent=None, score=90)
        _chat(s, "in-5", started=sh(15, 23, 59, 59), shop=None, agent="阿杰", score=95)
        _chat(s, "out-before", started=sh(8, 23, 59, 59), shop="甲店", agent="小美", score=0)
        _chat(s, "out-after", started=sh(16, 0), shop="甲店", agent="小美", score=0)
        _chat(s, "out-stored", started=None, ingested=sh(20), shop="丙店", agent="小美", score=0)
        _chat(s, "out-rules", started=sh(1), shop="丙店", agent="阿杰", score=70)
        # problems of the week: 2 in in-2 (one red line), 1 in in-3, 1 in in-5
        _flag(s, "in-2", "shirking", severity="red_line")
        _flag(s, "in-2", "perfunctory")
        _flag(s, "in-2", "impatient", counts=False)  # dismissed: no longer a problem
        _flag(s, "in-3", "slow_first_response")
        _flag(s, "in-3", "customer_negative")  # the customer's side: a signal, not a problem
        _flag(s, "in-5", "perfunctory", source="model", rule="model.perfunctory")
        _flag(s, "out-before", "shirking", severity="red_line")
        _flag(s, "out-after", "rude", severity="red_line")
        # decisions: the chat's date does not matter, the decision's does
        ana, bo = _user(s, "ana"), _user(s, "bo")
        shirk = _flag(s, "out-rules", "shirking", severity="red_line")
        impatient = _flag(s, "out-rules", "impatient", source="model", rule="model.impatient")
        ad = _flag(s, "out-rules", "ad_law_words")
        first, last = sh(9, 0), sh(15, 23, 59, 59)
        for status, who, flag in (
            ("confirmed", ana, shirk),
            ("dismissed", ana, shirk),
            ("dismissed", bo, shirk),
            ("overturned", bo, shirk),
            ("confirmed", ana, impatient),
            ("upheld", ana, impatient),
            ("dismissed", ana, impatient),
            ("appealed", bo, impatient),
            ("confirmed", bo, ad),
        ):
            _item(s, "out-rules", status=status, reviewer=who, decided=first, flag=flag)
        _item(s, "out-rules", status="reviewed", reviewer=bo, decided=last, kind="sample")
        _item(s, "out-rules", status="dismissed", reviewer=ana, decided=sh(16, 0), flag=shirk)
        _item(s, "out-rules", status="open", flag=ad)
        _item(s, "out-rules", status="in_review", reviewer=bo, flag=ad)
    return db


def _build(db, period=WEEK):
    with db() as session:
        return dashboard.build(session, principal=LEAD, period=period)


def test_the_chats_of_the_range_and_their_figures(arranged):
    data = _build(arranged)
    assert data.overall == dashboard.Quality(
        chats=5, score_total=430, passed=4, problems=4, red_lines=1
    )
    assert data.overall.mean_score == 86.0 and data.overall.pass_rate == 0.8
    by_day = {p.bucket.first.day: p.quality for p in data.trend}
    assert list(by_day) == [9, 10, 11, 12, 13, 14, 15]
    assert by_day[9] == dashboard.Quality(2, 160, 1, 2, 1)  # 23:30 is still the 9th
    assert by_day[10] == dashboard.Quality(1, 85, 1, 1, 0)  # 00:10 is the 10th
    assert by_day[12] == dashboard.Quality(1, 90, 1, 0, 0)  # no times: the day it was stored
    assert by_day[15] == dashboard.Quality(1, 95, 1, 1, 0)  # the last second of the range
    assert by_day[11] == dashboard.Quality() and by_day[11].mean_score is None


def test_problems_by_category_shop_and_agent(arranged):
    data = _build(arranged)
    assert [(c.code, c.name, c.problems, c.red_lines) for c in data.categories] == [
        ("perfunctory", "敷衍", 2, 0),
        ("shirking", "推诿", 1, 1),
        ("slow_first_response", "首响超时", 1, 0),
    ]
    # the lowest mean score first; a tie by more red lines, then more chats
    assert [(g.name, g.quality) for g in data.shops] == [
        ("甲店", dashboard.Quality(2, 160, 1, 2, 1)),
        ("乙店", dashboard.Quality(2, 175, 2, 1, 0)),
        (None, dashboard.Quality(1, 95, 1, 1, 0)),
    ]
    assert data.shops[1].quality.mean_score == 87.5
    assert [(g.name, g.quality) for g in data.agents] == [
        ("小美", dashboard.Quality(2, 160, 1, 2, 1)),
        ("阿杰", dashboard.Quality(2, 180, 2, 2, 0)),
        (None, dashboard.Quality(1, 90, 1, 0, 0)),
    ]


def test_what_each_reviewer_closed_in_the_range(arranged):
    data = _build(arranged)
    assert [
        (r.name, r.closed, r.confirmed, r.dismissed, r.samples, r.overturned)
        for r in data.reviewers
    ] == [("ana", 5, 3, 2, 0, 0), ("bo", 5, 3, 1, 1, 1)]
    assert data.reviewers[0].agreement == 3 / 5
    assert data.reviewers[1].agreement == 3 / 4  # an overturned item was bo's confirmation
    assert data.closed == 10 and data.agreement == 6 / 9


def test_each_rules_confirmed_share_the_costliest_first(arranged):
    data = _build(arranged)
    rows = [
        (r.source, r.rule, r.category, r.confirmed, r.dismissed, r.overturned) for r in data.rules
    ]
    assert rows == [
        ("rule", "phrase.shirking", "shirking", 1, 2, 1),
        ("model", "model.impatient", "impatient", 3, 1, 0),
        ("rule", "phrase.ad_law_words", "ad_law_words", 1, 0, 0),
    ]
    shirking, impatient, ad = data.rules
    assert (shirking.rejected, shirking.decided, shirking.precision) == (3, 4, 0.25)
    assert shirking.below_target and shirking.category_name == "推诿"
    assert impatient.precision == 0.75 and not impatient.below_target
    assert ad.precision == 1.0


def test_the_next_week_holds_what_this_one_left_out(arranged):
    data = _build(arranged, Period.of(date(2026, 11, 16), date(2026, 11, 22)))
    assert (data.overall.chats, data.overall.red_lines) == (2, 1)  # out-after, out-stored
    assert [(r.name, r.closed, r.dismissed) for r in data.reviewers] == [("ana", 1, 1)]
    assert [(r.rule, r.dismissed) for r in data.rules] == [("phrase.shirking", 1)]


def test_a_long_range_is_counted_per_iso_week_in_shanghai_time(arranged):
    data = _build(arranged, Period.of(date(2026, 10, 28), date(2026, 11, 30)))
    assert data.period.bucketing == "week"
    weeks = {p.bucket.label: p.quality.chats for p in data.trend}
    # out-before (Sunday 23:59:59) is W45, out-after (Monday 00:00) W47, out-rules W44
    assert weeks == {"W44": 1, "W45": 1, "W46": 5, "W47": 2, "W48": 0, "W49": 0}
    assert data.trend[0].bucket.first == date(2026, 10, 28)
    assert data.overall.chats == 9


def test_the_week_agrees_with_the_weekly_report(arranged):
    data = _build(arranged)
    with arranged() as session:
        report = build_weekly(session, week="2026-W46", now=datetime(2026, 11, 16, tzinfo=UTC))
    coverage = report["coverage"]
    assert coverage["chats"] == data.overall.chats
    assert coverage["mean_score"] == data.overall.mean_score
    assert coverage["pass_rate"] == data.overall.pass_rate
    assert coverage["red_lines"] == data.overall.red_lines
    assert coverage["problems"] == data.overall.problems
    assert {c["code"]: (c["flags"], c["red_lines"]) for c in report["categories"]} == {
        c.code: (c.problems, c.red_lines) for c in data.categories
    }
    assert {r["reviewer"]: r["decided"] for r in report["qc_system"]["reviewers"]} == {
        r.name: r.closed for r in data.reviewers
    }


def test_only_leads_and_admins_see_it(db):
    for role in ("specialist", "agent", "service"):
        who = Principal(user_id=2, name="x", role=role, agent_name=None)
        with db() as session, pytest.raises(Forbidden):
            dashboard.build(session, principal=who, period=WEEK)
    with db() as session:
        admin = Principal(user_id=3, name="root", role="admin", agent_name=None)
        empty = dashboard.build(session, principal=admin, period=WEEK)
    assert empty.overall == dashboard.Quality() and len(empty.trend) == 7
    assert empty.categories == empty.shops == empty.reviewers == empty.rules == []
    assert empty.agreement is None
