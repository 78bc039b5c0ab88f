"""Reports in the desk (质检报表, /ui/reports): the weekly report of an ISO week (default: the
last complete week), or the same figures over a range of days, in the desk's layout, with
the chats opening in the desk and the week's HTML and Excel exports a click away.

A week's figures are what `GET /v1/reports/weekly.html` shows: the stored report when there
is one, else built now (`fresh=1` builds it now regardless), so the page and its downloads
agree. A range is always built now (service/weekly.build_range). Every figure comes from
service/weekly.py; this module reads the choice, and draws the charts (charts.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from qc_engine.api.ui import charts
from qc_engine.api.ui.forms import signed_in, to_login
from qc_engine.api.ui.web import query_string, render, state_of
from qc_engine.errors import QCError
from qc_engine.reports.html import change, num, pct, seconds
from qc_engine.service.errors import Invalid
from qc_engine.service.links import chat_page_link, report_links
from qc_engine.service.report_store import weekly_report
from qc_engine.service.review import LEADS, REVIEWERS, ROLE_ZH
from qc_engine.service.weekly import (
    MAX_RANGE_DAYS,
    UNKNOWN_AGENT,
    DateRange,
    build_range,
)
from qc_engine.weeks import FIRST_YEAR, LAST_YEAR, IsoWeek, last_week

router = APIRouter(include_in_schema=False)


def _range_error(error: Invalid, date_from: str, date_to: str) -> str:
    if error.field in ("date_from", "date_to"):
        which, value = ("开始", date_from) if error.field == "date_from" else ("结束", date_to)
        shown = f"「{value[:40]}」" if value else "（未填写）"
        return (
            f"{which}日期{shown}无效：请按 年-月-日 填写（如 2026-11-01），"
            f"年份在 {FIRST_YEAR}–{LAST_YEAR} 之间。"
        )
    if error.field == "order":
        return f"开始日期（{date_from}）晚于结束日期（{date_to}），请重新选择。"
    return f"日期范围最长 {MAX_RANGE_DAYS} 天，请缩短后重试。"


def _chosen(request: Request) -> tuple[IsoWeek | DateRange, IsoWeek, str | None]:
    """The week or range asked for (the last complete week when none, or when what was
    asked is not valid: then with the reason, in Chinese), and the last complete week."""
    default = last_week(datetime.now(UTC))
    params = request.query_params
    date_from = (params.get("date_from") or "").strip()
    date_to = (params.get("date_to") or "").strip()
    week = (params.get("week") or "").strip()
    fallback = f"已显示上一个完整周（{default}）。"
    if date_from or date_to:
        try:
            return DateRange.parse(date_from, date_to), default, None
        except Invalid as exc:
            return default, default, _range_error(exc, date_from, date_to) + fallback
    if week:
        try:
            return IsoWeek.parse(week), default, None
        except QCError:
            return default, default, (
                f"「{week[:20]}」不是有效的周：请按 2026-W47 的格式选择，"
                f"从 {FIRST_YEAR}-W01 到 {LAST_YEAR}-W52。{fallback}"
            )  # fmt: skip
    return default, default, None


def _trend_chart(trend: list[dict[str, Any]]) -> Markup:
    points = []
    for w in trend:
        monday = date.fromisoformat(w["start"])
        reds = w.get("red_lines")  # not in reports stored before the trend counted them
        points.append(
            charts.Point(
                label="W" + w["week"].rsplit("W", 1)[1],
                sublabel=f"{monday:%m-%d}",
                title=f"{w['week']}（{monday:%m-%d} 至 {monday + timedelta(days=6):%m-%d}）："
                f"{w['chats']} 个会话，平均分 {num(w['mean_score'])}，合格率 {pct(w['pass_rate'])}"
                + (f"，红线 {reds} 条" if reds is not None else ""),
                mean_score=w["mean_score"],
                pass_rate=w["pass_rate"],
                red_lines=reds or 0,
            )
        )
    return charts.trend_chart(points, label="近几周的平均分、合格率与红线数", testid="report-trend")


def _category_chart(categories: list[dict[str, Any]]) -> Markup:
    bars = [
        charts.Bar(
            label=c["name"],
            parts=(
                charts.Part(
                    c["flags"],
                    charts.RED if c["severity"] == "red_line" else charts.AMBER,
                    f"{c['flags']} 个",
                ),
            ),
            note=f"{c['flags']} 个 · 上期 {c['previous_flags']}",
            title=f"{c['name']}：{c['flags']} 个问题，每百会话 {num(c['per_100_chats'])}，"
            f"上期 {c['previous_flags']} 个",
            key=c["code"],
        )
        for c in categories
        if c["flags"]
    ]
    return charts.bar_chart(bars, label="问题分类：问题数（红线标红）", testid="report-categories")


def _score_chart(buckets: list[dict[str, Any]]) -> Markup:
    bars = [
        charts.Bar(
            label=f"{b['bucket']} 分",
            parts=(
                charts.Part(
                    b["chats"], charts.GREEN if b["from"] >= 60 else charts.RED, f"{b['chats']} 个"
                ),
            ),
            note=f"{b['chats']}（{pct(b['share'])}）" if b["chats"] else "0",
            title=f"{b['bucket']} 分：{b['chats']} 个会话（{pct(b['share'])}）",
            key=b["bucket"],
        )
        for b in reversed(buckets)
    ]
    return charts.bar_chart(bars, label="分数分布：每个分数段的会话数", testid="report-scores")


def _downloads(report: dict[str, Any], fresh: bool) -> dict[str, str] | None:
    """The week's exports on this server (relative, the desk's cookie opens them)."""
    if report.get("week") is None:
        return None
    links = report_links(None, report["week"], report.get("shop"))
    return {k: v + ("&fresh=true" if fresh else "") for k, v in links.items()}


def _page_url(**params: str) -> str:
    return "/ui/reports" + query_string({}, **params)


@router.get("/ui/reports")
def reports_page(request: Request) -> Response:
    """One week's report (default: the last complete week) or a range of days."""
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role not in REVIEWERS:
        return render(
            request, "message.html", principal=principal, status_code=403, title="无权查看",
            error=f"您的角色（{ROLE_ZH.get(principal.role, principal.role)}）不能查看质检报表："
            "报表含全部客服的数据，只对质检人员开放。",
        )  # fmt: skip
    span, default, error = _chosen(request)
    current = IsoWeek.of(datetime.now(UTC))
    fresh = request.query_params.get("fresh") in ("1", "true")
    with state_of(request).sessions() as session:
        if isinstance(span, IsoWeek):
            report = weekly_report(session, week=span, fresh=fresh)
        else:
            report = build_range(session, period=span) | {"stored": None}
    week = span if isinstance(span, IsoWeek) else None
    return render(
        request,
        "reports.html",
        principal=principal,
        status_code=422 if error else 200,
        error=error,
        r=report,
        c=report["coverage"],
        o=report["options"],
        week=week,
        period=span if isinstance(span, DateRange) else None,
        default_week=default,
        fresh=fresh,
        downloads=_downloads(report, fresh),
        nav={
            "previous": _page_url(week=str(week.previous())) if week else None,
            "next": _page_url(week=str(week.shifted(1))) if week and week < current else None,
            "latest": _page_url(),
            "fresh": _page_url(week=str(week), fresh="1") if week else None,
            "stored": _page_url(week=str(week)) if week else None,
        },
        charts={
            "trend": _trend_chart(report["trend"]),
            "categories": _category_chart(report["categories"]),
            "scores": _score_chart(report["score_distribution"]),
        },
        chat_url=lambda transcript_id: chat_page_link(None, transcript_id),
        agent_url=(lambda name: "/ui/agents/" + quote(name, safe=""))
        if principal.role in LEADS
        else None,
        unknown_agent=UNKNOWN_AGENT,
        pct=pct,
        num=num,
        seconds=seconds,
        change=change,
        trend_has_red_lines=all("red_lines" in w for w in report["trend"]),
    )
