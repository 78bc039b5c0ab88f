"""JSON shapes of stored objects in API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qc_engine.clock import SHANGHAI
from qc_engine.service.records import StoredFlag, StoredTranscript, WorkItem
from qc_engine.taxonomy import CATEGORIES


def _time(value: datetime | None) -> str | None:
    """Always in Asia/Shanghai (+08:00), whether the value was just set (UTC) or loaded."""
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None


def flag_json(flag: StoredFlag, checklist: str | None = None) -> dict[str, Any]:
    """A stored flag; `checklist` (name@version), where known, is the version that made it."""
    span = [flag.span_start, flag.span_end] if flag.span_start is not None else None
    out = {
        "id": flag.id,
        "category": flag.category,
        "category_name": CATEGORIES[flag.category].name_zh,
        "message_index": flag.message_index,
        "span": span,
        "evidence": flag.evidence,
        "severity": flag.severity,
        "points": flag.points,
        "source": flag.source,
        "rule": flag.rule,
        "confidence": round(flag.confidence, 4),
        "counts": flag.counts,
    }
    if checklist is not None:
        out["checklist"] = checklist
    return out


def item_json(item: WorkItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "transcript_id": item.transcript_id,
        "kind": item.kind,
        "status": item.status,
        "category": item.category,
        "category_name": CATEGORIES[item.category].name_zh if item.category else None,
        "severity": item.severity,
        "points": item.points,
        "confidence": round(item.confidence, 4),
        "priority": item.priority,
        "agent": item.agent,
        "shop": item.shop,
        "channel": item.channel,
        "reviewer": item.reviewer.name if item.reviewer is not None else None,
        "claimed_at": _time(item.claimed_at),
        "claim_expires_at": _time(item.claim_expires_at),
        "decided_at": _time(item.decided_at),
        "note": item.note,
        "teaching_case": item.teaching_case,
        "created_at": _time(item.created_at),
        "updated_at": _time(item.updated_at),
        "version": item.version,
        "flag": flag_json(item.flag) if item.flag is not None else None,
    }


def transcript_json(row: StoredTranscript, *, items: list[WorkItem]) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "shop": row.shop,
        "agent": row.agent,
        "order_status": row.order_status,
        "messages": [
            {
                "index": m.idx,
                "role": m.role,
                "sender": m.sender,
                "ts": _time(m.ts),
                "text": m.text,
                **m.extra,
            }
            for m in row.messages
        ],
        "score": row.score,
        "engine_score": row.engine_score,
        "passed": row.passed,
        "checklist": f"{row.checklist}@{row.checklist_version}",
        "flags": [flag_json(f, f"{row.checklist}@{row.checklist_version}") for f in row.flags],
        "work_items": [
            {
                "id": i.id,
                "status": i.status,
                "kind": i.kind,
                "flag_id": i.flag_id,
                "version": i.version,
            }
            for i in items
        ],
        "ingested_at": _time(row.ingested_at),
        "inspected_at": _time(row.inspected_at),
        **({"extra": row.extra} if row.extra else {}),
    }
