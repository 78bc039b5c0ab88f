"""The desk's pages under /ui. Routes are thin: they read the signed-in user from the
cookie, check the origin of every POST, call qc_engine.service exactly like the REST API
(so the same roles, 403s and 409s apply) and render a template or redirect (POST, then
redirect, then GET); a refusal is rendered on the page in Chinese with its status code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from qc_engine.api.body import UNSTORABLE
from qc_engine.api.deps import client_address, same_origin
from qc_engine.api.ui import views
from qc_engine.api.ui.web import (
    CHANNEL_ZH,
    COOKIE,
    LEADS,
    REVIEWERS,
    SESSION_SECONDS,
    SEVERITY_ZH,
    category_zh,
    clean_filters,
    clear_session_cookie,
    explain,
    local,
    principal_of,
    query_string,
    redirect,
    render,
    service_filters,
    set_session_cookie,
    state_of,
    today,
)
from qc_engine.db.models import StoredChecklist, WorkItem
from qc_engine.service import workitems as service
from qc_engine.service.auth import Principal, end_session, start_session
from qc_engine.service.errors import ServiceError
from qc_engine.taxonomy import CATEGORIES

router = APIRouter(include_in_schema=False)

DB_INT = 2**31 - 1
NOTE_MAX = 4000
QUEUE_PAGE = 100
ACTIVE = "open,in_review"
CSRF_REFUSED = "请求来源校验失败（不是从本站页面提交的），操作未执行。请回到复核台页面重试。"


# Helpers ---------------------------------------------------------------------------------


def _home(principal: Principal) -> str:
    return "/ui/appeals" if principal.role == "agent" else "/ui/queue"


def _signed_in(request: Request) -> Principal | None:
    principal = principal_of(request)
    if principal is None or principal.role == "service":
        return None
    return principal


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return redirect(f"/ui/login{query_string({}, next=target)}")


def _post_guard(request: Request) -> tuple[Principal | None, Response | None]:
    """The user of a POST, or the answer that refuses it (foreign origin, signed out)."""
    if not same_origin(request):
        return None, render(
            request,
            "message.html",
            principal=None,
            status_code=403,
            title="请求被拒绝",
            error=CSRF_REFUSED,
        )
    principal = _signed_in(request)
    if principal is None:
        return None, redirect("/ui/login", notice="登录已失效，请重新登录。")
    return principal, None


def _int(value: str | None, default: int = -1) -> int:
    try:
        number = int(str(value or "").strip())
    except ValueError:
        return default
    return number if 0 <= number <= DB_INT else default


def _text(value: str | None, what: str) -> tuple[str | None, str | None]:
    """A note or reason from a form: (text or None, error message or None)."""
    text = (value or "").strip()
    if len(text) > NOTE_MAX:
        return None, f"{what}不能超过 {NOTE_MAX} 字（当前 {len(text)} 字）。"
    if UNSTORABLE.search(text):
        return None, f"{what}包含无法保存的字符，请删除后重试。"
    return text or None, None


def _carried(q: str | None) -> dict[str, str]:
    """Queue filters carried through a form as one urlencoded field."""
    return clean_filters(dict(parse_qsl(q or "", keep_blank_values=False)))


def _item_url(item_id: int, filters: dict[str, str], **extra: Any) -> str:
    return f"/ui/items/{item_id}{query_string(filters, **extra)}"


def _titles(request: Request, checklist: str) -> dict[str, str]:
    engine = state_of(request).engines.get()
    parsed = engine.checklists.get(checklist)
    if parsed is None:
        return {}
    return {item.rule: item.spec.title for item in parsed.items if item.spec.title}


def _pending_for(session: Session, principal: Principal, transcript_id: str) -> int:
    """Items of the chat this user could still decide (open, theirs, or an expired claim)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .where(
                WorkItem.transcript_id == transcript_id,
                or_(
                    WorkItem.status == "open",
                    and_(
                        WorkItem.status == "in_review",
                        or_(
                            WorkItem.reviewer_id == principal.user_id,
                            WorkItem.claim_expires_at <= datetime.now(UTC),
                        ),
                    ),
                ),
            )
        )
        or 0
    )


