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

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import ahocorasick_rs

from qc_engine.errors import Code, QCError
from qc_engine.normalize import Normalizer, trie_pattern
from qc_engine.transcript import ORDER_STATUSES, ROLES

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
    # The word lists above as one regex each (any word in a text, in one search).
    _exclude: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _exclude_message: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _prev: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _not_prev: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    conditional: bool = field(default=True, init=False, repr=False, compare=False)
    """Whether the entry has a condition at all (else `accepts` is always true)."""

    def __post_init__(self) -> None:
        for name in ("exclude", "exclude_message", "prev", "not_prev"):
            object.__setattr__(self, f"_{name}", any_word(getattr(self, name)))
        object.__setattr__(
            self,
            "conditional",
            bool(
                self.exclude
                or self.exclude_message
                or self.prev
                or self.not_prev
                or self.status is not None
                or self.not_status
                or self.channel is not None
                or self.alone
            ),
        )

    def accepts(self, chat: Chat, index: int, start: int, end: int) -> bool:
        # Every condition must hold; the cheap ones are tested first.
        status = chat.transcript.order_status
        if self.status is not None and status not in self.status:
            return False
        if status in self.not_status:
            return False
        if self.channel is not None and chat.transcript.channel not in self.channel:
            return False
        norm = chat.norm[index]
        if self.alone:
            text = norm.text
            rest = text[:start] + text[end:]
            if any(ch not in FILLERS for ch in rest):
                return False
        if self._exclude_message is not None and self._exclude_message.search(norm.text):
            return False
        if self._exclude is not None and self._exclude.search(norm.clause(start, end)):
            return False
        if self._prev is not None or self._not_prev is not None:
            before = chat.previous_text(index, "customer")
            if self._prev is not None and not self._prev.search(before):
                return False
            if self._not_prev is not None and self._not_prev.search(before):
                return False
        return True


_ANY_WORD: dict[tuple[str, ...], re.Pattern[str]] = {}


