"""Phrase lexicons: plain files a QC lead edits, and one automaton that scans them all.

A lexicon file has one phrase per line; after the phrase, optional conditions separated by
` | `. Lines starting with '#' are comments.

    加微信 | not: 不能, 不可以, 不支持, 规定
    不知道 | alone | prev: ?, 吗, 怎么, 什么, 多少

Conditions:
- `not: A, B`       drop the hit if one of these words is in the same clause;
- `not_msg: A, B`   drop the hit if one of these words is anywhere in the message;
- `prev: A, B`      the customer message before must contain one of these words;
- `not_prev: A, B`  the customer message before must contain none of these words;
- `status: S, T`    only when the order status is one of these;
- `not_status: S`   never when the order status is one of these;
- `channel: C, D`   only on these channels;
- `alone`           the message says nothing else (particles, punctuation and emoji aside).
Phrases and condition words go through the same normalisation as messages, so "微信" in a
lexicon also catches "V信", "威信" and "微 信" in a chat.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ahocorasick

from qc_engine.errors import QCError
from qc_engine.normalize import Normalizer
from qc_engine.transcript import ORDER_STATUSES

if TYPE_CHECKING:
    from qc_engine.chat import Chat

# What may surround a phrase in a message that says nothing else (for `alone`).
FILLERS = frozenset("哦噢喔呢啊呀吧的了亲哈嘛嗯恩额呃哟~,.!?。;:、… ")
_KEYS = ("not", "not_msg", "prev", "not_prev", "status", "not_status", "channel", "alone")


@dataclass(frozen=True, slots=True)
class Entry:
    phrase: str
    line: int
    source: str
    original: str
    exclude: tuple[str, ...] = ()
    exclude_message: tuple[str, ...] = ()
    prev: tuple[str, ...] = ()
    not_prev: tuple[str, ...] = ()
    status: frozenset[str] | None = None
    not_status: frozenset[str] = frozenset()
    channel: frozenset[str] | None = None
    alone: bool = False

    def accepts(self, chat: Chat, index: int, start: int, end: int) -> bool:
        norm = chat.norm[index]
        if self.exclude:
            clause = norm.clause(start, end)
            if any(word in clause for word in self.exclude):
                return False
        if self.exclude_message and any(w in norm.text for w in self.exclude_message):
            return False
        status = chat.transcript.order_status
        if self.status is not None and status not in self.status:
            return False
        if status in self.not_status:
            return False
        if self.channel is not None and chat.transcript.channel not in self.channel:
            return False
        if self.prev or self.not_prev:
            before = chat.previous_text(index, "customer")
            if self.prev and not any(word in before for word in self.prev):
                return False
            if self.not_prev and any(word in before for word in self.not_prev):
                return False
        if self.alone:
            text = norm.text
            rest = text[:start] + text[end:]
            if any(ch not in FILLERS for ch in rest):
                return False
        return True


@dataclass(frozen=True, slots=True)
class Lexicon:
    name: str
    path: str
    entries: tuple[Entry, ...]


def _words(value: str, normalizer: Normalizer,
           cache: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    if cache is not None and value in cache:
        return cache[value]
    words = []
    for raw in value.replace("，", ",").split(","):
        raw = raw.strip()
        if raw:
            words.append(normalizer.normalize_phrase(raw) or raw)
    result = tuple(words)
    if cache is not None:
        cache[value] = result
    return result


def parse_lexicon_lines(
    lines: Iterable[str], *, source: str, normalizer: Normalizer
) -> list[Entry]:
    entries: list[Entry] = []
    word_cache: dict[str, tuple[str, ...]] = {}  # condition lists repeat from line to line
    for number, line in enumerate(lines, start=1):
        body = line.strip()
        if not body or body.startswith("#"):
            continue
        phrase_raw, *conditions = [part.strip() for part in body.split(" | ")]
        phrase = normalizer.normalize_phrase(phrase_raw)
        if not phrase:
            raise QCError("E202", f"the phrase {phrase_raw!r} is empty after normalisation",
                          file=source, line=number)
        fields: dict[str, object] = {}
        for condition in conditions:
            key, sep, value = condition.partition(":")
            key = key.strip()
            if key not in _KEYS:
                raise QCError("E202", f"unknown condition {key!r}; expected one of "
                              f"{', '.join(_KEYS)}", file=source, line=number)
            if key == "alone":
                if sep:
                    raise QCError("E202", "'alone' takes no value", file=source, line=number)
                fields["alone"] = True
                continue
            if not sep or not value.strip():
                raise QCError("E202", f"condition {key!r} needs words after ':'", file=source,
                              line=number)
            if key in ("status", "not_status"):
                statuses = frozenset(v.strip() for v in value.split(",") if v.strip())
                unknown = statuses - set(ORDER_STATUSES)
                if unknown:
                    raise QCError("E202", f"unknown order status {sorted(unknown)}; expected "
                                  f"{', '.join(ORDER_STATUSES)}", file=source, line=number)
                fields[key] = statuses
            elif key == "channel":
                fields[key] = frozenset(v.strip() for v in value.split(",") if v.strip())
            else:
                target = {"not": "exclude", "not_msg": "exclude_message"}.get(key, key)
                fields[target] = _words(value, normalizer, word_cache)
        entries.append(Entry(phrase=phrase, line=number, source=source, original=phrase_raw,
                             **fields))  # type: ignore[arg-type]
    return entries


_LOADED: dict[tuple[str, int, int, int, str | None], Lexicon] = {}


def load_lexicon(path: Path, *, normalizer: Normalizer, name: str | None = None) -> Lexicon:
    """Read and parse a lexicon file. Parsed lexicons are immutable, so one parse serves
    every checklist until the file changes (keyed by path, mtime and size)."""
    try:
        stat = path.stat()
    except OSError:
        stat = None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, normalizer.fingerprint, name) \
        if stat else None
    if key is not None and key in _LOADED:
        return _LOADED[key]
    lexicon = _read_lexicon(path, normalizer=normalizer, name=name)
    if key is not None:
        if len(_LOADED) > 1000:
            _LOADED.clear()
        _LOADED[key] = lexicon
    return lexicon


def _read_lexicon(path: Path, *, normalizer: Normalizer, name: str | None) -> Lexicon:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise QCError("E202", f"cannot read lexicon: {reason}", file=str(path)) from None
    entries = parse_lexicon_lines(text.splitlines(), source=str(path), normalizer=normalizer)
    return Lexicon(name=name or path.stem, path=str(path), entries=tuple(entries))


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True, slots=True)
class PhraseHit:
    start: int
    end: int
    entry: Entry


class PhraseIndex:
    """All phrases of all lexicons of a checklist in one Aho-Corasick automaton.

    Each message is scanned once, whatever the number of lexicons; hits are then sorted out
    per lexicon.
    """

    def __init__(self, lexicons: Iterable[Lexicon]) -> None:
        self.lexicons: dict[int, Lexicon] = {}
        table: dict[str, list[tuple[int, Entry]]] = {}
        for lexicon in lexicons:
            key = id(lexicon)
            self.lexicons[key] = lexicon
            for entry in lexicon.entries:
                table.setdefault(entry.phrase, []).append((key, entry))
        self._automaton = ahocorasick.Automaton()
        for phrase, targets in table.items():
            self._automaton.add_word(phrase, (len(phrase), _is_word(phrase[0]),
                                              _is_word(phrase[-1]), tuple(targets)))
        self._empty = not table
        if not self._empty:
            self._automaton.make_automaton()

    def scan(self, text: str) -> dict[int, list[PhraseHit]]:
        if self._empty or not text:
            return {}
        found: dict[int, list[PhraseHit]] = {}
        last = len(text) - 1
        for end, (length, word_start, word_end, targets) in self._automaton.iter(text):
            start = end + 1 - length
            # Latin and digit phrases match whole tokens only: "12315" is not inside the
            # order number 2023123156789, "qq号" not inside "aqq号".
            if word_start and start > 0 and _is_word(text[start - 1]):
                continue
            if word_end and end < last and _is_word(text[end + 1]):
                continue
            for key, entry in targets:
                found.setdefault(key, []).append(PhraseHit(start, end + 1, entry))
        return found
