from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from qc_engine.api.body import STORABLE_PATTERN
from qc_engine.api.deps import CurrentUser, Lead, Reader, Reviewer, SessionDep, State
from qc_engine.api.errors import ApiError
from qc_engine.api.schemas import item_json
from qc_engine.errors import Code
from qc_engine.service import bulk, queue
from qc_engine.service import workitems as service
from qc_engine.service.limits import UNSTORABLE


def _iso_only(value: Any) -> Any:
    """A time written as ISO 8601: pydantic would also take a number as Unix seconds
    (`created_to=0.5` meant 1970)."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("expected an ISO 8601 time such as 2026-11-20T10:00:00+08:00")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]

router = APIRouter(prefix="/v1/work-items", tags=["work items"])


DB_INT = 2**31 - 1
ItemId = Annotated[int, Path(ge=1, le=DB_INT)]


def _storable(text: str) -> str:
    if UNSTORABLE.search(text):
        raise ValueError("contains a NUL character or half of a surrogate pair")
    return text


Note = Annotated[
    str,
    Field(max_length=4000, json_schema_extra={"pattern": STORABLE_PATTERN}),
    AfterValidator(_storable),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(description="the version you last saw; a stale one gets 409")


class NoteBody(_Body):
    note: Note | None = None


# A note with something written in it (JSON Schema's \s and Python's str.strip agree).
NOTE_WRITTEN_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


def _written(text: str) -> str:
    if not text.strip():
        raise ValueError("write a note: a bulk decision says why")
    return text


class BulkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: Annotated[
        str,
        Field(
            min_length=1,
            max_length=120,
            json_schema_extra={"pattern": STORABLE_PATTERN},
            description="the rule or model whose flags to decide, e.g. phrase.rude",
        ),
        AfterValidator(_storable),
    ]
    decision: Literal["confirm", "dismiss"]
    note: Annotated[
        str,
        Field(
            min_length=1,
            max_length=4000,
            json_schema_extra={"pattern": NOTE_WRITTEN_PATTERN},
            description="why, written to every item and the audit log",
        ),
        AfterValidator(_storable),
        AfterValidator(_written),
    ]
    item_ids: list[Annotated[int, Field(ge=1, le=DB_INT)]] | None = Field(
        None,
        max_length=bulk.BULK_MAX,
        description="only these items (those of another rule are skipped); "
        f"omitted: the rule's open items, at most {bulk.BULK_MAX}",
    )


class AppealBody(_Body):
    reason: Annotated[Note, Field(min_length=1)]


class DecisionBody(_Body):
    decision: Literal["upheld", "overturned"]
    note: Note | None = None


class TeachingBody(_Body):
    value: bool = True
    note: Note | None = None


class FindingBody(BaseModel):
    category: str = Field(max_length=40)
    message_index: int | None = Field(default=None, ge=0, le=DB_INT)
    note: Note | None = None


class SampleBody(_Body):
    findings: list[FindingBody] = []
    note: Note | None = None


def _filters(
    status: str | None,
    category: str | None,
    severity: str | None,
    agent: str | None,
    shop: str | None,
    channel: str | None,
    reviewer: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    kind: str | None,
    teaching_case: bool | None,
    transcript_id: str | None,
    rule: str | None = None,
) -> dict[str, Any]:
    for name, value in (("created_from", created_from), ("created_to", created_to)):
        if value is None:
            continue
        if value.tzinfo is None:
            raise ApiError(
                422,
                Code.E422,
                "give the time with an offset, e.g. 2026-11-20T00:00:00+08:00",
                field=name,
            )
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ApiError(
                422, Code.E422, "the time is out of range once converted to UTC", field=name
            ) from None
    return {
        k: v
        for k, v in {
            "status": status,
            "category": category,
            "severity": severity,
            "agent": agent,
            "shop": shop,
            "channel": channel,
            "reviewer": reviewer,
            "created_from": created_from,
            "created_to": created_to,
            "kind": kind,
            "teaching_case": teaching_case,
            "transcript_id": transcript_id,
            "rule": rule,
        }.items()
        if v is not None
    }


@router.get("")
def list_work_items(
    session: SessionDep,
    principal: Reader,
    status: str | None = Query(None, description="comma-separated, e.g. open,in_review"),
    category: str | None = None,
    severity: Literal["red_line", "deduct"] | None = None,
    agent: str | None = None,
    shop: str | None = None,
    channel: str | None = None,
    reviewer: str | None = None,
    created_from: IsoTime | None = None,
    created_to: IsoTime | None = None,
    kind: Literal["flag", "sample"] | None = None,
    teaching_case: bool | None = None,
    transcript_id: str | None = None,
    rule: str | None = Query(None, description="the rule or model that raised the flag"),
    sort: Literal["priority", "age"] = "priority",
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Work items, filtered, by priority (red lines, points, customer risk, model
    uncertainty, then age) or by age; cursor pagination."""
    filters = _filters(
        status,
        category,
        severity,
        agent,
        shop,
        channel,
        reviewer,
        created_from,
        created_to,
        kind,
        teaching_case,
        transcript_id,
        rule,
    )
    items, next_cursor = queue.list_items(
        session, principal=principal, sort=sort, limit=limit, cursor=cursor, filters=filters
    )
    return {"items": [item_json(i) for i in items], "next_cursor": next_cursor}


