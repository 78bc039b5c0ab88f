"""Weekly QC reports: stored ones listed, one read as JSON, HTML or Excel, one regenerated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from qc_engine.api.deps import Lead, SessionDep, State, get_principal
from qc_engine.api.errors import ApiError
from qc_engine.errors import Code, QCError
from qc_engine.service.common import utcnow
from qc_engine.service.links import link_signer, report_links
from qc_engine.service.report_runs import runs
from qc_engine.service.report_store import (
    generate_weekly,
    list_reports,
    stored_json,
    stored_report,
    weekly_report,
)
from qc_engine.service.review import REVIEWERS
from qc_engine.weeks import IsoWeek, last_week

router = APIRouter(prefix="/v1/reports", tags=["reports"])
READERS = REVIEWERS  # the report is the QC team's, not the agents'

# The years reports cover (weeks.FIRST_YEAR..LAST_YEAR) and weeks 01-53; whether a year has
# a week 53 is the one thing the pattern leaves to the server (a 422 naming the week).
WEEK_PATTERN = (
    r"^(19[7-9]\d|[2-8]\d{3}|9[0-8]\d{2}|99[0-8]\d|999[0-8])-?[Ww](0[1-9]|[1-4]\d|5[0-3])$"
)
WeekParam = Annotated[
    str | None,
    Query(
        max_length=10,
        pattern=WEEK_PATTERN,
        description="ISO week, e.g. 2026-W47 (1970-W01 to "
        "9998-W52); default: last week (Asia/Shanghai)",
    ),
]
ShopParam = Annotated[str | None, Query(max_length=200, description="one shop; default: all")]
SigParam = Annotated[
    str | None,
    Query(
        max_length=64, description="the signature of a shared report link (QC_REPORT_LINK_SECRET)"
    ),
]
ExpParam = Annotated[
    str | None,
    Query(
        max_length=12,
        pattern=r"^\d+$",
        description="when a shared report link expires (Unix seconds; signed)",
    ),
]


def _week(value: str | None) -> IsoWeek:
    if not value:
        return last_week(utcnow())
    try:
        return IsoWeek.parse(value)
    except QCError as exc:
        raise ApiError(422, Code.E422, exc.message, field="week") from None


def _allowed(
    request: Request,
    state: State,
    week: IsoWeek,
    shop: str | None,
    sig: str | None,
    exp: str | None,
    fresh: bool,
) -> int | None:
    """A signed link that has not expired opens the stored report without a key (its
    expiry is returned, for the links the answer hands on); otherwise (and to rebuild it,
    `fresh`) a reviewer, lead or admin key (agents do not see other agents' figures)."""
    signer = link_signer(state.settings)
    if (
        not fresh
        and sig is not None
        and exp is not None
        and signer is not None
        and signer.valid(str(week), shop, sig, exp)
    ):
        return int(exp)
    _reader(request, state)
    return None


def _reader(request: Request, state: State) -> None:
    principal = get_principal(request, state)
    if principal.role not in READERS:
        raise ApiError(
            403,
            Code.E403,
            f"role {principal.role!r} may not read reports; allowed: {', '.join(READERS)}",
        )


def _report(
    session: SessionDep,
    state: State,
    week: IsoWeek,
    shop: str | None,
    fresh: bool = False,
    link_expires: int | None = None,
) -> dict[str, Any]:
    """The stored report (else built now); opened by a signed link (`link_expires`), the
    links it hands on keep that link's expiry."""
    settings = state.settings
    signer = link_signer(settings)
    report = weekly_report(
        session,
        week=week,
        shop=shop,
        fresh=fresh,
        base_url=settings.public_url,
        link_signer=signer,
    )
    if link_expires is not None and signer is not None:
        report["links"] = report_links(
            settings.public_url, str(week), shop, signer, expires=link_expires
        )
    return report


@router.get("")
def get_reports(
    session: SessionDep,
    state: State,
    request: Request,
    shop: ShopParam = None,
    limit: int = Query(52, ge=1, le=500),
) -> dict[str, Any]:
    """Stored reports, newest week first, with their headline figures and links; and the
    latest scheduled runs."""
    _reader(request, state)
    settings = state.settings
    return {
        "reports": list_reports(
            session,
            shop=shop,
            limit=limit,
            base_url=settings.public_url,
            link_signer=link_signer(settings),
        ),
        "runs": runs(session),
    }


@router.get("/weekly")
def get_weekly(
    session: SessionDep,
    state: State,
    request: Request,
    week: WeekParam = None,
    shop: ShopParam = None,
    sig: SigParam = None,
    exp: ExpParam = None,
    fresh: bool = Query(
        False, description="build from the current data instead of returning the stored report"
    ),
) -> dict[str, Any]:
    """One week's report as JSON (the stored one if there is one, else built now; not
    stored). The shape is documented in docs/reports.md."""
    chosen = _week(week)
    by_link = _allowed(request, state, chosen, shop or None, sig, exp, fresh)
    return _report(session, state, chosen, shop or None, fresh, by_link)


@router.get("/weekly.html", response_class=HTMLResponse)
def get_weekly_html(
    session: SessionDep,
    state: State,
    request: Request,
    week: WeekParam = None,
    shop: ShopParam = None,
    sig: SigParam = None,
    exp: ExpParam = None,
    fresh: bool = False,
) -> HTMLResponse:
    """The report as one self-contained page (Simplified Chinese, inline SVG charts)."""
    from qc_engine.reports.html import render_html

    chosen = _week(week)
    by_link = _allowed(request, state, chosen, shop or None, sig, exp, fresh)
    return HTMLResponse(render_html(_report(session, state, chosen, shop or None, fresh, by_link)))


@router.get(
    "/weekly.xlsx",
    response_class=Response,
    responses={
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def get_weekly_xlsx(
    session: SessionDep,
    state: State,
    request: Request,
    week: WeekParam = None,
    shop: ShopParam = None,
    sig: SigParam = None,
    exp: ExpParam = None,
    fresh: bool = False,
) -> Response:
    """The report as an Excel workbook, one sheet per section."""
    from urllib.parse import quote

    from qc_engine.reports.excel import render_xlsx

    chosen = _week(week)
    by_link = _allowed(request, state, chosen, shop or None, sig, exp, fresh)
    body = render_xlsx(_report(session, state, chosen, shop or None, fresh, by_link))
    name = f"质检周报-{chosen}{'-' + shop if shop else ''}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="weekly-{chosen}.xlsx"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )


@router.post("/weekly")
def regenerate_weekly(
    state: State, principal: Lead, week: WeekParam = None, shop: ShopParam = None
) -> dict[str, Any]:
    """Build a week's report from the current data and store it, replacing the stored one
    (no webhook is sent: that is the scheduled run's)."""
    chosen = _week(week)
    settings = state.settings
    generate_weekly(
        state.sessions,
        week=chosen,
        shop=shop or None,
        generated_by=principal.name,
        base_url=settings.public_url,
        link_signer=link_signer(settings),
    )
    with state.sessions() as session:
        row = stored_report(session, week=str(chosen), shop=shop or None)
        assert row is not None
        return stored_json(row, base_url=settings.public_url, link_signer=link_signer(settings))
