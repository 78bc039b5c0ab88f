"""Every setting, in one typed place: the environment (QC_*) is read here and nowhere else.

`Settings` holds the engine's settings (where the checklists, models and shared data are)
and the service's (limits, database, reports, webhooks, retention...), each field with the
variable it is read from, its default and its range. A value that is not what it should be
is an error naming the variable (E630), never a traceback; an empty variable means the
default. docs/api.md ("Limits and settings") and docs/reports.md list them.

A process reads the environment once: `get_settings()` reads it on first use and keeps it
(the `qc` command sets its command-line overrides first, `reset_settings`). Tests and
embedders construct `Settings(field=value, ...)` with their own values and hand them over
(`create_app(settings)`).

This module is a bottom layer: it imports nothing of qc_engine but its errors.
"""

from __future__ import annotations

import importlib.resources
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qc_engine.errors import Code, QCError


def package_path(*parts: str) -> Path:
    """A file or folder shipped inside the package (checklists, models, templates,
    migrations, example chats), found through importlib.resources: in a checkout, an
    editable install or a wheel's site-packages alike."""
    root = importlib.resources.files("qc_engine")
    if not isinstance(root, Path):  # a zip import: the data cannot be read as files
        raise QCError(Code.E200, f"qc_engine must be installed as files, not imported from {root}")
    return root.joinpath(*parts)


def _number(kind: type, low: float | None = None, high: float | None = None) -> BeforeValidator:
    """A whole number (`kind` int) or a number, finite and within [low, high]."""
    what = "a whole number" if kind is int else "a number"
    if low is not None and high is not None:
        what += f" from {low:g} to {high:g}"
    elif low is not None:
        what += f" of at least {low:g}"

    def check(value: Any) -> Any:
        number: float | None = None
        if isinstance(value, str):
            try:
                number = kind(value.strip())
            except ValueError:
                number = None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = value if kind is float or float(value).is_integer() else None
        if (
            number is not None
            and math.isfinite(number)
            and (low is None or number >= low)
            and (high is None or number <= high)
        ):
            return kind(number)
        raise ValueError(f"expected {what}, not {value!r}")

    return BeforeValidator(check)


def _switch(value: Any) -> Any:
    """Anything but 0, false, no or off (in any case) switches a setting on."""
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off")
    return value


Switch = Annotated[bool, BeforeValidator(_switch)]
AtLeastOne = Annotated[int, _number(int, 1)]


