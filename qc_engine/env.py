"""Settings read from the environment (QC_*): a value that is not what it should be is an
error naming the variable (E630), never a traceback. The service's settings
(api/settings.py) and the commands that read a setting themselves use these."""

from __future__ import annotations

import math
import os
from typing import Any

from qc_engine.errors import QCError


def _env_number(
    name: str, default: float, kind: type, low: float | None, high: float | None
) -> Any:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        value = None
    if (
        value is not None
        and math.isfinite(value)
        and (low is None or value >= low)
        and (high is None or value <= high)
    ):
        return value
    what = "a whole number" if kind is int else "a number"
    if low is not None and high is not None:
        what += f" from {low:g} to {high:g}"
    elif low is not None:
        what += f" of at least {low:g}"
    raise QCError("E630", f"expected {what}, not {raw!r}", field=name)


def env_int(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    """An integer setting; a value that is not one, or out of range, is an error naming
    the variable (E630), not a traceback."""
    return int(_env_number(name, default, int, low, high))


def env_float(
    name: str, default: float, low: float | None = None, high: float | None = None
) -> float:
    return float(_env_number(name, default, float, low, high))


def env_optional_float(name: str, low: float) -> float | None:
    """A number setting that may be unset (or empty): None."""
    if not (os.environ.get(name) or "").strip():
        return None
    return env_float(name, 0.0, low)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")
