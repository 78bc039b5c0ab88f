"""Reading request bodies of transcripts with limits and errors that name the line and
field, before anything reaches the engine."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from qc_engine.api.errors import ApiError
from qc_engine.errors import Code, QCError
from qc_engine.service.limits import SENDER_WIDTH, WIDTHS, check_limits
from qc_engine.settings import Settings
from qc_engine.transcript import (
    ORDER_STATUSES,
    ROLES,
    Transcript,
    decode_line,
    parse_json,
    transcript_from_dict,
)

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads(raw: bytes | str) -> Any:
    """`parse_json` for request bodies, and escapes of lone surrogates anywhere in them
    are invalid JSON too (ValueError): nothing the database cannot store gets further."""
    data = parse_json(raw)
    escape = (
        _SURROGATE_ESCAPE.search(raw)
        if isinstance(raw, str)
        else _SURROGATE_ESCAPE_BYTES.search(raw)
    )
    if escape is not None:
        try:  # the parser joined the pairs; a lone half cannot be encoded
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a \\u escape is half of a surrogate pair") from None
        except RecursionError:
            raise ValueError("nested too deeply") from None
    return data


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(
            413, Code.E413, f"the body is {int(declared):,} bytes; the limit is {limit:,}"
        )
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, Code.E413, f"the body is over the limit of {limit:,} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to read an answer; without this uvicorn logs a traceback.
        raise ApiError(
            400, Code.E400, "the client disconnected before the whole body arrived"
        ) from None
    return b"".join(chunks)


def parse_one(raw: bytes, settings: Settings) -> Transcript:
    try:
        data = loads(raw)
    except ValueError as exc:  # also JSONDecodeError and UnicodeDecodeError
        where = (
            f" (line {exc.lineno}, column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
            if isinstance(exc, UnicodeDecodeError)
            else f": {exc}"
        )
        raise ApiError(422, Code.E100, f"the body is not valid JSON{where}") from None
    transcript = transcript_from_dict(data)
    check_limits(transcript, settings, line=None)
    return transcript


@dataclass
class BatchLine:
    line: int
    transcript: Transcript | None
    error: QCError | None


def parse_batch(raw: bytes, settings: Settings) -> list[BatchLine]:
    """The lines of a JSON Lines body, each decoded alone: a line that is not UTF-8 is one
    rejected line, and the others are taken."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.splitlines()  # \n, \r\n or \r only (U+2028 may sit inside a JSON string)
    count = sum(1 for line in lines if line.strip())
    if count > settings.max_batch_lines:
        raise ApiError(
            413,
            Code.E413,
            f"{count:,} lines in the batch; the limit is {settings.max_batch_lines:,}",
        )
    out: list[BatchLine] = []
    for number, raw_line in enumerate(lines, start=1):
        if not raw_line.strip():
            continue
        try:
            line = decode_line(raw_line, file=None, line=number)
        except QCError as exc:
            out.append(BatchLine(number, None, exc))
            continue
        try:
            data: Any = loads(line)
        except ValueError as exc:
            reason = (
                f"{exc.msg} at column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else str(exc)
            )
            out.append(
                BatchLine(
                    number, None, QCError(Code.E100, f"not valid JSON ({reason})", line=number)
                )
            )
            continue
        try:
            transcript = transcript_from_dict(data, line=number)
            check_limits(transcript, settings, line=number)
        except QCError as exc:
            out.append(BatchLine(number, None, exc))
            continue
        out.append(BatchLine(number, transcript, None))
    return out


# What a schema can say of UNSTORABLE: no NUL (a lone surrogate it cannot say).
STORABLE_PATTERN = r"^[^\u0000]*$"


# No UTC offset beyond +-14:00 (transcript.MAX_UTC_OFFSET): no time zone has one.
_REAL_OFFSET = r"^(?!.*[+-](14:(0[1-9]|[1-5]\d)|1[5-9]:\d\d|[2-9]\d:\d\d)$)"


def _text_field(width: int | None = None, *, required: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "string", "pattern": STORABLE_PATTERN}
    if width is not None:
        field["maxLength"] = width
    if required:
        field["minLength"] = 1
    return field


TRANSCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "messages"],
    "properties": {
        "id": _text_field(WIDTHS["id"], required=True),
        "channel": _text_field(WIDTHS["channel"]) | {"example": "taobao"},
        "shop": _text_field(WIDTHS["shop"]),
        "agent": _text_field(WIDTHS["agent"]),
        "order_status": {"type": "string", "enum": list(ORDER_STATUSES)},
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role", "text"],
                "properties": {
                    "role": {"type": "string", "enum": list(ROLES)},
                    "text": _text_field(),
                    "sender": _text_field(SENDER_WIDTH),
                    "ts": {"type": "string", "format": "date-time", "pattern": _REAL_OFFSET},
                },
            },
        },
    },
    "example": {
        "id": "T-20261120-0001",
        "channel": "taobao",
        "order_status": "shipped",
        "messages": [
            {
                "role": "customer",
                "text": "在吗？衣服什么时候发货",
                "ts": "2026-11-20T10:00:03+08:00",
            },
            {
                "role": "agent",
                "text": "亲亲您好，今天下午四点前发出哦[微笑]",
                "ts": "2026-11-20T10:00:21+08:00",
            },
        ],
    },
}
