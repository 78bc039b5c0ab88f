"""The scheduled weekly report: every week at a set day and time (default Monday 08:00
Asia/Shanghai) the service builds and stores the report of the week before.

`run_due` is called by the service's background task every few seconds. It works out the
latest slot that has passed, and the weeks since the last scheduled run, so runs missed
while the service was down are caught up at the next start, oldest first (at most
`catch_up_weeks`); it claims each run with a unique `report_runs` row
(service/report_runs.py), so with several service processes only one builds a report; a
run that failed is retried a few times, and one whose process died mid-way is taken over
once its claim is stale.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from qc_engine.clock import SHANGHAI
from qc_engine.errors import Code, QCError
from qc_engine.service import report_runs
from qc_engine.service.common import utcnow
from qc_engine.service.links import LinkSigner
from qc_engine.service.storage import Sessions
from qc_engine.service.weekly import ReportOptions
from qc_engine.weeks import IsoWeek

log = logging.getLogger("qc.reports")


@dataclass(frozen=True)
class Schedule:
    weekday: int = 1
    """ISO weekday of the run: 1 = Monday ... 7 = Sunday."""
    at: time = time(8, 0)
    """Wall time in Asia/Shanghai."""
    shops: tuple[str, ...] = ()
    """Besides the all-shops report, one report per listed shop."""
    stale_after: timedelta = timedelta(minutes=30)
    retry_after: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    catch_up_weeks: int = 8
    """After a downtime, the missed weeks since the last scheduled run are generated,
    oldest first, up to this many (the latest ones). A first start generates only the due
    week: no backlog of weeks from before the service existed."""

    @classmethod
    def parse(cls, *, weekday: int | str = 1, at: str = "08:00", shops: str = "") -> Schedule:
        try:
            day = int(weekday)
            hour, minute = (int(part) for part in at.strip().split(":"))
            moment = time(hour, minute)
        except ValueError:
            raise QCError(
                Code.E620,
                f"a report time is written HH:MM and a weekday 1-7, not {at!r} and {weekday!r}",
            ) from None
        if not 1 <= day <= 7:
            raise QCError(Code.E620, f"the report weekday is 1 (Monday) to 7 (Sunday), not {day}")
        return cls(
            weekday=day, at=moment, shops=tuple(s.strip() for s in shops.split(",") if s.strip())
        )

    def latest_slot(self, now: datetime) -> datetime:
        """The latest scheduled moment at or before `now`."""
        local = now.astimezone(SHANGHAI)
        monday = local.date() - timedelta(days=local.weekday())
        slot = datetime.combine(monday + timedelta(days=self.weekday - 1), self.at, tzinfo=SHANGHAI)
        return slot if slot <= local else slot - timedelta(days=7)

    def due_week(self, now: datetime) -> IsoWeek:
        """The week the latest slot reports on: the one before the slot's week."""
        return IsoWeek.of(self.latest_slot(now)).previous()

    def due_weeks(self, now: datetime, last_run: IsoWeek | None) -> list[IsoWeek]:
        """The weeks to report on, oldest first: those after `last_run` (the latest week
        a scheduled run finished) up to the due week, at most `catch_up_weeks`; the due week
        alone when no run finished before. (A week whose run failed for good stays in the
        list and is skipped by `claim`.)"""
        due = self.due_week(now)
        if last_run is None or last_run >= due:
            return [due]
        weeks: list[IsoWeek] = []
        week = due
        while week > last_run and len(weeks) < self.catch_up_weeks:
            weeks.append(week)
            week = week.previous()
        return weeks[::-1]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def run_due(
    sessions: Sessions,
    *,
    schedule: Schedule,
    options: ReportOptions | None = None,
    base_url: str | None = None,
    link_signer: LinkSigner | None = None,
    now: datetime | None = None,
    worker: str | None = None,
) -> list[str]:
    """Generate the due weeks' reports (the latest due week, and the weeks missed since the
    last finished run) that no process has generated yet, oldest first; returns what this
    call generated ("2026-W47", "2026-W47 Q女家旗舰店"). Each report, its webhook event and
    the end of its run are committed together."""
    now = now or utcnow()
    worker = worker or worker_name()
    done: list[str] = []
    for shop in (None, *schedule.shops):
        with sessions() as session:
            last = report_runs.last_done(session, shop=shop)
        for week in schedule.due_weeks(now, IsoWeek.parse(last) if last else None):
            label = _run_week(
                sessions,
                week=week,
                shop=shop,
                now=now,
                worker=worker,
                schedule=schedule,
                options=options,
                base_url=base_url,
                link_signer=link_signer,
            )
            if label is not None:
                done.append(label)
    return done


def _run_week(
    sessions: Sessions,
    *,
    week: IsoWeek,
    shop: str | None,
    now: datetime,
    worker: str,
    schedule: Schedule,
    options: ReportOptions | None,
    base_url: str | None,
    link_signer: LinkSigner | None,
) -> str | None:
    """Claim, build, store and push one week's report (for one shop, or all of them);
    its label when this call generated it."""
    if not report_runs.claim(
        sessions,
        period=str(week),
        shop=shop,
        now=now,
        worker=worker,
        stale_after=schedule.stale_after,
        retry_after=schedule.retry_after,
        max_attempts=schedule.max_attempts,
    ):
        return None
    label = f"{week} {shop}" if shop else str(week)
    try:
        report_runs.complete(
            sessions,
            week=week,
            shop=shop,
            now=now,
            worker=worker,
            options=options,
            base_url=base_url,
            link_signer=link_signer,
        )
        log.info("weekly report %s generated", label)
        return label
    except Exception as exc:
        log.exception("weekly report %s failed", label)
        report_runs.fail(
            sessions,
            period=str(week),
            shop=shop,
            worker=worker,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        return None
