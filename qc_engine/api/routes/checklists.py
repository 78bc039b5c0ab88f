from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from qc_engine.api.body import read_body
from qc_engine.api.deps import Lead, Reader, SessionDep, State
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
    """One checklist (the active version, or `version`), with its items, its YAML source
    and the lexicons it carries (file name -> text)."""
    row = service.get_stored(session, name, version)
    parsed = state.engines.parse(session, row)
    return _summary(row, parsed) | {
        "source": row.source,
        "lexicons": service.stored_lexicons(session, row),
    }


@router.put(
    "/{name}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["source"],
                        "properties": {
                            "source": {"type": "string", "description": "the checklist YAML"},
                            "lexicons": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                                "description": "lexicon file name -> its new text; "
                                "lexicons not given keep the active version's",
                            },
                        },
                    }
                },
            },
        }
    },
)
async def put_checklist(
    name: str, request: Request, session: SessionDep, state: State, principal: Lead
) -> dict[str, Any]:
    """Store a new version after full validation; it becomes active at once. The body is
    the YAML, or JSON with the YAML (`source`) and changed lexicons (`lexicons`): a lexicon
    change deploys as a new version of every checklist that should read it."""
    raw = await read_body(request, 8 * 1024 * 1024)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, Code.E200, "the checklist is not UTF-8 text") from None
    source, lexicons = text, None
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        source, lexicons = _json_body(text)
    # Validating (every lexicon loaded) and storing block: off the event loop.
    return await run_in_threadpool(_put, name, source, lexicons, session, state, principal)


def _json_body(text: str) -> tuple[str, dict[str, str] | None]:
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise ApiError(
            422, Code.E200, "the body is not valid JSON (or nested too deeply)"
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("source"), str):
        raise ApiError(
            422, Code.E200, "expected {source: YAML text, lexicons: {...}}", field="source"
        )
    lexicons = body.get("lexicons")
    if lexicons is not None and (
        not isinstance(lexicons, dict) or not all(isinstance(v, str) for v in lexicons.values())
    ):
        raise ApiError(422, Code.E200, "expected file name -> text", field="lexicons")
    return body["source"], lexicons


def _put(
    name: str,
    source: str,
    lexicons: dict[str, str] | None,
    session: Any,
    state: Any,
    principal: Any,
) -> dict[str, Any]:
    row, parsed = service.put_checklist(
        session,
        name=name,
        source=source,
        actor=principal.name,
        normalizer=state.engines.normalizer,
        lexicon_dir=state.engines.lexicon_dir,
        lexicons=lexicons,
    )
    session.commit()
    state.engines.adopt({row.id: parsed})
    state.engines.invalidate()
    return _summary(row, parsed)


class ActivateBody(BaseModel):
    version: int = Field(ge=1, le=2**31 - 1, description="the stored version to make active")


@router.post("/{name}/activate")
def activate_checklist(
    name: str, body: ActivateBody, session: SessionDep, state: State, principal: Lead
) -> dict[str, Any]:
    """Make a stored version active again (a rollback): new chats are scored by it, with the
    lexicons it carries, and name it."""
    row = service.activate_version(session, name=name, version=body.version, actor=principal.name)
    session.commit()
    state.engines.invalidate()
    return _summary(row, state.engines.parse(session, row))


class TrialBody(BaseModel):
    checklist: str = Field(description="the checklist YAML, not saved")
    lexicons: dict[str, str] = Field(
        default_factory=dict,
        description="lexicon file name -> text, read instead of the lexicon folder's file",
    )
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
        lexicons=body.lexicons,
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
