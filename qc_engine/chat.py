"""A transcript being inspected: what every checker reads, computed once and shared."""
from __future__ import annotations

from typing import TYPE_CHECKING

from qc_engine.lexicon import Lexicon, PhraseHit
from qc_engine.normalize import NormalizedText
from qc_engine.transcript import Transcript

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from qc_engine.resources import Resources


class Chat:
    """Normalised texts, one phrase scan per message, segmentation on demand."""

    __slots__ = ("transcript", "messages", "roles", "norm", "resources", "_scans", "_docs")

    def __init__(self, transcript: Transcript, resources: Resources) -> None:
        self.transcript = transcript
        self.messages = transcript.messages
        self.roles = [m.role for m in transcript.messages]
        normalize = resources.normalizer.normalize
        self.norm: list[NormalizedText] = [normalize(m.text) for m in transcript.messages]
        self.resources = resources
        self._scans: list[dict[int, list[PhraseHit]] | None] = [None] * len(self.messages)
        self._docs: dict[int, Doc] = {}

    def __len__(self) -> int:
        return len(self.messages)

    def phrase_hits(self, index: int, lexicon: Lexicon) -> list[PhraseHit]:
        """Hits of one lexicon in one message whose conditions hold, in text order."""
        scan = self._scans[index]
        if scan is None:
            scan = self._scans[index] = self.resources.phrase_index.scan(self.norm[index].text)
        hits = scan.get(id(lexicon))
        if not hits:
            return []
        return [h for h in hits if h.entry.accepts(self, index, h.start, h.end)]

    def first_hit(self, index: int, lexicon: Lexicon) -> PhraseHit | None:
        hits = self.phrase_hits(index, lexicon)
        return min(hits, key=lambda h: (h.start, -h.end)) if hits else None

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
        piece = text[span[0]:span[1]]
        return piece if len(piece) <= limit else piece[: limit - 1] + "…"