class Settings(BaseSettings):
    """The settings of the engine and the service. Each field is read from the variable
    named by its alias; `Settings(field=value)` overrides it."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        validate_by_name=True,
        extra="forbid",
        use_attribute_docstrings=True,
    )

    # The engine.
    checklist_dir: Path = Field(
        default_factory=lambda: package_path("checklists"), validation_alias="QC_CHECKLISTS"
    )
    """The checklist folder (its lexicons in `lexicons/`); default: the package's own."""
    model_dir: Path = Field(
        default_factory=lambda: package_path("models"), validation_alias="QC_MODELS"
    )
    """The trained models' folder; default: the package's own."""
    shared_data_dir: Path = Field(
        default_factory=lambda: package_path().parent.parent / "shared" / "data",
        validation_alias="QC_SHARED_DATA",
    )
    """The data sets `qc train` and `qc eval` read; default: ../shared/data beside the
    checkout."""

    # The service: storage and limits (docs/api.md).
    database_url: str | None = Field(None, validation_alias="QC_DATABASE_URL")
    """Where everything is stored; unset: sqlite:///qc.sqlite3 (qc_engine.db.session)."""
    sample_rate: Annotated[float, _number(float, 0, 1)] = Field(
        0.02, validation_alias="QC_SAMPLE_RATE"
    )
    """Share of flag-free chats that become sample items (0 switches sampling off)."""
    sample_seed: Annotated[int, _number(int)] = Field(20261125, validation_alias="QC_SAMPLE_SEED")
    """The seed of that draw."""
    claim_minutes: AtLeastOne = Field(30, validation_alias="QC_CLAIM_MINUTES")
    """How long a claim on a work item holds."""
    max_body_bytes: AtLeastOne = Field(20 * 1024 * 1024, validation_alias="QC_MAX_BODY_BYTES")
    """Any request body; over it: 413 E413."""
    max_messages: AtLeastOne = Field(2000, validation_alias="QC_MAX_MESSAGES")
    """Messages per transcript; over it: 422 E101."""
    max_message_chars: AtLeastOne = Field(10000, validation_alias="QC_MAX_MESSAGE_CHARS")
    """Characters per message; over it: 422 E101."""
    max_batch_lines: AtLeastOne = Field(10000, validation_alias="QC_MAX_BATCH_LINES")
    """Non-blank lines per JSON Lines batch; over it: 413 E413."""
    auth_failures_per_minute: AtLeastOne = Field(20, validation_alias="QC_AUTH_FAILURES_PER_MINUTE")
    """Failed authentications a client may make in a minute before it gets 429."""
    redact: Switch = Field(False, validation_alias="QC_REDACT")
    """Mask personal information (ID, phone, address, bank card) in what is stored and
    shown (qc_engine.redact)."""
    retention_days: Annotated[float, _number(float, 0.001)] | None = Field(
        None, validation_alias="QC_RETENTION_DAYS"
    )
    """Chats older than this many days are purged once a day (docs/api.md); unset: kept."""
    prometheus_multiproc_dir: str | None = Field(None, validation_alias="PROMETHEUS_MULTIPROC_DIR")
    """Where worker processes share metrics (prometheus_client reads it too)."""

    # Reports and webhooks (docs/reports.md).
    public_url: str = Field("http://127.0.0.1:8000", validation_alias="QC_PUBLIC_URL")
    """Where people reach this service: the base of links in reports and pushed messages."""
    background: Switch = Field(True, validation_alias="QC_BACKGROUND")
    """Run the background task (scheduled reports, webhook delivery) in this process."""
    background_interval: Annotated[float, _number(float, 0.1)] = Field(
        5.0, validation_alias="QC_BACKGROUND_INTERVAL"
    )
    """Seconds between ticks of the background task."""
    report_schedule: Switch = Field(True, validation_alias="QC_REPORT_SCHEDULE")
    """Generate the weekly report on schedule."""
    report_weekday: Annotated[int, _number(int, 1, 7)] = Field(
        1, validation_alias="QC_REPORT_WEEKDAY"
    )
    """ISO weekday of the weekly report: 1 = Monday."""
    report_time: str = Field("08:00", validation_alias="QC_REPORT_TIME")
    """HH:MM, Asia/Shanghai."""
    report_shops: str = Field("", validation_alias="QC_REPORT_SHOPS")
    """Comma-separated shops that also get a report of their own each week."""
    report_link_secret: str | None = Field(None, validation_alias="QC_REPORT_LINK_SECRET")
    """Signs report links so they open without an API key (from a group chat)."""
    report_link_days: Annotated[float, _number(float, 0.001)] = Field(
        30.0, validation_alias="QC_REPORT_LINK_DAYS"
    )
    """How long a signed report link opens, from when it was issued."""
    webhooks: str = Field("", validation_alias="QC_WEBHOOKS")
    """JSON list of {"name", "format", "url", "secret", "events"} or `format=url ...`."""
    webhook_max_attempts: AtLeastOne = Field(8, validation_alias="QC_WEBHOOK_MAX_ATTEMPTS")
    """Attempts before a delivery fails."""
    webhook_backoff_seconds: Annotated[float, _number(float, 0)] = Field(
        30.0, validation_alias="QC_WEBHOOK_BACKOFF"
    )
    """Seconds before the first retry (each next wait four times longer)."""
    webhook_timeout_seconds: Annotated[float, _number(float, 0.1)] = Field(
        10.0, validation_alias="QC_WEBHOOK_TIMEOUT"
    )
    """Seconds per attempt."""
    webhook_per_minute: AtLeastOne = Field(20, validation_alias="QC_WEBHOOK_PER_MINUTE")
    """Messages per webhook per minute at most (DingTalk and WeCom robots take 20)."""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            reason = error.get("ctx", {}).get("error") or error["msg"]
            raise QCError(
                Code.E630, str(reason), field=self.variable(str(error["loc"][0]))
            ) from None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        """An empty (or blank) variable means the default."""
        if isinstance(values, dict):
            return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}
        return values

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of a field (given by its name or its variable)."""
        field = cls.model_fields.get(name)
        return str(field.validation_alias) if field is not None else name

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Every field's environment variable, by field name."""
        return {name: cls.variable(name) for name in cls.model_fields}


_current: Settings | None = None
_overrides: dict[str, Any] = {}


def get_settings() -> Settings:
    """The process's settings: the environment as read at the first call, with the
    overrides of `reset_settings`."""
    global _current
    if _current is None:
        _current = Settings(**_overrides)
    return _current


def reset_settings(**overrides: Any) -> None:
    """Forget the settings read: the next `get_settings()` reads the environment again,
    with these overrides on top (None: not given). The `qc` command starts with this, its
    options (--checklists) as overrides."""
    global _current, _overrides
    _current = None
    _overrides = {k: v for k, v in overrides.items() if v is not None}
