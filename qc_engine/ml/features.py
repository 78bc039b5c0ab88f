"""Features for the text classifiers. Training and runtime read the same normalised text
(qc_engine.normalize) through the same definitions, so what the model learnt is what it
sees: training spells every feature out (`agent_features`, `customer_features`); the
runtime finds the character n-gram families in numpy (`LinearTextModel.predict_grams`) and
spells out only the few other features (`agent_extras`, `customer_extras`). A test checks
that both give the same probabilities."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qc_engine.ml.linear import GramFamily, LinearTextModel, Prediction
from qc_engine.normalize import NormalizedText

_QUESTION_MARKS = (
    "?",
    "吗",
    "么",
    "嘛",
    "什么",
    "怎么",
    "多少",
    "哪",
    "几",
    "能不能",
    "可不可以",
    "有没有",
    "是不是",
    "会不会",
    "要不要",
    "多久",
    "为什么",
    "咋",
)
_QUESTION = re.compile("|".join(re.escape(mark) for mark in _QUESTION_MARKS))

# The agent message's character 1-4-grams and its context's (the customer message before
# it) 1-2-grams.
AGENT_MESSAGE = GramFamily("t:", 1, 4)
AGENT_CONTEXT = GramFamily("c:", 1, 2)
# A customer message's character 1-4-grams.
CUSTOMER_MESSAGE = GramFamily("", 1, 4)


def is_question(text: str) -> bool:
    return _QUESTION.search(text) is not None


def agent_extras(message: NormalizedText, context: NormalizedText | None) -> list[str]:
    """Emoji kinds and a few shape features (a short reply to a question is what makes 哦
    perfunctory rather than fine). No feature for a missing context: the real JD replies
    the model learns `none` from have none, so it would learn "no context" as "no
    problem" and, by contrast, any reply with a context as suspect."""
    feats = ["e:" + e.kind for e in message.emoji]
    short = len(message.text.strip()) <= 5
    asked = context is not None and is_question(context.text)
    if short:
        feats.append("f:short")
    if asked:
        feats.append("f:asked")
        if short:
            feats.append("f:short_answer_to_question")
    return feats


def agent_features(message: NormalizedText, context: NormalizedText | None) -> list[str]:
    """Every feature of an agent message read with the customer message before it."""
    feats: list[str] = []
    AGENT_MESSAGE.features(message.text, feats)
    if context is not None:
        AGENT_CONTEXT.features(context.text, feats)
    feats.extend(agent_extras(message, context))
    return feats


def agent_proba(
    model: LinearTextModel, pairs: Sequence[tuple[NormalizedText, NormalizedText | None]]
) -> Prediction:
    """`model.predict_proba` of `agent_features` of each (message, context), computed from
    the texts in numpy (`.proba`), with what explains each row."""
    return model.predict_grams(
        [
            (AGENT_MESSAGE, [m.text for m, _ in pairs]),
            (AGENT_CONTEXT, [c.text if c is not None else "" for _, c in pairs]),
        ],
        [agent_extras(m, c) for m, c in pairs],
    )


def customer_extras(message: NormalizedText) -> list[str]:
    return ["e:" + e.kind for e in message.emoji]


def customer_features(message: NormalizedText) -> list[str]:
    """Every feature of a customer message: character 1-4-grams and emoji kinds."""
    feats: list[str] = []
    CUSTOMER_MESSAGE.features(message.text, feats)
    feats.extend(customer_extras(message))
    return feats


def customer_proba(model: LinearTextModel, messages: Sequence[NormalizedText]) -> Prediction:
    """`model.predict_proba` of `customer_features` of each message, computed in numpy
    (`.proba`), with what explains each row."""
    return model.predict_grams(
        [(CUSTOMER_MESSAGE, [m.text for m in messages])], [customer_extras(m) for m in messages]
    )