# Sign-in and sign-out --------------------------------------------------------------------


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui", status_code=303)


@router.get("/ui")
def home(request: Request) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return redirect("/ui/login")
    return redirect(_home(principal))


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
    principal = _signed_in(request)
    if principal is not None:
        return redirect(_safe_next(next) or _home(principal))
    return render(request, "login.html", principal=None, next=_safe_next(next) or "")


@router.post("/ui/login")
def login(
    request: Request, key: str | None = Form(None), next: str | None = Form(None)
) -> Response:
    if not same_origin(request):
        return render(
            request,
            "message.html",
            principal=None,
            status_code=403,
            title="请求被拒绝",
            error=CSRF_REFUSED,
        )
    key = (key or "").strip()
    state = state_of(request)
    client = client_address(request)
    wait = state.auth_failures.retry_after(client)
    if wait is not None:
        response = render(
            request,
            "login.html",
            principal=None,
            status_code=429,
            error=f"登录失败次数过多，请 {wait} 秒后再试。",
            next=_safe_next(next) or "",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    principal = state.keys.authenticate(state.sessions, key) if 0 < len(key) <= 200 else None
    if principal is None:
        state.auth_failures.failed(client)
        return render(
            request,
            "login.html",
            principal=None,
            status_code=401,
            error="密钥无效或已被吊销，请检查后重试。",
            next=_safe_next(next) or "",
        )
    if principal.role == "service":
        return render(
            request,
            "login.html",
            principal=None,
            status_code=403,
            error="这是服务账号（service）的密钥，用于系统对接，不能登录复核台。",
            next=_safe_next(next) or "",
        )
    with state.sessions.begin() as db:
        token = start_session(db, key=key, seconds=SESSION_SECONDS)
    if token is None:  # revoked between the two reads
        return render(
            request,
            "login.html",
            principal=None,
            status_code=401,
            error="密钥无效或已被吊销，请检查后重试。",
            next=_safe_next(next) or "",
        )
    response = redirect(_safe_next(next) or _home(principal))
    set_session_cookie(response, request, token)
    return response


@router.post("/ui/logout")
def logout(request: Request) -> Response:
    if not same_origin(request):
        return render(
            request,
            "message.html",
            principal=None,
            status_code=403,
            title="请求被拒绝",
            error=CSRF_REFUSED,
        )
    token = request.cookies.get(COOKIE, "").strip()
    if token:
        state = state_of(request)
        with state.sessions.begin() as db:
            end_session(db, token)
    response = redirect("/ui/login", notice="已退出登录。")
    clear_session_cookie(response, request)
    return response


# The queue -------------------------------------------------------------------------------

FACETS = ("category", "severity", "agent", "shop", "channel")


def _without(filters: dict[str, Any], facet: str) -> dict[str, Any]:
    drop = {"category", "kind"} if facet == "category" else {facet}
    return {k: v for k, v in filters.items() if k not in drop}


@router.get("/ui/queue")
def queue(request: Request) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    if principal.role == "agent":
        return redirect("/ui/appeals")
    params = request.query_params
    filters = clean_filters(params)
    status = params.get("status") or "active"
    if status not in ("active", "all", *service.STATUSES):
        status = "active"
    status_filter = {"active": {"status": ACTIVE}, "all": {}}.get(status, {"status": status})
    base = service_filters(filters)
    error = None
    state = state_of(request)
    with state.sessions() as session:
        cursor = params.get("cursor") or None
        try:
            items, next_cursor = service.list_items(
                session,
                principal=principal,
                sort="priority",
                limit=QUEUE_PAGE,
                cursor=cursor,
                filters=base | status_filter,
            )
        except ServiceError:
            error = "分页参数已失效，已回到第一页。"
            items, next_cursor = service.list_items(
                session,
                principal=principal,
                sort="priority",
                limit=QUEUE_PAGE,
                filters=base | status_filter,
            )
            cursor = None

        def count(by: str, extra: dict[str, Any]) -> dict[str, int]:
            return service.counts(session, principal=principal, by=by, filters=extra)

        facets = {by: count(by, _without(base, by) | status_filter) for by in FACETS}
        facets["severity"].pop("sample", None)
        statuses = count("status", base)
        no_dates = {k: v for k, v in base.items() if k not in ("created_from", "created_to")}
        days = views.day_counts(
            session,
            principal=principal,
            base=no_dates | status_filter,
            count=lambda f: count("status", f),
        )
        flags = views.flags_of(session, items)
        now = datetime.now(UTC)
        claims = {i.id: views.claim_of(i, principal, now) for i in items}
        done = views.done_today(session, principal)
    total = sum(
        n
        for s, n in statuses.items()
        if status == "all" or s in status_filter.get("status", "").split(",")
    )
    current = dict(filters, **({"status": status} if status != "active" else {}))

    def url(**changes: Any) -> str:
        merged = {k: v for k, v in {**current, **changes}.items() if v is not None}
        return "/ui/queue" + query_string({k: str(v) for k, v in merged.items()})

    day = today()
    return render(
        request,
        "queue.html",
        principal=principal,
        error=error,
        items=items,
        flags=flags,
        claims=claims,
        facets=facets,
        statuses=statuses,
        days=days,
        filters=filters,
        status=status,
        total=total,
        next_cursor=next_cursor,
        paged=bool(cursor),
        done_today=done,
        carried=query_string(filters)[1:],
        query_string=query_string,
        url=url,
        filter_label=_filter_label,
        category_label=category_zh,
        severity_label=lambda v: SEVERITY_ZH.get(v, v),
        channel_label=lambda v: CHANNEL_ZH.get(v, v),
        day_today=day.isoformat(),
        day_yesterday=(day - timedelta(days=1)).isoformat(),
        day_week=(day - timedelta(days=6)).isoformat(),
    )


def _filter_label(key: str, value: str) -> str:
    if key == "category":
        return "类别：" + category_zh(value)
    if key == "severity":
        return "程度：" + SEVERITY_ZH.get(value, value)
    if key == "channel":
        return "渠道：" + CHANNEL_ZH.get(value, value)
    return {"agent": "客服：", "shop": "店铺：", "date_from": "自 ", "date_to": "至 "}[key] + value


def _claim_rest_of_chat(
    session: Session, principal: Principal, item: WorkItem, minutes: int
) -> None:
    """Claim the chat's other open items too, so that two people never end up reviewing
    the same chat; one someone else took meanwhile is simply left."""
    siblings = list(
        session.scalars(
            select(WorkItem.id).where(
                WorkItem.transcript_id == item.transcript_id,
                WorkItem.id != item.id,
                WorkItem.status == "open",
            )
        )
    )
    for sibling_id in siblings:
        sibling = session.get(WorkItem, sibling_id)
        if sibling is None:
            continue
        try:
            service.claim(
                session,
                principal=principal,
                item_id=sibling_id,
                version=sibling.version,
                minutes=minutes,
            )
            session.commit()
        except ServiceError:
            session.rollback()


def _release_mine(session: Session, principal: Principal, transcript_id: str) -> int:
    """Give back every item of the chat this user holds; how many were released."""
    held = list(
        session.scalars(
            select(WorkItem).where(
                WorkItem.transcript_id == transcript_id,
                WorkItem.status == "in_review",
                WorkItem.reviewer_id == principal.user_id,
            )
        )
    )
    released = 0
    for item in held:
        try:
            service.release(session, principal=principal, item_id=item.id, version=item.version)
            session.commit()
            released += 1
        except ServiceError:
            session.rollback()
    return released


def _next_elsewhere(
    session: Session, principal: Principal, filters: dict[str, Any], skipped: str, minutes: int
) -> WorkItem | None:
    """Claim the highest-priority item outside the skipped chat (the queue's order)."""
    candidates, _ = service.list_items(
        session,
        principal=principal,
        sort="priority",
        limit=50,
        filters=filters | {"status": ACTIVE},
    )
    for candidate in candidates:
        if candidate.transcript_id == skipped:
            continue
        try:
            item = service.claim(
                session,
                principal=principal,
                item_id=candidate.id,
                version=candidate.version,
                minutes=minutes,
            )
            session.commit()
            return item
        except ServiceError:
            session.rollback()
    return None


def _empty_queue(filters: dict[str, str]) -> RedirectResponse:
    message = (
        "当前筛选条件下没有可领取的条目了。" if filters else "队列已清空：没有可领取的条目了。"
    )
    return redirect("/ui/queue" + query_string(filters), notice=message)


@router.post("/ui/claim-next")
def claim_next(
    request: Request, q: str | None = Form(None), current: str | None = Form(None)
) -> Response:
    """Claim the next item (and the rest of its chat) and open it."""
    principal, refused = _post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = _carried(q)
    state = state_of(request)
    minutes = state.settings.claim_minutes
    with state.sessions() as session:
        was = session.get(WorkItem, _int(current)) if _int(current) > 0 else None
        if was is not None and principal.role in REVIEWERS:
            left = _pending_for(session, principal, was.transcript_id)
            if left:
                return redirect(
                    _item_url(was.id, filters),
                    notice=f"本会话还有 {left} 个问题待复核：处理完（c 确认 / d 驳回）"
                    "再按 n，或按 s 跳过这段会话。",
                )
        try:
            item = service.claim_next(
                session, principal=principal, filters=service_filters(filters), minutes=minutes
            )
        except ServiceError as exc:
            return redirect(
                "/ui/queue" + query_string(filters),
                notice=explain(exc, session=session, principal=principal),
            )
        if item is None:
            return _empty_queue(filters)
        session.commit()
        _claim_rest_of_chat(session, principal, item, minutes)
        return redirect(_item_url(item.id, filters))


@router.post("/ui/items/{item_id:int}/skip")
def skip(request: Request, item_id: int, q: str | None = Form(None)) -> Response:
    """Give this chat back to the queue and claim the next one elsewhere."""
    principal, refused = _post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = _carried(q)
    state = state_of(request)
    minutes = state.settings.claim_minutes
    with state.sessions() as session:
        try:
            skipped = service.get_item(session, principal, item_id)
        except ServiceError as exc:
            return redirect(
                "/ui/queue" + query_string(filters),
                notice=explain(exc, session=session, principal=principal),
            )
        transcript_id = skipped.transcript_id
        _release_mine(session, principal, transcript_id)
        try:
            item = _next_elsewhere(
                session, principal, service_filters(filters), transcript_id, minutes
            )
        except ServiceError as exc:
            return redirect(
                "/ui/queue" + query_string(filters),
                notice=explain(exc, session=session, principal=principal),
            )
        if item is None:
            return _empty_queue(filters)
        _claim_rest_of_chat(session, principal, item, minutes)
        return redirect(
            _item_url(item.id, filters), notice=f"已跳过会话 {transcript_id}，它回到了队列。"
        )


# The chat view ---------------------------------------------------------------------------


def _item_page(
    request: Request,
    session: Session,
    principal: Principal,
    item_id: int,
    *,
    filters: dict[str, str],
    focus: int | None = None,
    after: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        item = service.get_item(session, principal, item_id) if 1 <= item_id <= DB_INT else None
    except ServiceError:
        item = None
    if item is None:
        return render(
            request,
            "message.html",
            principal=principal,
            status_code=404,
            title="找不到条目",
            error="找不到该条目，或您无权查看。",
        )
    chat = views.load_chat(
        session,
        transcript_id=item.transcript_id,
        principal=principal,
        titles=_titles(request, item.transcript.checklist),
    )
    current = next((f for f in chat.flags if f.item is not None and f.item.id == item.id), None)
    claim = views.claim_of(item, principal)
    done = views.done_today(session, principal) if principal.role in REVIEWERS else None
    return render(
        request,
        "item.html",
        principal=principal,
        status_code=status_code,
        error=error,
        item=item,
        chat=chat,
        current=current,
        claim=claim,
        filters=filters,
        carried=query_string(filters)[1:],
        focus=focus or (current.number if current else None),
        after=after,
        done_today=done,
        categories=CATEGORIES,
        reviewers=REVIEWERS,
        leads=LEADS,
    )


@router.get("/ui/items/{item_id:int}")
def item_page(
    request: Request, item_id: int, focus: str | None = None, after: str | None = None
) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    with state_of(request).sessions() as session:
        return _item_page(
            request,
            session,
            principal,
            item_id,
            filters=clean_filters(request.query_params),
            focus=_int(focus, 0) or None,
            after=_int(after, 0) or None,
        )


def _act(
    request: Request,
    item_id: int,
    *,
    q: str | None,
    back: str | None,
    version: str | None,
    action: str,
    run: Any,
    done: Any,
    after: int | None = None,
) -> Response:
    """Run one service change on an item and redirect to the chat it was made from, or
    render that chat with the refusal in Chinese."""
    principal, refused = _post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = _carried(q)
    page = _int(back, item_id) if back else item_id
    sent = _int(version)
    state = state_of(request)
    with state.sessions() as session:
        try:
            item = run(session, principal, sent, state)
            session.commit()
        except ServiceError as exc:
            message = explain(
                exc,
                session=session,
                principal=principal,
                item_id=item_id,
                sent_version=sent,
                action=action,
            )
            session.rollback()
            return _item_page(
                request,
                session,
                principal,
                page,
                filters=filters,
                focus=after,
                error=message,
                status_code=exc.status,
            )
        except _FormError as exc:
            session.rollback()
            return _item_page(
                request,
                session,
                principal,
                page,
                filters=filters,
                focus=after,
                error=str(exc),
                status_code=422,
            )
        notice = done(item)
        if (
            action in ("confirm", "dismiss")
            and _pending_for(session, principal, item.transcript_id) == 0
        ):
            notice += " 本会话的待复核条目已全部处理，按 n 领取下一条。"
    return redirect(_item_url(page, filters, after=after), notice=notice)


class _FormError(Exception):
    """A form field the desk refuses before calling the service (422)."""


def _checked(value: str | None, what: str) -> str | None:
    text, problem = _text(value, what)
    if problem:
        raise _FormError(problem)
    return text


def _label(item: WorkItem) -> str:
    name = CATEGORIES[item.category].name_zh if item.category in CATEGORIES else "抽检"
    return f"#{item.id}「{name}」"


@router.post("/ui/items/{item_id:int}/decide")
def decide(
    request: Request,
    item_id: int,
    action: str | None = Form(None),
    version: str | None = Form(None),
    note: str | None = Form(None),
    q: str | None = Form(None),
    back: str | None = Form(None),
    after: str | None = Form(None),
) -> Response:
    verb = action if action in ("confirm", "dismiss", "confirm_teach") else "confirm"

    def run(session: Session, principal: Principal, sent: int, _: Any) -> WorkItem:
        text = _checked(note, "备注")
        if verb == "dismiss":
            return service.dismiss(
                session, principal=principal, item_id=item_id, version=sent, note=text
            )
        item = service.confirm(
            session, principal=principal, item_id=item_id, version=sent, note=text
        )
        if verb == "confirm_teach":
            item = service.mark_teaching_case(
                session, principal=principal, item_id=item_id, version=item.version, value=True
            )
        return item

    def done(item: WorkItem) -> str:
        return {
            "confirm": f"已确认 {_label(item)}。",
            "dismiss": f"已驳回 {_label(item)}，不再扣分。",
            "confirm_teach": f"已确认 {_label(item)} 并设为教学案例。",
        }[verb]

    return _act(
        request,
        item_id,
        q=q,
        back=back,
        version=version,
        action="dismiss" if verb == "dismiss" else "confirm",
        run=run,
        done=done,
        after=_int(after, 0) or None,
    )


@router.post("/ui/items/{item_id:int}/teaching")
def teaching(
    request: Request,
    item_id: int,
    value: str | None = Form(None),
    version: str | None = Form(None),
    q: str | None = Form(None),
    back: str | None = Form(None),
    after: str | None = Form(None),
) -> Response:
    flag = value != "0"

    def run(session: Session, principal: Principal, sent: int, _: Any) -> WorkItem:
        return service.mark_teaching_case(
            session, principal=principal, item_id=item_id, version=sent, value=flag
        )

    def done(item: WorkItem) -> str:
        return (
            f"已将 {_label(item)} 设为教学案例。"
            if flag
            else f"已将 {_label(item)} 移出教学案例库。"
        )

    return _act(
        request,
        item_id,
        q=q,
        back=back,
        version=version,
        action="teaching",
        run=run,
        done=done,
        after=_int(after, 0) or None,
    )


@router.post("/ui/items/{item_id:int}/claim")
def claim(
    request: Request, item_id: int, version: str | None = Form(None), q: str | None = Form(None)
) -> Response:
    def run(session: Session, principal: Principal, sent: int, state: Any) -> WorkItem:
        minutes = state.settings.claim_minutes
        item = service.claim(
            session, principal=principal, item_id=item_id, version=sent, minutes=minutes
        )
        session.commit()
        _claim_rest_of_chat(session, principal, item, minutes)
        return item

    def done(item: WorkItem) -> str:
        return f"已领取 {_label(item)}，保留到 {local(item.claim_expires_at, '%H:%M')}。"

    return _act(
        request, item_id, q=q, back=None, version=version, action="claim", run=run, done=done
    )


@router.post("/ui/items/{item_id:int}/release")
def release(
    request: Request, item_id: int, version: str | None = Form(None), q: str | None = Form(None)
) -> Response:
    """Give the item back (a lead may release anyone's claim), with the rest of the chat
    this user holds."""
    principal, refused = _post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = _carried(q)
    sent = _int(version)
    with state_of(request).sessions() as session:
        try:
            item = service.release(session, principal=principal, item_id=item_id, version=sent)
            session.commit()
        except ServiceError as exc:
            message = explain(
                exc,
                session=session,
                principal=principal,
                item_id=item_id,
                sent_version=sent,
                action="release",
            )
            session.rollback()
            return _item_page(
                request,
                session,
                principal,
                item_id,
                filters=filters,
                error=message,
                status_code=exc.status,
            )
        others = _release_mine(session, principal, item.transcript_id)
        also = f"（连同本会话另外 {others} 条）" if others else ""
        return redirect(
            "/ui/queue" + query_string(filters), notice=f"已把 {_label(item)}{also}放回队列。"
        )


@router.post("/ui/items/{item_id:int}/review-sample")
def review_sample(
    request: Request,
    item_id: int,
    version: str | None = Form(None),
    note: str | None = Form(None),
    q: str | None = Form(None),
    finding_category: Annotated[list[str] | None, Form()] = None,
    finding_message: Annotated[list[str] | None, Form()] = None,
    finding_note: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def run(session: Session, principal: Principal, sent: int, _: Any) -> WorkItem:
        findings = []
        categories = finding_category or []
        padding = [""] * len(categories)
        rows = zip(
            categories,
            (finding_message or []) + padding,
            (finding_note or []) + padding,
            strict=False,
        )
        for category, message, text in list(rows)[:50]:
            if not category:
                continue
            index = _int(message, -1)
            findings.append(
                service.Finding(category, index if index >= 0 else None, _checked(text, "漏检说明"))
            )
        return service.review_sample(
            session,
            principal=principal,
            item_id=item_id,
            version=sent,
            findings=findings,
            note=_checked(note, "备注"),
        )

    def done(item: WorkItem) -> str:
        return f"已完成抽检 {_label(item)}。按 n 领取下一条。"

    return _act(
        request,
        item_id,
        q=q,
        back=None,
        version=version,
        action="review-sample",
        run=run,
        done=done,
    )


@router.post("/ui/items/{item_id:int}/appeal")
def appeal(
    request: Request,
    item_id: int,
    version: str | None = Form(None),
    reason: str | None = Form(None),
) -> Response:
    def run(session: Session, principal: Principal, sent: int, _: Any) -> WorkItem:
        text = _checked(reason, "申诉理由")
        return service.appeal(
            session, principal=principal, item_id=item_id, version=sent, reason=text or ""
        )

    def done(item: WorkItem) -> str:
        return f"已对 {_label(item)} 提出申诉，等待质检组长裁决。"

    return _act(
        request, item_id, q=None, back=None, version=version, action="appeal", run=run, done=done
    )


@router.post("/ui/items/{item_id:int}/decide-appeal")
def decide_appeal(
    request: Request,
    item_id: int,
    version: str | None = Form(None),
    decision: str | None = Form(None),
    note: str | None = Form(None),
    back: str | None = Form(None),
) -> Response:
    def run(session: Session, principal: Principal, sent: int, _: Any) -> WorkItem:
        return service.decide_appeal(
            session,
            principal=principal,
            item_id=item_id,
            version=sent,
            decision=decision or "",
            note=_checked(note, "裁决说明"),
        )

    def done(item: WorkItem) -> str:
        if item.status == "overturned":
            return f"申诉成立：{_label(item)} 已改判，不再扣分。"
        return f"申诉不成立：{_label(item)} 维持原判。"

    return _act(
        request,
        item_id,
        q=None,
        back=back,
        version=version,
        action="decide-appeal",
        run=run,
        done=done,
    )


# Appeals, teaching cases, checklists ------------------------------------------------------


@router.get("/ui/appeals")
def appeals(request: Request) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    with state_of(request).sessions() as session:
        if principal.role == "agent":
            sections = [
                (
                    "可申诉（已确认的扣分）",
                    "confirmed",
                    views.appeal_rows(session, principal=principal, statuses=("confirmed",)),
                ),
                (
                    "申诉中",
                    "appealed",
                    views.appeal_rows(session, principal=principal, statuses=("appealed",)),
                ),
                (
                    "已裁决",
                    "decided",
                    views.appeal_rows(
                        session, principal=principal, statuses=("upheld", "overturned"), limit=100
                    ),
                ),
            ]
        else:
            sections = [
                (
                    "待裁决申诉",
                    "appealed",
                    views.appeal_rows(session, principal=principal, statuses=("appealed",)),
                ),
                (
                    "最近裁决",
                    "decided",
                    views.appeal_rows(
                        session, principal=principal, statuses=("upheld", "overturned"), limit=50
                    ),
                ),
            ]
    return render(request, "appeals.html", principal=principal, sections=sections)


@router.get("/ui/cases")
def cases(request: Request, category: str | None = None, q: str | None = None) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    category = category if category in CATEGORIES else None
    text = (q or "").strip()[:100] or None
    if text and UNSTORABLE.search(text):
        text = None
    with state_of(request).sessions() as session:
        counts = service.counts(
            session, principal=principal, by="category", filters={"teaching_case": True}
        )
        rows = views.search_cases(session, principal=principal, category=category, text=text)
        quotes = views.messages_at(
            session, [(i.transcript_id, i.flag.message_index) for i in rows if i.flag is not None]
        )
    return render(
        request,
        "cases.html",
        principal=principal,
        rows=rows,
        counts=counts,
        category=category,
        q=text or "",
        quotes=quotes,
        total=sum(counts.values()),
    )


@router.get("/ui/checklists")
def checklists(request: Request) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    engine = state_of(request).engines.get()
    with state_of(request).sessions() as session:
        rows = list(
            session.scalars(
                select(StoredChecklist).where(StoredChecklist.active).order_by(StoredChecklist.name)
            )
        )
    shown = [(row, engine.checklists.get(row.name)) for row in rows]
    return render(request, "checklists.html", principal=principal, checklists=shown)
