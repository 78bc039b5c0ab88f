"""The appeals list, the teaching-case library and the checklists page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qc_engine.api.ui.forms import (
    signed_in,
    to_login,
)
from qc_engine.api.ui.web import (
    render,
    state_of,
)
from qc_engine.service import desk
from qc_engine.service import queue as work_queue
from qc_engine.service.checklists import active_checklists
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.review import APPEAL_DECIDED, Status
from qc_engine.taxonomy import CATEGORIES

router = APIRouter(include_in_schema=False)


@router.get("/ui/appeals")
def appeals(request: Request) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    with state_of(request).sessions() as session:
        if principal.role == "agent":
            sections = [
                (
                    "可申诉（已确认的扣分）",
                    "confirmed",
                    desk.appeal_rows(session, principal=principal, statuses=(Status.CONFIRMED,)),
                ),
                (
                    "申诉中",
                    "appealed",
                    desk.appeal_rows(session, principal=principal, statuses=(Status.APPEALED,)),
                ),
                (
                    "已裁决",
                    "decided",
                    desk.appeal_rows(
                        session, principal=principal, statuses=APPEAL_DECIDED, limit=100
                    ),
                ),
            ]
        else:
            sections = [
                (
                    "待裁决申诉",
                    "appealed",
                    desk.appeal_rows(session, principal=principal, statuses=(Status.APPEALED,)),
                ),
                (
                    "最近裁决",
                    "decided",
                    desk.appeal_rows(
                        session, principal=principal, statuses=APPEAL_DECIDED, limit=50
                    ),
                ),
            ]
    return render(request, "appeals.html", principal=principal, sections=sections)


@router.get("/ui/cases")
def cases(request: Request, category: str | None = None, q: str | None = None) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    category = category if category in CATEGORIES else None
    text = (q or "").strip()[:100] or None
    if text and UNSTORABLE.search(text):
        text = None
    with state_of(request).sessions() as session:
        counts = work_queue.counts(
            session, principal=principal, by="category", filters={"teaching_case": True}
        )
        rows = desk.search_cases(session, principal=principal, category=category, text=text)
        quotes = desk.messages_at(
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
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    engine = state_of(request).engines.get()
    with state_of(request).sessions() as session:
        rows = active_checklists(session)
    shown = [(row, engine.checklists.get(row.name)) for row in rows]
    return render(request, "checklists.html", principal=principal, checklists=shown)
