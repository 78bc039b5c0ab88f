"""Reading request bodies of transcripts with limits and errors that name the line and
field, before anything reaches the engine."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.errors import ApiError
from api.settings import Settings
from qc_engine.errors import QCError
from qc_engine.transcript import Transcript, transcript_from_dict


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "E413", f"the body is {int(declared):,} bytes; the limit is "
                       f"{limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "E413", f"the body is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_limits(transcript: Transcript, settings: Settings, *, line: int | None) -> None:
    if len(transcript.messages) > settings.max_messages:
        raise QCError("E101", f"{len(transcript.messages)} messages; the limit is "
                      f"{settings.max_messages} per transcript", field="messages", line=line)
    for i, message in enumerate(transcript.messages):
        if len(message.text) > settings.max_message_chars:
            raise QCError("E101", f"{len(message.text):,} characters; the limit is "
                          f"{settings.max_message_chars:,} per message",
                          field=f"messages[{i}].text", line=line)


def parse_one(raw: bytes, settings: Settings) -> Transcript:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
            exc, json.JSONDecodeError) else ""
        raise ApiError(422, "E100", f"the body is not valid JSON{where}") from None
    transcript = transcript_from_dict(data)
    check_limits(transcript, settings, line=None)
    return transcript


@dataclass
class BatchLine:
    line: int
    transcript: Transcript | None
    error: QCError | None


def parse_batch(raw: bytes, settings: Settings) -> list[BatchLine]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "E100", "the body is not UTF-8 text") from None
    lines = text.splitlines()
    count = sum(1 for line in lines if line.strip())
    if count > settings.max_batch_lines:
        raise ApiError(413, "E413", f"{count:,} lines in the batch; the limit is "
                       f"{settings.max_batch_lines:,}")
    out: list[BatchLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append(BatchLine(number, None, QCError(
                "E100", f"not valid JSON ({exc.msg} at column {exc.colno})", line=number)))
            continue
        try:
            transcript = transcript_from_dict(data, line=number)
            check_limits(transcript, settings, line=number)
        except QCError as exc:
            out.append(BatchLine(number, None, exc))
            continue
        out.append(BatchLine(number, transcript, None))
    return out


TRANSCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "messages"],
    "properties": {
        "id": {"type": "string"},
        "channel": {"type": "string", "example": "taobao"},
        "shop": {"type": "string"},
        "agent": {"type": "string"},
        "order_status": {"type": "string", "enum": ["none", "unpaid", "paid", "shipped",
                                                    "delivered", "refunding", "refunded",
                                                    "closed"]},
        "messages": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["role", "text"],
            "properties": {"role": {"type": "string",
                                    "enum": ["customer", "agent", "bot", "system"]},
                           "text": {"type": "string"}, "sender": {"type": "string"},
                           "ts": {"type": "string", "format": "date-time"}}}},
    },
    "example": {"id": "T-20261120-0001", "channel": "taobao", "order_status": "shipped",
                "messages": [{"role": "customer", "text": "在吗？衣服什么时候发货",
                              "ts": "2026-11-20T10:00:03+08:00"},
                             {"role": "agent", "text": "亲亲您好，今天下午四点前发出哦[微笑]",
                              "ts": "2026-11-20T10:00:21+08:00"}]},
}
