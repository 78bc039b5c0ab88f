from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from qc_engine.api.body import TRANSCRIPT_SCHEMA, parse_batch, parse_one, read_body
from qc_engine.api.deps import CurrentUser, Ingester, SessionDep, State
from qc_engine.api.errors import ApiError
from qc_engine.api.metrics import record_result
from qc_engine.api.schemas import transcript_json
from qc_engine.errors import Code
from qc_engine.service.ingest import IngestFailure, ingest_committed
from qc_engine.service.transcripts import stored_chat

router = APIRouter(prefix="/v1/transcripts", tags=["transcripts"])
_JSONL = (
    "application/x-ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/json-lines",
    "text/plain",
)


def _outcome_json(outcome: Any) -> dict[str, Any]:
    return {
        "id": outcome.id,
        "status": outcome.status,
        "score": outcome.result.score,
        "passed": outcome.result.passed,
        "checklist": outcome.result.checklist,
        "flags": len(outcome.result.flags),
        "work_items_created": outcome.work_items,
    }


@router.post(
    "",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": TRANSCRIPT_SCHEMA},
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": "one transcript per line"}
                },
            },
        }
    },
)
async def store(
    request: Request,
    state: State,
    session: SessionDep,
    principal: Ingester,
    checklist: str | None = Query(None, description="force this checklist"),
) -> dict[str, Any]:
    """Store and inspect one transcript (JSON), or a batch (JSON Lines, Content-Type
    application/x-ndjson): answers per line what was accepted and what was rejected."""
    raw = await read_body(request, state.settings.max_body_bytes)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # Parsing, scoring and storing block: off the event loop, so that other requests
    # (/healthz, the desk) are answered meanwhile.
    return await run_in_threadpool(_store, raw, content_type, state, session, principal, checklist)


def _store(
    raw: bytes, content_type: str, state: Any, session: Any, principal: Any, checklist: str | None
) -> dict[str, Any]:
    engine = state.engines.get()
    if content_type in _JSONL:
        lines = parse_batch(raw, state.settings)
        good = [line for line in lines if line.transcript is not None]
        outcomes = ingest_committed(
            session,
            [line.transcript for line in good if line.transcript],
            engine=engine,
            sampling=state.sampling,
            actor=principal.name,
            checklist=checklist,
            redact=state.settings.redact,
            limits=state.settings,
        )
        accepted: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        for line, outcome in zip(good, outcomes, strict=True):
            if isinstance(outcome, IngestFailure):
                rejected.append({"line": line.line, "error": outcome.error.to_dict()})
                continue
            record_result("ingest", [f.category for f in outcome.result.flags])
            accepted.append({"line": line.line, **_outcome_json(outcome)})
        rejected += [
            {"line": line.line, "error": line.error.to_dict()}
            for line in lines
            if line.error is not None
        ]
        rejected.sort(key=lambda entry: entry["line"])
        return {
            "accepted": accepted,
            "rejected": rejected,
            "counts": {"accepted": len(accepted), "rejected": len(rejected)},
        }
    if content_type not in ("application/json", ""):
        raise ApiError(
            415,
            Code.E415,
            f"send application/json (one transcript) or "
            f"application/x-ndjson (a batch), not {content_type!r}",
        )
    transcript = parse_one(raw, state.settings)
    (outcome,) = ingest_committed(
        session,
        [transcript],
        engine=engine,
        sampling=state.sampling,
        actor=principal.name,
        checklist=checklist,
        redact=state.settings.redact,
        limits=state.settings,
        commit_if=lambda outcomes: not isinstance(outcomes[0], IngestFailure),
    )
    if isinstance(outcome, IngestFailure):
        raise ApiError(500, Code.E500, outcome.error.message)
    record_result("ingest", [f.category for f in outcome.result.flags])
    return _outcome_json(outcome) | {"result": outcome.result.to_dict()}


@router.get("/{transcript_id}")
def get_transcript(
    transcript_id: str, session: SessionDep, principal: CurrentUser
) -> dict[str, Any]:
    """The chat with its messages, score, flags and work items."""
    row, items = stored_chat(session, principal, transcript_id)
    return transcript_json(row, items=items)
