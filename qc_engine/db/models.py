"""The stored model: transcripts, inspection results, flags, work items, reviews, appeals,
users and API keys, stored checklist versions, the audit log, stored reports with their
scheduled runs, and the webhook queue (SQLAlchemy 2.0)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from qc_engine.clock import SHANGHAI


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)  # SQLite keeps wall time only: always store UTC

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:  # SQLite drops the offset: stored as UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class StoredTranscript(Base):
    __tablename__ = "transcripts"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str | None] = mapped_column(String(40), index=True)
    shop: Mapped[str | None] = mapped_column(String(200), index=True)
    agent: Mapped[str | None] = mapped_column(String(200), index=True)
    order_status: Mapped[str | None] = mapped_column(String(20))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(index=True)
    message_count: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    # The current inspection result.
    checklist: Mapped[str] = mapped_column(String(80))
    checklist_version: Mapped[int] = mapped_column(Integer)
    pass_score: Mapped[int] = mapped_column(Integer)
    engine_score: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer, index=True)
    passed: Mapped[bool] = mapped_column(Boolean, index=True)
    flag_count: Mapped[int] = mapped_column(Integer, default=0)
    customer_risk: Mapped[int] = mapped_column(Integer, default=0)
    """Customer signals (negative emotion, complaint risk) in the chat: raise review priority."""
    inspected_at: Mapped[datetime]
    # Response times, computed at ingest (qc_engine/clock.py, response_times) for the reports.
    first_response_seconds: Mapped[float | None] = mapped_column(Float)
    reply_waits: Mapped[int] = mapped_column(Integer, default=0)
    reply_wait_total_seconds: Mapped[float | None] = mapped_column(Float)
    reply_wait_max_seconds: Mapped[float | None] = mapped_column(Float)

    messages: Mapped[list[StoredMessage]] = relationship(
        back_populates="transcript", cascade="all, delete-orphan", order_by="StoredMessage.idx"
    )
    flags: Mapped[list[StoredFlag]] = relationship(
        back_populates="transcript",
        cascade="all, delete-orphan",
        order_by="(StoredFlag.message_index, StoredFlag.id)",
    )


class StoredMessage(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("transcript_id", "idx"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_id: Mapped[str] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), index=True
    )
    idx: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(10))
    sender: Mapped[str | None] = mapped_column(String(200))
    ts: Mapped[datetime | None]
    text: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    transcript: Mapped[StoredTranscript] = relationship(back_populates="messages")


class StoredFlag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_id: Mapped[str] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(40))
    """Same category, rule, message position and message text: the same flag after a
    re-ingest, so decisions made on it are kept."""
    category: Mapped[str] = mapped_column(String(40), index=True)
    message_index: Mapped[int] = mapped_column(Integer)
    span_start: Mapped[int | None] = mapped_column(Integer)
    span_end: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    rule: Mapped[str] = mapped_column(String(120), index=True)
    confidence: Mapped[float] = mapped_column(Float)
    counts: Mapped[bool] = mapped_column(Boolean, default=True)
    """False once a reviewer dismissed it or an appeal overturned it: it no longer costs."""

    transcript: Mapped[StoredTranscript] = relationship(back_populates="flags")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    agent_name: Mapped[str | None] = mapped_column(String(200))
    """For role agent: the agent name in transcripts whose items this user may see."""
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_target: Mapped[int | None] = mapped_column(Integer)
    """For a reviewer: the items a lead expects them to decide per day (None: no target)."""
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    """A lead paused this reviewer's assignments: the work assigned to them goes to anyone."""


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class BrowserSession(Base):
    """A desk sign-in: the cookie holds a random token (only its hash is stored), never the
    API key; it ends at `expires_at`, at sign-out, or when its key is revoked."""

    __tablename__ = "browser_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WorkItem(Base):
    __tablename__ = "work_items"
    __table_args__ = (Index("ix_work_items_queue", "status", "priority", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transcript_id: Mapped[str] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), index=True
    )
    flag_id: Mapped[int | None] = mapped_column(
        ForeignKey("flags.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # flag | sample
    status: Mapped[str] = mapped_column(String(12), index=True)
    category: Mapped[str | None] = mapped_column(String(40), index=True)
    severity: Mapped[str | None] = mapped_column(String(10), index=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    priority: Mapped[float] = mapped_column(Float)
    agent: Mapped[str | None] = mapped_column(String(200), index=True)
    shop: Mapped[str | None] = mapped_column(String(200), index=True)
    channel: Mapped[str | None] = mapped_column(String(40))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime | None]
    claim_expires_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    teaching_case: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    transcript: Mapped[StoredTranscript] = relationship()
    flag: Mapped[StoredFlag | None] = relationship()
    reviewer: Mapped[User | None] = relationship()


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_item_id: Mapped[int] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), index=True
    )
    appellant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(12))  # upheld | overturned
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class MissedFinding(Base):
    """A problem a specialist found in a sampled chat the engine passed: its miss rate."""

    __tablename__ = "missed_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_item_id: Mapped[int] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(40), index=True)
    message_index: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class StoredChecklist(Base):
    __tablename__ = "checklists"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))


