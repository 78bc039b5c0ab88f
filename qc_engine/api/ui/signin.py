"""Signing in with an API key (a server-side session in an http-only cookie) and out."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qc_engine.api.deps import client_address, same_origin
from qc_engine.api.ui.forms import (
    csrf_refused,
    home_of,
    signed_in,
)
from qc_engine.api.ui.web import (
    COOKIE,
    SESSION_SECONDS,
    clear_session_cookie,
    redirect,
    render,
    set_session_cookie,
    state_of,
)
from qc_engine.service.auth import end_session, start_session

router = APIRouter(include_in_schema=False)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui", status_code=303)


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico on every page without an icon link (the API docs, the
    weekly report): the desk's icon."""
    return RedirectResponse("/ui/static/favicon.svg", status_code=301)


@router.get("/ui")
def home(request: Request) -> Response:
    principal = signed_in(request)
    if principal is None:
        return redirect("/ui/login")
    return redirect(home_of(principal))


def _safe_next(value: str | None) -> str | None:
    if (
        value
        and value.startswith("/ui")
        and not value.startswith("/ui/login")
        and "//" not in value
        and "\\" not in value
        and len(value) < 2000
    ):
        return value
    return None


@router.get("/ui/login")
def login_page(request: Request, next: str | None = None) -> Response:
    principal = signed_in(request)
    if principal is not None:
        return redirect(_safe_next(next) or home_of(principal))
    return render(request, "login.html", principal=None, next=_safe_next(next) or "")


KEY_REFUSED = "密钥无效或已被吊销，请检查后重试。"


def _login_refused(request: Request, status: int, error: str, next: str | None) -> Response:
    """The sign-in page again, with why the key was not taken."""
    return render(
        request, "login.html", principal=None, status_code=status, error=error,
        next=_safe_next(next) or "",
    )  # fmt: skip


@router.post("/ui/login")
def login(
    request: Request, key: str | None = Form(None), next: str | None = Form(None)
) -> Response:
    if not same_origin(request):
        return csrf_refused(request)
    key = (key or "").strip()
    state = state_of(request)
    client = client_address(request)
    wait = state.auth_failures.retry_after(client)
    if wait is not None:
        response = _login_refused(request, 429, f"登录失败次数过多，请 {wait} 秒后再试。", next)
        response.headers["Retry-After"] = str(wait)
        return response
    principal = state.keys.authenticate(state.sessions, key) if 0 < len(key) <= 200 else None
    if principal is None:
        state.auth_failures.failed(client)
        return _login_refused(request, 401, KEY_REFUSED, next)
    if principal.role == "service":
        return _login_refused(
            request, 403, "这是服务账号（service）的密钥，用于系统对接，不能登录复核台。", next
        )
    with state.sessions.begin() as db:
        token = start_session(db, key=key, seconds=SESSION_SECONDS)
    if token is None:  # revoked between the two reads
        return _login_refused(request, 401, KEY_REFUSED, next)
    signed_in_page = redirect(_safe_next(next) or home_of(principal))
    set_session_cookie(signed_in_page, request, token)
    return signed_in_page


@router.post("/ui/logout")
def logout(request: Request) -> Response:
    if not same_origin(request):
        return csrf_refused(request)
    token = request.cookies.get(COOKIE, "").strip()
    if token:
        state = state_of(request)
        with state.sessions.begin() as db:
            end_session(db, token)
    response = redirect("/ui/login", notice="已退出登录。")
    clear_session_cookie(response, request)
    return response
