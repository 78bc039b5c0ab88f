"""Edge cases of the greeting and closing checkers."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY, Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS


def hits(slug, chat, **params):
    found = run_example(REGISTRY[slug], Example(chat, params=params), lexicon_dir=LEXICONS)
    return [h.message_index for h in found]


@pytest.mark.parametrize(
    ("chat", "expected"),
    [
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
    ],
)
def test_greeting(chat, expected):
    assert hits("structure.greeting", chat) == expected


@pytest.mark.parametrize(
    ("chat", "expected"),
    [
        ("c: 好的\na: 嗯嗯亲", [1]),
        ("c: 好的\na: 嗯嗯亲\ns: 会话已超时结束", [1]),  # the flag sits on the agent's last message
        ("c: 好的\na: 好的亲，再见~", []),
        ("c: 好的\na: 拜拜[微笑]", []),
        ("c: 好的\na: bye", []),
        ("c: 好的\na: 这款是byebye系列", [1]),  # a Latin word inside a longer word
        ("c: 好的\na: 谢谢亲", []),
        ("c: 好的\na: 谢谢亲，这款明天发", [1]),  # 谢谢 counts only as a whole message
        ("c: 好的\na: 有问题随时找我哦\nc: 好", []),
        ("c: 好的\na: 祝您生活愉快\na: 嗯嗯\nc: 嗯", []),  # within the last two agent messages
        ("c: 好的\na: 祝您生活愉快\na: 嗯嗯\na: 对的", [3]),  # no longer within them
        ("c: 还有个问题\na: 您说\nc: 能开发票吗?", []),  # the customer's question is the last word
        ("c: 能开发票吗\na: 可以的\nc: 好的谢谢", [1]),  # the customer's sign-off is not a question
        ("c: 能开发票吗\na: 您要开个人还是公司抬头呢", []),  # the agent's question is the last word
        ("c: 能开发票吗\na: 您要开个人还是公司抬头呢\nc: 个人", [1]),  # ... answered, then silence
        ("c: 能开发票吗\na: 我帮您问一下财务", []),  # a hold
        ("c: 能开发票吗\na: 可以的\ns: 会话已转接至客服小李", []),  # handed over
        ("c: 能开发票吗\nb: 可以的，祝您购物愉快", []),  # no agent message
        ("c: 能开发票吗\na: 可以的\nb: 祝您购物愉快", [1]),  # a bot closing is not the agent's
    ],
)
def test_closing(chat, expected):
    assert hits("structure.closing", chat) == expected


def test_closing_params():
    chat = "c: 好的\na: 祝您生活愉快\na: 嗯嗯\na: 对的"
    assert hits("structure.closing", chat) == [3]
    assert hits("structure.closing", chat, last_agent_messages=3) == []
    assert hits("structure.closing", chat, required=False) == []
    held = "c: 能开发票吗\na: 稍等，我帮您问一下财务"
    assert hits("structure.closing", held) == []
    assert hits("structure.closing", held, judge_cut_off=True) == [1]
