"""What every desk page shares: templates, Chinese labels, the signed-in user (from the
http-only session cookie `qc_session`), the same-origin check on every POST, one-shot
notices, and the
Chinese wording of the service's refusals (403, 404, 409, 422)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import yaml
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from qc_engine.api.deps import SESSION_COOKIE, AppState
from qc_engine.channels import CHANNEL_ZH
from qc_engine.clock import SHANGHAI, format_duration
from qc_engine.service import assignment
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from qc_engine.service.records import Session
from qc_engine.service.review import LEADS, REVIEWERS, ROLE_ZH, status_zh
from qc_engine.service.workitems import current_state
from qc_engine.taxonomy import CATEGORIES

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
COOKIE = SESSION_COOKIE
OLD_KEY_COOKIE = "qc_key"  # until 2026-12: the cookie held the API key itself
FLASH_COOKIE = "qc_flash"
SESSION_SECONDS = 12 * 3600  # a working day; signing out ends it sooner

SEVERITY_ZH = {"red_line": "红线", "deduct": "扣分"}
SPEAKER_ZH = {"customer": "买家", "agent": "客服", "bot": "机器人", "system": "系统"}
ORDER_ZH = {
    "none": "无订单",
    "unpaid": "未付款",
    "paid": "已付款",
    "shipped": "已发货",
    "delivered": "已签收",
    "refunding": "退款中",
    "refunded": "已退款",
    "closed": "已关闭",
}
SOURCE_ZH = {"rule": "规则", "model": "模型"}
FILTER_KEYS = (
    "category",
    "severity",
    "agent",
    "shop",
    "channel",
    "date_from",
    "date_to",
    "rule",
    "assigned",
)
ASSIGNED_ME = "me"
"""The queue's 分配给我 filter (assigned=me): the items assigned to the signed-in user."""
# A checklist item's parameters as the checklists page names them (the YAML key stays in the
# tooltip, for whoever edits the file).
PARAM_ZH = {
    "window_seconds": "兑现时限（秒）",
    "extra": "追加词条",
    "max_per_message": "每条消息最多表情数",
    "extra_upset": "追加的负面表情",
    "max_seconds": "时限（秒）",
    "max_apologies": "最多致歉次数",
    "last_agent_messages": "看客服最后几条消息",
    "required": "必须有",
    "judge_cut_off": "评判中途截断的会话",
    "min_occurrences": "最少重复次数",
    "similarity": "相似度阈值",
    "min_length": "最短字数",
    "when": "条件",
    "then": "要求",
    "evidence": "证据说明",
    "model": "模型",
    "emotion_model": "情绪模型",
    "complaint_model": "投诉模型",
    "negative_threshold": "负面情绪阈值",
    "complaint_threshold": "投诉风险阈值",
    "roles": "适用角色",
    "categories": "判定类别",
    "thresholds": "各类别阈值",
    "lexicons": "词表",
    "kinds": "信息类型",
    "exempt_words": "豁免词",
    "patterns": "句式",
    "triggers": "触发词",
    "ack_answers_yes_no": "“好的”算回答了是否类问题",
}


def category_zh(code: str | None) -> str:
    if code is None or code == "sample":
        return "抽检"
    category = CATEGORIES.get(code)
    return category.name_zh if category is not None else code


