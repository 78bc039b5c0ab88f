from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from qc_engine.api.body import read_body
from qc_engine.api.deps import Admin, Lead, Reader, SessionDep, State
from qc_engine.api.errors import ApiError
from qc_engine.checklist import Checklist
from qc_engine.engine import inspect
from qc_engine.errors import Code, QCError
from qc_engine.service import checklists as service
from qc_engine.service.limits import check_limits
from qc_engine.service.records import StoredChecklist
from qc_engine.transcript import transcript_from_dict

router = APIRouter(prefix="/v1/checklists", tags=["checklists"])


def _summary(row: StoredChecklist, checklist: Checklist | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": row.name,
        "version": row.version,
        "active": row.active,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
    }
    if checklist is not None:
        spec = checklist.spec
        out |= {
            "title": spec.title,
            "description": spec.description,
            "applies_to": spec.applies_to.model_dump(),
            "pass_score": spec.pass_score,
            "items": [
                {
                    "id": i.spec.id,
                    "checker": i.spec.checker,
                    "category": i.category,
                    "severity": i.severity,
                    "points": i.points,
                    "enabled": i.spec.enabled,
                    "title": i.spec.title,
                    "when": i.spec.when.model_dump(),
                    "params": i.spec.params,
                }
                for i in checklist.items
            ],
        }
    return out


@router.get("")
def list_checklists(session: SessionDep, state: State, _: Reader) -> dict[str, Any]:
    """The active checklists."""
    engine = state.engines.get()
    rows = service.active_checklists(session)
    return {"checklists": [_summary(r, engine.checklists.get(r.name)) for r in rows]}


@router.get("/{name}")
def get_checklist(
    name: str,
    session: SessionDep,
    state: State,
    _: Reader,
    version: int | None = Query(None, ge=1, le=2**31 - 1),
) -> dict[str, Any]:
    """One checklist (the active version, or `version`), with its items and YAML source."""
    row = service.get_stored(session, name, version)
    parsed = state.engines.get().checklists.get(row.name)
    if parsed is None or parsed.spec.version != row.version:  # an older version: parse it
        parsed = service.parse_source(
            row.source,
            name=row.name,
            normalizer=state.engines.normalizer,
            lexicon_dir=state.engines.lexicon_dir,
        )
    return _summary(row, parsed) | {"source": row.source}


@router.put(
    "/{name}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def put_checklist(
    name: str, request: Request, session: SessionDep, state: State, principal: Admin
) -> dict[str, Any]:
    """Store a new version (YAML body) after full validation; it becomes active at once."""
    raw = await read_body(request, 1024 * 1024)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, Code.E200, "the checklist is not UTF-8 text") from None
    # Validating (every lexicon loaded) and storing block: off the event loop.
    return await run_in_threadpool(_put, name, source, session, state, principal)


def _put(name: str, source: str, session: Any, state: Any, principal: Any) -> dict[str, Any]:
    row = service.put_checklist(
        session,
        name=name,
        source=source,
        actor=principal.name,
        normalizer=state.engines.normalizer,
        lexicon_dir=state.engines.lexicon_dir,
    )
    session.commit()
    state.engines.invalidate()
    return _summary(row, state.engines.get().checklists.get(name))


class TrialBody(BaseModel):
    checklist: str = Field(description="the checklist YAML, not saved")
    transcripts: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


@router.post("/test")
def test_checklist(body: TrialBody, state: State, _: Lead) -> dict[str, Any]:
    """Run an unsaved checklist over the given transcripts and say what it would flag
    (the API twin of `qc checklist test`)."""
    checklist = service.parse_source(
        body.checklist,
        name="(unsaved)",
        normalizer=state.engines.normalizer,
        lexicon_dir=state.engines.lexicon_dir,
    )
    results, rejected = [], []
    per_rule: Counter[str] = Counter()
    for index, data in enumerate(body.transcripts):
        try:
            transcript = transcript_from_dict(data)
            check_limits(transcript, state.settings, line=None)
        except QCError as exc:
            exc.field = f"transcripts[{index}]" + (f".{exc.field}" if exc.field else "")
            rejected.append({"index": index, "error": exc.to_dict()})
            continue
        result = inspect(transcript, checklist)
        per_rule.update(f.rule for f in result.flags)
        results.append(result.to_dict())
    return {
        "checklist": checklist.label,
        "results": results,
        "rejected": rejected,
        "flags_per_rule": dict(per_rule.most_common()),
        "passed": sum(1 for r in results if r["passed"]),
        "scored": len(results),
    }
