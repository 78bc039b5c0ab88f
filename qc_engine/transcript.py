"""Transcripts: the engine's input contract (../shared/spec/transcript-format.md).

Parsing validates completely and reports the field at fault; unknown fields are kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from qc_engine.clock import SHANGHAI  # the time zone lives with the clock; kept importable here
from qc_engine.errors import Code, QCError

Role = Literal["customer", "agent", "bot", "system"]
AGENT_ROLES: frozenset[str] = frozenset(("agent", "bot"))  # the shop's side of a chat
ROLES: tuple[str, ...] = ("customer", "agent", "bot", "system")
ORDER_STATUSES: tuple[str, ...] = (
    "none",
    "unpaid",
    "paid",
    "shipped",
    "delivered",
    "refunding",
    "refunded",
    "closed",
)
# No time zone is further from UTC than this (UTC-12:00 to UTC+14:00); ISO 8601 allows
# up to 23:59, which PostgreSQL cannot store.
MAX_UTC_OFFSET = timedelta(hours=14)
# Half of a UTF-16 surrogate pair: JSON can write one ("\ud800"), but it is no character,
# and no UTF-8 output, database or scanner can take it.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class Message:
    role: str
    text: str
    ts: datetime | None = None
    sender: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role}
        if self.sender is not None:
            out["sender"] = self.sender
        if self.ts is not None:
            out["ts"] = self.ts.isoformat()
        out["text"] = self.text
        out.update(self.extra)
        return out


@dataclass(slots=True)
class Transcript:
    id: str
    messages: list[Message]
    channel: str | None = None
    shop: str | None = None
    agent: str | None = None
    order_status: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        for key in ("channel", "shop", "agent", "order_status"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["messages"] = [m.to_dict() for m in self.messages]
        out.update(self.extra)
        return out


_MAX_DIGITS = 4300  # Python's own limit for int(str)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _integer(digits: str) -> int:
    if len(digits) > _MAX_DIGITS:
        raise ValueError(f"a number has more than {_MAX_DIGITS:,} digits")
    return int(digits)


def parse_json(raw: str | bytes) -> Any:
    """json.loads for input someone else wrote: NaN and Infinity, numbers of thousands of
    digits and nesting deeper than the interpreter allows are invalid JSON (ValueError,
    of which json.JSONDecodeError is one) rather than an unexpected error further on."""
    try:
        return json.loads(raw, parse_constant=_constant, parse_int=_integer)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    return f"not valid JSON ({exc})"


def parse_time(value: str) -> datetime:
    """ISO 8601; a time without an offset is Asia/Shanghai."""
    ts = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=SHANGHAI)
    return ts


def _optional_str(obj: dict[str, Any], key: str, where: dict[str, Any]) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise QCError(
            Code.E101, f"expected a string, got {type(value).__name__}", field=key, **where
        )
    return _text(value, key, where)


def surrogate_problem(value: str) -> str | None:
    """What is wrong with a string holding half of a surrogate pair, else None."""
    found = _SURROGATE.search(value)
    if found is None:
        return None
    return (
        f"character {found.start() + 1} is half of a surrogate pair "
        f"(\\u{ord(found.group()):04x}), not a character"
    )


def _text(value: str, field: str, where: dict[str, Any]) -> str:
    """A string field, refused if it holds half of a surrogate pair."""
    problem = surrogate_problem(value)
    if problem is not None:
        raise QCError(Code.E101, problem, field=field, **where)
    return value


def transcript_from_dict(
    data: Any, *, file: str | None = None, line: int | None = None
) -> Transcript:
    """Validate one decoded JSON object into a Transcript, naming the field at fault."""
    where: dict[str, Any] = {"file": file, "line": line}
    if not isinstance(data, dict):
        raise QCError(
            Code.E101, f"a transcript must be a JSON object, got {type(data).__name__}", **where
        )
    tid = data.get("id")
    if isinstance(tid, int) and not isinstance(tid, bool):
        tid = str(tid)
    if not isinstance(tid, str) or not tid.strip():
        raise QCError(Code.E101, "required: a non-empty string id", field="id", **where)
    _text(tid, "id", where)
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise QCError(
            Code.E101, "required: a list of at least one message", field="messages", **where
        )
    messages: list[Message] = []
    for i, raw in enumerate(raw_messages):
        path = f"messages[{i}]"
        if not isinstance(raw, dict):
            raise QCError(Code.E101, "a message must be a JSON object", field=path, **where)
        role = raw.get("role")
        if role not in ROLES:
            raise QCError(
                Code.E101,
                f"expected one of {', '.join(ROLES)}, got {role!r}",
                field=f"{path}.role",
                **where,
            )
        text = raw.get("text")
        if not isinstance(text, str):
            raise QCError(
                Code.E101, "required: the message text as a string", field=f"{path}.text", **where
            )
        _text(text, f"{path}.text", where)
        ts_raw = raw.get("ts")
        ts = None
        if ts_raw is not None:
            if not isinstance(ts_raw, str):
                raise QCError(
                    Code.E101, "expected an ISO 8601 time string", field=f"{path}.ts", **where
                )
            try:
                ts = parse_time(ts_raw)
            except ValueError:
                raise QCError(
                    Code.E101,
                    f"expected an ISO 8601 time, got {ts_raw!r}",
                    field=f"{path}.ts",
                    **where,
                ) from None
            offset = ts.utcoffset()
            if offset is not None and abs(offset) > MAX_UTC_OFFSET:
                raise QCError(
                    Code.E101,
                    f"the time {ts_raw!r} has a UTC offset no time zone has "
                    "(expected from -14:00 to +14:00)",
                    field=f"{path}.ts",
                    **where,
                )
        sender = raw.get("sender")
        if sender is not None:
            sender = _text(
                sender if isinstance(sender, str) else str(sender), f"{path}.sender", where
            )
        extra = {k: v for k, v in raw.items() if k not in ("role", "text", "ts", "sender")}
        messages.append(Message(role=role, text=text, ts=ts, sender=sender, extra=extra))
    status = _optional_str(data, "order_status", where)
    if status is not None and status not in ORDER_STATUSES:
        raise QCError(
            Code.E101,
            f"expected one of {', '.join(ORDER_STATUSES)}, got {status!r}",
            field="order_status",
            **where,
        )
    known = ("id", "messages", "channel", "shop", "agent", "order_status")
    return Transcript(
        id=tid,
        messages=messages,
        channel=_optional_str(data, "channel", where),
        shop=_optional_str(data, "shop", where),
        agent=_optional_str(data, "agent", where),
        order_status=status,
        extra={k: v for k, v in data.items() if k not in known},
    )


@dataclass(slots=True)
class Loaded:
    """One item read from an input: a transcript, or the error that replaced it."""

    line: int | None
    transcript: Transcript | None = None
    error: QCError | None = None


def decode_line(raw: bytes, *, file: str | None, line: int) -> str:
    """One line of JSON Lines read as bytes, as text; a QCError (E100) naming the line and
    the first byte that is not UTF-8 otherwise."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QCError(
            Code.E100,
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line",
            file=file,
            line=line,
        ) from None
