"""All chats (全部会话): every stored chat, searchable, not only the queue's; opening any
chat in the chat view; starting a review of a chat that has no work item."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from qc_engine.api.ui.forms import form_int, post_guard, rule_titles, signed_in, to_login
from qc_engine.api.ui.web import (
    CHANNEL_ZH,
    category_zh,
    explain,
    query_string,
    redirect,
    render,
    state_of,
)
from qc_engine.service import chats, desk
from qc_engine.service.errors import ServiceError
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.queue import UNSET
from qc_engine.service.review import REVIEWERS
from qc_engine.taxonomy import CATEGORIES

router = APIRouter(include_in_schema=False)
TEXT_FIELDS = ("shop", "agent", "channel", "checklist", "category", "text")
FIELDS = (*TEXT_FIELDS, "date_from", "date_to", "score_min", "score_max", "passed")
FIELD_ZH = {
    "date_from": "开始日期",
    "date_to": "结束日期",
    "score_min": "最低分",
    "score_max": "最高分",
    "passed": "是否合格",
}
UNSET_ZH = "（未填写）"


def chat_url(transcript_id: str) -> str:
    return "/ui/chats/" + quote(transcript_id, safe="")


def _read_filters(params: Any) -> tuple[dict[str, str], chats.ChatFilters, list[str]]:
    """The filters of the query string as typed (kept in the form), as the service's
    filters, and a Chinese complaint for each value that could not be used."""
    kept: dict[str, str] = {}
    errors: list[str] = []
    values: dict[str, Any] = {}
    for key in FIELDS:
        raw = str(params.get(key) or "").strip()
        if not raw:
            continue
        if len(raw) > 200 or UNSTORABLE.search(raw):
            errors.append(f"「{FIELD_ZH.get(key, key)}」的值过长或含有无法识别的字符，已忽略。")
            continue
        kept[key] = raw
        if key in TEXT_FIELDS:
            values[key] = raw
        elif key.startswith("date_"):
            try:
                values[key] = date.fromisoformat(raw)
            except ValueError:
                errors.append(f"「{FIELD_ZH[key]}」不是有效日期（应如 2026-12-07），已忽略。")
        elif key.startswith("score_"):
            number = form_int(raw)
            if 0 <= number <= 100:
                values[key] = number
            else:
                errors.append(f"「{FIELD_ZH[key]}」应为 0 到 100 的整数，已忽略。")
        elif raw in ("yes", "no"):
            values[key] = raw == "yes"
    try:
        filters = chats.ChatFilters(**values)
    except ServiceError as exc:
        errors.append(
            "开始日期晚于结束日期，已忽略日期筛选。"
            if getattr(exc, "field", "") == "date_from"
            else "最低分高于最高分，已忽略分数筛选。"
        )
        drop = ("date_from", "date_to") if getattr(exc, "field", "") == "date_from" else ()
        drop = drop or ("score_min", "score_max")
        filters = chats.ChatFilters(**{k: v for k, v in values.items() if k not in drop})
    return kept, filters, errors


@router.get("/ui/chats")
def chat_list(request: Request, page: str | None = None) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    kept, filters, errors = _read_filters(request.query_params)
    number = max(form_int(page, 1), 1)
    with state_of(request).sessions() as session:
        rows, total = chats.search(session, principal, filters, page=number)
        menus = chats.facets(session, principal)
    pages = max((total + chats.PAGE - 1) // chats.PAGE, 1)

    def url(**changes: Any) -> str:
        merged = {k: v for k, v in {**kept, **changes}.items() if v not in (None, "")}
        return "/ui/chats" + query_string({k: str(v) for k, v in merged.items()})

    return render(
        request,
        "chats.html",
        principal=principal,
        error=" ".join(errors) or None,
        rows=rows,
        total=total,
        page=number,
        pages=pages,
        kept=kept,
        menus=menus,
        url=url,
        chat_url=chat_url,
        categories=CATEGORIES,
        category_label=category_zh,
        value_label=lambda v: UNSET_ZH if v == UNSET else v,
        channel_label=lambda v: UNSET_ZH if v == UNSET else CHANNEL_ZH.get(v, v),
    )


@router.get("/ui/chats/{transcript_id:path}")
def chat_page(request: Request, transcript_id: str) -> Response:
    """A chat: its work item's page when it has one (the same view as from the queue), else
    the chat with its flags and, for reviewers, a button that starts a review."""
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    with state_of(request).sessions() as session:
        try:
            row, item = chats.open_chat(session, principal, transcript_id)
        except ServiceError:
            return render(
                request,
                "message.html",
                principal=principal,
                status_code=404,
                title="找不到会话",
                error="找不到该会话，或您无权查看。",
            )
        if item is not None:
            return redirect(f"/ui/items/{item.id}")
        chat = desk.load_chat(
            session,
            transcript_id=transcript_id,
            principal=principal,
            titles=rule_titles(request, row.checklist),
        )
        return render(
            request,
            "item.html",
            principal=principal,
            item=None,
            chat=chat,
            current=None,
            claim=None,
            filters={},
            carried="",
            focus=None,
            after=None,
            categories=CATEGORIES,
            reviewers=REVIEWERS,
            leads=(),
        )


@router.post("/ui/chats/start-review")
def start_review(request: Request, transcript_id: str = Form("")) -> Response:
    """Put the chat into the queue as a review of the whole chat, claimed by nobody yet,
    and open it."""
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    with state_of(request).sessions() as session:
        try:
            item = chats.start_review(session, principal, transcript_id)
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return redirect("/ui/chats", notice=explain(exc, session=session, principal=principal))
        return redirect(
            f"/ui/items/{item.id}", notice="已加入复核队列：请通读全文，记录漏检的问题。"
        )
