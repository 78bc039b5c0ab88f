"""Service settings, from the environment (QC_*), in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qc_engine.engine import default_checklist_dir
from qc_engine.env import env_bool, env_float, env_int, env_optional_float
from qc_engine.reports.links import LinkSigner


@dataclass
class Settings:
    database_url: str | None = field(default_factory=lambda: os.environ.get("QC_DATABASE_URL"))
    checklist_dir: Path = field(default_factory=default_checklist_dir)
    sample_rate: float = field(default_factory=lambda: env_float("QC_SAMPLE_RATE", 0.02, 0, 1))
    sample_seed: int = field(default_factory=lambda: env_int("QC_SAMPLE_SEED", 20261125))
    claim_minutes: int = field(default_factory=lambda: env_int("QC_CLAIM_MINUTES", 30, 1))
    max_body_bytes: int = field(
        default_factory=lambda: env_int("QC_MAX_BODY_BYTES", 20 * 1024 * 1024, 1)
    )
    max_messages: int = field(default_factory=lambda: env_int("QC_MAX_MESSAGES", 2000, 1))
    max_message_chars: int = field(
        default_factory=lambda: env_int("QC_MAX_MESSAGE_CHARS", 10000, 1)
    )
    max_batch_lines: int = field(default_factory=lambda: env_int("QC_MAX_BATCH_LINES", 10000, 1))
    auth_failures_per_minute: int = field(
        default_factory=lambda: env_int("QC_AUTH_FAILURES_PER_MINUTE", 20, 1)
    )
    """Failed authentications a client may make in a minute before it gets 429."""
    # Reports and webhooks (docs/reports.md).
    public_url: str = field(
        default_factory=lambda: os.environ.get("QC_PUBLIC_URL", "http://127.0.0.1:8000")
    )
    """Where people reach this service: the base of links in reports and pushed messages."""
    background: bool = field(default_factory=lambda: env_bool("QC_BACKGROUND", True))
    """Run the background task (scheduled reports, webhook delivery) in this process."""
    background_interval: float = field(
        default_factory=lambda: env_float("QC_BACKGROUND_INTERVAL", 5.0, 0.1)
    )
    report_schedule: bool = field(default_factory=lambda: env_bool("QC_REPORT_SCHEDULE", True))
    report_weekday: int = field(default_factory=lambda: env_int("QC_REPORT_WEEKDAY", 1, 1, 7))
    """ISO weekday of the weekly report: 1 = Monday."""
    report_time: str = field(default_factory=lambda: os.environ.get("QC_REPORT_TIME", "08:00"))
    """HH:MM, Asia/Shanghai."""
    report_shops: str = field(default_factory=lambda: os.environ.get("QC_REPORT_SHOPS", ""))
    """Comma-separated shops that also get a report of their own each week."""
    redact: bool = field(default_factory=lambda: env_bool("QC_REDACT", False))
    """Mask personal information (ID, phone, address, bank card) in what is stored and
    shown (qc_engine.redact)."""
    retention_days: float | None = field(
        default_factory=lambda: env_optional_float("QC_RETENTION_DAYS", 0.001)
    )
    """Chats older than this many days are purged once a day (docs/api.md); unset: kept."""
    report_link_secret: str | None = field(
        default_factory=lambda: os.environ.get("QC_REPORT_LINK_SECRET") or None
    )
    """Signs report links so they open without an API key (from a group chat)."""
    report_link_days: float = field(
        default_factory=lambda: env_float("QC_REPORT_LINK_DAYS", 30.0, 0.001)
    )
    """How long a signed report link opens, from when it was issued."""

    @property
    def link_signer(self) -> LinkSigner | None:
        return (
            LinkSigner(self.report_link_secret, self.report_link_days)
            if self.report_link_secret
            else None
        )

    webhooks: str = field(default_factory=lambda: os.environ.get("QC_WEBHOOKS", ""))
    """JSON list of {"name", "format", "url", "secret", "events"} or `format=url ...`."""
    webhook_max_attempts: int = field(
        default_factory=lambda: env_int("QC_WEBHOOK_MAX_ATTEMPTS", 8, 1)
    )
    webhook_backoff_seconds: float = field(
        default_factory=lambda: env_float("QC_WEBHOOK_BACKOFF", 30.0, 0)
    )
    webhook_timeout_seconds: float = field(
        default_factory=lambda: env_float("QC_WEBHOOK_TIMEOUT", 10.0, 0.1)
    )
    webhook_per_minute: int = field(default_factory=lambda: env_int("QC_WEBHOOK_PER_MINUTE", 20, 1))
    """Messages per webhook per minute at most (DingTalk and WeCom robots take 20)."""
