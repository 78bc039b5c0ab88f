"""Editing a checklist and its lexicons in the desk (leads): try the draft on the latest
stored chats (what would be flagged newly, what no longer), deploy it as the next version,
and roll back to any stored version in one action."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qc_engine.api.ui.forms import form_int, post_guard, signed_in, to_login
from qc_engine.api.ui.web import redirect, render, state_of
from qc_engine.service import checklists as service
from qc_engine.service.auth import Principal
from qc_engine.service.errors import ServiceError
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.review import LEADS

router = APIRouter(include_in_schema=False)
LEXICON_FIELD = "lexicon:"
PREVIEW_CHATS = 200
SHOWN_CHANGES = 60


def _refused(request: Request, principal: Principal) -> Response:
    return render(
        request,
        "message.html",
        principal=principal,
        status_code=403,
        title="无权编辑检查清单",
        error="只有质检组长和管理员可以编辑、部署或回滚检查清单。",
    )


def _lead_post(request: Request) -> tuple[Principal | None, Response | None]:
    """The lead or admin of a POST, or the answer refusing it (foreign origin, signed out,
    another role)."""
    principal, refused = post_guard(request)
    if refused is None and principal is not None and principal.role not in LEADS:
        refused = _refused(request, principal)
    return principal, refused


def _missing(request: Request, principal: Principal) -> Response:
    return render(
        request,
        "message.html",
        principal=principal,
        status_code=404,
        title="找不到检查清单",
        error="找不到该检查清单。",
    )


def _problems_zh(exc: ServiceError) -> list[str]:
    """The validator's findings, each with where it is (line or field) in Chinese."""
    details = list(getattr(exc, "details", None) or [])
    lines = []
    for problem in details or [exc]:
        where = []
        if getattr(problem, "file", None):
            where.append(f"文件 {problem.file}")
        if getattr(problem, "line", None):
            where.append(f"第 {problem.line} 行")
        if getattr(problem, "field", None):
            where.append(f"位置 {problem.field}")
        lines.append(("；".join(where) + "：" if where else "") + str(problem.message))
    return lines


def _page(
    request: Request,
    principal: Principal,
    name: str,
    *,
    source: str | None = None,
    lexicons: dict[str, str] | None = None,
    preview: service.Preview | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    state = state_of(request)
    with state.sessions() as session:
        try:
            row = service.get_stored(session, name)
        except ServiceError:
            return _missing(request, principal)
        carried = service.stored_lexicons(session, row)
        latest = service.latest_version(session, name) or row.version
    return render(
        request,
        "checklist_edit.html",
        principal=principal,
        status_code=status_code,
        error="检查清单未通过校验，未部署：" if problems else None,
        row=row,
        next_version=latest + 1,
        source=source if source is not None else row.source,
        lexicons={k: (lexicons or {}).get(k, v) for k, v in carried.items()},
        changed=sorted(k for k, v in (lexicons or {}).items() if carried.get(k) != v),
        preview=preview,
        problems=problems or [],
        shown=SHOWN_CHANGES,
        preview_chats=PREVIEW_CHATS,
    )


@router.get("/ui/checklists/{name}/edit")
def edit_page(request: Request, name: str) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role not in LEADS:
        return _refused(request, principal)
    return _page(request, principal, name)


def _lines(value: Any) -> str:
    """A textarea's text with the browser's CRLF line ends made LF again."""
    return str(value or "").replace("\r\n", "\n")


@router.post("/ui/checklists/{name}/edit")
async def edit(request: Request, name: str) -> Response:
    """Try the draft (`action=preview`) or deploy it as the next version (`deploy`)."""
    principal, refused = _lead_post(request)
    if refused is not None:
        return refused
    assert principal is not None
    form = await request.form(max_part_size=4 * 1024 * 1024)
    source = _lines(form.get("source"))
    lexicons = {
        key[len(LEXICON_FIELD) :]: _lines(value)
        for key, value in form.multi_items()
        if key.startswith(LEXICON_FIELD)
    }
    action = form.get("action")
    if any(UNSTORABLE.search(text) for text in [source, *lexicons.values()]):
        return _page(
            request, principal, name, source=source, lexicons=lexicons, status_code=422,
            problems=["清单或词表含有无法保存的字符（如 NUL），请删除后重试。"],
        )  # fmt: skip
    state = state_of(request)
    holder = state.engines
    with state.sessions() as session:
        try:
            base = service.stored_lexicons(session, service.get_stored(session, name))
            changed = {k: v for k, v in lexicons.items() if base.get(k) != v}
            version = (service.latest_version(session, name) or 0) + 1
            draft_source = service.with_version(source, version)
            if action == "deploy":
                row, parsed = service.put_checklist(
                    session,
                    name=name,
                    source=draft_source,
                    actor=principal.name,
                    normalizer=holder.normalizer,
                    lexicon_dir=holder.lexicon_dir,
                    lexicons=changed,
                )
                session.commit()
                holder.adopt({row.id: parsed})
                holder.invalidate()
                return redirect(
                    f"/ui/checklists#cl-{name}",
                    notice=f"已部署 {row.name}@{row.version}：新入库的会话按新版本质检。",
                )
            draft = service.draft(
                session,
                name=name,
                source=draft_source,
                normalizer=holder.normalizer,
                lexicon_dir=holder.lexicon_dir,
                lexicons=changed,
            )
            found = service.preview(session, draft, limit=PREVIEW_CHATS)
        except ServiceError as exc:
            session.rollback()
            if exc.status == 404:
                return _missing(request, principal)
            return _page(
                request, principal, name, source=source, lexicons=lexicons,
                problems=_problems_zh(exc), status_code=exc.status,
            )  # fmt: skip
    return _page(request, principal, name, source=source, lexicons=lexicons, preview=found)


@router.get("/ui/checklists/{name}/versions")
def versions_page(request: Request, name: str) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    return _versions(request, principal, name)


def _versions(
    request: Request,
    principal: Principal,
    name: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with state_of(request).sessions() as session:
        try:
            rows = service.versions(session, name)
        except ServiceError:
            return _missing(request, principal)
        counts = {row.id: len(service.stored_lexicons(session, row)) for row in rows}
    return render(
        request,
        "checklist_versions.html",
        principal=principal,
        error=error,
        status_code=status_code,
        name=name,
        rows=rows,
        lexicon_counts=counts,
        may_activate=principal.role in LEADS,
    )


@router.post("/ui/checklists/{name}/activate")
async def activate(request: Request, name: str) -> Response:
    """Make a stored version the active one (roll back, or forward again)."""
    principal, refused = _lead_post(request)
    if refused is not None:
        return refused
    assert principal is not None
    form = await request.form()
    version = form_int(str(form.get("version") or ""))
    state = state_of(request)
    with state.sessions() as session:
        try:
            row = service.activate_version(
                session, name=name, version=version, actor=principal.name
            )
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return _versions(
                request, principal, name, error="没有这个版本，未做任何更改。",
                status_code=exc.status,
            )  # fmt: skip
    state.engines.invalidate()
    return redirect(
        f"/ui/checklists/{name}/versions",
        notice=f"{row.name}@{row.version} 已设为当前版本：新入库的会话按它质检。",
    )
