"""Edge cases of the counting checkers: apology overuse and canned repetition."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY, Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS


def hits(slug, chat, **params):
    found = run_example(REGISTRY[slug], Example(chat, params=params), lexicon_dir=LEXICONS)
    return [h.message_index for h in found]


@pytest.mark.parametrize(
    ("chat", "params", "expected"),
    [
        ("a: 抱歉\na: 抱歉\na: 抱歉\na: 抱歉\na: 抱歉", {}, [3]),  # one flag, on the first past
        ("a: 抱歉\na: 抱歉", {"max_apologies": 0}, [0]),
        ("a: 抱歉抱歉抱歉对不起\na: 抱歉", {"max_apologies": 1}, [1]),  # one per message
        ("a: 不好意思\nc: 抱歉\nb: 抱歉\ns: 抱歉\na: 抱歉", {"max_apologies": 1}, [4]),
        ("a: Sorry亲\na: SORRY\na: 对不住\na: 深表歉意", {}, [3]),
        ("a: 不用不好意思\na: 不用道歉的\na: 不必抱歉\na: 别不好意思", {}, []),
        ("a: 抱歉，不用退回\na: 抱歉\na: 抱歉\na: 抱歉", {}, [3]),  # 不用 in another clause
    ],
)
def test_apology_overuse(chat, params, expected):
    assert hits("structure.apology_overuse", chat, **params) == expected


SHIP = "亲，您的订单已经在排队发货了"
PRICE = "亲亲，已经是最低价了哦，品质有保障"


@pytest.mark.parametrize(
    ("chat", "params", "expected"),
    [
        (f"a: {SHIP}\na: {SHIP}\na: {SHIP}", {}, [1]),
        (f"a: {SHIP}\nc: ?\na: {SHIP}~\nb: {SHIP}\na: 【{SHIP}】", {}, [2]),
        (f"a: {SHIP}\na: {SHIP}\nb: {SHIP}", {}, []),  # bot copies do not count
        # two groups, each flagged once, in message order of the first repeat
        (f"a: {PRICE}\na: {SHIP}\na: {SHIP}\na: {PRICE}\na: {SHIP}\na: {PRICE}", {}, [2, 3]),
        # min_length counts the compared text: 好的收到了 (5) < 8 whatever the particles
        ("a: 好的收到了哦亲~\na: 好的收到了哦亲~\na: 好的收到了哦亲~", {}, []),
        ("a: 好的收到了哦亲~\na: 好的收到了哦亲~\na: 好的收到了哦亲~", {"min_length": 5}, [1]),
        # near-same only down to the similarity threshold
        ("a: 这款是纯棉面料透气吸汗\na: 这款是纯棉面料透气排汗\na: 这款是纯棉面料透气吸湿", {}, []),
        (
            "a: 这款是纯棉面料透气吸汗\na: 这款是纯棉面料透气排汗\na: 这款是纯棉面料透气吸湿",
            {"similarity": 0.7},
            [1],
        ),
        # numbers tell different answers apart
        ("a: 您的单号是YT1234567\na: 您的单号是YT1234568\na: 您的单号是YT1234569", {}, []),
        ("a: 您的单号是YT1234567\na: 您的单号是YT1234567\na: 您的单号是YT1234567", {}, [1]),
        # a NUL inside a message (the replies are compared joined by NUL) changes nothing else
        (f"a: {SHIP}\na: 您的\x00订单已经在排队发货了\na: {SHIP}\na: {SHIP}", {}, [2]),
        (f"a: {SHIP}\x00\na: {SHIP}\x00\na: {SHIP}\x00", {}, [1]),
    ],
)
def test_canned_repetition(chat, params, expected):
    assert hits("structure.canned_repetition", chat, **params) == expected
