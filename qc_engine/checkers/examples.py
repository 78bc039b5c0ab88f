"""Running a checker's own examples (used by the test suite and `qc explain`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from qc_engine.chat import Chat
from qc_engine.checkers.base import Checker, Example, Hit
from qc_engine.clock import SHANGHAI
from qc_engine.errors import Code, QCError
from qc_engine.normalize import Normalizer, load_normalizer
from qc_engine.resources import Resources
from qc_engine.transcript import Message, Transcript

_ROLES = {
    "c": "customer",
    "a": "agent",
    "b": "bot",
    "s": "system",
    "customer": "customer",
    "agent": "agent",
    "bot": "bot",
    "system": "system",
}
_DAY = datetime(2026, 11, 20, tzinfo=SHANGHAI)


def parse_example_chat(chat: str, *, meta: dict[str, Any] | None = None) -> Transcript:
    """`ROLE: text` or `ROLE@HH:MM:SS: text` per line (see `Example`)."""
    messages = []
    for number, line in enumerate(chat.strip().splitlines(), start=1):
        head, sep, text = line.partition(": ")
        if not sep:
            raise QCError(Code.E101, f"example line needs 'ROLE: text', got {line!r}", line=number)
        role_part, _, clock = head.strip().partition("@")
        role = _ROLES.get(role_part.strip())
        if role is None:
            raise QCError(Code.E101, f"unknown example role {role_part!r}", line=number)
        ts = None
        if clock:
            h, m, s = (int(x) for x in clock.split(":"))
            ts = _DAY + timedelta(hours=h, minutes=m, seconds=s)
        messages.append(
            Message(role=role, text=text, ts=ts, sender="客服小王" if role == "agent" else None)
        )
    meta = dict(meta or {})
    return Transcript(
        id="example",
        messages=messages,
        channel=meta.pop("channel", "taobao"),
        order_status=meta.pop("order_status", None),
        extra=meta,
    )


def build_checker(
    checker_cls: type[Checker],
    params: dict[str, Any] | None = None,
    *,
    lexicon_dir: Path,
    normalizer: Normalizer | None = None,
) -> tuple[Checker, Resources]:
    """One checker on its own, ready to `check(Chat(transcript, resources))`."""
    from qc_engine.segment import Segmenter

    normalizer = normalizer or load_normalizer(lexicon_dir)
    user_dict = lexicon_dir / "user_dict.txt"
    resources = Resources(
        normalizer=normalizer,
        base_dir=lexicon_dir,
        lexicon_dir=lexicon_dir,
        segmenter_factory=lambda: Segmenter(user_dict=user_dict if user_dict.exists() else None),
    )
    checker = checker_cls(checker_cls.Params.model_validate(params or {}), resources)
    resources.freeze()
    checker.bind(resources.phrase_index)
    return checker, resources


def run_example(
    checker_cls: type[Checker],
    example: Example,
    *,
    lexicon_dir: Path,
    normalizer: Normalizer | None = None,
) -> list[Hit]:
    checker, resources = build_checker(
        checker_cls, example.params, lexicon_dir=lexicon_dir, normalizer=normalizer
    )
    transcript = parse_example_chat(example.chat, meta=example.meta)
    chat = Chat(transcript, resources)
    return [] if checker.idle(chat) else list(checker.check(chat))
