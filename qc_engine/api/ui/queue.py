"""The queue page with its filters and counts, claiming the next chat, skipping one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qc_engine.api.ui.forms import (
    DB_INT,
    carried,
    form_int,
    home_of,
    item_url,
    post_guard,
    signed_in,
    to_login,
)
from qc_engine.api.ui.web import (
    CHANNEL_ZH,
    SEVERITY_ZH,
    category_zh,
    clean_filters,
    explain,
    query_string,
    redirect,
    render,
    service_filters,
    state_of,
)
from qc_engine.service import assignment, bulk, desk
from qc_engine.service import queue as work_queue
from qc_engine.service import workitems as service
from qc_engine.service.auth import Principal
from qc_engine.service.desk import today
from qc_engine.service.errors import ServiceError
from qc_engine.service.records import Session, User, WorkItem
from qc_engine.service.review import LEADS, REVIEWERS, STATUSES

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 100
UNSET_ZH = "（未填写）"
ACTIVE = "open,in_review"


FACETS = ("category", "severity", "agent", "shop", "channel", "rule")


def _without(filters: dict[str, Any], facet: str) -> dict[str, Any]:
    drop = {"category", "kind"} if facet == "category" else {facet}
    return {k: v for k, v in filters.items() if k not in drop}


@router.get("/ui/queue")
def queue(request: Request) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role == "agent":
        return redirect(home_of(principal))
    return queue_page(request, principal, request.query_params)


def queue_page(
    request: Request,
    principal: Principal,
    params: Any,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    """The queue with the filters of `params` (a query string's, or a refused form's
    carried ones), and a refusal of a form posted from it shown on top."""
    filters = clean_filters(params)
    status = params.get("status") or "active"
    if status not in ("active", "all", *STATUSES):
        status = "active"
    status_filter = {"active": {"status": ACTIVE}, "all": {}}.get(status, {"status": status})
    base = service_filters(filters, principal)
    state = state_of(request)
    with state.sessions() as session:
        cursor = params.get("cursor") or None
        try:
            items, next_cursor = work_queue.list_items(
                session,
                principal=principal,
                sort="priority",
                limit=QUEUE_PAGE,
                cursor=cursor,
                filters=base | status_filter,
            )
        except ServiceError:
            error = error or "分页参数已失效，已回到第一页。"
            items, next_cursor = work_queue.list_items(
                session,
                principal=principal,
                sort="priority",
                limit=QUEUE_PAGE,
                filters=base | status_filter,
            )
            cursor = None

        def count(by: str, extra: dict[str, Any]) -> dict[str, int]:
            return work_queue.counts(session, principal=principal, by=by, filters=extra)

        facets = {by: count(by, _without(base, by) | status_filter) for by in FACETS}
        facets["severity"].pop("sample", None)
        assigned = work_queue.assigned_counts(
            session, principal=principal, filters=_without(base, "assigned_to") | status_filter
        )
        owners = assignment.owners(session, principal=principal, items=items)
        leads_tools = _lead_tools(session, principal, filters, base)
        statuses = count("status", base)
        no_dates = {k: v for k, v in base.items() if k not in ("created_from", "created_to")}
        days = desk.day_counts(
            session,
            principal=principal,
            base=no_dates | status_filter,
            count=lambda f: count("status", f),
        )
        flags = desk.flags_of(session, items)
        started = desk.chat_times(session, items)
        now = datetime.now(UTC)
        claims = {i.id: service.claim_state(i, principal, now) for i in items}
        done = desk.done_today(session, principal)
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
        status_code=status_code,
        form=form or {},
        assigned=assigned,
        owners=owners,
        tools=leads_tools,
        items=items,
        flags=flags,
        started=started,
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
        channel_label=_channel_label,
        value_label=_value_label,
        rule_label=str,
        day_today=day.isoformat(),
        day_yesterday=(day - timedelta(days=1)).isoformat(),
        day_week=(day - timedelta(days=6)).isoformat(),
    )


@dataclass
class LeadTools:
    """What a lead gets on the queue: whom chats can be given to, and for a queue filtered
    to one rule, the open items a bulk decision would take."""

    reviewers: list[User]
    bulk_ids: list[int]
    bulk_capped: bool


def _lead_tools(
    session: Session, principal: Principal, filters: dict[str, str], base: dict[str, Any]
) -> LeadTools | None:
    if principal.role not in LEADS:
        return None
    ids: list[int] = []
    if filters.get("rule"):
        ids = bulk.candidates(
            session, principal=principal, rule=filters["rule"], filters=base,
            limit=bulk.BULK_MAX + 1,
        )  # fmt: skip
    return LeadTools(assignment.reviewers(session), ids[: bulk.BULK_MAX], len(ids) > bulk.BULK_MAX)


def _value_label(value: str) -> str:
    """An agent or shop as the facets show it: an unknown one is 未填写."""
    return UNSET_ZH if value == work_queue.UNSET else value


def _channel_label(value: str) -> str:
    return UNSET_ZH if value == work_queue.UNSET else CHANNEL_ZH.get(value, value)


def _filter_label(key: str, value: str) -> str:
    if key == "category":
        return "类别：" + category_zh(value)
    if key == "severity":
        return "程度：" + SEVERITY_ZH.get(value, value)
    if key == "channel":
        return "渠道：" + _channel_label(value)
    if key == "assigned":
        return "分配给我"
    prefix = {
        "agent": "客服：",
        "shop": "店铺：",
        "date_from": "自 ",
        "date_to": "至 ",
        "rule": "规则：",
    }[key]
    return prefix + _value_label(value)


def _visible_item(session: Session, principal: Principal, item_id: int) -> WorkItem | None:
    if not 1 <= item_id <= DB_INT:
        return None
    try:
        return service.get_item(session, principal, item_id)
    except ServiceError:
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
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = carried(q)
    state = state_of(request)
    minutes = state.settings.claim_minutes
    with state.sessions() as session:
        was = _visible_item(session, principal, form_int(current))
        if was is not None and principal.role in REVIEWERS:
            left = service.pending_in_chat(session, principal, was.transcript_id)
            if left:
                return redirect(
                    item_url(was.id, filters),
                    notice=f"本会话还有 {left} 个问题待复核：处理完（c 确认 / d 驳回）"
                    "再按 n，或按 s 跳过这段会话。",
                )
        try:
            item = service.claim_next(
                session,
                principal=principal,
                filters=service_filters(filters, principal),
                minutes=minutes,
            )
        except ServiceError as exc:
            return redirect(
                "/ui/queue" + query_string(filters),
                notice=explain(exc, session=session, principal=principal),
            )
        if item is None:
            return _empty_queue(filters)
        session.commit()
        return redirect(item_url(item.id, filters))


@router.post("/ui/items/{item_id:int}/skip")
def skip(request: Request, item_id: int, q: str | None = Form(None)) -> Response:
    """Give this chat back to the queue and claim the next one elsewhere."""
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = carried(q)
    state = state_of(request)
    minutes = state.settings.claim_minutes
    with state.sessions() as session:
        try:
            skipped, item = service.skip_chat(
                session,
                principal=principal,
                item_id=item_id,
                filters=service_filters(filters, principal),
                minutes=minutes,
            )
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return redirect(
                "/ui/queue" + query_string(filters),
                notice=explain(exc, session=session, principal=principal),
            )
        if item is None:
            return _empty_queue(filters)
        return redirect(
            item_url(item.id, filters),
            notice=f"已跳过会话 {skipped.transcript_id}，它回到了队列。",
        )
