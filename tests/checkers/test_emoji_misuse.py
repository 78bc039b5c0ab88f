"""Edge cases of emoji.misuse."""

from __future__ import annotations

import pytest

from qc_engine.checkers.base import Example
from qc_engine.checkers.emoji_misuse import EmojiMisuse
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # (chat, params, index of the flag or None, word the evidence must hold)
    ("a: 好的亲[微笑][微笑][微笑]", {}, None, None),  # exactly the limit
    ("a: 好的亲[微笑][微笑][微笑][微笑]", {}, 0, "4 个"),
    ("a: 好的亲😊😊", {"max_per_message": 1}, 0, "上限 1 个"),
    ("b: 亲，已经最低价了😏", {}, 0, "嘲讽"),  # the shop robot is inspected too
    ("c: 你们太慢了[大哭]\na: 亲别急[握手]", {}, 1, "中性"),
    ("c: 还要等多久😭\na: 亲亲[爱心]", {}, 1, "买家表情"),
    ("c: 这也太慢了吧\na: 抱歉亲[抱拳][对不起]", {}, None, None),
    ("c: 太慢了\na: 抱歉亲[抱拳]\na: 已经催了哦[微笑]", {}, 2, "太慢"),  # same customer run
    ("c: 太慢了\na: 抱歉亲\nc: 好吧谢谢\na: 不客气[微笑]", {}, None, None),
    ("c: 真的会掉色吗\na: 不会的亲[微笑]", {}, None, None),  # a worry asked in advance
    ("c: 差评！\na: 亲[微笑]", {"extra_upset": []}, 1, "差评"),
    ("c: 怎么还是这样\na: 亲[微笑]", {"extra_upset": ["还是这样"]}, 1, "还是这样"),
    ("c: 你个大坏坏[白眼]\na: 小二不坏的哦", {}, None, None),  # customers are not judged
]


@pytest.mark.parametrize(("chat", "params", "at", "word"), CASES)
def test_emoji_misuse(chat, params, at, word, normalizer):
    hits = run_example(
        EmojiMisuse, Example(chat, params=params), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert [h.message_index for h in hits] == ([] if at is None else [at])
    if word:
        assert word in hits[0].evidence, hits[0].evidence


def test_span_points_at_the_emoji(normalizer):
    text = "亲亲别急哦[微笑]"
    hits = run_example(
        EmojiMisuse, Example(f"c: 东西坏了\na: {text}"), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    start, end = hits[0].span
    assert text[start:end] == "[微笑]"
