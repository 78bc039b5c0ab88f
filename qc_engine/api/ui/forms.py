"""What the desk's routes share: the signed-in user of a page or a POST (with the
same-origin check), numbers and texts read from forms, queue filters carried through a
form, and item URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from qc_engine.api.deps import same_origin
from qc_engine.api.ui.web import (
    clean_filters,
    principal_of,
    query_string,
    redirect,
    render,
    state_of,
)
from qc_engine.service.auth import Principal
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.review import LEADS

DB_INT = 2**31 - 1
NOTE_MAX = 4000
CSRF_REFUSED = "请求来源校验失败（不是从本站页面提交的），操作未执行。请回到复核台页面重试。"


def home_of(principal: Principal) -> str:
    """Where signing in (and /ui) leads: an agent to their own page (their appeals are one
    click away), a lead or admin to the dashboard, a specialist to the queue."""
    if principal.role == "agent":
        if principal.agent_name:
            return "/ui/agents/" + quote(principal.agent_name, safe="")
        return "/ui/appeals"
    if principal.role in LEADS:
        return "/ui/dashboard"
    return "/ui/queue"


def signed_in(request: Request) -> Principal | None:
    principal = principal_of(request)
    if principal is None or principal.role == "service":
        return None
    return principal


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return redirect(f"/ui/login{query_string({}, next=target)}")


def csrf_refused(request: Request) -> Response:
    """The 403 page for a POST that did not come from this site's pages."""
    return render(
        request, "message.html", principal=None, status_code=403, title="请求被拒绝",
        error=CSRF_REFUSED,
    )  # fmt: skip


def post_guard(request: Request) -> tuple[Principal | None, Response | None]:
    """The user of a POST, or the answer that refuses it (foreign origin, signed out)."""
    if not same_origin(request):
        return None, csrf_refused(request)
    principal = signed_in(request)
    if principal is None:
        return None, redirect("/ui/login", notice="登录已失效，请重新登录。")
    return principal, None


def form_int(value: str | None, default: int = -1) -> int:
    try:
        number = int(str(value or "").strip())
    except ValueError:
        return default
    return number if 0 <= number <= DB_INT else default


def form_text(value: str | None, what: str) -> tuple[str | None, str | None]:
    """A note or reason from a form: (text or None, error message or None)."""
    text = (value or "").strip()
    if len(text) > NOTE_MAX:
        return None, f"{what}不能超过 {NOTE_MAX} 字（当前 {len(text)} 字）。"
    if UNSTORABLE.search(text):
        return None, f"{what}包含无法保存的字符，请删除后重试。"
    return text or None, None


def carried(q: str | None) -> dict[str, str]:
    """Queue filters carried through a form as one urlencoded field."""
    return clean_filters(dict(parse_qsl(q or "", keep_blank_values=False)))


def item_url(item_id: int, filters: dict[str, str], **extra: Any) -> str:
    return f"/ui/items/{item_id}{query_string(filters, **extra)}"


def rule_titles(request: Request, checklist: str) -> dict[str, str]:
    engine = state_of(request).engines.get()
    parsed = engine.checklists.get(checklist)
    if parsed is None:
        return {}
    return {item.rule: item.spec.title for item in parsed.items if item.spec.title}
