"""Composed rules: conditions a QC lead writes in YAML, no code needed.

Built like Alibaba Cloud's conversation-analysis rules: leaf conditions (keyword, regex,
emoji, reply interval, repetition) combined with all / any / not, each scoped to a role and
to a window of messages, and optionally anchored to an earlier hit:

    when:                        # every message where this holds is an anchor
      role: agent
      reply_interval: {over_seconds: 180}
    then:                        # checked relative to each anchor; absent = always
      not:
        role: agent
        window: {next: 3, include_self: true}
        keyword: {any: [抱歉, 不好意思, 久等]}

A node holds exactly one of keyword, regex, emoji, reply_interval, repetition, all, any,
not; `role` limits the messages it can hold at; `window` makes it hold at a message when it
holds at some message of the window around it (with `not` above it: at none of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qc_engine.normalize import EMOJI_KINDS, Normalizer
from qc_engine.transcript import Role

if TYPE_CHECKING:
    from qc_engine.chat import Chat

_KINDS = ("keyword", "regex", "emoji", "reply_interval", "repetition", "all", "any", "not")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Keyword(_Strict):
    any: list[str] = []
    """At least one of these words (or `n_of` of them)."""
    all: list[str] = []
    """Every one of these words."""
    n_of: int | None = Field(default=None, ge=1)
    """With `any`: at least this many different words of the list."""
    exclude: list[str] = []
    """None of these words may be in the message."""

    @model_validator(mode="after")
    def _needs_words(self) -> Keyword:
        if not self.any and not self.all:
            raise ValueError("a keyword condition needs `any` or `all` words")
        if self.n_of is not None and self.n_of > len(self.any):
            raise ValueError("`n_of` is larger than the number of `any` words")
        return self


class Emoji(_Strict):
    kinds: list[Literal["cheerful", "mocking", "apologetic", "neutral"]] = []
    codes: list[str] = []
    min_count: int = Field(default=1, ge=1)


class ReplyInterval(_Strict):
    over_seconds: float | None = Field(default=None, ge=0)
    under_seconds: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _needs_bound(self) -> ReplyInterval:
        if self.over_seconds is None and self.under_seconds is None:
            raise ValueError("reply_interval needs over_seconds or under_seconds")
        return self


class Repetition(_Strict):
    min_count: int = Field(default=2, ge=2)
    """This message is at least the min_count-th occurrence of the same text by its role."""
    min_length: int = Field(default=4, ge=1)


class Window(_Strict):
    next: int = Field(default=0, ge=0, le=200)
    prev: int = Field(default=0, ge=0, le=200)
    include_self: bool = False

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if not (self.next or self.prev or self.include_self):
            raise ValueError("a window needs next, prev or include_self")
        return self


class Condition(_Strict):
    role: Role | None = None
    window: Window | None = None
    keyword: Keyword | None = None
    regex: str | None = None
    emoji: Emoji | None = None
    reply_interval: ReplyInterval | None = None
    repetition: Repetition | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        present = [k for k in _KINDS if getattr(self, "not_" if k == "not" else k) is not None]
        if len(present) != 1:
            raise ValueError(
                f"a condition needs exactly one of {', '.join(_KINDS)}; got "
                f"{', '.join(present) or 'none'}"
            )
        for key in ("all", "any"):
            value = getattr(self, key)
            if value is not None and not value:
                raise ValueError(f"`{key}` needs at least one condition")
        return self


Match = tuple[int, tuple[int, int] | None]
"""Where a condition held: message index and the span (normalised text) of its evidence."""


@dataclass
class Compiled:
    """A condition with its words normalised and its regex compiled, ready to evaluate."""

    spec: Condition
    kind: str
    children: list[Compiled]
    words_any: tuple[str, ...] = ()
    words_all: tuple[str, ...] = ()
    words_exclude: tuple[str, ...] = ()
    pattern: Any = None

    def evaluate(self, chat: Chat, index: int) -> Match | None:
        spec = self.spec
        window = spec.window
        if window is None:
            return self._at(chat, index)
        role = spec.role
        roles = chat.roles
        if window.include_self and (role is None or roles[index] == role):
            found = self._at(chat, index)
            if found:
                return found
        count = 0
        j = index - 1
        while count < window.prev and j >= 0:
            if role is None or roles[j] == role:
                count += 1
                found = self._at(chat, j)
                if found:
                    return found
            j -= 1
        count = 0
        j = index + 1
        n = len(roles)
        while count < window.next and j < n:
            if role is None or roles[j] == role:
                count += 1
                found = self._at(chat, j)
                if found:
                    return found
            j += 1
        return None

    def _at(self, chat: Chat, index: int) -> Match | None:
        spec = self.spec
        if spec.role is not None and chat.roles[index] != spec.role and spec.window is None:
            return None
        kind = self.kind
        if kind == "all":
            first: Match | None = None
            for child in self.children:
                found = child.evaluate(chat, index)
                if found is None:
                    return None
                # Prefer evidence in this message, with a span, for the flag to point at.
                if first is None or (
                    found[0] == index
                    and (first[0] != index or (first[1] is None and found[1] is not None))
                ):
                    first = found
            return first
        if kind == "any":
            for child in self.children:
                found = child.evaluate(chat, index)
                if found is not None:
                    return found
            return None
        if kind == "not":
            return None if self.children[0].evaluate(chat, index) else (index, None)
        text = chat.norm[index].text
        if kind == "keyword":
            return self._keyword(text, index)
        if kind == "regex":
            match = self.pattern.search(text)
            return (index, match.span()) if match else None
        if kind == "emoji":
            return self._emoji(chat, index)
        if kind == "reply_interval":
            return self._interval(chat, index)
        if kind == "repetition":
            return self._repetition(chat, index)
        raise AssertionError(kind)

    def _keyword(self, text: str, index: int) -> Match | None:
        if any(w in text for w in self.words_exclude):
            return None
        for word in self.words_all:
            if word not in text:
                return None
        span: tuple[int, int] | None = None
        if self.words_any:
            found = [w for w in self.words_any if w in text]
            needed = self.spec.keyword.n_of or 1 if self.spec.keyword else 1
            if len(found) < needed:
                return None
            start = text.find(found[0])
            span = (start, start + len(found[0]))
        elif self.words_all:
            start = text.find(self.words_all[0])
            span = (start, start + len(self.words_all[0]))
        return (index, span)

    def _emoji(self, chat: Chat, index: int) -> Match | None:
        assert self.spec.emoji is not None
        spec = self.spec.emoji
        hits = [
            e
            for e in chat.norm[index].emoji
            if (not spec.kinds or e.kind in spec.kinds) and (not spec.codes or e.code in spec.codes)
        ]
        if len(hits) < spec.min_count:
            return None
        # Emoji spans are original offsets already; the rule reports them as such.
        return (index, None)

    def _interval(self, chat: Chat, index: int) -> Match | None:
        assert self.spec.reply_interval is not None
        seconds = reply_interval(chat, index)
        if seconds is None:
            return None
        bound = self.spec.reply_interval
        if bound.over_seconds is not None and seconds <= bound.over_seconds:
            return None
        if bound.under_seconds is not None and seconds >= bound.under_seconds:
            return None
        return (index, None)

    def _repetition(self, chat: Chat, index: int) -> Match | None:
        assert self.spec.repetition is not None
        spec = self.spec.repetition
        text = chat.norm[index].text
        if len(text) < spec.min_length:
            return None
        role = chat.roles[index]
        seen = sum(1 for j in range(index) if chat.roles[j] == role and chat.norm[j].text == text)
        return (index, (0, len(text))) if seen + 1 >= spec.min_count else None


def reply_interval(chat: Chat, index: int) -> float | None:
    """Seconds between a message and the start of the other party's run it answers.

    For an agent message that follows customer messages: from the first customer message
    of that run (the taxonomy's wait). For a customer message: from the first agent
    message of the run before. Bot and system messages neither open nor close a wait.
    """
    role = chat.roles[index]
    if role not in ("agent", "customer"):
        return None
    other = "customer" if role == "agent" else "agent"
    start: int | None = None
    j = index - 1
    while j >= 0:
        r = chat.roles[j]
        if r == other:
            start = j
        elif r == role:
            break
        j -= 1
    if start is None:
        return None
    begin, end = chat.messages[start].ts, chat.messages[index].ts
    if begin is None or end is None:
        return None
    return (end - begin).total_seconds()


def compile_condition(spec: Condition, *, normalizer: Normalizer, where: str) -> Compiled:
    from qc_engine.resources import compile_user_regex

    for kind in _KINDS:
        if getattr(spec, "not_" if kind == "not" else kind) is not None:
            break
    if kind in ("all", "any"):
        items = getattr(spec, kind)
        children = [
            compile_condition(c, normalizer=normalizer, where=f"{where}.{kind}[{i}]")
            for i, c in enumerate(items)
        ]
        return Compiled(spec, kind, children)
    if kind == "not":
        assert spec.not_ is not None
        return Compiled(
            spec, kind, [compile_condition(spec.not_, normalizer=normalizer, where=f"{where}.not")]
        )
    if kind == "keyword":
        assert spec.keyword is not None

        def words(items: list[str]) -> tuple[str, ...]:
            return tuple(w for w in (normalizer.normalize_phrase(x) for x in items) if w)

        return Compiled(
            spec,
            kind,
            [],
            words_any=words(spec.keyword.any),
            words_all=words(spec.keyword.all),
            words_exclude=words(spec.keyword.exclude),
        )
    if kind == "regex":
        assert spec.regex is not None
        return Compiled(
            spec, kind, [], pattern=compile_user_regex(spec.regex, where=f"{where}.regex")
        )
    return Compiled(spec, kind, [])


assert set(EMOJI_KINDS) == {"cheerful", "mocking", "apologetic", "neutral"}
