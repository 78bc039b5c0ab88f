"""A transcript being inspected: what every checker reads, computed once and shared."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from qc_engine.lexicon import Lexicon, PhraseHit, core_length
from qc_engine.normalize import NormalizedText
from qc_engine.transcript import Transcript

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from qc_engine.resources import Resources

_NONE: frozenset[str] = frozenset()


def _leftmost_longest(hit: PhraseHit) -> tuple[int, int]:
    return (hit.start, -hit.end)


class Chat:
    """Normalised texts, one phrase scan per chat, segmentation on demand.

    The phrase scan runs once, on first use, over every message with the checklist's shared
    automaton, and is indexed by lexicon: `hit_indices` gives the few messages where a
    lexicon has a phrase, so a checker visits those instead of asking every message.
    `memo` holds what several checkers compute alike (keyed by whoever computes it).
    """

    __slots__ = (
        "_docs",
        "_hits",
        "_joined",
        "_private",
        "memo",
        "messages",
        "norm",
        "resources",
        "roles",
        "transcript",
    )

    def __init__(self, transcript: Transcript, resources: Resources) -> None:
        self.transcript = transcript
        self.messages = transcript.messages
        self.roles = [m.role for m in transcript.messages]
        normalize = resources.normalizer.normalize
        self.norm: list[NormalizedText] = [normalize(m.text) for m in transcript.messages]
        self.resources = resources
        self.memo: dict[Any, Any] = {}
        self._hits: dict[int, dict[int, list[PhraseHit]]] | None = None
        self._private: dict[tuple[int, int], list[PhraseHit]] = {}
        self._docs: dict[int, Doc] = {}
        self._joined: dict[frozenset[str], tuple[str, list[int], list[int]]] = {}

    def __len__(self) -> int:
        return len(self.messages)

    def scanned(self) -> dict[int, dict[int, list[PhraseHit]]]:
        """The shared phrase scan, run on first use: lexicon key -> message index -> hits
        (before the entries' conditions), only lexicons with hits."""
        found = self._hits
        if found is None:
            found = self._hits = self.resources.phrase_index.scan_texts(
                [n.text for n in self.norm], self.roles
            )
        return found

    def _raw_hits(self, index: int, key: int) -> list[PhraseHit]:
        """A lexicon's hits in one message before the entries' conditions."""
        phrases = self.resources.phrase_index
        if self.roles[index] in phrases.covered.get(key, _NONE):
            by_message = self.scanned().get(key)
            return by_message.get(index) or [] if by_message is not None else []
        if key not in phrases.lexicons:
            return []
        # A word list kept out of the shared scan, or a role it was not declared for.
        cached = self._private.get((key, index))
        if cached is None:
            cached = self._private[(key, index)] = phrases.scan_one(key, self.norm[index].text)
        return cached

    def hit_indices(self, lexicon: Lexicon, roles: Collection[str] | None = None) -> list[int]:
        """The messages (of these roles), in order, where the lexicon may have hits: every
        message `phrase_hits` would give hits for is among them."""
        key = id(lexicon)
        phrases = self.resources.phrase_index
        covered = phrases.covered.get(key, _NONE)
        role_of = self.roles
        if roles is None:
            roles = set(role_of)
        if covered.issuperset(roles):
            by_message = self.scanned().get(key)
            if by_message is None:
                return []
            return [i for i in by_message if role_of[i] in roles]
        if key not in phrases.lexicons:
            return []
        limit = phrases.alone_limit(key)
        if limit is not None:
            # Only short messages can hold a phrase of a list of `alone` entries.
            norm = self.norm
            return [
                i
                for i, role in enumerate(role_of)
                if role in roles and core_length(norm[i].text) <= limit and self._raw_hits(i, key)
            ]
        return [i for i, role in enumerate(role_of) if role in roles and self._raw_hits(i, key)]

    def matching(self, pattern: re.Pattern[str], roles: Collection[str]) -> list[int]:
        """The messages of these roles, in order, whose normalised text `pattern.search`
        finds something in: one search per matching message over their texts joined by
        NUL, instead of one per message. The pattern must not match NUL or look around
        (literals and character classes are fine)."""
        key = frozenset(roles)
        joined = self._joined.get(key)
        if joined is None:
            indices = [i for i, role in enumerate(self.roles) if role in key]
            texts = [self.norm[i].text for i in indices]
            starts = []
            position = 0
            for text in texts:
                starts.append(position)
                position += len(text) + 1
            joined = self._joined[key] = ("\x00".join(texts), starts, indices)
        text, starts, indices = joined
        found = []
        count = len(indices)
        search = pattern.search
        match = search(text)
        while match is not None:
            k = bisect_right(starts, match.start()) - 1
            found.append(indices[k])
            if k + 1 >= count:
                break
            match = search(text, starts[k + 1])
        return found

    def phrase_hits(self, index: int, lexicon: Lexicon) -> list[PhraseHit]:
        """Hits of one lexicon in one message whose conditions hold, in text order."""
        hits = self._raw_hits(index, id(lexicon))
        if not hits:
            return []
        return [
            h
            for h in hits
            if not h.entry.conditional or h.entry.accepts(self, index, h.start, h.end)
        ]

    def first_hit(
        self, index: int, lexicon: Lexicon, keep: Callable[[str, PhraseHit], bool] | None = None
    ) -> PhraseHit | None:
        """The first hit whose conditions hold (leftmost, then longest), and, if given,
        for which `keep(text, hit)` is true: conditions are tested in that order only
        until one hit passes."""
        hits = self._raw_hits(index, id(lexicon))
        if not hits:
            return None
        if len(hits) > 1:
            hits = sorted(hits, key=_leftmost_longest)
        text = self.norm[index].text
        for hit in hits:
            if (
                not hit.entry.conditional or hit.entry.accepts(self, index, hit.start, hit.end)
            ) and (keep is None or keep(text, hit)):
                return hit
        return None

    def previous_index(self, index: int, role: str) -> int | None:
        for j in range(index - 1, -1, -1):
            if self.roles[j] == role:
                return j
        return None

    def previous_text(self, index: int, role: str) -> str:
        j = self.previous_index(index, role)
        return self.norm[j].text if j is not None else ""

    def doc(self, index: int) -> Doc:
        """The segmented normalised text of one message (spaCy Doc), cached."""
        doc = self._docs.get(index)
        if doc is None:
            doc = self._docs[index] = self.resources.segmenter(self.norm[index].text)
        return doc

    def quote(self, index: int, span: tuple[int, int] | None, limit: int = 40) -> str:
        """The original words of a span, for a flag's evidence."""
        text = self.messages[index].text
        if span is None:
            return text if len(text) <= limit else text[: limit - 1] + "…"
        piece = text[span[0] : span[1]]
        return piece if len(piece) <= limit else piece[: limit - 1] + "…"
