"""Stored reports and the schedule: the due week, idempotent runs, catching up after a
restart, one run among several processes, failures retried, stale claims taken over."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from qc_engine.db.models import ReportRun, StoredReport, WebhookEvent
from qc_engine.errors import QCError
from qc_engine.reports.schedule import Schedule, run_due
from qc_engine.service import report_runs
from qc_engine.service.report_runs import runs
from qc_engine.service.report_store import generate_weekly, list_reports, stored_report
from qc_engine.transcript import SHANGHAI
from qc_engine.weeks import IsoWeek

from .seed import SHOPS, WEEK

MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("now", "week"),
    [
        ("2026-11-23T07:59:59+08:00", "2026-W46"),  # before Monday's slot: last Monday's
        ("2026-11-23T08:00:00+08:00", "2026-W47"),
        ("2026-11-23T00:00:00+00:00", "2026-W47"),  # 08:00 in Shanghai
        ("2026-11-22T23:59:00+00:00", "2026-W46"),  # Monday 07:59 in Shanghai: not yet
        ("2026-11-25T15:00:00+08:00", "2026-W47"),  # Wednesday: still last week's
        ("2026-11-29T23:59:59+08:00", "2026-W47"),  # Sunday night
        ("2027-01-04T09:00:00+08:00", "2026-W53"),  # 2026 has 53 ISO weeks
    ],
)
def test_due_week(now, week):
    assert str(Schedule().due_week(at(now))) == week


def test_due_week_on_another_day_and_time():
    friday = Schedule.parse(weekday=5, at="18:30")
    assert friday.at == time(18, 30)
    assert str(friday.due_week(at("2026-11-27T18:29:00+08:00"))) == "2026-W46"
    assert str(friday.due_week(at("2026-11-27T18:30:00+08:00"))) == "2026-W47"


@pytest.mark.parametrize(
    ("weekday", "moment"), [(0, "08:00"), (8, "08:00"), (1, "8h"), (1, "25:00"), ("x", "08:00")]
)
def test_bad_schedule_settings(weekday, moment):
    with pytest.raises(QCError):
        Schedule.parse(weekday=weekday, at=moment)


def _count(sessions: Any, model: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_scheduled_run_stores_the_report_once(seeded):
    now = MONDAY_8 + timedelta(seconds=30)
    assert run_due(seeded, schedule=Schedule(), now=now, base_url="http://qc.example") == [
        "2026-W47"
    ]
    with seeded() as session:
        row = stored_report(session, week="2026-W47", shop=None)
        assert row is not None and row.generated_by == "scheduler" and not row.empty
        assert row.payload["coverage"]["chats"] == 135
        event = session.scalar(select(WebhookEvent))
        assert event is not None and event.kind == "weekly_report"
        assert event.payload["links"]["html"] == (
            "http://qc.example/v1/reports/weekly.html?week=2026-W47"
        )
        assert event.payload["summary"]["chats"] == 135
        assert runs(session)[0] | {"claimed_by": None, "claimed_at": None, "finished_at": None} == {
            "week": "2026-W47",
            "shop": None,
            "status": "done",
            "claimed_by": None,
            "attempts": 1,
            "claimed_at": None,
            "finished_at": None,
            "error": None,
        }
    # Every later tick of the same week (any process) does nothing.
    for later in (now + timedelta(minutes=1), now + timedelta(days=3)):
        assert run_due(seeded, schedule=Schedule(), now=later, worker="other:2") == []
    assert _count(seeded, StoredReport) == 1 and _count(seeded, WebhookEvent) == 1


def test_a_missed_run_is_caught_up_at_the_next_start(seeded):
    # The service was down on Monday morning; it starts on Wednesday afternoon.
    assert run_due(seeded, schedule=Schedule(), now=at("2026-11-25T15:00:00+08:00")) == ["2026-W47"]
    # The next Monday it reports the next week.
    assert run_due(seeded, schedule=Schedule(), now=at("2026-11-30T08:00:05+08:00")) == ["2026-W48"]
    with seeded() as session:
        assert [r["week"] for r in list_reports(session)] == ["2026-W48", "2026-W47"]


def test_every_week_missed_during_a_downtime_is_caught_up_oldest_first(seeded):
    assert run_due(seeded, schedule=Schedule(), now=MONDAY_8) == ["2026-W47"]
    # Down from Tuesday until three weeks later, a Wednesday: W48, W49 and W50 were missed.
    back = at("2026-12-16T10:00:00+08:00")
    assert run_due(seeded, schedule=Schedule(), now=back) == ["2026-W48", "2026-W49", "2026-W50"]
    assert run_due(seeded, schedule=Schedule(), now=back + timedelta(seconds=5)) == []
    with seeded() as session:
        assert [r["week"] for r in list_reports(session)] == [
            "2026-W50",
            "2026-W49",
            "2026-W48",
            "2026-W47",
        ]
        pushed = session.scalars(select(WebhookEvent.payload)).all()
        assert sorted(p["week"] for p in pushed) == ["2026-W47", "2026-W48", "2026-W49", "2026-W50"]


def test_catching_up_is_bounded(seeded):
    assert run_due(seeded, schedule=Schedule(), now=MONDAY_8) == ["2026-W47"]
    # Down for ten weeks, across the new year (2026 has 53 ISO weeks): the latest two only.
    assert run_due(
        seeded, schedule=Schedule(catch_up_weeks=2), now=at("2027-02-01T09:00:00+08:00")
    ) == ["2027-W03", "2027-W04"]
    assert (
        str(Schedule().due_weeks(at("2027-01-04T09:00:00+08:00"), IsoWeek.parse("2026-W51"))[0])
        == "2026-W52"
    )


def test_a_week_whose_run_failed_for_good_does_not_block_the_next(seeded, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_runs, "build_weekly", broken)
    schedule = Schedule(max_attempts=1)
    assert run_due(seeded, schedule=schedule, now=MONDAY_8) == []
    monkeypatch.undo()
    # The next Monday: W47 failed for good (not retried), W48 is generated.
    assert run_due(seeded, schedule=schedule, now=at("2026-11-30T08:00:05+08:00")) == ["2026-W48"]


def test_several_processes_run_it_once(seeded):
    now = MONDAY_8 + timedelta(seconds=5)
    results: list[list[str]] = []
    barrier = threading.Barrier(4)

    def process(number: int) -> None:
        barrier.wait()
        results.append(
            run_due(seeded, schedule=Schedule(), now=now, worker=f"host:{1000 + number}")
        )

    threads = [threading.Thread(target=process, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert _count(seeded, StoredReport) == 1
    assert _count(seeded, WebhookEvent) == 1
    assert _count(seeded, ReportRun) == 1


def test_a_failed_run_is_retried_later(seeded, monkeypatch):
    real = report_runs.build_weekly

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(report_runs, "build_weekly", broken)
    assert run_due(seeded, schedule=Schedule(), now=MONDAY_8) == []
    with seeded() as session:
        run = runs(session)[0]
    assert run["status"] == "failed" and "database went away" in run["error"]
    assert _count(seeded, StoredReport) == 0 and _count(seeded, WebhookEvent) == 0
    monkeypatch.setattr(report_runs, "build_weekly", real)
    # Not at once (the next tick) ...
    assert run_due(seeded, schedule=Schedule(), now=MONDAY_8 + timedelta(minutes=1)) == []
    # ... but after the retry delay.
    assert run_due(seeded, schedule=Schedule(), now=MONDAY_8 + timedelta(minutes=6)) == ["2026-W47"]
    with seeded() as session:
        run = runs(session)[0]
    assert run["status"] == "done" and run["attempts"] == 2 and run["error"] is None


def test_a_run_whose_process_died_is_taken_over(seeded):
    with seeded.begin() as session:
        session.add(
            ReportRun(
                kind="weekly",
                period="2026-W47",
                shop="",
                status="running",
                claimed_by="dead-host:1",
                claimed_at=MONDAY_8,
                attempts=1,
            )
        )
    assert run_due(seeded, schedule=Schedule(), now=MONDAY_8 + timedelta(minutes=5)) == []
    assert run_due(
        seeded, schedule=Schedule(), now=MONDAY_8 + timedelta(minutes=31), worker="alive:2"
    ) == ["2026-W47"]
    with seeded() as session:
        run = runs(session)[0]
    assert run["claimed_by"] == "alive:2" and run["status"] == "done"


def test_shops_of_their_own(seeded):
    generated = run_due(seeded, schedule=Schedule(shops=(SHOPS[0],)), now=MONDAY_8)
    assert generated == ["2026-W47", f"2026-W47 {SHOPS[0]}"]
    with seeded() as session:
        shop = stored_report(session, week="2026-W47", shop=SHOPS[0])
        assert shop is not None and shop.payload["shop"] == SHOPS[0]
        assert shop.payload["coverage"]["chats"] < 135


def test_regenerating_a_week_replaces_it(seeded):
    first = generate_weekly(seeded, week=WEEK, generated_by="lead")
    with seeded.begin() as session:  # a late review changes a figure
        session.execute(StoredReport.__table__.update().values(generated_by="old"))
    second = generate_weekly(seeded, week=WEEK, generated_by="lead-2")
    assert first["coverage"] == second["coverage"]
    with seeded() as session:
        rows = session.scalars(select(StoredReport)).all()
        assert len(rows) == 1 and rows[0].generated_by == "lead-2"


def test_an_empty_week_is_stored_as_empty(sessions):
    assert run_due(sessions, schedule=Schedule(), now=MONDAY_8) == ["2026-W47"]
    with sessions() as session:
        row = stored_report(session, week="2026-W47", shop=None)
        assert row is not None and row.empty and "没有质检数据" in row.payload["notice"]


def test_the_week_of_a_utc_moment():
    assert IsoWeek.of(datetime(2026, 11, 15, 16, 0, tzinfo=UTC)) == WEEK  # Monday in Shanghai
    assert IsoWeek.of(datetime(2026, 11, 15, 15, 59, tzinfo=UTC)) == WEEK.previous()
