"""Reader for the plain-text chat export of the Qianniu (千牛) workbench.

The format (../shared/spec/transcript-format.md)::

    ----- 与 tb_buyer_77 的聊天记录 -----
    会话ID: 3308876512
    tb_buyer_77  2026-11-20 10:00:03
    在吗？衣服什么时候发货

    Q女家旗舰店:伟霆  2026-11-20 10:00:21
    亲亲您好，我是客服伟霆~
    今天下午四点前统一发出哦[微笑]

A header line is the sender, two or more spaces or a tab, then ``YYYY-MM-DD HH:MM:SS``
(Asia/Shanghai); the lines after it, up to the next header, are the message. Decisions:

- Roles. ``shop:name`` (':' or '：') marks a shop account: the shop is ``shop``, the sender is
  ``name``. A shop account, or a sender the caller names in ``agents`` (bare or prefixed), is an
  ``agent``, or a ``bot`` when its name contains 店小蜜 or 机器人; a bare 店小蜜 sender is a bot
  too, but a bare 机器人 is not (a buyer's nickname may contain it). 系统 / 系统消息 / 系统通知 /
  系统提示 are ``system``. Everyone else is a ``customer``.
- Conversations. A line ``会话ID: x``, a titled rule (``----- 与 tb_buyer_77 的聊天记录 -----``)
  or a bare title (``与 tb_buyer_77 的聊天记录``) opens a conversation; an ID and a title next to
  each other open the same one. A plain rule (``=====``, ``-----``, five or more) only closes the
  conversation before it. Quick-reply templates draw such rules inside a message, so a rule
  right under a message line (no blank line between) is message text, unless the next line
  opens a conversation. The id is the 会话ID, else ``<file stem>#<n>`` (n counts every
  conversation of the file, failed ones included, so ids stay stable when one is fixed).
- Headers are recognised on any line, so an export without blank lines between messages still
  reads. A line that is shaped like a header but is not a valid one (bad date, one space before
  the time, no seconds) is an error only where a header is expected: at the start of a block
  (after a blank line, a separator or the start of the file). Elsewhere it is message text.
- Message text is kept as exported ([微笑], /:^_^, [图片] included); trailing spaces of each line
  and blank lines around the message are dropped; blank lines inside it are kept.
- Errors (E102): a malformed header, text before the first header, an empty conversation. The
  conversation at fault is replaced by one error (later errors in it become its details); the
  reader carries on with the next conversation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from qc_engine.clock import SHANGHAI
from qc_engine.errors import Code, QCError
from qc_engine.transcript import Loaded, Message, Transcript, surrogate_problem

HEADER_SHAPE = "`sender  YYYY-MM-DD HH:MM:SS` (two or more spaces or a tab before the time)"

_HEADER = re.compile(
    r"(?P<sender>\S.*?)(?:[ \u3000]{2,}|\t)[ \t\u3000]*"
    r"(?P<stamp>(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})[ T]+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2}))\s*"
)
# Something meant as a header: a sender, whitespace, then a date followed by a time of some form.
_HEADER_LIKE = re.compile(
    r"(?P<sender>\S.*?)[ \t\u3000]+"
    r"(?P<stamp>\d{2,4}[-/.年]\d{1,2}[-/.月]\d[\d\-/.:：年月日时分秒 T]*)"
)
_STAMP = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}[ T]+\d{1,2}:\d{2}:\d{2}")
_SESSION_ID = re.compile(r"\s*会话\s*ID\s*[:：]\s*(?P<id>\S+)\s*", re.IGNORECASE)
_TITLED_RULE = re.compile(r"\s*[-=—─━]{3,}\s*(?P<title>[^-=—─━\s].*?)\s*[-=—─━]{3,}\s*")
_PLAIN_RULE = re.compile(r"\s*[-=—─━]{5,}\s*")
_TITLE = re.compile(r"\s*与\s*\S.*?的聊天记录\s*[:：]?\s*")
_SHOP_PREFIX = re.compile(r"(?P<shop>[^:：]+)[:：](?P<name>.+)")

SYSTEM_SENDERS = frozenset({"系统", "系统消息", "系统通知", "系统提示"})
BOT_MARKERS = ("店小蜜", "机器人")
_RULE_CHARS = frozenset("-=—─━")


@dataclass(slots=True)
class _Conversation:
    start_line: int | None = None
    id: str | None = None
    titled: bool = False
    messages: list[Message] = field(default_factory=list)
    errors: list[QCError] = field(default_factory=list)
    shop: str | None = None
    agent: str | None = None

    @property
    def declared(self) -> bool:
        return self.id is not None or self.titled

    @property
    def has_content(self) -> bool:
        return bool(self.messages or self.errors)


def parse_qianniu(
    text: str, *, file: str | None = None, agents: Iterable[str] = ()
) -> Iterator[Loaded]:
    """Read a Qianniu export: one Loaded per conversation, a transcript or the error for it."""
    agent_names = frozenset(a.strip() for a in agents if a and a.strip())
    stem = Path(file).stem.strip("<>") if file else "qianniu"
    roles: dict[str, tuple[str, str, str | None]] = {}
    count = 0
    conv = _Conversation()
    header: tuple[str, str, datetime, str | None] | None = None  # role, sender, ts, shop
    body: list[str] = []
    skipping = False  # inside the lines of a bad header or of stray text: already reported
    block_start = True  # where a header is expected: after a blank line, a separator, the start
    held_rule: list[str] = []  # a rule under a message line, and blank lines after it

    def error(line: int, message: str) -> None:
        conv.errors.append(QCError(Code.E102, message, file=file, line=line))

    def end_message() -> None:
        nonlocal header, body
        if header is not None:
            while body and not body[-1]:
                body.pop()
            role, sender, ts, shop = header
            conv.messages.append(Message(role=role, text="\n".join(body), ts=ts, sender=sender))
            if shop is not None and conv.shop is None:
                conv.shop = shop
            if role == "agent" and conv.agent is None:
                conv.agent = sender
        header, body = None, []

    def close() -> Loaded | None:
        nonlocal conv, count, skipping
        end_message()
        done, conv, skipping = conv, _Conversation(), False
        if not (done.has_content or done.declared):
            return None
        count += 1
        if done.errors:
            first = done.errors[0]
            first.details.extend(done.errors[1:])
            return Loaded(first.line, error=first)
        if not done.messages:
            what = f"conversation {done.id!r}" if done.id else "the conversation"
            return Loaded(
                done.start_line,
                error=QCError(
                    Code.E102,
                    f"{what} holds no messages: expected a header line {HEADER_SHAPE} "
                    "after the conversation separator",
                    file=file,
                    line=done.start_line,
                ),
            )
        return Loaded(
            done.start_line,
            transcript=Transcript(
                id=done.id or f"{stem}#{count}",
                messages=done.messages,
                channel="taobao",
                shop=done.shop,
                agent=done.agent,
            ),
        )

    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.rstrip()
        problem = surrogate_problem(line)
        if problem is not None:
            if conv.start_line is None:
                conv.start_line = number
            error(number, problem)
        if not line:
            block_start = True
            if held_rule:
                held_rule.append("")
            elif body:
                body.append("")
            continue
        kind, m = _classify(line, block_start)
        block_start = False
        if held_rule:
            if kind not in ("session", "title", "rule"):  # else it was a separator: drop it
                body.extend(held_rule)
            held_rule = []

        if kind == "text":
            if header is not None:
                body.append(line)
            elif not skipping:
                if conv.start_line is None:
                    conv.start_line = number
                error(
                    number, f"text before the first header: expected a header line {HEADER_SHAPE}"
                )
                skipping = True
            continue
        if kind == "rule" and header is not None and body and body[-1]:
            held_rule = [line]  # directly under a message line: wait for the next line
            continue

        if kind in ("session", "title", "rule"):
            end_message()
            block_start = True
            if kind == "session":
                opens_new = conv.has_content or conv.id is not None
            elif kind == "title":
                opens_new = conv.has_content or conv.titled
            else:
                opens_new = conv.has_content
            if opens_new and (done := close()) is not None:
                yield done
            if kind == "rule":
                continue
            if conv.start_line is None:
                conv.start_line = number
            if m is not None:
                conv.id = m["id"]
            else:
                conv.titled = True
            continue

        assert m is not None  # header and bad_header come with their match

        end_message()
        skipping = True
        if conv.start_line is None:
            conv.start_line = number
        if kind == "bad_header":
            stamp = m["stamp"].strip()
            why = (
                "one space between the sender and the time"
                if _STAMP.fullmatch(stamp)
                else f"bad time {stamp!r}"
            )
            error(number, f"malformed header {line.strip()!r} ({why}): expected {HEADER_SHAPE}")
            continue
        try:
            ts = datetime(
                int(m["y"]),
                int(m["mo"]),
                int(m["d"]),
                int(m["h"]),
                int(m["mi"]),
                int(m["s"]),
                tzinfo=SHANGHAI,
            )
        except ValueError as exc:
            error(
                number,
                f"bad date {m['stamp']!r} in the header of {m['sender']}: {exc}; "
                "expected a real date and time YYYY-MM-DD HH:MM:SS",
            )
            continue
        skipping = False
        role, sender, shop = _role(m["sender"], agent_names, roles)
        header = (role, sender, ts, shop)

    if (done := close()) is not None:
        yield done
    if count == 0:
        yield Loaded(
            None,
            error=QCError(
                Code.E102,
                f"no chat messages found: expected header lines {HEADER_SHAPE}",
                file=file,
            ),
        )


def _classify(line: str, block_start: bool) -> tuple[str, re.Match[str] | None]:
    """What a non-blank line is: session, title, rule, header, bad_header or text."""
    first = line.lstrip()[0]
    if "会话" in line and (m := _SESSION_ID.fullmatch(line)):
        return "session", m
    if first in _RULE_CHARS or first == "与":
        if _PLAIN_RULE.fullmatch(line):
            return "rule", None
        if _TITLED_RULE.fullmatch(line) or _TITLE.fullmatch(line):
            return "title", None
    if ":" in line and (m := _HEADER.fullmatch(line)):
        return "header", m
    if (
        block_start
        and (m := _HEADER_LIKE.fullmatch(line))
        and any(c in m["stamp"] for c in ":：时")
    ):
        return "bad_header", m
    return "text", None


def _role(
    sender: str, agents: frozenset[str], cache: dict[str, tuple[str, str, str | None]]
) -> tuple[str, str, str | None]:
    """(role, sender name, shop) of a header's sender; cached, a chat repeats few senders."""
    known = cache.get(sender)
    if known is not None:
        return known
    shop: str | None = None
    name = sender
    m = _SHOP_PREFIX.fullmatch(sender)
    if m is not None and m["shop"].strip() and m["name"].strip():
        shop, name = m["shop"].strip(), m["name"].strip()
    result: tuple[str, str, str | None]
    if name in SYSTEM_SENDERS:
        result = ("system", name, None)
    elif shop is not None or sender in agents or name in agents:
        role = "bot" if any(marker in name for marker in BOT_MARKERS) else "agent"
        result = (role, name, shop)
    elif "店小蜜" in name:
        result = ("bot", name, None)
    else:
        result = ("customer", sender, None)
    cache[sender] = result
    return result
