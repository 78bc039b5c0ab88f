"""Calibration sessions (校准): the list, a lead creating one (chats by id or from a search
over every stored chat, and the reviewers taking part), rating one chat at a time blind,
submitting, and the session's page: everyone's answers beside the engine's with the
agreement, the lead's final answers and teaching cases. Every rule and figure is
qc_engine.service.calibration's; this module reads forms and words the refusals in Chinese."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from qc_engine.api.ui.forms import DB_INT, form_int, post_guard, signed_in, to_login
from qc_engine.api.ui.web import category_zh, redirect, render, state_of
from qc_engine.errors import Code
from qc_engine.service import calibration as cal
from qc_engine.service import chats
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, NotFound, ServiceError
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.records import Session
from qc_engine.service.review import LEADS, ROLE_ZH, status_zh
from qc_engine.taxonomy import CATEGORIES

router = APIRouter(include_in_schema=False)

SEARCH_SHOWN = 20
"""Search results listed on the create page (narrow the search for others)."""

PROBLEM_ZH = {
    ("title", "missing"): "请填写校准标题。",
    ("title", "too_long"): "标题不能超过 {0} 字（当前 {1} 字）。",
    ("title", "unstorable"): "标题包含无法保存的字符，请删除后重试。",
    ("chats", "missing"): "请至少选择 1 段会话：填写会话编号，或在搜索结果中勾选。",
    ("chats", "too_many"): "一次校准最多 {0} 段会话（当前 {1} 段），请减少后重试。",
    ("chats", "unknown"): "找不到这些会话：{all}。请检查会话编号。",
    ("participants", "unknown"): (
        "所选人员中有人不能参与评分（不是质检人员，或账号已停用），请重新选择。"
    ),
    ("participants", "too_few"): (
        "请至少选择 {0} 名参与评分的人员（当前 {1} 名）：一致性需要两人以上才能计算。"
    ),
    ("participants", "too_many"): "参与评分的人员最多 {0} 名（当前 {1} 名）。",
    ("problems", "unknown"): "提交了未知的问题类别，请刷新页面后重新选择。",
    ("passed", "missing"): "请选择这段会话「合格」还是「不合格」。",
    ("note", "too_long"): "备注不能超过 {0} 字（当前 {1} 字）。",
    ("note", "unstorable"): "备注包含无法保存的字符，请删除后重试。",
    ("ratings", "unrated"): "还有会话没有评分：第 {all} 段。全部评完才能提交。",
    ("submitted", "already_submitted"): "您已经提交了评分，答案不能再修改。",
    ("submitted", "not_submitted"): (
        "请先提交自己的评分：提交之后才能看到其他人的答案和引擎的结果。"
    ),
    ("participant", "not_participant"): "您没有参加这次校准，无需评分。",
    ("version", "stale"): (
        "这段会话的定案刚被他人更新，您的修改未保存。页面已显示最新定案，请核对后再保存。"
    ),
    ("category", "unknown"): "未知的问题类别。",
    ("category", "not_final"): "只有定案为「有此问题」的类别才能设为教学案例，请先保存定案。",
    ("category", "decided_otherwise"): (
        "该会话的这个问题此前已被{status}，与定案不一致：教学案例只收已确认的问题。"
        "如需更改，请先在会话页处理原条目。"
    ),
    ("category", "held"): "该会话正由 {0} 复核（领取至 {1}），暂不能设为教学案例，请稍后再试。",
}
LANDIS_KOCH = ((0.8, "很好"), (0.6, "较好"), (0.4, "中等"), (0.2, "一般"), (0.0, "轻微"))


def problem_zh(problem: cal.Problem) -> str:
    text = PROBLEM_ZH.get((problem.field, problem.reason), "提交的内容无效，请检查后重试。")
    values = list(problem.values)
    return text.format(
        *values, *([""] * 2), all="、".join(values), status=status_zh(values[0] if values else "")
    )


def refusal_zh(error: ServiceError, principal: Principal) -> str:
    """A refusal of the calibration service, for the person at the desk."""
    if isinstance(error, cal.FormProblems):
        return " ".join(problem_zh(p) for p in error.problems)
    if isinstance(error, cal.Refused):
        return problem_zh(error.problem)
    if isinstance(error, Forbidden):
        role = ROLE_ZH.get(principal.role, principal.role)
        return f"您的角色（{role}）不能执行此操作：校准由质检组长发起和定案，质检人员参与评分。"
    if isinstance(error, NotFound):
        return "找不到该校准，或您无权查看。"
    return "相关条目刚被他人更新，您的操作未生效。请刷新后重试。"


def kappa_text(agreement: cal.Agreement | None) -> str:
    if agreement is None or agreement.kappa is None:
        return "—"
    return f"{float(agreement.kappa):.2f}"


def kappa_level(agreement: cal.Agreement | None) -> str:
    """Landis and Koch's words for a kappa (the scale QC teams usually quote)."""
    if agreement is None:
        return ""
    if agreement.kappa is None:
        return "答案全相同"
    value = float(agreement.kappa)
    if value < 0:
        return "低于随机"
    return next(word for floor, word in LANDIS_KOCH if value >= floor)


