"""Edge cases of the greeting and closing checkers."""
from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY, Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS


def hits(slug, chat, **params):
    found = run_example(REGISTRY[slug], Example(chat, params=params), lexicon_dir=LEXICONS)
    return [h.message_index for h in found]


@pytest.mark.parametrize(("chat", "expected"), [
    ("c: 在吗\na: 在的", []),
    ("c: 在吗\na: 在的哦，您说", []),
    ("c: 在吗\na: 亲亲，在呢", []),
    ("c: 多少钱\na: 现在的价格是99", [1]),
    ("c: 多少钱\na: 现在呢是99", [1]),
    ("c: 你好\na: 你好好看看详情页", [1]),
    ("c: 你好\na: 你好，好的", []),
    ("c: 你好\na: 亲，这款亲肤吗？亲肤的", []),  # the first 亲 is its own clause
    ("c: 你好\na: 客官，有货的", []),
    ("c: 你好\na: HELLO", []),
    ("c: 你好\na: 早上好～", []),
    ("c: 你好\na: [微笑]", [1]),
    ("c: 你好\na: [亲亲]", [1]),  # an emoticon code is not the word 亲亲
    ("c: 你好\nb: 您好\nb: 有什么可以帮您\na: 退款了", [3]),
    ("s: 买家从商品页进入\nc: 嗯嗯\na: 可以的", []),  # starts mid-conversation
    ("c: 嗯嗯，这款有货吗\na: 有的", [1]),  # an acknowledgement plus a question is an opener
    ("b: 您好\nc: 好的\na: 可以的", [2]),  # the customer answered the bot inside the chat
    ("c: ok好的\na: 嗯嗯", []),
    ("a: 在吗？您的订单地址不对\nc: 哪里不对", [0]),  # an outbound first message is judged too
])
def test_greeting(chat, expected):
    assert hits("structure.greeting", chat) == expected
