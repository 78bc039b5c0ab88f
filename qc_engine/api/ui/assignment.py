"""The lead's assignment page (分配, /ui/assignment) and the lead's forms on the queue:
whole chats given to a reviewer (ticked in the queue or typed by id), standing queue rules,
daily targets, pausing a reviewer's assignments, and one rule's open items confirmed or
dismissed in bulk with one note. Every rule and figure is qc_engine.service.assignment's
and service.bulk's; this module reads forms and words refusals and results in Chinese."""

from __future__ import annotations

import re
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from qc_engine.api.ui.forms import (
    DB_INT,
    carried,
    form_int,
    form_text,
    post_guard,
    signed_in,
    to_login,
)
from qc_engine.api.ui.queue import queue_page
from qc_engine.api.ui.web import CHANNEL_ZH, category_zh, query_string, redirect, render, state_of
from qc_engine.service import assignment, bulk
from qc_engine.service import queue as work_queue
from qc_engine.service.assignment import AssignmentInvalid
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, Invalid, NotFound, ServiceError
from qc_engine.service.records import Session, User
from qc_engine.service.review import ACTIVE, LEADS, ROLE_ZH, status_zh
from qc_engine.taxonomy import CATEGORIES

router = APIRouter(include_in_schema=False)

PAGE = "/ui/assignment"
FIELD_ZH = {"shop": "店铺", "agent": "客服", "channel": "渠道", "category": "问题类别"}
PROBLEM_ZH = {
    ("chats", "missing"): "请先勾选或填写要分配的会话。",
    ("chats", "too_many"): "一次最多分配 {0} 段会话（当前 {1} 段），请分批分配。",
    ("chats", "unknown"): "找不到这些会话：{all}。请检查会话编号，未做任何分配。",
    ("chats", "nothing_open"): "这些会话没有待复核的条目，无需分配：{all}。未做任何分配。",
    ("user", "unknown"): "请选择要分配给的质检人员（已停用的账号不能分配）。",
    ("rule", "empty"): "规则至少要指定店铺、客服、渠道、问题类别中的一项。",
    ("rule", "duplicate"): "该质检人员已有相同的规则。",
    ("rule", "too_many"): "每人最多 {0} 条规则，请先删除不再使用的规则。",
    ("category", "unknown"): "未知的问题类别，请重新选择。",
    ("target", "out_of_range"): "每日目标请填写 {0} 到 {1} 之间的整数；留空表示不设目标。",
}
TARGET_NOT_A_NUMBER = PROBLEM_ZH[("target", "out_of_range")].format(1, assignment.TARGET_MAX)
SKIP_ZH = {
    "held": "正由他人复核",
    "status": "状态不允许",
    "other_rule": "不属于该规则",
    "not_found": "找不到",
    "changed": "刚被他人更新",
}
CHAT_IDS = re.compile(r"[\s,，、;；]+")
NOTE_MISSING = "请填写备注：批量处理会把同一条备注写入每个条目。"


def problem_zh(problem: assignment.Problem) -> str:
    if problem.reason == "too_long":
        limit, length = problem.values
        return (
            f"{FIELD_ZH.get(problem.field, problem.field)}不能超过 {limit} 字（当前 {length} 字）。"
        )
    if problem.reason == "unstorable":
        return f"{FIELD_ZH.get(problem.field, problem.field)}包含无法保存的字符，请删除后重试。"
    text = PROBLEM_ZH.get((problem.field, problem.reason), "提交的内容无效，请检查后重试。")
    return text.format(*problem.values, *([""] * 2), all="、".join(problem.values))


def refusal_zh(error: ServiceError, principal: Principal) -> str:
    if isinstance(error, AssignmentInvalid):
        return problem_zh(error.problem)
    if isinstance(error, Forbidden):
        role = ROLE_ZH.get(principal.role, principal.role)
        return f"您的角色（{role}）不能分配工作或批量处理：只有质检组长和管理员可以。"
    if isinstance(error, NotFound):
        return "找不到该规则，可能已被他人删除。页面已刷新。"
    if isinstance(error, Invalid) and error.field == "note":
        return NOTE_MISSING
    return "操作未完成，请刷新页面后重试。"


def rule_zh(rule: Any) -> str:
    """A rule in words: 店铺「X」· 渠道 京东 · 类别 推诿."""
    parts = []
    if rule.shop:
        parts.append(f"店铺「{rule.shop}」")
    if rule.agent:
        parts.append(f"客服「{rule.agent}」")
    if rule.channel:
        parts.append("渠道 " + CHANNEL_ZH.get(rule.channel, rule.channel))
    if rule.category:
        parts.append("类别 " + category_zh(rule.category))
    return " · ".join(parts)


def rule_queue_url(rule: Any) -> str:
    """The queue filtered to what the rule takes."""
    filters = {k: getattr(rule, k) for k in assignment.RULE_FIELDS if getattr(rule, k)}
    return "/ui/queue" + query_string(filters)