def kappa_title(agreement: cal.Agreement | None) -> str:
    if agreement is None:
        return "无法计算：没有可比较的答案"
    observed, expected = float(agreement.observed), float(agreement.expected)
    head = f"{agreement.subjects} 项，实际一致 {observed:.0%}，随机可达 {expected:.0%}"
    if agreement.kappa is None:
        return head + "；所有答案都相同，κ 无法计算"
    return head + f"；κ = ({observed:.3f} − {expected:.3f}) / (1 − {expected:.3f})"


def _page_404(request: Request, principal: Principal, message: str) -> Response:
    return render(
        request, "message.html", principal=principal, status_code=404, title="找不到校准",
        error=message,
    )  # fmt: skip


def _valid_id(value: int) -> bool:
    return 1 <= value <= DB_INT


def _common(principal: Principal) -> dict[str, Any]:
    return {
        "agent_categories": [(code, CATEGORIES[code]) for code in cal.AGENT_CATEGORIES],
        "kappa": kappa_text,
        "kappa_level": kappa_level,
        "kappa_title": kappa_title,
        "is_lead": principal.role in LEADS,
    }


# The list --------------------------------------------------------------------------------


@router.get("/ui/calibration")
def session_list(request: Request) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    with state_of(request).sessions() as session:
        try:
            rows = cal.list_sessions(session, principal=principal)
        except ServiceError as exc:
            return render(
                request, "message.html", principal=principal, status_code=exc.status,
                title="校准", error=refusal_zh(exc, principal),
            )  # fmt: skip
    return render(request, "calibration.html", principal=principal, rows=rows, **_common(principal))


# Creating one ----------------------------------------------------------------------------


def _search(
    session: Session, principal: Principal, form: dict[str, str]
) -> tuple[list[chats.ChatRow], int, list[str]]:
    """The create page's search over every stored chat (chats.search), and complaints."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    text = form.get("text", "")
    if text:
        if len(text) > 200 or UNSTORABLE.search(text):
            errors.append("搜索文字过长或含有无法识别的字符，已忽略。")
        else:
            values["text"] = text
    if form.get("category") in CATEGORIES:
        values["category"] = form["category"]
    if form.get("passed") in ("yes", "no"):
        values["passed"] = form["passed"] == "yes"
    if not values:
        return [], 0, errors
    rows, total = chats.search(session, principal, chats.ChatFilters(**values))
    return rows[:SEARCH_SHOWN], total, errors


def _create_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rows, total, complaints = _search(session, principal, form)
    people = cal.candidates(session, principal)
    return render(
        request,
        "calibration_new.html",
        principal=principal,
        status_code=status_code,
        error=" ".join(filter(None, [error, *complaints])) or None,
        form=form,
        rows=rows,
        total=total,
        shown=SEARCH_SHOWN,
        people=people,
        categories=CATEGORIES,
        category_label=category_zh,
        role_label=lambda role: ROLE_ZH.get(role, role),
        max_chats=cal.MAX_CHATS,
        **_common(principal),
    )


@router.get("/ui/calibration/new")
def new_page(request: Request) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role not in LEADS:
        return render(
            request, "message.html", principal=principal, status_code=403, title="新建校准",
            error=refusal_zh(Forbidden(Code.E403, "leads only"), principal),
        )  # fmt: skip
    with state_of(request).sessions() as session:
        return _create_page(request, session, principal, {"ids": "", "people": []})


@router.post("/ui/calibration/new")
def create(
    request: Request,
    action: str = Form("create"),
    title: str = Form(""),
    ids: str = Form(""),
    text: str = Form(""),
    category: str = Form(""),
    passed: str = Form(""),
    pick: Annotated[list[str] | None, Form()] = None,
    participant: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Search (the page again, what was typed and picked kept) or create the session."""
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    picked = cal.parse_ids(ids) + [p for p in (pick or [])[: cal.MAX_CHATS * 4] if p]
    chosen = cal.parse_ids("\n".join(picked))
    people = [form_int(p) for p in (participant or [])[:100]]
    form: dict[str, Any] = {
        "title": title.strip()[:200],
        "ids": "\n".join(chosen),
        "text": text.strip(),
        "category": category,
        "passed": passed,
        "people": people,
    }
    with state_of(request).sessions() as session:
        if principal.role not in LEADS:
            return render(
                request, "message.html", principal=principal, status_code=403,
                title="新建校准",
                error=refusal_zh(Forbidden(Code.E403, "leads only"), principal),
            )  # fmt: skip
        if action == "search":
            return _create_page(request, session, principal, form)
        try:
            made = cal.create(
                session,
                principal=principal,
                title=title,
                transcript_ids=chosen,
                participant_ids=people,
            )
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return _create_page(
                request, session, principal, form, error=refusal_zh(exc, principal),
                status_code=exc.status,
            )  # fmt: skip
        return redirect(
            f"/ui/calibration/{made.id}",
            notice=f"已创建校准「{made.title}」：{len(made.chats)} 段会话，"
            f"{len(made.participants)} 人参与。参与人员在「校准」页面开始评分。",
        )


