"""Scheduled report runs in storage: a run of a week (for all shops or one) is claimed with a
unique `report_runs` row, so with several service processes only one builds the report; a
failed run may be retried and one whose process died taken over (`claim`); a generated
report, its webhook event and the end of its run are committed together (`complete`).

What is due and when is the schedule's (reports/schedule.py); this module only stores it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import ReportRun
from qc_engine.service.common import utcnow
from qc_engine.service.links import LinkSigner
from qc_engine.service.report_store import KIND, save_report
from qc_engine.service.webhooks import weekly_report_event
from qc_engine.service.weekly import ReportOptions, build_weekly
from qc_engine.weeks import IsoWeek


def last_done(session: Session, *, shop: str | None) -> str | None:
    """The latest week (for all shops, or `shop`) whose scheduled run finished."""
    return session.scalar(
        select(func.max(ReportRun.period)).where(
            ReportRun.kind == KIND,
            ReportRun.shop == (shop or ""),
            ReportRun.status == "done",
        )
    )


def claim(
    sessions: sessionmaker[Session],
    *,
    period: str,
    shop: str | None,
    now: datetime,
    worker: str,
    stale_after: timedelta,
    retry_after: timedelta,
    max_attempts: int,
) -> bool:
    """Take the run of a week for this process; False when it is done, running elsewhere
    (claimed less than `stale_after` ago), or failed too often (`max_attempts`) or too
    recently (`retry_after`)."""
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
            stale = existing.status == "running" and existing.claimed_at < now - stale_after
            retry = (
                existing.status == "failed"
                and existing.attempts < max_attempts
                and existing.claimed_at < now - retry_after
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


def complete(
    sessions: sessionmaker[Session],
    *,
    week: IsoWeek,
    shop: str | None,
    now: datetime,
    worker: str,
    options: ReportOptions | None,
    base_url: str | None,
    link_signer: LinkSigner | None,
) -> dict[str, Any]:
    """Build and store a claimed week's report, queue its webhook event and mark the run
    done, in one transaction; the report."""
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
        _finish(session, period=str(week), shop=shop, worker=worker, status="done", now=utcnow())
    return report


def fail(
    sessions: sessionmaker[Session], *, period: str, shop: str | None, worker: str, error: str
) -> None:
    """Mark a claimed run failed (it may be retried by a later `claim`)."""
    with sessions.begin() as session:
        _finish(
            session,
            period=period,
            shop=shop,
            worker=worker,
            status="failed",
            now=utcnow(),
            error=error,
        )


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