# The page ---------------------------------------------------------------------------------


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    rows = assignment.overview(session, principal=principal)
    active = {"status": ",".join(ACTIVE)}
    known = {
        by: sorted(v for v in work_queue.counts(session, principal=principal, by=by, filters=active)
                   if v != work_queue.UNSET)
        for by in ("shop", "agent", "channel")
    }  # fmt: skip
    channels = sorted(set(CHANNEL_ZH) | set(known["channel"]))
    return render(
        request,
        "assignment.html",
        principal=principal,
        status_code=status_code,
        error=error,
        rows=rows,
        form=form or {},
        shops=known["shop"],
        agents=known["agent"],
        channels=channels,
        categories=CATEGORIES,
        rule_zh=rule_zh,
        rule_queue_url=rule_queue_url,
        target_max=assignment.TARGET_MAX,
        chats_max=assignment.CHATS_MAX,
    )


def _forbidden_page(request: Request, principal: Principal) -> Response:
    role = ROLE_ZH.get(principal.role, principal.role)
    return render(
        request, "message.html", principal=principal, status_code=403, title="无权分配",
        error=f"您的角色（{role}）不能打开分配页面：分配工作和设定目标由质检组长和管理员负责。",
    )  # fmt: skip


@router.get(PAGE)
def assignment_page(request: Request) -> Response:
    """Every reviewer with today's count, target, assigned chats and queue rules."""
    principal = signed_in(request)
    if principal is None:
        return to_login(request)
    if principal.role not in LEADS:
        return _forbidden_page(request, principal)
    with state_of(request).sessions() as session:
        return _page(request, session, principal)


def _change(request: Request, *, form: dict[str, str], run: Any, anchor: str = "") -> Response:
    """Run one change from the page: redirect back with the notice it returns, or render
    the page with the refusal (422, 403) and the form as it was filled in."""
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    if principal.role not in LEADS:
        return _forbidden_page(request, principal)
    with state_of(request).sessions() as session:
        try:
            notice = run(session, principal)
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return _page(
                request, session, principal, error=refusal_zh(exc, principal),
                status_code=exc.status, form=form,
            )  # fmt: skip
        except _FormError as exc:
            session.rollback()
            return _page(request, session, principal, error=str(exc), status_code=422, form=form)
    return redirect(PAGE + anchor, notice=notice)


class _FormError(Exception):
    """A field the page refuses before calling the service (422)."""


def _user_id(value: str | None) -> int | None:
    number = form_int(value, 0)
    return number if 1 <= number <= DB_INT else None


def _chats_done(result: assignment.ChatsAssigned) -> str:
    count = f"{len(result.chats)} 段会话"
    if result.user is None:
        return f"已取消 {count}的分配，其中的条目回到公共队列。"
    text = f"已把 {count}（共 {result.open_items} 条待处理）分配给 {result.user.name}。"
    if result.moved_from:
        names = "、".join(sorted(set(result.moved_from.values())))
        text += f"其中 {len(result.moved_from)} 段原先分配给 {names}。"
    return text


@router.post(PAGE + "/chats")
def assign_chats(
    request: Request,
    user_id: str | None = Form(None),
    chats: str | None = Form(None),
    chat: Annotated[list[str] | None, Form()] = None,
    action: str | None = Form(None),
    origin: str | None = Form(None),
    q: str | None = Form(None),
) -> Response:
    """Give whole chats to a reviewer (or take them back): ticked in the queue, or typed."""
    ids = [c for c in (chat or []) if c][: assignment.CHATS_MAX + 1]
    ids += [c for c in CHAT_IDS.split((chats or "")[:20_000]) if c]
    unassign = action == "unassign"

    def run(session: Session, principal: Principal) -> str:
        result = assignment.assign_chats(
            session,
            principal=principal,
            transcript_ids=ids,
            user_id=None if unassign else (_user_id(user_id) or -1),
        )
        return _chats_done(result)

    if origin == "queue":
        return _from_queue(request, q, run, form={"user_id": user_id or ""})
    form = {"chats": chats or "", "user_id": user_id or "", "section": "chats"}
    return _change(request, form=form, run=run, anchor="#by-chat")


def _from_queue(request: Request, q: str | None, run: Any, *, form: dict[str, str]) -> Response:
    """A lead's form on the queue: back to the same filtered queue with the notice, or the
    queue again with the refusal on top."""
    principal, refused = post_guard(request)
    if refused is not None:
        return refused
    assert principal is not None
    filters = carried(q)
    with state_of(request).sessions() as session:
        try:
            notice = run(session, principal)
            session.commit()
        except ServiceError as exc:
            session.rollback()
            return queue_page(
                request, principal, filters, error=refusal_zh(exc, principal),
                status_code=exc.status, form=form,
            )  # fmt: skip
        except _FormError as exc:
            session.rollback()
            return queue_page(
                request, principal, filters, error=str(exc), status_code=422, form=form
            )
    return redirect("/ui/queue" + query_string(filters), notice=notice)