@router.get("/counts")
def count_work_items(
    session: SessionDep,
    principal: Reader,
    by: Literal["category", "severity", "agent", "shop", "channel", "status", "rule"] = "category",
    status: str | None = "open,in_review",
) -> dict[str, Any]:
    """How many work items per category (or severity, agent, shop, channel, status, rule)."""
    filters = {"status": status} if status else {}
    return {
        "by": by,
        "counts": queue.counts(session, principal=principal, by=by, filters=filters),
    }


@router.post("/claim-next")
def claim_next(
    session: SessionDep,
    principal: Reviewer,
    state: State,
    category: str | None = None,
    severity: str | None = None,
    agent: str | None = None,
    shop: str | None = None,
    channel: str | None = None,
    rule: str | None = None,
) -> dict[str, Any]:
    """Claim the most urgent free item, the caller's assigned work first; 404 when the
    queue is empty."""
    filters = {
        k: v
        for k, v in {
            "category": category,
            "severity": severity,
            "agent": agent,
            "shop": shop,
            "channel": channel,
            "rule": rule,
        }.items()
        if v
    }
    item = service.claim_next(
        session, principal=principal, filters=filters, minutes=state.settings.claim_minutes
    )
    if item is None:
        raise ApiError(404, Code.E404, "no open work item to claim")
    session.commit()
    return item_json(item)


@router.post("/bulk-decide")
def bulk_decide(body: BulkBody, session: SessionDep, principal: Lead) -> dict[str, Any]:
    """Confirm or dismiss one rule's open items across chats with one note (leads); each
    item as one by one, those held by someone else or in another state skipped."""
    result = bulk.decide_committed(
        session,
        principal=principal,
        rule=body.rule,
        decision=body.decision,
        note=body.note,
        item_ids=body.item_ids,
    )
    return {
        "rule": result.rule,
        "decision": result.decision,
        "done": result.done,
        "already": result.already,
        "skipped": [
            {"id": s.item_id, "reason": s.reason, "status": s.status, "holder": s.holder}
            for s in result.skipped
        ],
        "remaining": result.remaining,
    }


@router.get("/{item_id}")
def get_work_item(item_id: ItemId, session: SessionDep, principal: Reader) -> dict[str, Any]:
    """One work item with its flag."""
    return item_json(service.get_item(session, principal, item_id))


def _done(session: SessionDep, item: Any) -> dict[str, Any]:
    session.commit()
    return item_json(item)


@router.post("/{item_id}/claim")
def claim(
    item_id: ItemId, body: _Body, session: SessionDep, principal: Reviewer, state: State
) -> dict[str, Any]:
    """Take an item for review (others see who holds it until the claim expires)."""
    return _done(
        session,
        service.claim(
            session,
            principal=principal,
            item_id=item_id,
            version=body.version,
            minutes=state.settings.claim_minutes,
        ),
    )


@router.post("/{item_id}/release")
def release(
    item_id: ItemId, body: _Body, session: SessionDep, principal: Reviewer
) -> dict[str, Any]:
    """Give a claimed item back to the queue."""
    return _done(
        session,
        service.release(session, principal=principal, item_id=item_id, version=body.version),
    )


@router.post("/{item_id}/confirm")
def confirm(
    item_id: ItemId, body: NoteBody, session: SessionDep, principal: Reviewer
) -> dict[str, Any]:
    """The flag is right: it keeps costing the chat its points."""
    return _done(
        session,
        service.confirm(
            session, principal=principal, item_id=item_id, version=body.version, note=body.note
        ),
    )


@router.post("/{item_id}/dismiss")
def dismiss(
    item_id: ItemId, body: NoteBody, session: SessionDep, principal: Reviewer
) -> dict[str, Any]:
    """The flag is wrong: the chat's score no longer counts it."""
    return _done(
        session,
        service.dismiss(
            session, principal=principal, item_id=item_id, version=body.version, note=body.note
        ),
    )


@router.post("/{item_id}/review-sample")
def review_sample(
    item_id: ItemId, body: SampleBody, session: SessionDep, principal: Reviewer
) -> dict[str, Any]:
    """Complete a sampled chat, listing any problems the engine missed."""
    findings = [service.Finding(f.category, f.message_index, f.note) for f in body.findings]
    return _done(
        session,
        service.review_sample(
            session,
            principal=principal,
            item_id=item_id,
            version=body.version,
            findings=findings,
            note=body.note,
        ),
    )


@router.post("/{item_id}/appeal")
def appeal(
    item_id: ItemId, body: AppealBody, session: SessionDep, principal: CurrentUser
) -> dict[str, Any]:
    """The agent concerned contests a confirmed item."""
    return _done(
        session,
        service.appeal(
            session, principal=principal, item_id=item_id, version=body.version, reason=body.reason
        ),
    )


@router.post("/{item_id}/decide-appeal")
def decide_appeal(
    item_id: ItemId, body: DecisionBody, session: SessionDep, principal: CurrentUser
) -> dict[str, Any]:
    """A QC lead upholds the item or overturns it (which gives the chat its points back)."""
    return _done(
        session,
        service.decide_appeal(
            session,
            principal=principal,
            item_id=item_id,
            version=body.version,
            decision=body.decision,
            note=body.note,
        ),
    )


@router.post("/{item_id}/teaching-case")
def teaching_case(
    item_id: ItemId, body: TeachingBody, session: SessionDep, principal: Reviewer
) -> dict[str, Any]:
    """Mark (or unmark) a confirmed item as a teaching case (案例库)."""
    return _done(
        session,
        service.mark_teaching_case(
            session,
            principal=principal,
            item_id=item_id,
            version=body.version,
            value=body.value,
            note=body.note,
        ),
    )
