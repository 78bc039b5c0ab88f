"""Reading agent replies as answers, promises or filler.

Shared by the unanswered-question and broken-promise checkers (a private module: the
checker auto-discovery skips names starting with '_'). Both need the same judgement of an
agent or bot message: does it say something (substantive), or is it only filler ("好的亲",
"嗯嗯") or a promise to come back ("稍等我查一下")? Judged on the normalised text with the
two lexicons follow_up_promise.txt and reply_filler.txt: what neither lexicon covers, once
particles, punctuation and emoji are set aside, is the message's substance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qc_engine.lexicon import FILLERS, Lexicon, PhraseHit
from qc_engine.normalize import trie_pattern
from qc_engine.transcript import AGENT_ROLES

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources

PROMISE_LEXICON = "follow_up_promise.txt"
FILLER_LEXICON = "reply_filler.txt"

# Characters that never make a message substantive: the lexicon module's particles plus
# more particles and the CJK punctuation the normaliser does not fold to ASCII.
FILLER_CHARS = FILLERS | frozenset(
    "哒滴呐咯啦嘞哇嘿呦哼喏噻~!?,.;:()[]<>…、。“”‘’【】《》「」 \t\r\n"
)

# A customer message holding one of these withdraws what is pending ("不用查了").
RELEASE_WORDS = (
    "不用了",
    "不用查了",
    "不用看了",
    "不需要了",
    "没事了",
    "不麻烦了",
    "不用麻烦了",
    "算了不用",
)
_RELEASE = re.compile("|".join(map(re.escape, RELEASE_WORDS)))


@dataclass(slots=True, frozen=True)
class Reply:
    """How one agent or bot message reads."""

    substantive: bool
    """Says something beyond filler and promises."""
    promise: PhraseHit | None
    """The first promise phrase in the message, if any."""
    open_promise: PhraseHit | None
    """The last promise phrase, if nothing but filler follows it: the message leaves a
    promise to be kept by a later message ("稍等我查下物流哦")."""


class ReplyReader:
    """Classifies agent and bot messages; one per checker, built in its __init__. Readings
    are kept on the chat, so checkers reading with the same lexicons share them."""

    def __init__(self, resources: Resources, *, extra_promises: list[str] | None = None) -> None:
        self.promises: list[Lexicon] = [resources.lexicon(PROMISE_LEXICON, roles=AGENT_ROLES)]
        if extra_promises:
            self.promises.append(
                resources.inline_lexicon(
                    "follow_up_promise.extra", extra_promises, roles=AGENT_ROLES
                )
            )
        # A word list of very common words (亲, 您, 好): out of the shared phrase scan.
        self.filler = resources.lexicon(FILLER_LEXICON, shared=False)
        self.key = ("reply", *(id(lexicon) for lexicon in self.promises), id(self.filler))
        # A character neither a filler phrase nor FILLER_CHARS can cover: where a message
        # without a promise holds one, it says something.
        coverable = set(FILLER_CHARS)
        for entry in self.filler.entries:
            coverable.update(entry.phrase)
        self._uncoverable = re.compile(f"[^{re.escape(''.join(sorted(coverable)))}]")
        # Conversely, a message (without a promise) that is filler phrases without
        # conditions and FILLER_CHARS end to end says nothing. Atomic and possessive, so
        # the test is linear: it may miss a tiling (then the exact reading decides), never
        # find a false one. Phrases with a Latin letter or digit at an edge are left out
        # (the scan matches them as whole tokens only: no "ok" in "okok").
        plain = [
            entry.phrase
            for entry in self.filler.entries
            if not entry.conditional and not _latin_edge(entry.phrase)
        ]
        chars = re.escape("".join(sorted(FILLER_CHARS)))
        self._all_filler = re.compile(
            f"(?:(?>{trie_pattern(plain)})|[{chars}])*+" if plain else f"[{chars}]*+"
        )

    def read(self, chat: Chat, index: int) -> Reply:
        key = (self.key, index)
        reply = chat.memo.get(key)
        if reply is None:
            reply = chat.memo[key] = self._read(chat, index)
        return reply

    def promising(self, chat: Chat) -> set[int]:
        """The agent and bot messages that may hold a promise phrase (every message whose
        reading has a `promise` is among them)."""
        found = chat.memo.get(self.key)
        if found is None:
            found = chat.memo[self.key] = set()
            for lexicon in self.promises:
                found.update(chat.hit_indices(lexicon, AGENT_ROLES))
        return found

    def _read(self, chat: Chat, index: int) -> Reply:
        text = chat.norm[index].text
        if index in self.promising(chat):
            promised = [chat.phrase_hits(index, lexicon) for lexicon in self.promises]
        else:
            promised = []
        if not any(promised):
            if self._uncoverable.search(text):
                return _SUBSTANTIVE
            if self._all_filler.fullmatch(text):
                return _FILLER
        n = len(text)
        covered = bytearray(n)
        first: PhraseHit | None = None
        last: PhraseHit | None = None
        for hits in promised:
            for hit in hits:
                covered[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
                if first is None or hit.start < first.start:
                    first = hit
                if last is None or hit.end > last.end:
                    last = hit
        for hit in chat.phrase_hits(index, self.filler):
            covered[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
        # The last character of substance (read from the end: it is usually near it).
        substance = -1
        for k in range(n - 1, -1, -1):
            if not covered[k] and text[k] not in FILLER_CHARS:
                substance = k
                break
        open_promise = None
        if last is not None and substance < last.start:
            open_promise = last
        return Reply(substantive=substance >= 0, promise=first, open_promise=open_promise)


_SUBSTANTIVE = Reply(substantive=True, promise=None, open_promise=None)
_FILLER = Reply(substantive=False, promise=None, open_promise=None)


def _latin_edge(phrase: str) -> bool:
    return any(ch.isascii() and ch.isalnum() for ch in (phrase[0], phrase[-1]))


def releases(chat: Chat, index: int) -> bool:
    """Does this customer message withdraw the question or request it made earlier?"""
    return _RELEASE.search(chat.norm[index].text) is not None
