"""Text normalisation for Chinese chat, with a map back to the original characters.

Every checker matches on `NormalizedText.text`; every span it reports goes through
`to_original`, so a flag's span points into the message as the customer saw it.

What normalisation does, in order:
1. one-to-one character mapping (offsets unchanged): full-width to half-width, traditional
   to simplified (OpenCC's character table), ASCII case folding, circled digits;
2. runs of Chinese numerals long enough to be a phone or account number become digits;
3. platform emoticon codes ([微笑], /:^_^) and Unicode emoji are recognised as emoji, kept
   aside in `emoji` and removed from the text, so "[微笑]" never matches the word 微笑;
4. separators wedged between characters ("加 我 微 信", "薇❤信", "加.微.信") are removed,
   except between two ASCII letters or digits ("3.5", "ok thanks" stay);
5. evasions of banned words ("vx", "V信", "威信", "扣扣") become their canonical form.
Steps 3-5 change offsets; they run only when a message needs them, the common message takes
the fast path (C-level passes only and no offset table): one regex search for a separator or
an evasion variant (plain literals, so the regex engine can skip ahead) decides whether steps
4-5 can apply at all, and emoticon codes are matched with one prefix-tree regex.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qc_engine.errors import QCError

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
    return table


CHAR_TABLE = _build_char_table()


def _bmp_table(table: dict[int, str]) -> list[int | str]:
    """CHAR_TABLE as a list indexed by code point, for the Basic Multilingual Plane:
    `str.translate` looks a list up about twice as fast as a dict. Text holding a character
    beyond the BMP (emoji, rare CJK) is translated with the dict itself."""
    bmp: list[int | str] = list(range(0x10000))
    for code, value in table.items():
        if code < 0x10000:
            bmp[code] = ord(value) if len(value) == 1 else value
    return bmp


_BMP_TABLE = _bmp_table(CHAR_TABLE)
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _translate(text: str) -> str:
    """`text.translate(CHAR_TABLE)`, faster."""
    return text.translate(CHAR_TABLE if _ASTRAL.search(text) else _BMP_TABLE)


def trie_pattern(words: Iterable[str]) -> str:
    """A regex that matches, at a position, the longest of `words` starting there (what an
    alternation of the words sorted longest first matches), written as a prefix tree so the
    regex engine tries one branch per character instead of every word in turn."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
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
_EMOJI_CHARS = (
    "\U0001F000-\U0001FAFF\u2600-\u2604\u2607-\u26FF\u2700-\u27BF\u2B50\u2B55"
    "\u3030\u303D\u3297\u3299\uFE0F"
)
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
_PLUS_ONE = (1).__add__
_SKIP = object()
_CLAUSE_BREAK = re.compile(r"[,。!?;；…\n\r]")
# Up to the last clause break (matched against the text before a position).
_TO_LAST_BREAK = re.compile(r".*[,。!?;；…\n\r]", re.DOTALL)


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"



@dataclass(slots=True, frozen=True)
class EmojiHit:
    """One emoji or emoticon code in the original text."""

    start: int
    end: int
    code: str
    kind: str