def any_word(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A regex that finds one of the words in a text (as `any(w in text for w in words)`,
    several times faster for long lists); None for no words."""
    if not words:
        return None
    found = _ANY_WORD.get(words)
    if found is None:
        if len(_ANY_WORD) > 10000:
            _ANY_WORD.clear()
        found = _ANY_WORD[words] = re.compile(trie_pattern(words))
    return found


@dataclass(frozen=True, slots=True)
class Lexicon:
    name: str
    path: str
    entries: tuple[Entry, ...]


def _words(
    value: str, normalizer: Normalizer, cache: dict[str, tuple[str, ...]] | None = None
) -> tuple[str, ...]:
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
            raise QCError(
                Code.E202,
                f"the phrase {phrase_raw!r} is empty after normalisation",
                file=source,
                line=number,
            )
        fields: dict[str, Any] = {}
        for condition in conditions:
            key, sep, value = condition.partition(":")
            key = key.strip()
            if key not in _KEYS:
                raise QCError(
                    Code.E202,
                    f"unknown condition {key!r}; expected one of {', '.join(_KEYS)}",
                    file=source,
                    line=number,
                )
            if key == "alone":
                if sep:
                    raise QCError(Code.E202, "'alone' takes no value", file=source, line=number)
                fields["alone"] = True
                continue
            if not sep or not value.strip():
                raise QCError(
                    Code.E202, f"condition {key!r} needs words after ':'", file=source, line=number
                )
            if key in ("status", "not_status"):
                statuses = frozenset(v.strip() for v in value.split(",") if v.strip())
                unknown = statuses - set(ORDER_STATUSES)
                if unknown:
                    raise QCError(
                        Code.E202,
                        f"unknown order status {sorted(unknown)}; expected "
                        f"{', '.join(ORDER_STATUSES)}",
                        file=source,
                        line=number,
                    )
                fields[key] = statuses
            elif key == "channel":
                fields[key] = frozenset(v.strip() for v in value.split(",") if v.strip())
            else:
                target = {"not": "exclude", "not_msg": "exclude_message"}.get(key, key)
                fields[target] = _words(value, normalizer, word_cache)
        entries.append(
            Entry(phrase=phrase, line=number, source=source, original=phrase_raw, **fields)
        )
    return entries


_FROM_TEXT: dict[tuple[str, str, int], Lexicon] = {}


def lexicon_from_text(name: str, text: str, *, normalizer: Normalizer) -> Lexicon:
    """A lexicon from its file's text, named by its file name (`off_platform.txt`): how a
    stored checklist version reads the lexicons it carries. One parse serves every
    checklist version holding the same text."""
    key = (name, hashlib.sha256(text.encode("utf-8")).hexdigest(), normalizer.fingerprint)
    found = _FROM_TEXT.get(key)
    if found is None:
        entries = parse_lexicon_lines(text.splitlines(), source=name, normalizer=normalizer)
        found = Lexicon(name=Path(name).stem, path=name, entries=tuple(entries))
        if len(_FROM_TEXT) > 1000:
            _FROM_TEXT.clear()
        _FROM_TEXT[key] = found
    return found


def read_lexicon_text(path: Path, *, max_bytes: int | None = None) -> str:
    """A lexicon file's text (at most `max_bytes`, when given); errors name the file by its
    name, not its folder."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(-1 if max_bytes is None else max_bytes + 1)
        if max_bytes is not None and len(raw) > max_bytes:
            raise QCError(
                Code.E202, f"lexicon is larger than {max_bytes // (1024 * 1024)} MB", file=path.name
            )
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise QCError(Code.E202, f"cannot read lexicon: {reason}", file=path.name) from None


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


_FILLER_CHARS = "".join(sorted(FILLERS))


def core_length(text: str) -> int:
    """Length of a text from its first to its last character outside FILLERS: what an
    `alone` phrase must cover, so no `alone` phrase shorter than this can hold."""
    return len(text.strip(_FILLER_CHARS))


class PhraseHit(NamedTuple):
    """A phrase found in a text (a named tuple: built for every hit of every scan, about
    three times cheaper than a frozen dataclass)."""

    start: int
    end: int
    entry: Entry


class _Automaton:
    """One Aho-Corasick automaton over the phrases of some lexicons. A hit is kept per
    lexicon listing the phrase; hits of `alone` entries only where the phrase is at least
    as long as the message's core (anywhere else their condition fails anyway).

    The automaton is ahocorasick_rs's (Rust, a DFA: about 2.4x faster than pyahocorasick per
    message here, whose nodes search their children one by one; see docs/performance.md),
    asked for every overlapping match, which it gives in character offsets, by end and then
    by start, as pyahocorasick's iteration did."""

    def __init__(self, lexicons: Iterable[Lexicon]) -> None:
        table: dict[str, list[tuple[int, Entry]]] = {}
        self.all_alone = True
        for lexicon in lexicons:
            key = id(lexicon)
            for entry in lexicon.entries:
                table.setdefault(entry.phrase, []).append((key, entry))
                self.all_alone = self.all_alone and entry.alone
        self.longest = max(map(len, table), default=0)
        # For each phrase, by its index in the automaton: its length; whether it must
        # start and end on a token boundary (Latin and digit phrases match whole tokens
        # only: "12315" is not inside the order number 2023123156789, "qq号" not inside
        # "aqq号"); the lexicons listing it; whether any of them lists it as `alone`.
        self.info = [
            (
                len(phrase),
                _is_word(phrase[0]),
                _is_word(phrase[-1]),
                tuple(targets),
                any(entry.alone for _, entry in targets),
            )
            for phrase, targets in table.items()
        ]
        self.empty = not table
        self._find = None
        if not self.empty:
            self._find = ahocorasick_rs.AhoCorasick(
                list(table), matchkind=ahocorasick_rs.MatchKind.Standard
            ).find_matches_as_indexes

    def hits(self, text: str) -> list[tuple[int, int, int, Entry]]:
        """(lexicon key, start, end, entry) of every hit in text order."""
        if self._find is None or not text:
            return []
        core = -1
        if self.all_alone:
            core = core_length(text)
            if core > self.longest:
                return []
        found = []
        info = self.info
        size = len(text)
        for index, start, stop in self._find(text, overlapping=True):
            length, word_start, word_end, targets, alone = info[index]
            if word_start and start > 0 and _is_word(text[start - 1]):
                continue
            if word_end and stop < size and _is_word(text[stop]):
                continue
            if alone:
                if core < 0:
                    core = core_length(text)
                for key, entry in targets:
                    if core <= length or not entry.alone:
                        found.append((key, start, stop, entry))
            else:
                for key, entry in targets:
                    found.append((key, start, stop, entry))
        return found


class PhraseIndex:
    """The phrases of a checklist's lexicons, for finding hits once per message.

    Shared lexicons are scanned together: one Aho-Corasick automaton per role holds the
    lexicons checkers read on messages of that role (customer signals on customer messages,
    agent phrases on agent and bot messages), so each message is scanned once with what
    can matter for it, and a chat's scan is indexed by lexicon and message: a checker
    visits only the messages that hold one of its phrases. A lexicon read on a message of a
    role it was not declared for is scanned there on its own (same hits, just slower).
    Word lists with very common entries ("亲", "您", "好", used to tell filler from
    substance) would make most of the hits of the shared scan; they are kept out of it,
    each in an automaton of its own, scanned only for the messages a checker asks about.
    """

    def __init__(
        self,
        lexicons: Iterable[Lexicon],
        private: Iterable[Lexicon] = (),
        roles: dict[int, frozenset[str] | None] | None = None,
    ) -> None:
        """`roles`: for a shared lexicon (by id), the roles of the messages it is read on;
        absent or None: every role."""
        self.lexicons: dict[int, Lexicon] = {}
        shared = []
        for lexicon in lexicons:
            self.lexicons[id(lexicon)] = lexicon
            shared.append(lexicon)
        self._shared_lexicons = shared
        self._everything: _Automaton | None = None
        self._single: dict[int, _Automaton] = {}
        self.private: set[int] = set()
        for lexicon in private:
            if id(lexicon) not in self.lexicons:
                self.lexicons[id(lexicon)] = lexicon
                self.private.add(id(lexicon))
                self._single[id(lexicon)] = _Automaton([lexicon])
        declared = roles or {}
        # The shared automaton of each role, and the roles each shared lexicon is in.
        self._by_role: dict[str, _Automaton] = {}
        self.covered: dict[int, frozenset[str]] = {}
        built: dict[frozenset[int], _Automaton] = {}
        for role in ROLES:
            members = [x for x in shared if declared.get(id(x)) is None or role in declared[id(x)]]  # type: ignore[operator]
            keys = frozenset(map(id, members))
            automaton = built.get(keys)
            if automaton is None:
                automaton = built[keys] = _Automaton(members)
            self._by_role[role] = automaton
            for key in keys:
                self.covered[key] = self.covered.get(key, frozenset()) | {role}

    def scan(self, text: str) -> dict[int, list[PhraseHit]]:
        """Hits of every shared lexicon in one text, by lexicon key, in text order (before
        the entries' conditions)."""
        if self._everything is None:
            self._everything = _Automaton(self._shared_lexicons)
        found: dict[int, list[PhraseHit]] = {}
        for key, start, end, entry in self._everything.hits(text):
            found.setdefault(key, []).append(PhraseHit(start, end, entry))
        return found

    def scan_texts(
        self, texts: Iterable[str], roles: Iterable[str]
    ) -> dict[int, dict[int, list[PhraseHit]]]:
        """Hits of the shared lexicons in a chat's texts (each with its role's automaton):
        lexicon key -> message index -> hits in text order, only for messages with hits,
        by increasing index."""
        found: dict[int, dict[int, list[PhraseHit]]] = {}
        by_role = self._by_role
        for index, (text, role) in enumerate(zip(texts, roles, strict=False)):
            automaton = by_role.get(role)
            if automaton is None:
                continue
            for key, start, end, entry in automaton.hits(text):
                by_message = found.get(key)
                if by_message is None:
                    by_message = found[key] = {}
                listed = by_message.get(index)
                if listed is None:
                    by_message[index] = [PhraseHit(start, end, entry)]
                else:
                    listed.append(PhraseHit(start, end, entry))
        return found

    def alone_limit(self, key: int) -> int | None:
        """For a lexicon of only `alone` entries, its longest phrase: a message whose core
        (without FILLERS) is longer holds no hit of it. None for other lexicons."""
        automaton = self._single.get(key)
        if automaton is None:
            automaton = self._single[key] = _Automaton([self.lexicons[key]])
        return automaton.longest if automaton.all_alone else None

    def scan_one(self, key: int, text: str) -> list[PhraseHit]:
        """Hits of one lexicon in one text, in text order: for word lists kept out of the
        shared scan, and lexicons read on a message of a role they were not declared for."""
        automaton = self._single.get(key)
        if automaton is None:
            automaton = self._single[key] = _Automaton([self.lexicons[key]])
        return [PhraseHit(start, end, entry) for _, start, end, entry in automaton.hits(text)]
