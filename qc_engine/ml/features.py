"""Features for the text classifiers. Training and runtime call these same functions on the
same normalised text (qc_engine.normalize), so what the model learnt is what it sees."""
from __future__ import annotations

from qc_engine.normalize import NormalizedText

_QUESTION_MARKS = ("?", "吗", "么", "嘛", "什么", "怎么", "多少", "哪", "几", "能不能", "可不可以",
                   "有没有", "是不是", "会不会", "要不要", "多久", "为什么", "咋")


def char_ngrams(text: str, prefix: str, low: int, high: int, out: list[str]) -> None:
    n = len(text)
    for size in range(low, high + 1):
        for start in range(0, n - size + 1):
            out.append(prefix + text[start:start + size])


def is_question(text: str) -> bool:
    return any(mark in text for mark in _QUESTION_MARKS)


def agent_features(message: NormalizedText, context: NormalizedText | None) -> list[str]:
    """An agent message with the customer message before it: the message's character
    1-4-grams, the context's 1-2-grams, emoji kinds, and a few shape features (a short
    reply to a question is what makes 哦 perfunctory rather than fine)."""
    text = message.text
    feats: list[str] = []
    char_ngrams(text, "t:", 1, 4, feats)
    feats.extend("e:" + e.kind for e in message.emoji)
    short = len(text.strip()) <= 5
    asked = context is not None and is_question(context.text)
    if context is not None:
        char_ngrams(context.text, "c:", 1, 2, feats)
    else:
        feats.append("f:no_context")
    if short:
        feats.append("f:short")
    if asked:
        feats.append("f:asked")
        if short:
            feats.append("f:short_answer_to_question")
    return feats


def customer_features(message: NormalizedText) -> list[str]:
    """A customer message: character 1-4-grams and emoji kinds."""
    feats: list[str] = []
    char_ngrams(message.text, "", 1, 4, feats)
    feats.extend("e:" + e.kind for e in message.emoji)
    return feats