@router.post(PAGE + "/rules")
def add_rule(
    request: Request,
    user_id: str | None = Form(None),
    shop: str | None = Form(None),
    agent: str | None = Form(None),
    channel: str | None = Form(None),
    category: str | None = Form(None),
) -> Response:
    """A standing queue rule for one reviewer."""
    values = {"shop": shop, "agent": agent, "channel": channel, "category": category}

    def run(session: Session, principal: Principal) -> str:
        rule = assignment.add_rule(
            session, principal=principal, user_id=_user_id(user_id), **values
        )
        owner = session.get(User, rule.user_id)
        return f"已添加规则：{rule_zh(rule)} 的条目优先分配给 {owner.name if owner else ''}。"

    form = {k: (v or "") for k, v in values.items()} | {"user_id": user_id or "", "section": "rule"}
    return _change(request, form=form, run=run, anchor=f"#u{_user_id(user_id) or ''}")


@router.post(PAGE + "/rules/{rule_id:int}/delete")
def delete_rule(request: Request, rule_id: int) -> Response:
    def run(session: Session, principal: Principal) -> str:
        rule = assignment.delete_rule(session, principal=principal, rule_id=rule_id)
        return f"已删除规则：{rule_zh(rule)}。"

    return _change(request, form={}, run=run)


@router.post(PAGE + "/target")
def set_target(
    request: Request, user_id: str | None = Form(None), target: str | None = Form(None)
) -> Response:
    """A reviewer's daily target (empty: none)."""
    text = (target or "").strip()

    def run(session: Session, principal: Principal) -> str:
        if text and (not text.isdigit() or len(text) > 6):
            raise _FormError(TARGET_NOT_A_NUMBER)
        number = int(text) if text else None
        user = assignment.set_target(
            session, principal=principal, user_id=_user_id(user_id), target=number
        )
        if user.daily_target is None:
            return f"已取消 {user.name} 的每日目标。"
        return f"已把 {user.name} 的每日目标设为 {user.daily_target} 条。"

    form = {"user_id": user_id or "", "target": target or "", "section": "target"}
    return _change(request, form=form, run=run, anchor=f"#u{_user_id(user_id) or ''}")


@router.post(PAGE + "/away")
def set_away(
    request: Request, user_id: str | None = Form(None), away: str | None = Form(None)
) -> Response:
    """Pause (or resume) a reviewer's assignments."""

    def run(session: Session, principal: Principal) -> str:
        user = assignment.set_away(
            session, principal=principal, user_id=_user_id(user_id), away=away == "1"
        )
        if user.away:
            return f"已暂停 {user.name} 的分配：其名下的条目现在任何人都可以按 n 领取。"
        return f"已恢复 {user.name} 的分配。"

    return _change(request, form={}, run=run, anchor=f"#u{_user_id(user_id) or ''}")


# Bulk decisions from the queue ------------------------------------------------------------


def bulk_done(result: bulk.BulkResult) -> str:
    """What a bulk decision did, in a line."""
    verb = "确认" if result.decision == "confirm" else "驳回"
    parts = []
    if result.done:
        parts.append(f"已批量{verb}规则 {result.rule} 的 {len(result.done)} 条")
    if result.already:
        parts.append(f"{len(result.already)} 条此前已{verb}，未重复处理")
    reasons = Counter(s.reason for s in result.skipped)
    for reason, n in reasons.items():
        detail = ""
        if reason == "held":
            names = sorted({s.holder or "他人" for s in result.skipped if s.reason == reason})
            detail = f"（{'、'.join(names)}）"
        elif reason == "status":
            states = sorted({status_zh(s.status) for s in result.skipped if s.reason == reason})
            detail = f"（{'、'.join(states)}）"
        parts.append(f"跳过 {n} 条：{SKIP_ZH[reason]}{detail}")
    if not parts:
        parts.append("没有条目被处理")
    if result.remaining:
        parts.append(f"该规则还有 {result.remaining} 条待处理")
    return "；".join(parts) + "。"


def _ids(value: str | None) -> list[int]:
    out = []
    for token in (value or "").split(",")[: bulk.BULK_MAX + 1]:
        number = form_int(token, 0)
        if number >= 1:
            out.append(number)
    return out


@router.post("/ui/queue/bulk-decide")
def bulk_decide(
    request: Request,
    rule: str | None = Form(None),
    decision: str | None = Form(None),
    note: str | None = Form(None),
    ids: str | None = Form(None),
    q: str | None = Form(None),
) -> Response:
    """Confirm or dismiss the open items of one rule listed on the queue, with one note."""
    items = _ids(ids)

    def run(session: Session, principal: Principal) -> str:
        assignment.require_lead(principal)
        text, problem = form_text(note, "备注")
        if problem:
            raise _FormError(problem)
        if not text:
            raise _FormError(NOTE_MISSING)
        if decision not in ("confirm", "dismiss"):
            raise _FormError("请选择「批量确认」或「批量驳回」。")
        if not (rule or "").strip() or not items:
            raise _FormError("没有可以批量处理的条目：请先按规则筛选队列。")
        if len(items) > bulk.BULK_MAX:
            raise _FormError(f"一次最多批量处理 {bulk.BULK_MAX} 条。")
        result = bulk.decide_committed(
            session, principal=principal, rule=(rule or "").strip(), decision=decision,
            note=text, item_ids=items,
        )  # fmt: skip
        return bulk_done(result)

    return _from_queue(request, q, run, form={"note": note or ""})