def param_value(value: Any, name: str = "") -> str:
    """A parameter's value in words: yes/no, lists joined with 、, roles and categories in
    Chinese, a nested condition in YAML's flow style (as a checklist file writes it)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(param_value(v, name) for v in value) or "（空）"
    if isinstance(value, dict):
        if name in ("thresholds", "categories"):
            return "；".join(f"{category_zh(str(k))} {param_value(v)}" for k, v in value.items())
        return str(yaml.safe_dump(value, allow_unicode=True, default_flow_style=True)).strip()
    if name == "roles":
        return SPEAKER_ZH.get(str(value), str(value))
    if name == "categories":
        return category_zh(str(value))
    return str(value)


def local(moment: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return moment.astimezone(SHANGHAI).strftime(fmt) if moment is not None else ""


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        category_zh=category_zh,
        local=local,
        duration_zh=format_duration,  # the clock's wording, as in the flags
        status_zh=status_zh,
        severity_zh=lambda s: SEVERITY_ZH.get(s, s or ""),
        channel_zh=lambda s: CHANNEL_ZH.get(s, s or "—"),
        speaker_zh=lambda s: SPEAKER_ZH.get(s, s),
        role_zh=lambda s: ROLE_ZH.get(s, s),
        order_zh=lambda s: ORDER_ZH.get(s, s or "—"),
        source_zh=lambda s: SOURCE_ZH.get(s, s),
        param_zh=lambda s: PARAM_ZH.get(s, s),
        param_value=param_value,
    )
    env.globals.update(
        FILTER_KEYS=FILTER_KEYS, REVIEWERS=REVIEWERS, LEADS=LEADS, CATEGORIES=CATEGORIES
    )
    return env


TEMPLATES = _env()


def state_of(request: Request) -> AppState:
    return request.app.state.qc


# Who is signed in ------------------------------------------------------------------------


def principal_of(request: Request) -> Principal | None:
    """The user of the session cookie; None when there is none or it no longer works."""
    token = request.cookies.get(COOKIE, "").strip()
    if not token:
        return None
    state = state_of(request)
    return state.keys.authenticate_session(state.sessions, token)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    for name in (COOKIE, OLD_KEY_COOKIE):
        response.delete_cookie(
            name, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )


# Pages, redirects and one-shot notices ---------------------------------------------------


def redirect(url: str, *, notice: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if notice:
        response.set_cookie(
            FLASH_COOKIE, quote(notice), max_age=60, path="/ui", httponly=True, samesite="strict"
        )
    return response


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None,
    status_code: int = 200,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    notice = unquote(request.cookies.get(FLASH_COOKIE, ""))[:500] or None
    if principal is not None and context.get("done_today") is not None:
        context.setdefault("daily_target", _daily_target(request, principal))
    html = TEMPLATES.get_template(template).render(
        request=request, me=principal, error=error, notice=notice, path=request.url.path, **context
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    if notice:
        response.delete_cookie(FLASH_COOKIE, path="/ui", httponly=True, samesite="strict")
    return response


def _daily_target(request: Request, principal: Principal) -> int | None:
    """The signed-in reviewer's daily target, for the top bar's 今日已处理 N / 目标 M."""
    with state_of(request).sessions() as session:
        return assignment.daily_target(session, principal.user_id)


# Queue filters, carried from the queue into the chat view and back -----------------------


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def clean_filters(source: Any) -> dict[str, str]:
    """The queue filters of a query string or form, only known keys, short values."""
    out: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = str(source.get(key) or "").strip()
        if not value or len(value) > 200 or "\x00" in value:
            continue
        if key == "severity" and value not in SEVERITY_ZH:
            continue
        if key.startswith("date_") and _day(value) is None:
            continue
        if (key == "assigned" and value != ASSIGNED_ME) or (key == "rule" and len(value) > 120):
            continue
        out[key] = value
    return out


def query_string(filters: dict[str, str], **extra: Any) -> str:
    pairs = {**filters, **{k: v for k, v in extra.items() if v not in (None, "")}}
    return ("?" + urlencode(pairs)) if pairs else ""


def service_filters(filters: dict[str, str], principal: Principal | None = None) -> dict[str, Any]:
    """Queue filters as the service's work-item filters (days are Asia/Shanghai days;
    分配给我 is the principal's assigned items, left out without a principal)."""
    out: dict[str, Any] = {}
    if principal is not None and filters.get("assigned") == ASSIGNED_ME:
        out["assigned_to"] = principal.user_id
    for key in ("severity", "agent", "shop", "channel", "rule"):
        if key in filters:
            out[key] = filters[key]
    if "category" in filters:
        if filters["category"] == "sample":
            out["kind"] = "sample"
        else:
            out["category"] = filters["category"]
    start = _day(filters.get("date_from", ""))
    end = _day(filters.get("date_to", ""))
    if start is not None:
        out["created_from"] = datetime.combine(start, datetime.min.time(), SHANGHAI)
    if end is not None:
        out["created_to"] = datetime.combine(end + timedelta(days=1), datetime.min.time(), SHANGHAI)
    return out


# The service's refusals, in Chinese -------------------------------------------------------


def explain(
    error: ServiceError,
    *,
    session: Session,
    principal: Principal,
    item_id: int | None = None,
    sent_version: int | None = None,
    action: str = "",
) -> str:
    """What went wrong, for the person at the desk; reads the item again to say who holds
    it or what it became."""
    if isinstance(error, Forbidden):
        if action == "appeal":
            return "只有被质检的客服本人可以对自己的条目提出申诉。"
        if action == "decide-appeal":
            return "只有质检组长可以裁决申诉。"
        if action == "release":
            return "只有领取人或质检组长可以把条目放回队列。"
        return f"您的角色（{ROLE_ZH.get(principal.role, principal.role)}）不能执行此操作。"
    if isinstance(error, NotFound):
        return "找不到该条目，或您无权查看。"
    if isinstance(error, Invalid):
        if error.field == "reason":
            return "申诉需要填写理由。"
        if error.field == "kind":
            return "抽检条目请用「完成抽检」提交；问题条目请确认或驳回。"
        if error.field and error.field.startswith("findings"):
            return "漏检问题的类别无效，请重新选择。"
        return "提交的内容无效，请检查后重试。"
    if isinstance(error, Conflict) and item_id is not None:
        item = current_state(session, principal, item_id, datetime.now(UTC))
        if item is not None:
            if item.holder is not None:
                return (
                    f"该条目正由 {item.holder} 复核（领取至 {local(item.until, '%H:%M')}）"
                    "，您的操作未生效。请处理其他条目。"
                )
            status = status_zh(item.status)
            if sent_version is not None and item.version != sent_version:
                by = f"已被 {item.reviewer} " if item.reviewer else "已被他人"
                return (
                    f"该条目{by}更新（当前状态：{status}），您的操作未生效。"
                    "页面已显示最新内容，请核对后再操作。"
                )
            return f"该条目当前为「{status}」，不能执行此操作。"
    if isinstance(error, Conflict):
        return "该条目已被他人更改，您的操作未生效。请刷新后重试。"
    return "操作未完成，请重试。"
