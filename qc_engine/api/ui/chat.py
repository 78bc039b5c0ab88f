"""The chat view of a work item and every action taken from it (confirm, dismiss, claim,
release, review a sample, appeal, decide an appeal, mark a teaching case): each calls
qc_engine.service.workitems and redirects back, or renders the refusal in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from qc_engine.api.ui.forms import (
    DB_INT,
    carried,
    form_int,
    form_text,
    item_url,
    post_guard,
    rule_titles,
    signed_in,
    to_login,
)
from qc_engine.api.ui.web import (
    clean_filters,
    explain,
    local,
    query_string,
    redirect,
    render,
    state_of,
)
from qc_engine.service import desk
from qc_engine.service import workitems as service
from qc_engine.service.auth import Principal
from qc_engine.service.errors import ServiceError
from qc_engine.service.records import Session, WorkItem
from qc_engine.service.review import LEADS, REVIEWERS
from qc_engine.taxonomy import CATEGORIES

router = APIRouter(include_in_schema=False)


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
    chat = desk.load_chat(
        session,
        transcript_id=item.transcript_id,
        principal=principal,
        titles=rule_titles(request, item.transcript.checklist),
    )
    current = next((f for f in chat.flags if f.item is not None and f.item.id == item.id), None)
    claim = service.claim_state(item, principal, datetime.now(UTC))
    done = desk.done_today(session, principal) if principal.role in REVIEWERS else None
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
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    with state_of(request).sessions() as session:
        return _item_page(
            request,
            session,
            principal,
            item_id,
            filters=clean_filters(request.query_params),
            focus=form_int(focus, 0) or None,
            after=form_int(after, 0) or None,
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
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = carried(q)
    page = form_int(back, item_id) if back else item_id
    sent = form_int(version)
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
            and service.pending_in_chat(session, principal, item.transcript_id) == 0
        ):
            notice += " 本会话的待复核条目已全部处理，按 n 领取下一条。"
    return redirect(item_url(page, filters, after=after), notice=notice)


class _FormError(Exception):
    """A form field the desk refuses before calling the service (422)."""


def _checked(value: str | None, what: str) -> str | None:
    text, problem = form_text(value, what)
    if problem:
        raise _FormError(problem)
    return text


def _label(item: WorkItem) -> str:
    """An item as the chat view numbers it: 问题 N「类别」 (its flag's number in the chat),
    or 本会话的抽检."""
    number = desk.flag_number(item)
    if number is None:
        return "本会话的抽检"
    category = CATEGORIES.get(item.category or "")
    return f"问题 {number}「{category.name_zh if category else item.category}」"


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
        after=form_int(after, 0) or None,
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
        after=form_int(after, 0) or None,
    )


@router.post("/ui/items/{item_id:int}/claim")
def claim(
    request: Request, item_id: int, version: str | None = Form(None), q: str | None = Form(None)
) -> Response:
    def run(session: Session, principal: Principal, sent: int, state: Any) -> WorkItem:
        minutes = state.settings.claim_minutes
        return service.claim(
            session, principal=principal, item_id=item_id, version=sent, minutes=minutes
        )

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
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = carried(q)
    sent = form_int(version)
    with state_of(request).sessions() as session:
        try:
            item, others = service.release_chat(
                session, principal=principal, item_id=item_id, version=sent
            )
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
            index = form_int(message, -1)
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
