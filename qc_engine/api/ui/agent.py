"""The agent's page (我的质检概览, /ui/agents/<name>): an agent's quality by ISO week, their
deductions by category against the team's, and their appeals; the home page of an agent
(forms.home_of). The figures come from service/scorecard.py, which also decides who may see
them: the agent themselves, leads and admins. This module reads the weeks asked for and
turns the figures into the desk's charts (charts.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from qc_engine.api.ui import charts
from qc_engine.api.ui.forms import signed_in, to_login
from qc_engine.api.ui.web import query_string, redirect, render, state_of
from qc_engine.errors import QCError
from qc_engine.service import scorecard
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, NotFound
from qc_engine.service.review import LEADS, ROLE_ZH
from qc_engine.weeks import IsoWeek

router = APIRouter(include_in_schema=False)

CHART_CATEGORIES = 8
"""Categories the chart compares (the agent's most frequent); the table lists them all."""


def agent_url(name: str, **params: str) -> str:
    return "/ui/agents/" + quote(name, safe="") + query_string({}, **params)


def pct(value: float | None) -> str:
    return f"{value * 100:.1f}%" if value is not None else "—"


def score(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "—"


def rate(value: float | None) -> str:
    """Problems per 100 chats."""
    return f"{value:.1f}" if value is not None else "—"


def _refused(request: Request, principal: Principal, status: int, message: str) -> Response:
    title = "无权查看" if status == 403 else "找不到客服"
    return render(
        request, "message.html", principal=principal, status_code=status, title=title,
        error=message,
    )  # fmt: skip


def _forbidden(request: Request, principal: Principal) -> Response:
    if principal.role == "agent":
        message = "您只能查看自己的质检概览。"
    else:
        role = ROLE_ZH.get(principal.role, principal.role)
        message = f"您的角色（{role}）不能查看客服的个人质检概览：只对质检组长和管理员开放。"
    return _refused(request, principal, 403, message)


def _trend(card: scorecard.Scorecard) -> Markup:
    points = []
    for row in card.weeks:
        q = row.agent
        last = row.week.monday + timedelta(days=6)
        points.append(
            charts.Point(
                label=f"W{row.week.week:02d}",
                sublabel=f"{row.week.monday:%m-%d}",
                title=f"{row.week}（{row.week.monday:%m-%d} 至 {last:%m-%d}）"
                + ("，本周进行中" if row.current else "")
                + f"：{q.chats} 个会话，平均分 {score(q.mean_score)}，合格率 {pct(q.pass_rate)}，"
                f"红线 {q.red_lines} 条",
                mean_score=q.mean_score,
                pass_rate=q.pass_rate,
                red_lines=q.red_lines,
            )
        )
    return charts.trend_chart(
        points, label=f"{card.agent} 每周的平均分、合格率与红线数", testid="agent-trend-chart"
    )


def _category_chart(card: scorecard.Scorecard) -> Markup:
    """Each category twice: the agent's problems per 100 chats, then the team's."""
    bars: list[charts.Bar] = []
    for row in card.categories[:CHART_CATEGORIES]:
        mine = charts.RED if row.above_team else charts.BLUE
        bars.append(
            charts.Bar(
                label=row.name,
                parts=(charts.Part(row.per_100 or 0.0, mine, f"每百会话 {rate(row.per_100)}"),),
                note=f"{rate(row.per_100)}（{row.flags} 次）",
                title=f"{row.name}：{card.agent} 每百会话 {rate(row.per_100)} 次"
                f"（{row.flags} 次），团队 {rate(row.team_per_100)} 次",
                key=row.code,
            )
        )
        bars.append(
            charts.Bar(
                label="团队",
                parts=(
                    charts.Part(
                        row.team_per_100 or 0.0,
                        charts.GREY,
                        f"团队每百会话 {rate(row.team_per_100)}",
                    ),
                ),
                note=f"团队 {rate(row.team_per_100)}",
                title=f"{row.name}：团队每百会话 {rate(row.team_per_100)} 次",
                key=f"team:{row.code}",
            )
        )
    return charts.bar_chart(
        bars, label="问题类别：每百会话的问题数，与团队对比", testid="agent-category-chart"
    )


def _weeks_asked(request: Request) -> tuple[IsoWeek, int, IsoWeek, str | None]:
    """The last week and the number of weeks asked for (the current week and 8 when not
    asked or not valid), the current week, and what was wrong, in Chinese."""
    current = IsoWeek.of(datetime.now(UTC))
    errors = []
    until = (request.query_params.get("until") or "").strip()
    last = current
    if until:
        try:
            last = IsoWeek.parse(until)
        except QCError:
            errors.append(
                f"「{until[:20]}」不是有效的周：请按 2026-W47 的格式选择（年份 1970–9998）。"
            )
    weeks_text = (request.query_params.get("weeks") or "").strip()
    weeks = scorecard.DEFAULT_WEEKS
    if weeks_text:
        if (
            weeks_text.isascii()
            and weeks_text.isdigit()
            and int(weeks_text) in scorecard.WEEK_CHOICES
        ):
            weeks = int(weeks_text)
        else:
            choices = "、".join(map(str, scorecard.WEEK_CHOICES))
            errors.append(f"周数只能是 {choices} 之一。")
    if errors:
        errors.append(f"已显示截至本周（{current}）的 {scorecard.DEFAULT_WEEKS} 周。")
        last, weeks = current, scorecard.DEFAULT_WEEKS
    return last, weeks, current, "".join(errors) or None


@router.get("/ui/agents")
def agents_index(request: Request) -> Response:
    """An agent: their own page. A lead or an admin: every agent named on a chat."""
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role == "agent":
        if principal.agent_name is None:
            return redirect("/ui/appeals")
        return redirect(agent_url(principal.agent_name))
    with state_of(request).sessions() as session:
        try:
            names = scorecard.agents(session, principal=principal)
        except Forbidden:
            return _forbidden(request, principal)
    return render(
        request, "agent.html", principal=principal, card=None, names=names, agent_url=agent_url
    )


@router.get("/ui/agents/{name:path}")
def agent_page(request: Request, name: str) -> Response:
    """One agent's scorecard, `weeks` ISO weeks up to `until` (default: 8 up to this week)."""
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    last, weeks, current, error = _weeks_asked(request)
    with state_of(request).sessions() as session:
        try:
            card = scorecard.scorecard(
                session, principal=principal, agent=name, last=last, weeks=weeks, current=current
            )
        except Forbidden:
            return _forbidden(request, principal)
        except NotFound:
            return _refused(
                request, principal, 404, f"找不到客服「{name[:40]}」：没有任何会话记录该客服。"
            )
        names = scorecard.agents(session, principal=principal) if principal.role in LEADS else []
    return render(
        request,
        "agent.html",
        principal=principal,
        status_code=422 if error else 200,
        error=error,
        card=card,
        names=names,
        own=principal.role == "agent",
        weeks_shown=weeks,
        week_choices=scorecard.WEEK_CHOICES,
        trend_chart=_trend(card),
        category_chart=_category_chart(card) if card.categories else None,
        agent_url=agent_url,
        pct=pct,
        score=score,
        rate=rate,
    )
