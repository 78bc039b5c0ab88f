from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from qc_engine.api.body import TRANSCRIPT_SCHEMA, parse_one, read_body
from qc_engine.api.deps import Scorer, State
from qc_engine.api.metrics import record_result

router = APIRouter(prefix="/v1", tags=["score"])


@router.post(
    "/score",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TRANSCRIPT_SCHEMA}},
        }
    },
)
async def score(
    request: Request,
    state: State,
    _: Scorer,
    checklist: str | None = Query(None, description="force this checklist"),
) -> dict[str, Any]:
    """Score one transcript without storing it; the answer is the result JSON of the spec."""
    raw = await read_body(request, state.settings.max_body_bytes)
    return await run_in_threadpool(_score, raw, state, checklist)


def _score(raw: bytes, state: Any, checklist: str | None) -> dict[str, Any]:
    """Off the event loop: a large transcript takes a while to parse and score."""
    transcript = parse_one(raw, state.settings)
    engine = state.engines.get()
    result = engine.score(transcript, checklist=checklist)
    record_result("score", [f.category for f in result.flags])
    if state.settings.redact:
        from qc_engine.redact import redact

        result = redact(transcript, result, engine.normalizer)[1]
    return result.to_dict()
