"""The review domain's vocabulary, in one place: who may act (roles), the states of a work
item with their Chinese labels, and the one table of transitions with the roles and the
item kinds allowed on each, and the one claim rule.

    open -> in_review -> confirmed -> appealed -> upheld | overturned
                      -> dismissed
    sample items: open -> in_review -> reviewed (with any problems the engine missed)
    any open item whose flag a re-sent chat no longer has: -> withdrawn (ingest)

A claim is per chat: whoever claims an item of a chat holds every open item of that chat
(two people never review the same chat), through the API and the desk alike. A claim runs
out after its minutes; an expired claim holds nothing.

The work-item service (`workitems.py`) enforces this table; the desk asks it what a user may
do (`refusal(...) is None`), so a button is shown exactly when the service would accept it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol, get_args

from qc_engine.checklist import ReviewPolicy
from qc_engine.errors import Code
from qc_engine.result import Flag
from qc_engine.service.errors import Conflict, Forbidden, Invalid, ServiceError
from qc_engine.taxonomy import CATEGORIES

UserRole = Literal["admin", "lead", "specialist", "agent", "service"]
ROLES: tuple[UserRole, ...] = get_args(UserRole)
REVIEWERS: tuple[UserRole, ...] = ("admin", "lead", "specialist")
LEADS: tuple[UserRole, ...] = ("admin", "lead")
READERS: tuple[UserRole, ...] = (*REVIEWERS, "agent")  # see work items (agents: their own)
SCORERS: tuple[UserRole, ...] = (*REVIEWERS, "service")  # score transcripts (POST /v1/score)
INGESTERS: tuple[UserRole, ...] = (*LEADS, "service")  # store transcripts
ROLE_ZH: dict[str, str] = {
    "admin": "管理员",
    "lead": "质检组长",
    "specialist": "质检专员",
    "agent": "客服",
    "service": "服务账号",
}

CLAIM_MINUTES = 30


class Status(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    APPEALED = "appealed"
    UPHELD = "upheld"
    OVERTURNED = "overturned"
    WITHDRAWN = "withdrawn"
    REVIEWED = "reviewed"

    @property
    def label_zh(self) -> str:
        return STATUS_ZH[self.value]


STATUS_ZH: dict[str, str] = {
    "open": "待复核",
    "in_review": "复核中",
    "confirmed": "已确认",
    "dismissed": "已驳回",
    "appealed": "申诉中",
    "upheld": "维持原判",
    "overturned": "已改判",
    "withdrawn": "已撤回",
    "reviewed": "已抽检",
}
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
ACTIVE: tuple[str, ...] = (Status.OPEN, Status.IN_REVIEW)
# A confirmed problem: the flag costs the chat its points (until an appeal overturns it).
CONFIRMED: tuple[str, ...] = (Status.CONFIRMED, Status.APPEALED, Status.UPHELD)
APPEAL_DECIDED: tuple[str, ...] = (Status.UPHELD, Status.OVERTURNED)


def status_zh(status: str | None) -> str:
    return STATUS_ZH.get(status or "", status or "—")


@dataclass(frozen=True)
class Transition:
    """An action on a work item: from which states, to which, by whom, on which kinds."""

    action: str
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (a teaching-case mark)
    roles: tuple[UserRole, ...]
    kinds: tuple[str, ...] = ("flag", "sample")
    claim_blocks: bool = False  # someone else's live claim refuses it (409 naming them)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("claim", ACTIVE, Status.IN_REVIEW, REVIEWERS, claim_blocks=True),
        Transition("release", (Status.IN_REVIEW,), Status.OPEN, REVIEWERS),
        Transition("confirm", ACTIVE, Status.CONFIRMED, REVIEWERS, ("flag",), claim_blocks=True),
        Transition("dismiss", ACTIVE, Status.DISMISSED, REVIEWERS, ("flag",), claim_blocks=True),
        Transition("review", ACTIVE, Status.REVIEWED, REVIEWERS, ("sample",), claim_blocks=True),
        Transition("appeal", (Status.CONFIRMED,), Status.APPEALED, ("agent",)),
        Transition("decide_appeal", (Status.APPEALED,), None, LEADS),
        Transition("teaching_case", CONFIRMED, None, REVIEWERS),
    )
}
_WHO = {
    "appeal": "appeal (only the agent concerned appeals)",
    "decide_appeal": "decide appeals",
    "teaching_case": "mark teaching cases",
    "claim": "claim work items",
    "release": "release work items",
}
# The 409 of an action on an item in a state it does not start from ({id}, {status}).
_WRONG_STATE = {
    "release": "work item {id} is {status}, not claimed",
    "appeal": "only a confirmed item can be appealed; this one is {status}",
    "decide_appeal": "work item {id} is {status}, not appealed",
    "teaching_case": "only a confirmed item can be a teaching case; this one is {status}",
}
_NOT_OPEN = "work item {id} is {status}, not open for review"


class ItemLike(Protocol):
    """What the rules read of a work item (the stored WorkItem has these)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reviewer_id(self) -> int | None: ...
    @property
    def claim_expires_at(self) -> datetime | None: ...


