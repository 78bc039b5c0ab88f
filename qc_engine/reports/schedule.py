"""The scheduled weekly report: every week at a set day and time (default Monday 08:00
Asia/Shanghai) the service builds and stores the report of the week before.

`run_due` is called by the service's background task every few seconds. It works out the
latest slot that has passed, and the weeks since the last scheduled run, so runs missed
while the service was down are caught up at the next start, oldest first (at most
`catch_up_weeks`); it claims each run with a unique `report_runs` row, so with several
service processes only one builds a report; a run that failed is retried a few times, and
one whose process died mid-way is taken over once its claim is stale.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import ReportRun
from qc_engine.errors import Code, QCError
from qc_engine.reports.store import KIND, save_report
from qc_engine.reports.weekly import ReportOptions, build_weekly
from qc_engine.service.common import utcnow
from qc_engine.service.links import LinkSigner
from qc_engine.service.webhooks import weekly_report_event
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


def claim(
    sessions: sessionmaker[Session],
    *,
    period: str,
    shop: str | None,
    now: datetime,
    worker: str,
    schedule: Schedule,
) -> bool:
    """Take the run of a week for this process; False when it is done, running elsewhere,
    or failed too often."""
    try:
        with sessions.begin() as session:
            existing = session.scalar(
                select(ReportRun).where(
                    ReportRun.kind == KIND,
                    ReportRun.period == period,
                    ReportRun.shop == (shop or ""),
                )
            )
            if existing is None:
                session.add(
                    ReportRun(
                        kind=KIND,
                        period=period,
                        shop=shop or "",
                        status="running",
                        claimed_by=worker,
                        claimed_at=now,
                        attempts=1,
                    )
                )
                return True
            if existing.status == "done":
                return False
            stale = existing.status == "running" and existing.claimed_at < now - (
                schedule.stale_after
            )
            retry = (
                existing.status == "failed"
                and existing.attempts < schedule.max_attempts
                and existing.claimed_at < now - schedule.retry_after
            )
            if not (stale or retry):
                return False
            taken = session.execute(
                update(ReportRun)
                .where(
                    ReportRun.id == existing.id,
                    ReportRun.status == existing.status,
                    ReportRun.attempts == existing.attempts,
                )
                .values(
                    status="running",
                    claimed_by=worker,
                    claimed_at=now,
                    attempts=existing.attempts + 1,
                    error=None,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(taken.rowcount == 1)  # type: ignore[attr-defined]
    except IntegrityError:  # another process inserted the claim first
        return False


def _finish(
    session: Session,
    *,
    period: str,
    shop: str | None,
    worker: str,
    status: str,
    now: datetime,
    error: str | None = None,
) -> None:
    session.execute(
        update(ReportRun)
        .where(
            ReportRun.kind == KIND,
            ReportRun.period == period,
            ReportRun.shop == (shop or ""),
            ReportRun.claimed_by == worker,
        )
        .values(status=status, finished_at=now, error=error)
        .execution_options(synchronize_session=False)
    )


def run_due(
    sessions: sessionmaker[Session],
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
            last = session.scalar(
                select(func.max(ReportRun.period)).where(
                    ReportRun.kind == KIND,
                    ReportRun.shop == (shop or ""),
                    ReportRun.status == "done",
                )
            )
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
    sessions: sessionmaker[Session],
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
    if not claim(sessions, period=str(week), shop=shop, now=now, worker=worker, schedule=schedule):
        return None
    label = f"{week} {shop}" if shop else str(week)
    try:
        with sessions.begin() as session:
            report = build_weekly(
                session,
                week=week,
                shop=shop,
                options=options,
                base_url=base_url,
                link_signer=link_signer,
                now=now,
            )
            save_report(session, report, generated_by="scheduler", now=now)
            session.add(weekly_report_event(report, now=now))
            _finish(
                session, period=str(week), shop=shop, worker=worker, status="done", now=utcnow()
            )
        log.info("weekly report %s generated", label)
        return label
    except Exception as exc:
        log.exception("weekly report %s failed", label)
        with sessions.begin() as session:
            _finish(
                session,
                period=str(week),
                shop=shop,
                worker=worker,
                status="failed",
                now=utcnow(),
                error=f"{type(exc).__name__}: {exc}"[:2000],
            )
        return None


def runs(session: Session, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest scheduled runs, for the API."""
    rows = session.scalars(
        select(ReportRun).order_by(ReportRun.period.desc(), ReportRun.id.desc()).limit(limit)
    )
    return [
        {
            "week": r.period,
            "shop": r.shop or None,
            "status": r.status,
            "claimed_by": r.claimed_by,
            "attempts": r.attempts,
            "claimed_at": r.claimed_at.astimezone(SHANGHAI).isoformat(),
            "finished_at": r.finished_at.astimezone(SHANGHAI).isoformat()
            if r.finished_at
            else None,
            "error": r.error,
        }
        for r in rows
    ]
