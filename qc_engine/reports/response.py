"""Response times of one chat, computed once at ingest and stored on the transcript, so a
weekly report takes medians and percentiles in SQL without reading any message.

The clocks are those of the response checkers (first_response.py, reply_wait.py): a bot or
system message never stops them, consecutive customer messages share one wait from the
first of them, and a wait with a missing time is left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qc_engine.transcript import Transcript


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def response_times(transcript: Transcript) -> dict[str, Any]:
    """The transcript columns: first_response_seconds (customer's first message to the first
    human-agent message after it, None when there is none or a time is missing), and the
    answered waits: reply_waits (how many), reply_wait_total_seconds, reply_wait_max_seconds
    (None without any)."""
    return response_times_of([(m.role, m.ts) for m in transcript.messages])


def response_times_of(messages: list[tuple[str, datetime | None]]) -> dict[str, Any]:
    """`response_times` on (role, time) pairs in chat order (the migration's backfill
    reads stored messages this way)."""
    roles = [role for role, _ in messages]
    first: float | None = None
    if "customer" in roles and "agent" in roles:
        first_customer, first_agent = roles.index("customer"), roles.index("agent")
        if first_agent > first_customer:
            first = _seconds(messages[first_customer][1], messages[first_agent][1])
    waits: list[float] = []
    waiting: int | None = None
    for index, role in enumerate(roles):
        if role == "customer":
            if waiting is None:
                waiting = index
        elif role == "agent" and waiting is not None:
            wait = _seconds(messages[waiting][1], messages[index][1])
            if wait is not None:
                waits.append(wait)
            waiting = None
    return {
        "first_response_seconds": first,
        "reply_waits": len(waits),
        "reply_wait_total_seconds": sum(waits) if waits else None,
        "reply_wait_max_seconds": max(waits) if waits else None,
    }