# A session -------------------------------------------------------------------------------


@router.get("/ui/calibration/{session_id:int}")
def session_page(request: Request, session_id: int) -> Response:
    """The results when the caller may see them, else their own progress (blind)."""
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if not _valid_id(session_id):
        return _page_404(request, principal, "找不到该校准，或您无权查看。")
    with state_of(request).sessions() as session:
        return _session_page(request, session, principal, session_id)


def _session_page(
    request: Request,
    session: Session,
    principal: Principal,
    session_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        seen = cal.overview(session, principal=principal, session_id=session_id)
        found = (
            cal.results(session, principal=principal, session_id=session_id)
            if seen.answers_visible
            else None
        )
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            return _page_404(request, principal, refusal_zh(exc, principal))
        return render(
            request, "message.html", principal=principal, status_code=exc.status,
            title="校准", error=refusal_zh(exc, principal),
        )  # fmt: skip
    names = {p.id: p.user.name for p in seen.session.participants}
    measures = (
        [(found.overall, "全部类别合计"), (found.passing, "合格判定")]
        + [(m, category_zh(m.code)) for m in found.categories if not m.quiet]
        if found is not None
        else []
    )
    return render(
        request,
        "calibration_session.html",
        principal=principal,
        status_code=status_code,
        error=error,
        seen=seen,
        results=found,
        names=names,
        measures=measures,
        **_common(principal),
    )


@router.get("/ui/calibration/{session_id:int}/chats/{position:int}")
def rating_page(request: Request, session_id: int, position: int) -> Response:
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if not (_valid_id(session_id) and _valid_id(position)):
        return _page_404(request, principal, "找不到该校准，或您无权查看。")
    with state_of(request).sessions() as session:
        return _rating_page(request, session, principal, session_id, position)


def _rating_page(
    request: Request,
    session: Session,
    principal: Principal,
    session_id: int,
    position: int,
    *,
    error: str | None = None,
    status_code: int = 200,
    typed: dict[str, Any] | None = None,
) -> Response:
    try:
        page = cal.rating_page(
            session, principal=principal, session_id=session_id, position=position
        )
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            return _page_404(request, principal, "找不到这段会话，或您无权查看。")
        if isinstance(exc, cal.Refused):
            return redirect(f"/ui/calibration/{session_id}", notice=refusal_zh(exc, principal))
        return render(
            request, "message.html", principal=principal, status_code=exc.status,
            title="校准", error=refusal_zh(exc, principal),
        )  # fmt: skip
    rating = page.rating
    answer = typed or {
        "problems": list(rating.problems) if rating else [],
        "passed": None if rating is None else ("yes" if rating.passed else "no"),
        "note": (rating.note or "") if rating else "",
    }
    return render(
        request,
        "calibration_rate.html",
        principal=principal,
        status_code=status_code,
        error=error,
        page=page,
        answer=answer,
        total=len(page.session.chats),
        **_common(principal),
    )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@router.post("/ui/calibration/{session_id:int}/chats/{position:int}")
def save_rating(
    request: Request,
    session_id: int,
    position: int,
    problem: Annotated[list[str] | None, Form()] = None,
    passed: str = Form(""),
    note: str = Form(""),
) -> Response:
    """Save the caller's answer on a chat, then the next chat they have not answered."""
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    if not (_valid_id(session_id) and _valid_id(position)):
        return _page_404(request, principal, "找不到该校准，或您无权查看。")
    found = (problem or [])[:100]
    with state_of(request).sessions() as session:
        try:
            cal.save_rating(
                session, principal=principal, session_id=session_id, position=position,
                problems=found, passed=_yes_no(passed), note=note,
            )  # fmt: skip
            session.commit()
        except ServiceError as exc:
            session.rollback()
            typed = {"problems": found, "passed": passed, "note": note}
            return _rating_page(
                request, session, principal, session_id, position,
                error=refusal_zh(exc, principal), status_code=exc.status, typed=typed,
            )  # fmt: skip
        seen = cal.overview(session, principal=principal, session_id=session_id)
        following = [c for c in seen.session.chats if c.id not in seen.mine]
        later = [c for c in following if c.position > position] or following
    if later:
        return redirect(
            f"/ui/calibration/{session_id}/chats/{later[0].position}",
            notice=f"已保存第 {position} 段的评分。",
        )
    return redirect(
        f"/ui/calibration/{session_id}",
        notice=f"已保存第 {position} 段的评分。全部会话已评完：核对无误后请提交。",
    )


@router.post("/ui/calibration/{session_id:int}/submit")
def submit(request: Request, session_id: int) -> Response:
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    if not _valid_id(session_id):
        return _page_404(request, principal, "找不到该校准，或您无权查看。")
    with state_of(request).sessions() as session:
        try:
            cal.submit(session, principal=principal, session_id=session_id)
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return _session_page(
                request, session, principal, session_id, error=refusal_zh(exc, principal),
                status_code=exc.status,
            )  # fmt: skip
    return redirect(
        f"/ui/calibration/{session_id}",
        notice="评分已提交。下面是各人的答案、引擎的结果和一致性。",
    )


@router.post("/ui/calibration/{session_id:int}/chats/{position:int}/final")
def record_final(
    request: Request,
    session_id: int,
    position: int,
    problem: Annotated[list[str] | None, Form()] = None,
    passed: str = Form(""),
    note: str = Form(""),
    version: str = Form(""),
) -> Response:
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    if not (_valid_id(session_id) and _valid_id(position)):
        return _page_404(request, principal, "找不到该校准，或您无权查看。")
    with state_of(request).sessions() as session:
        try:
            cal.record_final(
                session, principal=principal, session_id=session_id, position=position,
                version=form_int(version), problems=(problem or [])[:100],
                passed=_yes_no(passed), note=note,
            )  # fmt: skip
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return _session_page(
                request, session, principal, session_id,
                error=f"第 {position} 段：{refusal_zh(exc, principal)}", status_code=exc.status,
            )  # fmt: skip
    return redirect(
        f"/ui/calibration/{session_id}#chat-{position}",
        notice=f"已保存第 {position} 段的定案。",
    )


@router.post("/ui/calibration/{session_id:int}/chats/{position:int}/case")
def teaching_case(
    request: Request, session_id: int, position: int, category: str = Form("")
) -> Response:
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    if not (_valid_id(session_id) and _valid_id(position)):
        return _page_404(request, principal, "找不到该校准，或您无权查看。")
    with state_of(request).sessions() as session:
        try:
            cal.make_teaching_case(
                session, principal=principal, session_id=session_id, position=position,
                category=category,
            )  # fmt: skip
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return _session_page(
                request, session, principal, session_id,
                error=f"第 {position} 段：{refusal_zh(exc, principal)}", status_code=exc.status,
            )  # fmt: skip
    return redirect(
        f"/ui/calibration/{session_id}#chat-{position}",
        notice=f"已将第 {position} 段的「{category_zh(category)}」设为教学案例，"
        "可在「教学案例」页查看。",
    )