def holder(item: ItemLike, now: datetime) -> int | None:
    """The user holding a claim that has not run out, else None."""
    expires = item.claim_expires_at
    if item.status == Status.IN_REVIEW and expires is not None and expires > now:
        return item.reviewer_id
    return None


def role_refusal(action: str, role: str) -> Forbidden | None:
    """Whether the role may take the action at all (before any item is read)."""
    if role in TRANSITIONS[action].roles:
        return None
    return Forbidden(Code.E403, f"role {role!r} may not {_WHO.get(action, 'review work items')}")


def refusal(
    action: str, *, role: str, user_id: int, item: ItemLike, now: datetime
) -> ServiceError | None:
    """Why this user may not take this action on this item now (None: they may). The
    holder's name is not known here: a claim held by someone else is a Conflict whose
    message the caller completes (`held_by`)."""
    rule = TRANSITIONS[action]
    refused = role_refusal(action, role)
    if refused is not None:
        return refused
    if item.kind not in rule.kinds:
        if item.kind == "sample":
            return Invalid(
                Code.E422,
                f"a sample item is completed with review-sample, not {action}",
                field="kind",
            )
        return Invalid(
            Code.E422, "only sample items take findings; confirm or dismiss flags", field="kind"
        )
    if rule.claim_blocks:
        held = holder(item, now)
        if held is not None and held != user_id:
            return HeldBySomeoneElse(item.id, held, item.claim_expires_at)
    if item.status not in rule.sources:
        message = _WRONG_STATE.get(action, _NOT_OPEN).format(id=item.id, status=item.status)
        return Conflict(Code.E409, message, field="status")
    if action == "release":
        held = holder(item, now)
        if held not in (None, user_id) and role not in LEADS:
            return Forbidden(Code.E403, "only the holder or a lead may release a claim")
    return None


class HeldBySomeoneElse(Conflict):
    """Another reviewer holds the item's claim (its message names them once known)."""

    def __init__(self, item_id: int, user_id: int, until: datetime | None) -> None:
        self.item_id, self.user_id, self.until = item_id, user_id, until
        super().__init__(Code.E409, f"work item {item_id} is being reviewed", field="status")

    def named(self, name: str | None) -> HeldBySomeoneElse:
        until = f" until {self.until:%H:%M}" if self.until is not None else ""
        self.message = f"work item {self.item_id} is being reviewed by {name}{until}"
        self.args = (self.message,)
        return self


# Which flags go to people, and in what order ---------------------------------------------


def needs_review(flag: Flag, policy: ReviewPolicy) -> bool:
    if flag.severity == "red_line":
        return True
    if CATEGORIES[flag.category].who == "customer":
        return False
    if (
        flag.source == "model"
        and policy.model_confidence_below is not None
        and flag.confidence >= policy.model_confidence_below
    ):
        return False
    return policy.deductions and flag.points >= policy.min_points


def priority(*, severity: str | None, points: int, customer_risk: int, confidence: float) -> float:
    """Red lines first, then points at stake, then customer risk, then model uncertainty,
    each only breaking ties of the one before (points are at most 100, risk counts up to 9);
    age breaks the remaining ties (older first) when listing."""
    return (
        (1_000_000.0 if severity == "red_line" else 0.0)
        + 1000.0 * points
        + 100.0 * min(customer_risk, 9)
        + 10.0 * (1.0 - confidence)
    )
