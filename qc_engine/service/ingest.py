"""Storing and inspecting transcripts, and turning flags into work items.

Ingesting an id that is already stored replaces its messages and re-inspects it; a flag
that is unchanged (same fingerprint) keeps its row, its work item and the decisions made on
it; a flag that disappeared withdraws its open work item.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from qc_engine.checklist import Checklist
from qc_engine.clock import response_times
from qc_engine.db.bulk import insert_rows, is_write_conflict, new_ids
from qc_engine.db.models import (
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    WebhookEvent,
    WorkItem,
)
from qc_engine.engine import Engine, inspect_isolated
from qc_engine.errors import QCError
from qc_engine.result import Flag, Result, score_flags
from qc_engine.service.common import audit, utcnow
from qc_engine.service.limits import check_limits
from qc_engine.service.review import ACTIVE, needs_review, priority
from qc_engine.service.webhooks import red_line_event
from qc_engine.settings import Settings, get_settings
from qc_engine.taxonomy import CATEGORIES
from qc_engine.transcript import Transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sampling:
    """Which flag-free chats become `sample` work items: a seeded, reproducible share."""

    rate: float = 0.02
    seed: int = 20261125

    def picks(self, transcript_id: str) -> bool:
        if self.rate <= 0:
            return False
        digest = hashlib.sha256(f"{self.seed}:{transcript_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.rate


@dataclass
class IngestOutcome:
    id: str
    status: Literal["created", "updated", "unchanged"]
    result: Result
    work_items: int


@dataclass
class IngestFailure:
    """A transcript not stored (over a limit or unstorable, or the engine failed on it: a
    bug); the rest of the batch is."""

    id: str
    error: QCError


def content_hash(transcript: Transcript) -> str:
    canonical = json.dumps(transcript.to_dict(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint(flag: Flag, text: str) -> str:
    raw = f"{flag.category}|{flag.rule}|{flag.message_index}|{text}"
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()


def _customer_risk(flags: Sequence[Flag]) -> int:
    return sum(1 for f in flags if CATEGORIES[f.category].who == "customer")


def _started_at(transcript: Transcript) -> datetime | None:
    return next((m.ts for m in transcript.messages if m.ts is not None), None)


def _message_rows(transcript: Transcript) -> list[StoredMessage]:
    return [
        StoredMessage(idx=i, role=m.role, sender=m.sender, ts=m.ts, text=m.text, extra=m.extra)
        for i, m in enumerate(transcript.messages)
    ]


def _flag_values(flag: Flag, transcript: Transcript) -> dict[str, Any]:
    """A flag as the columns of its stored row (both the bulk and the ORM path use it)."""
    span = flag.span or (None, None)
    return {
        "transcript_id": transcript.id,
        "fingerprint": fingerprint(flag, transcript.messages[flag.message_index].text),
        "category": flag.category,
        "message_index": flag.message_index,
        "span_start": span[0],
        "span_end": span[1],
        "evidence": flag.evidence,
        "severity": flag.severity,
        "points": flag.points,
        "source": flag.source,
        "rule": flag.rule,
        "confidence": flag.confidence,
        "counts": True,
    }


def _flag_row(flag: Flag, transcript: Transcript) -> StoredFlag:
    return StoredFlag(**_flag_values(flag, transcript))


def new_work_item(row: StoredTranscript, flag: StoredFlag | None, *, now: datetime) -> WorkItem:
    """A new open work item of the chat `row`: for `flag`, or a `sample` item when None."""
    if flag is None:
        return WorkItem(
            transcript=row,
            kind="sample",
            status="open",
            category=None,
            severity=None,
            points=0,
            confidence=1.0,
            priority=0.0,
            agent=row.agent,
            shop=row.shop,
            channel=row.channel,
            created_at=now,
            updated_at=now,
        )
    return WorkItem(
        transcript=row,
        flag=flag,
        kind="flag",
        status="open",
        category=flag.category,
        severity=flag.severity,
        points=flag.points,
        confidence=flag.confidence,
        priority=priority(
            severity=flag.severity,
            points=flag.points,
            customer_risk=row.customer_risk,
            confidence=flag.confidence,
        ),
        agent=row.agent,
        shop=row.shop,
        channel=row.channel,
        created_at=now,
        updated_at=now,
    )


def rescore(row: StoredTranscript) -> None:
    """The chat's score from the flags that still count (dismissed and overturned ones
    do not)."""
    counted = [
        Flag(
            category=f.category,
            message_index=f.message_index,
            span=None,
            evidence="",
            severity=f.severity,
            points=f.points,
            source=f.source,
            rule=f.rule,
            confidence=f.confidence,
        )
        for f in row.flags
        if f.counts
    ]
    row.score, row.passed = score_flags(counted, pass_score=row.pass_score)


def _primary_agent(transcript: Transcript) -> str | None:
    if transcript.agent:
        return transcript.agent
    return next((m.sender for m in transcript.messages if m.role == "agent" and m.sender), None)


def ingest(
    session: Session,
    transcripts: Sequence[Transcript],
    *,
    engine: Engine,
    sampling: Sampling,
    actor: str,
    checklist: str | None = None,
    redact: bool = False,
    limits: Settings | None = None,
) -> list[IngestOutcome | IngestFailure]:
    """Store, inspect and queue a batch of transcripts in the session (caller commits); one
    outcome per transcript, in order. A transcript over the limits or not storable
    (service/limits.py, with `limits` or the process's settings) or one the engine fails on
    (a bug, logged) is an IngestFailure, and not stored; the others are. `redact`: personal
    information is masked in what is stored (texts and evidence; qc_engine.redact), after
    scoring.

    New transcripts are written with bulk inserts (one statement per table per batch);
    re-ingested ones go through the ORM, which keeps their flags' decisions.
    """
    now = utcnow()
    refused: dict[int, QCError] = {}
    for position, transcript in enumerate(transcripts):
        try:
            check_limits(transcript, limits or get_settings(), line=None)
        except QCError as exc:
            refused[position] = exc
    if refused:
        kept = [t for i, t in enumerate(transcripts) if i not in refused]
        rest = iter(
            ingest(session, kept, engine=engine, sampling=sampling, actor=actor,
                   checklist=checklist, redact=redact, limits=limits)
        )  # fmt: skip
        return [
            IngestFailure(t.id, refused[i]) if i in refused else next(rest)
            for i, t in enumerate(transcripts)
        ]
    ids = list({t.id for t in transcripts})
    existing: dict[str, StoredTranscript] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.scalars(
            select(StoredTranscript)
            .where(StoredTranscript.id.in_(chunk))
            .options(selectinload(StoredTranscript.flags))
        ):
            existing[row.id] = row
    outcomes: list[IngestOutcome | IngestFailure | None] = []
    pending: list[tuple[int, Transcript, Result, Checklist]] = []
    pending_ids: set[str] = set()

    def flush_pending() -> None:
        created = _bulk_create(
            session, [(t, r, c) for _, t, r, c in pending], now=now, sampling=sampling
        )
        for (position, transcript, result, _), count in zip(pending, created, strict=True):
            outcomes[position] = IngestOutcome(transcript.id, "created", result, count)
        pending.clear()
        pending_ids.clear()

    # Inspected up front, a few hundred at a time (the trained classifiers run once per
    # chunk), then stored in order.
    chosen_all = [engine.select(t, checklist) for t in transcripts]
    results: list[Result | QCError] = []
    for start in range(0, len(transcripts), 256):
        results.extend(
            inspect_isolated(transcripts[start : start + 256], chosen_all[start : start + 256])
        )
    if redact:
        from qc_engine.redact import redact as redact_personal

        redacted = [
            (t, r) if isinstance(r, QCError) else redact_personal(t, r, engine.normalizer)[:2]
            for t, r in zip(transcripts, results, strict=True)
        ]
        transcripts = [t for t, _ in redacted]
        results = [r for _, r in redacted]
    for transcript, chosen, result in zip(transcripts, chosen_all, results, strict=True):
        if isinstance(result, QCError):
            outcomes.append(IngestFailure(transcript.id, result))
            continue
        if transcript.id in pending_ids:
            # The same id twice in one batch: write the first, then update it.
            flush_pending()
            again = session.scalar(
                select(StoredTranscript)
                .where(StoredTranscript.id == transcript.id)
                .options(selectinload(StoredTranscript.flags))
            )
            assert again is not None
            existing[transcript.id] = again
        stored = existing.get(transcript.id)
        if stored is None:
            pending.append((len(outcomes), transcript, result, chosen))
            pending_ids.add(transcript.id)
            outcomes.append(None)
            continue
        status, count = _update(
            session, stored, transcript, result, chosen, now=now, sampling=sampling, actor=actor
        )
        outcomes.append(IngestOutcome(transcript.id, status, result, count))
    if pending:
        flush_pending()
    return [o for o in outcomes if o is not None]


WRITE_ATTEMPTS = 3


def ingest_committed(
    session: Session,
    transcripts: Sequence[Transcript],
    *,
    engine: Engine,
    sampling: Sampling,
    actor: str,
    checklist: str | None = None,
    commit_if: Any = None,
    redact: bool = False,
    limits: Settings | None = None,
) -> list[IngestOutcome | IngestFailure]:
    """`ingest`, committed. Re-sending a transcript is idempotent, also when two requests
    send the same new id at once: the one that loses the race to insert it (a unique
    violation, or SQLite's "database is locked" for a snapshot gone stale) is rolled back
    and ingested again, and then finds the row and updates it (or leaves it unchanged).
    `commit_if(outcomes)`: False to roll back instead of committing (nothing stored)."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            outcomes = ingest(
                session,
                transcripts,
                engine=engine,
                sampling=sampling,
                actor=actor,
                checklist=checklist,
                redact=redact,
                limits=limits,
            )
            if commit_if is not None and not commit_if(outcomes):
                session.rollback()
                return outcomes
            session.commit()
            return outcomes
        except Exception as exc:
            session.rollback()
            if attempt == WRITE_ATTEMPTS or not is_write_conflict(exc):
                raise
            log.info(
                "ingest: write conflict (%s), attempt %d of %d",
                type(exc).__name__,
                attempt + 1,
                WRITE_ATTEMPTS,
            )
    raise AssertionError("unreachable")


def _bulk_create(
    session: Session,
    batch: list[tuple[Transcript, Result, Checklist]],
    *,
    now: datetime,
    sampling: Sampling,
) -> list[int]:
    """Insert new transcripts, their messages, flags and work items with one statement per
    table; returns the number of work items created per transcript."""
    transcript_rows: list[dict[str, Any]] = []
    message_rows: list[dict[str, Any]] = []
    flag_rows: list[dict[str, Any]] = []
    flag_owner: list[tuple[int, Flag]] = []
    for position, (transcript, result, checklist) in enumerate(batch):
        transcript_rows.append(
            {
                "id": transcript.id,
                "channel": transcript.channel,
                "shop": transcript.shop,
                "agent": _primary_agent(transcript),
                "order_status": transcript.order_status,
                "extra": transcript.extra,
                "content_hash": content_hash(transcript),
                "started_at": _started_at(transcript),
                "message_count": len(transcript.messages),
                "ingested_at": now,
                "updated_at": now,
                "checklist": checklist.name,
                "checklist_version": checklist.spec.version,
                "pass_score": checklist.spec.pass_score,
                "engine_score": result.score,
                "score": result.score,
                "passed": result.passed,
                "flag_count": len(result.flags),
                "customer_risk": _customer_risk(result.flags),
                "inspected_at": now,
            }
            | response_times(transcript)
        )
        message_rows.extend(
            {
                "transcript_id": transcript.id,
                "idx": i,
                "role": m.role,
                "sender": m.sender,
                "ts": m.ts,
                "text": m.text,
                "extra": m.extra,
            }
            for i, m in enumerate(transcript.messages)
        )
        for flag in result.flags:
            flag_rows.append(_flag_values(flag, transcript))
            flag_owner.append((position, flag))
    # Core inserts on the session's connection, bypassing the unit of work.
    connection = session.connection()
    insert_rows(connection, StoredTranscript.__table__, transcript_rows)
    insert_rows(connection, StoredMessage.__table__, message_rows)
    flag_table = cast(Table, StoredFlag.__table__)
    flag_ids = new_ids(connection, flag_table, len(flag_rows))
    if flag_ids is not None:
        for row, flag_id in zip(flag_rows, flag_ids, strict=True):
            row["id"] = flag_id
        insert_rows(connection, flag_table, flag_rows)
    elif flag_rows:
        flag_ids = list(
            connection.scalars(
                insert(flag_table).returning(flag_table.c.id, sort_by_parameter_order=True),
                flag_rows,
            )
        )
    flag_ids = flag_ids or []
    item_rows: list[dict[str, Any]] = []
    created = [0] * len(batch)

    def item(position: int, flag: Flag | None, flag_id: int | None) -> dict[str, Any]:
        values = transcript_rows[position]
        common = {
            "transcript_id": values["id"],
            "agent": values["agent"],
            "shop": values["shop"],
            "channel": values["channel"],
            "status": "open",
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "teaching_case": False,
        }
        created[position] += 1
        if flag is None:
            return common | {
                "kind": "sample",
                "flag_id": None,
                "category": None,
                "severity": None,
                "points": 0,
                "confidence": 1.0,
                "priority": 0.0,
            }
        return common | {
            "kind": "flag",
            "flag_id": flag_id,
            "category": flag.category,
            "severity": flag.severity,
            "points": flag.points,
            "confidence": flag.confidence,
            "priority": priority(
                severity=flag.severity,
                points=flag.points,
                customer_risk=values["customer_risk"],
                confidence=flag.confidence,
            ),
        }

    for (position, flag), flag_id in zip(flag_owner, flag_ids, strict=True):
        if needs_review(flag, batch[position][2].spec.review):
            item_rows.append(item(position, flag, flag_id))
    for position, (transcript, result, _) in enumerate(batch):
        if not result.flags and sampling.picks(transcript.id):
            item_rows.append(item(position, None, None))
    insert_rows(connection, WorkItem.__table__, item_rows)
    # Red lines are pushed to the webhooks by the service's background task, not here.
    insert_rows(
        connection,
        WebhookEvent.__table__,
        [
            red_line_event(transcript_rows[position], flag_rows[k], now=now)
            for k, (position, flag) in enumerate(flag_owner)
            if flag.severity == "red_line"
        ],
    )
    return created


def _update(
    session: Session,
    row: StoredTranscript,
    transcript: Transcript,
    result: Result,
    checklist: Checklist,
    *,
    now: datetime,
    sampling: Sampling,
    actor: str,
) -> tuple[Literal["updated", "unchanged"], int]:
    digest = content_hash(transcript)
    if (
        digest == row.content_hash
        and row.checklist == checklist.name
        and row.checklist_version == checklist.spec.version
    ):
        return "unchanged", 0
    session.execute(delete(StoredMessage).where(StoredMessage.transcript_id == row.id))
    session.expire(row, ["messages"])
    row.messages = _message_rows(transcript)
    row.channel, row.shop = transcript.channel, transcript.shop
    row.agent, row.order_status = _primary_agent(transcript), transcript.order_status
    row.extra, row.content_hash = transcript.extra, digest
    row.started_at, row.message_count = _started_at(transcript), len(transcript.messages)
    row.updated_at = row.inspected_at = now
    row.checklist, row.checklist_version = checklist.name, checklist.spec.version
    row.pass_score = checklist.spec.pass_score
    row.engine_score, row.flag_count = result.score, len(result.flags)
    row.customer_risk = _customer_risk(result.flags)
    for column, value in response_times(transcript).items():
        setattr(row, column, value)
    # Work items carry the chat's agent, shop and channel (the queue and the reports filter
    # and group by them): a corrected chat corrects its items too, decided ones included.
    session.execute(
        update(WorkItem)
        .where(WorkItem.transcript_id == row.id)
        .values(agent=row.agent, shop=row.shop, channel=row.channel)
    )

    old = {f.fingerprint: f for f in row.flags}
    kept: set[str] = set()
    created = 0
    for flag in result.flags:
        fresh = _flag_row(flag, transcript)
        same = old.get(fresh.fingerprint)
        if same is not None:
            kept.add(fresh.fingerprint)
            same.evidence, same.span_start, same.span_end = (
                fresh.evidence,
                fresh.span_start,
                fresh.span_end,
            )
            same.severity, same.points, same.confidence = (
                fresh.severity,
                fresh.points,
                fresh.confidence,
            )
            continue
        row.flags.append(fresh)
        if needs_review(flag, checklist.spec.review):
            session.add(new_work_item(row, fresh, now=now))
            created += 1
            if flag.severity == "red_line":
                session.add(WebhookEvent(**red_line_event(row, fresh, now=now)))
    gone = [f for fp, f in old.items() if fp not in kept]
    if gone:
        gone_ids = [f.id for f in gone]
        for item in session.scalars(select(WorkItem).where(WorkItem.flag_id.in_(gone_ids))):
            if item.status in ACTIVE:
                audit(
                    session,
                    actor=actor,
                    entity="work_item",
                    entity_id=item.id,
                    action="withdraw",
                    from_state=item.status,
                    to_state="withdrawn",
                    note="the flag is gone after the transcript was re-ingested",
                )
                item.status, item.updated_at = "withdrawn", now
                item.reviewer_id = item.claimed_at = item.claim_expires_at = None
            item.flag_id = None
        for flag_row in gone:
            row.flags.remove(flag_row)
    if not result.flags and created == 0 and sampling.picks(transcript.id):
        has_sample = session.scalar(
            select(WorkItem.id).where(WorkItem.transcript_id == row.id, WorkItem.kind == "sample")
        )
        if has_sample is None:
            session.add(new_work_item(row, None, now=now))
            created += 1
    rescore(row)
    return "updated", created
