"""The weekly report's figures over a range of days (`build_range`, the desk's 报表 page)
against the seeded data set, on SQLite and PostgreSQL: a range of exactly one ISO week is
that week's report, section by section; longer and shorter ranges hold the chats whose day
(Asia/Shanghai) falls in them; bad ranges are refused naming the field. And the trend's red
lines per week, which the desk's charts draw."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from qc_engine.clock import SHANGHAI
from qc_engine.service.errors import Invalid
from qc_engine.service.weekly import DateRange, build_range, build_weekly
from qc_engine.weeks import IsoWeek

from .seed import PREVIOUS, WEEK, SeedChat
from .test_weekly import in_week, standing

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
SAME = (
    "empty",
    "options",
    "coverage",
    "score_distribution",
    "trend",
    "categories",
    "red_lines",
    "agents",
    "customers",
    "response",
    "qc_system",
    "teaching_cases",
    "summary",
)


def days_of(chats: list[SeedChat], first: date, last: date) -> list[SeedChat]:
    """The chats whose day (Asia/Shanghai; stored time when a chat has no times) is in the
    range, both ends included."""
    return [
        c
        for c in chats
        if first <= (c.started_at or c.ingested_at).astimezone(SHANGHAI).date() <= last
    ]


def test_a_range_of_one_iso_week_is_that_weeks_report(seeded):
    sunday = WEEK.monday + timedelta(days=6)
    with seeded.begin() as session:
        weekly = build_weekly(session, week=WEEK, base_url="http://qc.example", now=NOW)
        ranged = build_range(
            session,
            period=DateRange.of(WEEK.monday, sunday),
            base_url="http://qc.example",
            now=NOW,
        )
    for section in SAME:
        assert ranged[section] == weekly[section], section
    assert ranged["kind"] == "range" and ranged["week"] is None and ranged["links"] is None
    assert ranged["period"]["start"] == weekly["period"]["start"] == "2026-11-16T00:00:00+08:00"
    assert ranged["period"]["end"] == weekly["period"]["end"]
    assert ranged["period"]["label"] == "2026年11月16日—11月22日（7 天）"
    assert ranged["period"]["previous_label"] == "2026年11月9日—11月15日（7 天）"


def test_a_range_of_two_weeks_against_the_two_before(seeded, seed):
    first, last = PREVIOUS.monday, WEEK.monday + timedelta(days=6)
    with seeded.begin() as session:
        report = build_range(session, period=DateRange.of(first, last), now=NOW)
    chats = in_week(seed, PREVIOUS) + in_week(seed, WEEK)
    assert report["coverage"]["chats"] == len(chats) == len(days_of(seed, first, last))
    before = in_week(seed, PREVIOUS.previous()) + in_week(seed, PREVIOUS.shifted(-2))
    assert report["coverage"]["previous"]["chats"] == len(before)
    assert report["coverage"]["problems"] == len(standing(chats))
    assert report["coverage"]["red_lines"] == sum(
        1 for _, f in standing(chats, agent_only=False) if f.severity == "red_line"
    )
    assert sum(a["chats"] for a in report["agents"]) == len(chats)
    # The trend is the 8 whole weeks up to the week holding the range's last day.
    assert report["trend"][-1]["week"] == str(WEEK) and len(report["trend"]) == 8


def test_a_range_cut_inside_weeks_counts_days_in_shanghai(seeded, seed):
    # Monday of the week alone: "edge-w47-first" (Monday 00:00 +08:00, Sunday in UTC) is
    # in it, "edge-w46-last" (one second earlier) is not.
    monday = WEEK.monday
    with seeded.begin() as session:
        one_day = build_range(session, period=DateRange.of(monday, monday), now=NOW)
        middle = build_range(
            session,
            period=DateRange.of(monday - timedelta(days=3), monday + timedelta(days=2)),
            now=NOW,
        )
    expected = days_of(seed, monday, monday)
    assert "edge-w47-first" in {c.id for c in expected}
    assert "edge-w46-last" not in {c.id for c in expected}
    assert one_day["coverage"]["chats"] == len(expected)
    assert one_day["coverage"]["previous"]["chats"] == len(
        days_of(seed, monday - timedelta(days=1), monday - timedelta(days=1))
    )
    window = days_of(seed, monday - timedelta(days=3), monday + timedelta(days=2))
    assert middle["coverage"]["chats"] == len(window)
    assert middle["coverage"]["passed"] == sum(c.passed for c in window)
    assert middle["period"]["days"] == 6


def test_an_empty_range_says_so(seeded):
    with seeded.begin() as session:
        report = build_range(
            session, period=DateRange.of(date(2026, 7, 1), date(2026, 7, 31)), now=NOW
        )
    assert report["empty"] is True and report["coverage"]["chats"] == 0
    assert (
        report["notice"] == "2026年7月1日—7月31日（31 天）没有质检数据：没有在这段时间开始的会话。"
    )


def test_the_trend_counts_red_lines_per_week(seeded, seed):
    with seeded.begin() as session:
        report = build_weekly(session, week=WEEK, now=NOW)
    for week in report["trend"]:
        chats = in_week(seed, IsoWeek.parse(week["week"]))
        assert week["red_lines"] == sum(
            1 for _, f in standing(chats) if f.severity == "red_line"
        ), week["week"]
    assert sum(w["red_lines"] for w in report["trend"]) > 0


# The range itself, without a database -------------------------------------------------------


def test_a_range_reads_two_days_and_knows_its_bounds():
    span = DateRange.parse("2026-11-30", " 2026-12-06 ")
    assert (span.first, span.last, span.days) == (date(2026, 11, 30), date(2026, 12, 6), 7)
    assert span.start == datetime(2026, 11, 30, tzinfo=SHANGHAI)
    assert span.end == datetime(2026, 12, 7, tzinfo=SHANGHAI)
    assert span.previous() == DateRange(date(2026, 11, 23), date(2026, 11, 29))
    assert str(span) == "2026-11-30..2026-12-06"
    assert DateRange.of(date(2025, 12, 29), date(2026, 1, 4)).label_zh() == (
        "2025年12月29日—2026年1月4日（7 天）"
    )
    assert DateRange.of(date(2025, 1, 1), date(2025, 12, 31)).days == 365
    assert DateRange.of(date(2024, 1, 1), date(2024, 12, 31)).days == 366  # a leap year


@pytest.mark.parametrize(
    ("date_from", "date_to", "field"),
    [
        ("2026-13-01", "2026-12-01", "date_from"),
        ("", "2026-12-01", "date_from"),
        ("20261101", "2026-12-01", "date_from"),  # fromisoformat would take it
        ("2026-11-01", "2026-02-30", "date_to"),
        ("2026-11-01", "2026-W47-1", "date_to"),
        ("1969-12-31", "1970-01-02", "date_from"),
        ("9998-12-01", "9999-01-01", "date_to"),
        ("2026-11-30", "2026-11-01", "order"),
        ("2025-01-01", "2026-01-02", "range"),  # 367 days
    ],
)
def test_a_bad_range_is_refused_naming_what_is_wrong(date_from: str, date_to: str, field: Any):
    with pytest.raises(Invalid) as refused:
        DateRange.parse(date_from, date_to)
    assert refused.value.field == field
