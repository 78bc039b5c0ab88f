"""Text normalisation for Chinese chat, with a map back to the original characters.

Every checker matches on `NormalizedText.text`; every span it reports goes through
`to_original`, so a flag's span points into the message as the customer saw it.

What normalisation does, in order:
1. one-to-one character mapping (offsets unchanged): full-width to half-width, traditional
   to simplified (OpenCC's character table), ASCII case folding, circled digits, half of a
   surrogate pair to U+FFFD;
2. runs of Chinese numerals long enough to be a phone or account number become digits;
3. platform emoticon codes ([微笑], /:^_^) and Unicode emoji are recognised as emoji, kept
   aside in `emoji` and removed from the text, so "[微笑]" never matches the word 微笑;
4. separators wedged between characters ("加 我 微 信", "薇❤信", "加.微.信") are removed,
   except between two ASCII letters or digits ("3.5", "ok thanks" stay);
5. evasions of banned words ("vx", "V信", "威信", "扣扣") become their canonical form.
Steps 3-5 change offsets; they run only when a message needs them. The common message takes
the fast path (C-level passes only, no offset map): after the translation, one search of a
character class (separators, emoji, the first characters of emoticon codes and evasion
variants) finds nothing, and the text is done. Where characters were only removed (emoji,
wedged separators), the map back is a few numbers per run of kept characters; only evasion
canonicalisation builds a table per character.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from qc_engine.errors import Code, QCError

EMOJI_KINDS = ("cheerful", "mocking", "apologetic", "neutral")


def _build_char_table() -> dict[int, str]:
    table: dict[int, str] = {}
    import opencc

    path = Path(os.path.dirname(opencc.__file__)) / "dictionary" / "TSCharacters.txt"
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            trad, _, simp = line.rstrip("\n").partition("\t")
            first = simp.split(" ")[0] if simp else ""
            if len(trad) == 1 and len(first) == 1 and trad != first:
                table[ord(trad)] = first
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0).lower()
    table[0x3000] = " "
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    for offset in range(9):
        table[0x2460 + offset] = str(offset + 1)
    # Half of a surrogate pair is no character (parsing refuses one; a Transcript built in
    # code may still hold one): the replacement character, so nothing downstream that
    # encodes the text (the phrase scan, the models) meets it.
    for code in range(0xD800, 0xE000):
        table[code] = "\ufffd"
    return table


CHAR_TABLE = _build_char_table()


def _list_table(table: dict[int, str]) -> list[int | str]:
    """CHAR_TABLE as a list indexed by code point, up to its highest entry: `str.translate`
    looks a list up about twice as fast as a dict. A character beyond the list raises
    IndexError, a LookupError, which translate takes as "leave it as it is"."""
    out: list[int | str] = list(range(max(table) + 1))
    for code, value in table.items():
        out[code] = ord(value) if len(value) == 1 else value
    return out


_TABLE = _list_table(CHAR_TABLE)


def trie_pattern(words: Iterable[str]) -> str:
    """A regex that matches, at a position, the longest of `words` starting there (what an
    alternation of the words sorted longest first matches), written as a prefix tree so the
    regex engine tries one branch per character instead of every word in turn."""
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict[str, Any]]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A word may end here: the longer words below are tried first (greedy `?`).
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_NUMERAL_TABLE = str.maketrans("零〇一二三四五六七八九幺两", "0012345678912")
_NUMERAL_RUN = re.compile(r"[0-9零〇一二三四五六七八九幺两]{6,}")
_HAS_CN_NUMERAL = re.compile(r"[零〇一二三四五六七八九幺两]")

# Characters that decorate or split a word without meaning anything.
SEPARATORS = frozenset(" \t\u00a0\u200b\u200c\u200d\u2060\ufeff*-_.·•~|/\\+=#^'\"`★☆♡♥◆◇●○")
_EMOJI_BMP = "\u2600-\u2604\u2607-\u26ff\u2700-\u27bf\u2b50\u2b55\u3030\u303d\u3297\u3299\ufe0f"
_EMOJI_CHARS = "\U0001f000-\U0001faff" + _EMOJI_BMP
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SEP_CLASS = re.escape("".join(sorted(SEPARATORS)))
_CJK_CLASS = "\u3400-\u9fff\uf900-\ufaff"
_JOIN_CLASS = _CJK_CLASS + "0-9a-zA-Z"
# A run of separators between two word characters, at least one of them Chinese.
_WEDGED_RE = re.compile(
    f"(?<=[{_CJK_CLASS}])[{_SEP_CLASS}]+(?=[{_JOIN_CLASS}])"
    f"|(?<=[{_JOIN_CLASS}])[{_SEP_CLASS}]+(?=[{_CJK_CLASS}])"
)
_EMOJI_HINT = re.compile(f"[\\[/{_EMOJI_CHARS}]")
_SEPARATOR = re.compile(f"[{_SEP_CLASS}]")
_SKIP = object()
_CLAUSE_BREAK = re.compile(r"[,。!?;；…\n\r]")
# Up to the last clause break (matched against the text before a position).
_TO_LAST_BREAK = re.compile(r".*[,。!?;；…\n\r]", re.DOTALL)


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


class EmojiHit(NamedTuple):
    """One emoji or emoticon code in the original text (a named tuple: built for every
    emoji of every message, three times cheaper than a frozen dataclass)."""

    start: int
    end: int
    code: str
    kind: str


@dataclass(slots=True)
class NormalizedText:
    """A message's normalised text, its emoji, and the way back to the original.

    Offsets: `starts`/`ends` None means every character kept its position. Where
    normalisation only removed characters (emoji, wedged separators), `runs` holds, for each
    run of kept characters, where it starts in `text` and how far it shifted (original =
    text position + shift): a few numbers instead of a table per character. Only evasion
    canonicalisation, which replaces words by words of another length, needs the full table
    (`starts` and `ends`: each character's original first and last position + 1)."""

    original: str
    text: str
    starts: list[int] | None
    ends: list[int] | None
    emoji: tuple[EmojiHit, ...]
    runs: tuple[list[int], list[int]] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of `text` back to the original message."""
        runs = self.runs
        if runs is not None:
            if start >= len(self.text):
                return (len(self.original), len(self.original))
            begins, shifts = runs
            first = start + shifts[bisect_right(begins, start) - 1]
            if end <= start:
                return (first, first)
            return (first, end + shifts[bisect_right(begins, end - 1) - 1])
        if self.starts is None or self.ends is None:
            return (start, end)
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return (pos, pos)
        return (self.starts[start], self.ends[end - 1])

    def offsets(self) -> tuple[list[int], list[int]]:
        """Each character's original first position and last position + 1."""
        if self.starts is not None and self.ends is not None:
            return self.starts, self.ends
        size = len(self.text)
        if self.runs is None:
            return list(range(size)), list(range(1, size + 1))
        begins, shifts = self.runs
        starts: list[int] = []
        for k, begin in enumerate(begins):
            stop = begins[k + 1] if k + 1 < len(begins) else size
            starts.extend(range(begin + shifts[k], stop + shifts[k]))
        return starts, [p + 1 for p in starts]

    def clause(self, start: int, end: int) -> str:
        """The clause (between sentence punctuation) that holds text[start:end]."""
        text = self.text
        before = _TO_LAST_BREAK.match(text, 0, start)
        after = _CLAUSE_BREAK.search(text, end)
        return text[before.end() if before else 0 : after.start() if after else len(text)]


class Normalizer:
    """Normalises chat text. Built once from the lexicons for emoticons and evasions."""

    def __init__(self, *, emoticons: dict[str, str], evasions: dict[str, str]) -> None:
        self.emoticons = dict(emoticons)
        self.evasions = dict(evasions)
        # Identifies what this normaliser does, for caches of text it normalised.
        self.fingerprint = hash(
            (tuple(sorted(self.emoticons.items())), tuple(sorted(self.evasions.items())))
        )
        codes = [c for c in self.emoticons if len(c) > 1 or not _is_emoji_char(c)]
        # The longest code at a position, else an emoji character (with a joiner).
        alternatives = ([f"(?:{trie_pattern(codes)})"] if codes else []) + [
            f"[{_EMOJI_CHARS}]\u200d?"
        ]
        self._emoji_re = re.compile("|".join(alternatives))
        self._emoji_codes: dict[str, tuple[str, str] | object] = {}
        self._evasion_re: re.Pattern[str] | None = None
        # Anything steps 4-5 could act on: a separator, or an evasion variant as a plain
        # substring (the evasion regex's look-arounds only ever reject such a substring).
        variants = "|".join(re.escape(v) for v in sorted(self.evasions, key=len, reverse=True))
        self._evasion_gate = re.compile(variants) if self.evasions else None
        # Any character steps 3-5 could start at: a separator, an emoticon code's or an
        # emoji's first character, an evasion variant's first character. Most messages
        # hold none of them and are done after one search of this class.
        # (Characters beyond the BMP are left to a search of their own: in one class with
        # the rest they would make the regex engine test each character against a list.)
        starts = {v[0] for v in self.evasions} | {c[0] for c in self.emoticons} | {"[", "/"}
        starts |= {ch.translate(_TABLE) for ch in starts}
        bmp = "".join(sorted(ch for ch in starts if ord(ch) < 0x10000))
        self._special = re.compile(f"[{_SEP_CLASS}{_EMOJI_BMP}{re.escape(bmp)}]")
        if self.evasions:
            parts = []
            for variant in sorted(self.evasions, key=len, reverse=True):
                pattern = re.escape(variant)
                if variant[0].isascii() and variant[0].isalnum():
                    pattern = r"(?<![a-z0-9])" + pattern
                if variant[-1].isascii() and variant[-1].isalnum():
                    pattern += r"(?![a-z0-9])"
                parts.append(pattern)
            self._evasion_re = re.compile("|".join(parts))

    def normalize(self, original: str) -> NormalizedText:
        text = original.translate(_TABLE)
        if _HAS_CN_NUMERAL.search(text):
            text = _NUMERAL_RUN.sub(_numerals, text)
        # (Translation maps no emoji, separator or "[" "/" to anything else: the class
        # finds in `text` whatever it would find in `original`.)
        if self._special.search(text) is None and _ASTRAL.search(text) is None:
            return NormalizedText(original, text, None, None, ())
        emoji = self._find_emoji(original) if _EMOJI_HINT.search(original) else None
        if not emoji and not _wedged(text) and not self._has_evasion(text):
            return NormalizedText(original, text, None, None, ())
        stripped, runs = self._strip(text, emoji or ())
        found = tuple(emoji or ())
        if self._has_evasion(stripped):
            starts, ends = NormalizedText(original, stripped, None, None, (), runs).offsets()
            stripped, starts, ends = self._canonicalise(stripped, starts, ends)
            return NormalizedText(original, stripped, starts, ends, found)
        return NormalizedText(original, stripped, None, None, found, runs)

    def _has_evasion(self, text: str) -> bool:
        return (
            self._evasion_gate is not None
            and self._evasion_gate.search(text) is not None
            and self._evasion_re is not None
            and self._evasion_re.search(text) is not None
        )

    def normalize_phrase(self, phrase: str) -> str:
        """Normalise a lexicon phrase exactly as message text is normalised."""
        return self.normalize(phrase).text

    def _find_emoji(self, original: str) -> list[EmojiHit]:
        hits = []
        known = self._emoji_codes
        for match in self._emoji_re.finditer(original):
            code = match.group()
            found = known.get(code)
            if found is None:
                found = self._emoji_code(code)
                if len(known) < 100_000:
                    known[code] = found
            if found is _SKIP:
                continue
            code_kind: tuple[str, str] = found  # type: ignore[assignment]  # not _SKIP
            hits.append(EmojiHit(match.start(), match.end(), *code_kind))
        return hits

    def _emoji_code(self, code: str) -> tuple[str, str] | object:
        """The code and kind an emoji match stands for (_SKIP for a lone U+FE0F)."""
        if code == "\ufe0f":
            return _SKIP
        key = code.rstrip("\u200d")
        kind = self.emoticons.get(key) or self.emoticons.get(key.rstrip("\ufe0f"), "neutral")
        return key, kind

    @staticmethod
    def _strip(text: str, emoji: Sequence[EmojiHit]) -> tuple[str, tuple[list[int], list[int]]]:
        """Remove emoji, and separator runs wedged between characters (not between two
        ASCII ones); return the text and its runs (see NormalizedText)."""
        cuts = [(hit.start, hit.end) for hit in emoji]
        masked = text
        if emoji:
            rest, runs = _cut(text, cuts)
            if _SEPARATOR.search(rest) is None:
                # Every wedged run would lie inside the emoji spans, which are cut anyway.
                return rest, runs
            # Mask each emoji with spaces, so that a separator next to an emoji is not
            # taken as wedged between two characters.
            parts = []
            last = 0
            for start, end in cuts:
                parts.append(text[last:start])
                parts.append(" " * (end - start))
                last = end
            parts.append(text[last:])
            masked = "".join(parts)
        first = _SEPARATOR.search(masked)
        if first is not None:
            cuts.extend(m.span() for m in _WEDGED_RE.finditer(masked, first.start()))
        cuts.sort()
        return _cut(text, cuts)

    def _canonicalise(
        self, text: str, starts: list[int], ends: list[int]
    ) -> tuple[str, list[int], list[int]]:
        assert self._evasion_re is not None
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        last = 0
        for match in self._evasion_re.finditer(text):
            s, e = match.span()
            out.append(text[last:s])
            new_starts.extend(starts[last:s])
            new_ends.extend(ends[last:s])
            canonical = self.evasions[match.group()]
            out.append(canonical)
            new_starts.extend([starts[s]] * len(canonical))
            new_ends.extend([ends[e - 1]] * len(canonical))
            last = e
        out.append(text[last:])
        new_starts.extend(starts[last:])
        new_ends.extend(ends[last:])
        return "".join(out), new_starts, new_ends


def _wedged(text: str) -> bool:
    """Whether a run of separators is wedged between two characters. The search starts at
    the first separator (the look-behind still sees the character before it): most texts
    with a separator have one near the end ("稍等哦~")."""
    first = _SEPARATOR.search(text)
    return first is not None and _WEDGED_RE.search(text, first.start()) is not None


def _cut(text: str, cuts: list[tuple[int, int]]) -> tuple[str, tuple[list[int], list[int]]]:
    """`text` without the (sorted, possibly overlapping) spans `cuts`, and its runs: where
    each run of kept characters starts in the result and how far it shifted."""
    pieces: list[str] = []
    begins: list[int] = []
    shifts: list[int] = []
    last = position = 0
    for cut_start, cut_end in cuts:
        if cut_start > last:
            pieces.append(text[last:cut_start])
            begins.append(position)
            shifts.append(last - position)
            position += cut_start - last
        last = max(last, cut_end)
    if last < len(text) or not begins:
        pieces.append(text[last:])
        begins.append(position)
        shifts.append(last - position)
    return "".join(pieces), (begins, shifts)


def _numerals(match: re.Match[str]) -> str:
    return match.group().translate(_NUMERAL_TABLE)


def _is_emoji_char(code: str) -> bool:
    return len(code) == 1 and re.fullmatch(f"[{_EMOJI_CHARS}]", code) is not None


def read_table(path: Path, *, columns: int = 2) -> Iterable[tuple[int, list[str]]]:
    """Yield (line number, fields) of a whitespace-separated table; lines starting '#' are
    comments (no inline comments: '#' can be part of an emoticon code)."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise QCError(Code.E202, f"cannot read lexicon: {exc.strerror}", file=str(path)) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            body = line.strip()
            if not body or body.startswith("#"):
                continue
            fields = body.split(None, columns - 1)
            if len(fields) != columns:
                raise QCError(
                    Code.E202,
                    f"expected {columns} fields separated by spaces",
                    file=str(path),
                    line=number,
                )
            yield number, fields


def load_normalizer(lexicon_dir: Path) -> Normalizer:
    """Build the normaliser from `emoticons.txt` and `evasions.txt` in a lexicon folder."""
    emoticons: dict[str, str] = {}
    for number, (code, kind) in read_table(lexicon_dir / "emoticons.txt"):
        if kind not in EMOJI_KINDS:
            raise QCError(
                Code.E202,
                f"unknown emoji kind {kind!r}; expected one of {', '.join(EMOJI_KINDS)}",
                file=str(lexicon_dir / "emoticons.txt"),
                line=number,
            )
        emoticons[code] = kind
    evasions: dict[str, str] = {}
    plain = Normalizer(emoticons={}, evasions={})
    for _, (variant, canonical) in read_table(lexicon_dir / "evasions.txt"):
        evasions[plain.normalize(variant).text] = plain.normalize(canonical).text
    return Normalizer(emoticons=emoticons, evasions=evasions)
