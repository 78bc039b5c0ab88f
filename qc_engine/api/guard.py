"""Refused before any route runs: bodies over the size limit (every endpoint, also those
whose JSON FastAPI reads itself), NUL characters in the URL (no id or filter holds one,
and PostgreSQL cannot even compare them) and a query parameter given twice (every one takes
one value; silently keeping the last would hide a caller's mistake)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException

from qc_engine.api.errors import error_body
from qc_engine.errors import Code


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over the limit of {limit:,} bytes")


class RequestGuard:
    """A pure ASGI middleware; the limit is the app's `Settings.max_body_bytes`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _answer(send, 400, Code.E400, "the URL contains a NUL character")
            return
        repeated = _repeated_parameter(scope.get("query_string", b""))
        if repeated is not None:
            await _answer(
                send,
                422,
                Code.E422,
                f"the query parameter {repeated[:40]!r} is given more than once; give it once",
                field=repeated[:40],
            )
            return
        state = getattr(scope["app"].state, "qc", None)
        if state is None:
            await self.app(scope, receive, send)
            return
        limit = state.settings.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _answer(
                send, 413, Code.E413, f"the body is {int(declared):,} bytes; the limit is {limit:,}"
            )
            return
        received = 0

        async def counted() -> dict[str, Any]:
            nonlocal received
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)  # answered as 413 by the app's handler
            return message

        await self.app(scope, counted, send)


def _repeated_parameter(query: bytes) -> str | None:
    if b"&" not in query and b";" not in query:
        return None
    counts = Counter(key for key, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True))
    return next((key for key, count in counts.items() if count > 1), None)


async def _answer(
    send: Any, status: int, code: Code, message: str, *, field: str | None = None
) -> None:
    body = json.dumps(error_body(code, message, field=field), separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
