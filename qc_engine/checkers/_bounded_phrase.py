"""A phrase checker whose Latin and digit phrases only match as whole tokens.

Not a checker module: the leading underscore keeps it out of auto-discovery.

The phrase automaton matches substrings, which is right for Chinese but wrong for numbers
and Latin words: "12315" would fire inside the order number 2023123156789 and "no.1" inside
"no.10". Here a hit whose first (last) character is an ASCII letter or digit is dropped when
the character before (after) it is one too, as evasions.txt does for its Latin variants.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from qc_engine.checkers.base import Hit
from qc_engine.checkers.phrase import PhraseChecker

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.lexicon import Lexicon, PhraseHit


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def stands_alone(text: str, start: int, end: int) -> bool:
    """False when a phrase's ASCII edge runs into more ASCII letters or digits."""
    if start > 0 and _is_word_char(text[start]) and _is_word_char(text[start - 1]):
        return False
    if end < len(text) and _is_word_char(text[end - 1]) and _is_word_char(text[end]):
        return False
    return True


class BoundedPhraseChecker(PhraseChecker):
    """Abstract: `PhraseChecker` with whole-token matching of ASCII phrases and a reason
    appended to the evidence."""

    reason: ClassVar[str] = ""
    """Why the hit matters, in Chinese, appended to the evidence ("客服主动提及监管渠道")."""

    def first_bounded_hit(self, chat: Chat, index: int, lexicon: Lexicon) -> PhraseHit | None:
        text = chat.norm[index].text
        hits = [h for h in chat.phrase_hits(index, lexicon) if stands_alone(text, h.start, h.end)]
        return min(hits, key=lambda h: (h.start, -h.end)) if hits else None

    def check(self, chat: Chat) -> Iterator[Hit]:
        for index, role in enumerate(chat.roles):
            if role not in self.inspect_roles:
                continue
            for lexicon in self.lexicons:
                hit = self.first_bounded_hit(chat, index, lexicon)
                if hit is None:
                    continue
                span = chat.norm[index].to_original(hit.start, hit.end)
                evidence = self.evidence(chat, index, span, hit.entry)
                if self.reason:
                    evidence = f"{evidence}：{self.reason}"
                yield Hit(index, span, evidence)
                break
