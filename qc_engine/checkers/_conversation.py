"""Helpers shared by the conversation-structure checkers (response times, greeting, closing,
apologies, repetition). Not a checker module: the leading underscore keeps it out of
auto-discovery."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.lexicon import Lexicon, PhraseHit

# Particles, punctuation and decoration that may close a sentence after its last real word.
_TRAILING = frozenset("哦噢喔啊呀吧的了哈嗯恩额呃哟~,.!;:、…。 ")
_CLAUSE_BREAKS = frozenset(",.!?;:。…\n")
_LATIN = re.compile("[a-zA-Z]")
# A clause that contains one of these words and ends in 呢 asks something ("想要什么呢").
_QUESTION_WORDS = (
    "什么",
    "怎么",
    "哪",
    "多少",
    "几",
    "是否",
    "有没有",
    "是不是",
    "要不要",
    "能不能",
    "可不可以",
    "会不会",
    "还是",
)


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _whole_word(text: str, hit: PhraseHit) -> bool:
    """Not a Latin phrase found inside a longer Latin word ("hi" in "this")."""
    if (
        _is_ascii_letter(text[hit.start])
        and hit.start > 0
        and _is_ascii_letter(text[hit.start - 1])
    ):
        return False
    return not (
        _is_ascii_letter(text[hit.end - 1])
        and hit.end < len(text)
        and _is_ascii_letter(text[hit.end])
    )


def first_word_hit(chat: Chat, index: int, lexicon: Lexicon) -> PhraseHit | None:
    """`chat.first_hit`, less Latin phrases found inside a longer Latin word ("hi" in
    "this", "sorry" in "sorryy" stays): CJK text has no word boundaries, Latin text has."""
    # (no Latin letter in the message: nothing to drop)
    keep = _whole_word if _LATIN.search(chat.norm[index].text) else None
    return chat.first_hit(index, lexicon, keep)


def ends_with_question(text: str) -> bool:
    """Whether a (normalised) message ends by asking something: a final question mark, a
    final 吗/么/嘛, or a final 呢 after a question word in the same clause ("想要什么呢")."""
    end = len(text)
    while end > 0 and text[end - 1] in _TRAILING:
        end -= 1
    if end == 0:
        return False
    final = text[end - 1]
    if final in "?吗么嘛":
        return True
    if final != "呢":
        return False
    start = end - 1
    while start > 0 and text[start - 1] not in _CLAUSE_BREAKS:
        start -= 1
    clause = text[start:end]
    return any(word in clause for word in _QUESTION_WORDS)
