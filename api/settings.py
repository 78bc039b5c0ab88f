"""Service settings, from the environment (QC_*), in one place."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qc_engine.engine import default_checklist_dir


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass
class Settings:
    database_url: str | None = field(default_factory=lambda: os.environ.get("QC_DATABASE_URL"))
    checklist_dir: Path = field(default_factory=default_checklist_dir)
    sample_rate: float = field(default_factory=lambda: _env_float("QC_SAMPLE_RATE", 0.02))
    sample_seed: int = field(default_factory=lambda: _env_int("QC_SAMPLE_SEED", 20261125))
    claim_minutes: int = field(default_factory=lambda: _env_int("QC_CLAIM_MINUTES", 30))
    max_body_bytes: int = field(default_factory=lambda: _env_int("QC_MAX_BODY_BYTES",
                                                                 20 * 1024 * 1024))
    max_messages: int = field(default_factory=lambda: _env_int("QC_MAX_MESSAGES", 2000))
    max_message_chars: int = field(default_factory=lambda: _env_int("QC_MAX_MESSAGE_CHARS",
                                                                    10000))
    max_batch_lines: int = field(default_factory=lambda: _env_int("QC_MAX_BATCH_LINES", 10000))
