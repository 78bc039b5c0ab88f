"""The response-time clock: when a customer starts waiting for a human agent, which message
ends the wait, and how long it ran. Every reader of response times reads it here: the
response checkers (checkers/first_response.py, checkers/reply_wait.py), the response times
stored on each chat at ingest for the reports (`response_times` below, and migration 0002 that
backfills them) and the desk's "等待 N 秒" on a message bubble.

The rule (../shared/spec/taxonomy.md, "Where a flag sits"):
- A wait starts at a customer message when none is open: consecutive customer messages
  share one wait, timed from the first of them.
- Only a human agent message ends a wait. Bot (店小蜜) and system messages neither start nor
  end one: an auto-reply is not a response, however fast.
- An agent message while no wait is open (the agent writing again, or writing first: an
  outbound message) ends nothing and measures nothing.
- If no agent message comes, the wait stays open up to the chat's last message (a system
  timeout notice, a bot reply); a chat that simply ends on the customer's own message shows
  no elapsed time.
- A wait with a missing time at either end has no length (None): it is left out, never
  guessed from a neighbouring message. An end earlier than its start counts as 0 s.
- The first response is the first wait, when the chat's first agent message comes after
  its first customer message; a chat the agent opened has no first response.

Messages are read as (role, time) pairs in chat order, so that transcripts, the checkers'
chats and stored rows all give the same answer. Nothing here imports the rest of the
package.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the transcript module takes SHANGHAI from here
    from qc_engine.transcript import Transcript

# The time zone of the shops, their reports and their days; a message time without an
# offset is read in it.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

Moment = tuple[str, datetime | None]
"""One message as the clock reads it: its role and its time (None when not given)."""


@dataclass(frozen=True, slots=True)
class Wait:
    """One wait of a customer for a human agent."""

    asked: int
    """The customer message that started it (the first of a run of customer messages)."""
    answered: int | None
    """The agent message that ended it; None when no agent message came before the end."""
    seconds: float | None
    """From `asked` to `answered` (to the chat's last message when unanswered), never
    negative; None when a time is missing or an unanswered chat ends on the customer."""


def elapsed(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from `start` to `end`, 0 when `end` is earlier, None when either is missing."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def waits(messages: Sequence[Moment]) -> list[Wait]:
    """Every wait of the chat in order: the answered ones, then the one left open at the end
    (if any)."""
    found: list[Wait] = []
    asked: int | None = None
    for index, (role, ts) in enumerate(messages):
        if role == "customer":
            if asked is None:
                asked = index
        elif role == "agent" and asked is not None:
            found.append(Wait(asked, index, elapsed(messages[asked][1], ts)))
            asked = None
    if asked is not None:
        last_role, last_ts = messages[-1]
        seconds = None if last_role == "customer" else elapsed(messages[asked][1], last_ts)
        found.append(Wait(asked, None, seconds))
    return found


def first_response(messages: Sequence[Moment]) -> Wait | None:
    """The customer's first message to the first agent message, or None when there is no
    agent message or the agent wrote first."""
    roles = [role for role, _ in messages]
    try:
        asked, answered = roles.index("customer"), roles.index("agent")
    except ValueError:
        return None
    if answered < asked:
        return None
    return Wait(asked, answered, elapsed(messages[asked][1], messages[answered][1]))


def waits_by_message(messages: Sequence[Moment]) -> dict[int, float]:
    """The wait to show on a message, by message index (the position in `messages`): on the
    agent message that ended a wait, and on the waiting customer message when no agent came
    (where the reply-wait check puts its flags). Waits without a length are not shown."""
    shown: dict[int, float] = {}
    for wait in waits(messages):
        if wait.seconds is not None:
            shown[wait.answered if wait.answered is not None else wait.asked] = wait.seconds
    return shown


def format_duration(seconds: float) -> str:
    """A duration as a QC specialist reads it: "48 秒", "3 分 12 秒", "1 小时 5 分".
    Rounded up, so a wait just over the standard never reads as equal to it."""
    total = max(0, math.ceil(seconds))
    if total < 60:
        return f"{total} 秒"
    if total < 3600:
        minutes, secs = divmod(total, 60)
        return f"{minutes} 分 {secs} 秒" if secs else f"{minutes} 分钟"
    hours, rest = divmod(total, 3600)
    minutes = rest // 60
    return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"


# The stored summary --------------------------------------------------------------------
# Computed once at ingest and stored on the transcript, so a weekly report takes medians
# and percentiles in SQL without reading any message.


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
