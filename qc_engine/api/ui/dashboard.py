"""The dashboard (质检看板): a lead's view of a date range, with bars that open the queue
filtered to a shop, an agent or a category. The figures come from service/dashboard.py;
this module reads the range, refuses other roles and turns the figures into charts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from qc_engine.api.ui import charts
from qc_engine.api.ui.forms import signed_in, to_login
from qc_engine.api.ui.web import query_string, render, state_of
from qc_engine.service import dashboard
from qc_engine.service.desk import today
from qc_engine.service.errors import Invalid
from qc_engine.service.review import LEADS, ROLE_ZH
from qc_engine.weeks import FIRST_YEAR, LAST_YEAR

router = APIRouter(include_in_schema=False)

CHART_ROWS = 12
"""Rows a shop or agent chart shows (the lowest scores); the table below it has them all."""
PRESETS = ((7, "近 7 天"), (28, "近 28 天"), (90, "近 90 天"), (365, "近一年"))
WEEKDAY_ZH = "一二三四五六日"
NO_NAME = "（未填写）"
"""Chats stored without a shop or an agent."""


def pct(value: float | None) -> str:
    return f"{value * 100:.1f}%" if value is not None else "—"


def score(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "—"


def queue_url(**filters: str) -> str:
    """The queue filtered to one shop, agent or category, every status."""
    return "/ui/queue" + query_string(filters, status="all")


def _range_error(error: Invalid, date_from: str, date_to: str) -> str:
    shown = f"已显示最近 {dashboard.DEFAULT_DAYS} 天。"
    if error.field in ("date_from", "date_to"):
        which, value = ("开始", date_from) if error.field == "date_from" else ("结束", date_to)
        given = f"「{value[:40]}」" if value else "（按另一个日期推算）"
        return (
            f"{which}日期{given}无效：请按 年-月-日 填写（如 2026-11-01），"
            f"年份在 {FIRST_YEAR}–{LAST_YEAR} 之间。{shown}"
        )
    if error.field == "order":
        return f"开始日期（{date_from}）晚于结束日期（{date_to}），请重新选择。{shown}"
    return f"日期范围最长 {dashboard.MAX_DAYS} 天，请缩短后重试。{shown}"


def _group_bars(rows: list[dashboard.GroupRow], what: str, key: str) -> list[charts.Bar]:
    bars = []
    for row in rows[:CHART_ROWS]:
        q = row.quality
        name = row.name if row.name is not None else NO_NAME
        red = f" · 红线 {q.red_lines}" if q.red_lines else ""
        title = (
            f"{what} {name}：{q.chats} 个会话，平均分 {score(q.mean_score)}，"
            f"合格率 {pct(q.pass_rate)}，红线 {q.red_lines} 条，问题 {q.problems} 个"
        )
        bars.append(
            charts.Bar(
                label=name,
                parts=(
                    charts.Part(
                        q.mean_score or 0.0,
                        charts.RED if q.red_lines else charts.BLUE,
                        f"平均分 {score(q.mean_score)}",
                    ),
                ),
                note=f"{score(q.mean_score)} 分 · 合格 {pct(q.pass_rate)} · {q.chats} 会话{red}",
                title=title + ("。点击查看复核队列" if row.name is not None else ""),
                href=queue_url(**{key: row.name}) if row.name is not None else None,
                key=row.name,
            )
        )
    return bars


def _trend(data: dashboard.Dashboard) -> Markup:
    weekly = data.period.bucketing == "week"
    points = []
    for point in data.trend:
        bucket, q = point.bucket, point.quality
        points.append(
            charts.Point(
                label=bucket.label,
                sublabel=f"{bucket.first:%m-%d}"
                if weekly
                else "周" + WEEKDAY_ZH[bucket.first.weekday()],
                title=f"{bucket.title}：{q.chats} 个会话，平均分 {score(q.mean_score)}，"
                f"合格率 {pct(q.pass_rate)}，红线 {q.red_lines} 条",
                mean_score=q.mean_score,
                pass_rate=q.pass_rate,
                red_lines=q.red_lines,
            )
        )
    return charts.trend_chart(
        points,
        label=f"质量趋势（{'按周' if weekly else '按天'}）：平均分、合格率与红线数",
        testid="trend-chart",
    )


def _category_bars(rows: list[dashboard.CategoryRow]) -> list[charts.Bar]:
    return [
        charts.Bar(
            label=c.name,
            parts=(
                charts.Part(c.red_lines, charts.RED, f"红线 {c.red_lines} 个"),
                charts.Part(c.deducts, charts.AMBER, f"扣分 {c.deducts} 个"),
            ),
            note=f"{c.problems} 个" + (f"（红线 {c.red_lines}）" if c.red_lines else ""),
            title=f"{c.name}：{c.problems} 个问题，其中红线 {c.red_lines} 个。点击查看复核队列",
            href=queue_url(category=c.code),
            key=c.code,
        )
        for c in rows
    ]


def _reviewer_bars(rows: list[dashboard.ReviewerRow]) -> list[charts.Bar]:
    bars = []
    for r in rows:
        figures = f"确认 {r.confirmed}，驳回 {r.dismissed}，抽检 {r.samples}"
        bars.append(
            charts.Bar(
                label=r.name,
                parts=(
                    charts.Part(r.confirmed, charts.GREEN, f"确认 {r.confirmed} 条"),
                    charts.Part(r.dismissed, charts.GREY, f"驳回 {r.dismissed} 条"),
                    charts.Part(r.samples, charts.VIOLET, f"抽检 {r.samples} 条"),
                ),
                note=f"{r.closed} 条 · 确认率 {pct(r.agreement)}",
                title=f"{r.name}（{ROLE_ZH.get(r.role, r.role)}）：处理 {r.closed} 条，"
                f"{figures}；确认率 {pct(r.agreement)}",
                key=r.name,
            )
        )
    return bars


def _rule_bar(rule: dashboard.RuleRow) -> Markup:
    return charts.share_bar(
        (
            charts.Part(rule.confirmed, charts.GREEN, f"确认 {rule.confirmed}"),
            charts.Part(rule.dismissed, charts.GREY, f"驳回 {rule.dismissed}"),
            charts.Part(rule.overturned, charts.AMBER, f"申诉改判 {rule.overturned}"),
        ),
        label=f"{rule.rule}：确认 {rule.confirmed}，驳回 {rule.dismissed}，"
        f"申诉改判 {rule.overturned}",
    )


def _charts(data: dashboard.Dashboard) -> dict[str, Any]:
    return {
        "trend": _trend(data),
        "categories": charts.bar_chart(
            _category_bars(data.categories),
            label="问题类别：问题数（红线标红）",
            testid="category-chart",
        ),
        "shops": charts.bar_chart(
            _group_bars(data.shops, "店铺", "shop"),
            label="店铺：平均分最低的在前",
            testid="shop-chart",
            scale=100,
        ),
        "agents": charts.bar_chart(
            _group_bars(data.agents, "客服", "agent"),
            label="客服：平均分最低的在前",
            testid="agent-chart",
            scale=100,
        ),
        "reviewers": charts.bar_chart(
            _reviewer_bars(data.reviewers),
            label="复核人员：处理条目数（确认、驳回、抽检）",
            testid="reviewer-chart",
        ),
        "rules": {(r.source, r.rule, r.category): _rule_bar(r) for r in data.rules},
    }


def _presets(day: date) -> list[tuple[str, str, str]]:
    return [
        (name, (day - timedelta(days=days - 1)).isoformat(), day.isoformat())
        for days, name in PRESETS
    ]


@router.get("/ui/dashboard")
def dashboard_page(request: Request) -> Response:
    """The dashboard of a date range (default: the last 28 days)."""
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role not in LEADS:
        return render(
            request, "message.html", principal=principal, status_code=403, title="无权查看",
            error=f"您的角色（{ROLE_ZH.get(principal.role, principal.role)}）不能查看质检看板："
            "看板只对质检组长和管理员开放。",
        )  # fmt: skip
    date_from = request.query_params.get("date_from") or ""
    date_to = request.query_params.get("date_to") or ""
    day = today()
    error = None
    try:
        period = dashboard.Period.from_form(date_from, date_to, today=day)
    except Invalid as exc:
        error = _range_error(exc, date_from.strip(), date_to.strip())
        period = dashboard.Period.last_days(day)
    with state_of(request).sessions() as session:
        data = dashboard.build(session, principal=principal, period=period)
    return render(
        request,
        "dashboard.html",
        principal=principal,
        status_code=422 if error else 200,
        error=error,
        data=data,
        charts=_charts(data),
        presets=_presets(day),
        chart_rows=CHART_ROWS,
        no_name=NO_NAME,
        queue_url=queue_url,
        pct=pct,
        score=score,
        target_precision=dashboard.TARGET_PRECISION,
    )