@dataclass(slots=True)
class NormalizedText:
    original: str
    text: str
    starts: list[int] | None
    ends: list[int] | None
    emoji: tuple[EmojiHit, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of `text` back to the original message."""
        if self.starts is None or self.ends is None:
            return (start, end)
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return (pos, pos)
        return (self.starts[start], self.ends[end - 1])

    def clause(self, start: int, end: int) -> str:
        """The clause (between sentence punctuation) that holds text[start:end]."""
        text = self.text
        before = _TO_LAST_BREAK.match(text, 0, start)
        after = _CLAUSE_BREAK.search(text, end)
        return text[before.end() if before else 0:after.start() if after else len(text)]


class Normalizer:
    """Normalises chat text. Built once from the lexicons for emoticons and evasions."""

    def __init__(self, *, emoticons: dict[str, str], evasions: dict[str, str]) -> None:
        self.emoticons = dict(emoticons)
        self.evasions = dict(evasions)
        # Identifies what this normaliser does, for caches of text it normalised.
        self.fingerprint = hash((tuple(sorted(self.emoticons.items())),
                                 tuple(sorted(self.evasions.items()))))
        codes = [c for c in self.emoticons if len(c) > 1 or not _is_emoji_char(c)]
        # The longest code at a position, else an emoji character (with a joiner).
        alternatives = ([f"(?:{trie_pattern(codes)})"] if codes else []) + [
            f"[{_EMOJI_CHARS}]\u200d?"]
        self._emoji_re = re.compile("|".join(alternatives))
        self._emoji_codes: dict[str, tuple[str, str] | object] = {}
        self._evasion_re: re.Pattern[str] | None = None
        # Anything steps 4-5 could act on: a separator, or an evasion variant as a plain
        # substring (the evasion regex's look-arounds only ever reject such a substring).
        variants = "|".join(re.escape(v) for v in sorted(self.evasions, key=len, reverse=True))
        self._evasion_gate = re.compile(variants) if self.evasions else None
        self._slow_gate = re.compile(f"[{_SEP_CLASS}]" + (f"|{variants}" if variants else ""))
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
        # _translate, inlined: this runs for every message.
        text = original.translate(CHAR_TABLE if _ASTRAL.search(original) else _BMP_TABLE)
        if _HAS_CN_NUMERAL.search(text):
            text = _NUMERAL_RUN.sub(_numerals, text)
        emoji = self._find_emoji(original) if _EMOJI_HINT.search(original) else None
        if not emoji and (
            self._slow_gate.search(text) is None
            or (not self._has_evasion(text) and not _WEDGED_RE.search(text))
        ):
            return NormalizedText(original, text, None, None, ())
        stripped, starts = self._strip(text, emoji or ())
        ends = list(map(_PLUS_ONE, starts))
        if self._has_evasion(stripped):
            stripped, starts, ends = self._canonicalise(stripped, starts, ends)
        return NormalizedText(original, stripped, starts, ends, tuple(emoji or ()))

    def _has_evasion(self, text: str) -> bool:
        return (self._evasion_gate is not None and self._evasion_gate.search(text) is not None
                and self._evasion_re is not None and self._evasion_re.search(text) is not None)

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
            hits.append(EmojiHit(match.start(), match.end(), *found))
        return hits

    def _emoji_code(self, code: str) -> tuple[str, str] | object:
        """The code and kind an emoji match stands for (_SKIP for a lone U+FE0F)."""
        if code == "\ufe0f":
            return _SKIP
        key = code.rstrip("\u200d")
        kind = self.emoticons.get(key) or self.emoticons.get(key.rstrip("\ufe0f"), "neutral")
        return key, kind

    @staticmethod
    def _strip(text: str, emoji: Sequence[EmojiHit]) -> tuple[str, list[int]]:
        """Remove emoji, and separator runs wedged between characters (not between two
        ASCII ones); return the text and each kept character's original index."""
        cuts = []
        if emoji:
            # Emoji spans are in order and disjoint: mask each with spaces.
            parts = []
            kept = []
            last = 0
            for hit in emoji:
                piece = text[last:hit.start]
                parts.append(piece)
                kept.append(piece)
                parts.append(" " * (hit.end - hit.start))
                cuts.append((hit.start, hit.end))
                last = hit.end
            piece = text[last:]
            parts.append(piece)
            kept.append(piece)
            rest = "".join(kept)
            if _SEPARATOR.search(rest) is None:
                # The only separators are the masked emoji: every wedged run lies inside
                # the emoji spans, which are cut anyway.
                starts: list[int] = []
                last = 0
                for cut_start, cut_end in cuts:
                    starts.extend(range(last, cut_start))
                    last = cut_end
                starts.extend(range(last, len(text)))
                return rest, starts
            masked = "".join(parts)
        else:
            masked = text
        cuts.extend(m.span() for m in _WEDGED_RE.finditer(masked))
        cuts.sort()
        pieces: list[str] = []
        starts = []
        last = 0
        for cut_start, cut_end in cuts:
            if cut_start > last:
                pieces.append(text[last:cut_start])
                starts.extend(range(last, cut_start))
            last = max(last, cut_end)
        pieces.append(text[last:])
        starts.extend(range(last, len(text)))
        return "".join(pieces), starts

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


def _numerals(match: re.Match[str]) -> str:
    return match.group().translate(_NUMERAL_TABLE)


def _is_emoji_char(code: str) -> bool:
    return len(code) == 1 and re.fullmatch(f"[{_EMOJI_CHARS}]", code) is not None


def read_table(path: Path, *, columns: int = 2) -> Iterable[tuple[int, list[str]]]:
    """Yield (line number, fields) of a whitespace-separated table; lines starting '#' are
    comments (no inline comments: '#' can be part of an emoticon code)."""
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise QCError("E202", f"cannot read lexicon: {exc.strerror}", file=str(path)) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            body = line.strip()
            if not body or body.startswith("#"):
                continue
            fields = body.split(None, columns - 1)
            if len(fields) != columns:
                raise QCError("E202", f"expected {columns} fields separated by spaces",
                              file=str(path), line=number)
            yield number, fields


def load_normalizer(lexicon_dir: Path) -> Normalizer:
    """Build the normaliser from `emoticons.txt` and `evasions.txt` in a lexicon folder."""
    emoticons: dict[str, str] = {}
    for number, (code, kind) in read_table(lexicon_dir / "emoticons.txt"):
        if kind not in EMOJI_KINDS:
            raise QCError("E202", f"unknown emoji kind {kind!r}; expected one of "
                          f"{', '.join(EMOJI_KINDS)}", file=str(lexicon_dir / "emoticons.txt"),
                          line=number)
        emoticons[code] = kind
    evasions: dict[str, str] = {}
    plain = Normalizer(emoticons={}, evasions={})
    for number, (variant, canonical) in read_table(lexicon_dir / "evasions.txt"):
        evasions[plain.normalize(variant).text] = plain.normalize(canonical).text
    return Normalizer(emoticons=emoticons, evasions=evasions)
