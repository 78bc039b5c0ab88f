"""Stored reports: generate a week and store it (replacing an earlier one of the same week
and shop), read one back, list them; and the weeks the stored chats span (what `qc report`
says when a week is empty)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import StoredReport, StoredTranscript
from qc_engine.service.common import utcnow
from qc_engine.service.links import LinkSigner, report_links
from qc_engine.service.weekly import ReportOptions, build_weekly
from qc_engine.weeks import IsoWeek

KIND = "weekly"


def _find(session: Session, week: str, shop: str | None) -> StoredReport | None:
    return session.scalar(
        select(StoredReport).where(
            StoredReport.kind == KIND,
            StoredReport.period == week,
            StoredReport.shop == (shop or ""),
        )
    )


def save_report(
    session: Session, report: dict[str, Any], *, generated_by: str, now: datetime | None = None
) -> StoredReport:
    """Store a built report in the session (caller commits); the week's earlier report
    of the same shop is replaced, not duplicated."""
    now = now or utcnow()
    values = {
        "generated_at": now,
        "generated_by": generated_by,
        "empty": report["empty"],
        "summary": report["summary"],
        "payload": report,
    }
    row = _find(session, report["week"], report["shop"])
    if row is None:
        row = StoredReport(kind=KIND, period=report["week"], shop=report["shop"] or "", **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return row


def generate_weekly(
    sessions: sessionmaker[Session],
    *,
    week: IsoWeek | str,
    shop: str | None = None,
    generated_by: str,
    options: ReportOptions | None = None,
    base_url: str | None = None,
    link_signer: LinkSigner | None = None,
) -> dict[str, Any]:
    """Build a week's report and store it in a transaction of its own. Two processes
    storing the same week at once: the second replaces the first."""
    for attempt in (1, 2):
        try:
            with sessions.begin() as session:
                report = build_weekly(
                    session,
                    week=week,
                    shop=shop,
                    options=options,
                    base_url=base_url,
                    link_signer=link_signer,
                )
                save_report(session, report, generated_by=generated_by)
                return report
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def stored_report(session: Session, *, week: str, shop: str | None) -> StoredReport | None:
    return _find(session, week, shop)


def stored_json(
    row: StoredReport, *, base_url: str | None = None, link_signer: LinkSigner | None = None
) -> dict[str, Any]:
    """A stored report as the API answers it: the report, its links made for this server,
    and where it came from."""
    report = dict(row.payload)
    report["links"] = report_links(base_url, row.period, row.shop or None, link_signer)
    report["stored"] = {
        "generated_at": row.generated_at.astimezone(SHANGHAI).isoformat(),
        "generated_by": row.generated_by,
    }
    return report


def weekly_report(
    session: Session,
    *,
    week: IsoWeek,
    shop: str | None = None,
    fresh: bool = False,
    base_url: str | None = None,
    link_signer: LinkSigner | None = None,
) -> dict[str, Any]:
    """A week's report as the API and the desk show it: the stored one if there is one,
    else built now (`fresh`: built now regardless); `stored` says which."""
    row = None if fresh else stored_report(session, week=str(week), shop=shop)
    if row is not None:
        return stored_json(row, base_url=base_url, link_signer=link_signer)
    report = build_weekly(session, week=week, shop=shop, base_url=base_url, link_signer=link_signer)
    return report | {"stored": None}


def list_reports(
    session: Session,
    *,
    shop: str | None = None,
    limit: int = 52,
    base_url: str | None = None,
    link_signer: LinkSigner | None = None,
) -> list[dict[str, Any]]:
    """Newest week first: week, shop, when and by whom, the headline figures, links."""
    query = select(StoredReport).where(StoredReport.kind == KIND)
    if shop is not None:
        query = query.where(StoredReport.shop == shop)
    rows = session.scalars(
        query.order_by(StoredReport.period.desc(), StoredReport.shop).limit(limit)
    )
    return [
        {
            "kind": row.kind,
            "week": row.period,
            "shop": row.shop or None,
            "generated_at": row.generated_at.astimezone(SHANGHAI).isoformat(),
            "generated_by": row.generated_by,
            "empty": row.empty,
            "summary": row.summary,
            "links": report_links(base_url, row.period, row.shop or None, link_signer),
        }
        for row in rows
    ]


def weeks_with_data(session: Session) -> tuple[str, str] | None:
    """The first and the last ISO week with a stored chat (by start time); None when no
    chat is stored."""
    low, high = session.execute(
        select(func.min(StoredTranscript.started_at), func.max(StoredTranscript.started_at))
    ).one()
    if low is None or high is None:
        return None
    return str(IsoWeek.of(low)), str(IsoWeek.of(high))
