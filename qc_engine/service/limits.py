"""What a transcript must be for the service to take it: within the size limits of the
settings (messages per chat, characters per message) and storable (the database's column
widths, no NUL or lone surrogate, times that stay in the calendar in UTC). Every way in
checks it (the API per line, ingest for every caller), so the rules are one."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from qc_engine.db.models import StoredMessage, StoredTranscript
from qc_engine.errors import Code, QCError
from qc_engine.settings import Settings
from qc_engine.transcript import Transcript


# What the database stores: column widths, and no NUL or lone surrogate (PostgreSQL and
# UTF-8 refuse them). Checked on every transcript, stored or not, so the rules are one.
def _width(column: Any) -> int | None:
    return getattr(column.type, "length", None)


WIDTHS = {
    name: _width(StoredTranscript.__table__.c[name]) for name in ("id", "channel", "shop", "agent")
}
SENDER_WIDTH = _width(StoredMessage.__table__.c.sender)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _check_text(value: str | None, field: str, width: int | None, line: int | None) -> None:
    if value is None:
        return
    if width is not None and len(value) > width:
        raise QCError(
            Code.E101, f"{len(value):,} characters; the limit is {width}", field=field, line=line
        )
    if UNSTORABLE.search(value):
        raise QCError(
            Code.E101,
            "contains a NUL character or half of a surrogate pair",
            field=field,
            line=line,
        )


def _plainly_within_limits(transcript: Transcript, settings: Settings) -> bool:
    """The common case in one pass and one regex search over every text at once; False
    sends the transcript through the field-by-field checks below, which name the fault."""
    messages = transcript.messages
    if len(messages) > settings.max_messages:
        return False
    texts = []
    for name, width in WIDTHS.items():
        value = getattr(transcript, name)
        if value is not None:
            if width is not None and len(value) > width:
                return False
            texts.append(value)
    max_chars, sender_width = settings.max_message_chars, SENDER_WIDTH
    for message in messages:
        text, sender, ts = message.text, message.sender, message.ts
        if len(text) > max_chars:
            return False
        texts.append(text)
        if sender is not None:
            if sender_width is not None and len(sender) > sender_width:
                return False
            texts.append(sender)
        # an offset is under a day, so only the first and last years can overflow
        if ts is not None and not 1 < ts.year < 9999:
            return False
    return UNSTORABLE.search("\n".join(texts)) is None


def check_limits(transcript: Transcript, settings: Settings, *, line: int | None) -> None:
    if _plainly_within_limits(transcript, settings):
        return
    if len(transcript.messages) > settings.max_messages:
        raise QCError(
            Code.E101,
            f"{len(transcript.messages)} messages; the limit is "
            f"{settings.max_messages} per transcript",
            field="messages",
            line=line,
        )
    for name, width in WIDTHS.items():
        _check_text(getattr(transcript, name), name, width, line)
    for i, message in enumerate(transcript.messages):
        if len(message.text) > settings.max_message_chars:
            raise QCError(
                Code.E101,
                f"{len(message.text):,} characters; the limit is "
                f"{settings.max_message_chars:,} per message",
                field=f"messages[{i}].text",
                line=line,
            )
        _check_text(message.text, f"messages[{i}].text", None, line)
        _check_text(message.sender, f"messages[{i}].sender", SENDER_WIDTH, line)
        if message.ts is not None:
            try:
                message.ts.astimezone(UTC)
            except OverflowError:
                raise QCError(
                    Code.E101,
                    "the time is out of range once converted to UTC",
                    field=f"messages[{i}].ts",
                    line=line,
                ) from None