class ChecklistLexicon(Base):
    """A lexicon as one checklist version reads it: checklist versions carry their lexicons,
    so editing a lexicon deploys a new version and rolling back restores the old words."""

    __tablename__ = "checklist_lexicons"
    __table_args__ = (UniqueConstraint("checklist_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checklist_id: Mapped[int] = mapped_column(
        ForeignKey("checklists.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)


class StoredReport(Base):
    """A generated report (its JSON form); the HTML and Excel forms are rendered from it.
    One per kind, period and shop ("" = all shops): regenerating replaces it."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "period", "shop"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20), index=True)
    shop: Mapped[str] = mapped_column(String(200), default="")
    generated_at: Mapped[datetime] = mapped_column(index=True)
    generated_by: Mapped[str] = mapped_column(String(120))
    empty: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReportRun(Base):
    """The claim of one scheduled report run: the unique row makes a run happen once however
    many service processes try; status running | done | failed."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("kind", "period", "shop"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20))
    shop: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12))
    claimed_by: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)


class WebhookEvent(Base):
    """Something to push (a new red-line work item, a weekly report), written in the same
    transaction that caused it and fanned out to the configured webhooks later."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # red_line | weekly_report
    key: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)


class WebhookDelivery(Base):
    """One event to one configured webhook: pending -> sending -> delivered, or back to
    pending with a later next_attempt_at, and failed after the last attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str] = mapped_column(String(120))
    format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    event: Mapped[WebhookEvent] = relationship()


class CalibrationSession(Base):
    """A calibration round (校准): a lead picks chats and reviewers, each reviewer rates the
    same chats without seeing anyone else's answers, then the lead compares the answers with
    each other and with the engine and records the final answer (service/calibration.py)."""

    __tablename__ = "calibration_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)

    chats: Mapped[list[CalibrationChat]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="CalibrationChat.position"
    )
    participants: Mapped[list[CalibrationParticipant]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="CalibrationParticipant.id",
    )


class CalibrationChat(Base):
    """One chat of a calibration round, with the lead's final answer once recorded (version
    checked: two leads saving at once cannot overwrite each other unseen)."""

    __tablename__ = "calibration_chats"
    __table_args__ = (
        UniqueConstraint("session_id", "transcript_id"),
        UniqueConstraint("session_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE"), index=True
    )
    transcript_id: Mapped[str] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    """1, 2, ...: the order every participant rates the chats in."""
    final_problems: Mapped[list[str] | None] = mapped_column(JSON)
    """The categories the lead decided are present (None: no final answer yet)."""
    final_passed: Mapped[bool | None] = mapped_column(Boolean)
    final_note: Mapped[str | None] = mapped_column(Text)
    final_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    final_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    session: Mapped[CalibrationSession] = relationship(back_populates="chats")


class CalibrationParticipant(Base):
    """A reviewer taking part in a round; `submitted_at` set once their answers are final
    (only then may they see the others' answers and the engine's)."""

    __tablename__ = "calibration_participants"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    updated_at: Mapped[datetime | None]
    """When they last saved an answer."""
    submitted_at: Mapped[datetime | None]

    session: Mapped[CalibrationSession] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class CalibrationRating(Base):
    """One participant's answer on one chat: the categories they found, pass or fail, a note."""

    __tablename__ = "calibration_ratings"
    __table_args__ = (UniqueConstraint("participant_id", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_participants.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_chats.id", ondelete="CASCADE"), index=True
    )
    problems: Mapped[list[str]] = mapped_column(JSON)
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ChatAssignment(Base):
    """A whole chat a lead gave to one reviewer: its open items go to them first, and to
    nobody else by claim-next while they are active (service/assignment.py)."""

    __tablename__ = "chat_assignments"

    transcript_id: Mapped[str] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime]


class AssignmentRule(Base):
    """A standing rule: this reviewer takes the open items of a shop, agent, channel and
    category (each None: any), in the queue's order (service/assignment.py)."""

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shop: Mapped[str | None] = mapped_column(String(200))
    agent: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40))
    """A taxonomy code, or "sample" for the sampled chats."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
