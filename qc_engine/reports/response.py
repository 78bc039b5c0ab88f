"""Response times of one chat, computed once at ingest and stored on the transcript, so a
weekly report takes medians and percentiles in SQL without reading any message.

The clock is qc_engine/clock.py, the one the response checkers and the desk read: this
module only sums its waits into the stored columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qc_engine.clock import first_response, waits
from qc_engine.transcript import Transcript


def response_times(transcript: Transcript) -> dict[str, Any]:
    """The transcript columns: first_response_seconds (customer's first message to the first
    human-agent message after it, None when there is none or a time is missing), and the
    answered waits: reply_waits (how many), reply_wait_total_seconds, reply_wait_max_seconds
    (None without any)."""
    return response_times_of([(m.role, m.ts) for m in transcript.messages])


def response_times_of(messages: list[tuple[str, datetime | None]]) -> dict[str, Any]:
    """`response_times` on (role, time) pairs in chat order (the migration's backfill
    reads stored messages this way)."""
    first = first_response(messages)
    answered = [
        w.seconds for w in waits(messages) if w.answered is not None and w.seconds is not None
    ]
    return {
        "first_response_seconds": first.seconds if first is not None else None,
        "reply_waits": len(answered),
        "reply_wait_total_seconds": sum(answered) if answered else None,
        "reply_wait_max_seconds": max(answered) if answered else None,
    }
