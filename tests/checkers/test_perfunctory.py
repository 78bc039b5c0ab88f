"""Edge cases of phrase.perfunctory: (chat, expected message index or None)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # brush-offs after a real question
    ("c: 发货了吗\na: 不知道", 1),
    ("c: 发货了吗？\na: 不清楚～", 1),
    ("c: 这款有没有黑色\na: 不晓得", 1),
    ("c: 能不能便宜点\na: 哦", 1),
    ("c: 几号能发\na: 嗯", 1),
    ("c: 多少钱包邮\na: 好的", 1),
    ("c: 亲在吗？这个什么时候发货\na: 哦", 1),
    ("c: 适合几岁的孩子\na: 看个人吧", 1),
    ("c: 会掉色吗\na: 应该不会吧", None),
    ("c: 会掉色吗\na: 不会吧", 1),
    ("c: 冬天穿够不够暖\na: 差不多吧", 1),
    ("c: 保修多久\na: 忘了", 1),
    ("c: 什么时候到\na: 快了", 1),
    ("c: 什么时候发货\nb: 您好，请稍等\na: 不知道", 2),
    ("c: 什么时候发货\na: [微笑]\na: 不知道", 2),
    ("c: 发货了吗\nb: 亲亲，已为您转接人工\na: 不知道", None),
    # not a question, a greeting, or a real answer in the same turn
    ("c: 谢谢\na: 哦", None),
    ("c: 好的\na: 嗯嗯亲", None),
    ("c: 亲在吗？\na: 嗯", None),
    ("c: 在不在\na: 哦", None),
    ("c: 有人吗\na: 不知道", None),
    ("c: 能开发票吗\na: 嗯嗯", None),
    ("c: 可以备注送小样吗\na: 好的", None),
    ("c: 帮我备注一下什么时候发都行\na: 好的", None),
    ("c: 好几天前就显示派送了\na: 好的", None),
    ("c: 我还是寄回去吧\na: 嗯嗯好的", None),
    ("c: 发货了吗\na: 哦好的，马上帮您处理", None),
    ("c: 发货了吗\na: 不知道呢，我帮您问下仓库", None),
    ("c: 什么时候发货\na: 嗯\na: 今天下午四点前发出哦", None),
    ("c: 什么时候发货\na: 今天下午\na: 嗯嗯", None),
    ("c: 发什么快递\na: 不知道\na: 哦", 1),
]


@pytest.mark.parametrize(("chat", "expected"), CASES)
def test_perfunctory(chat, expected, normalizer):
    hits = run_example(
        REGISTRY["phrase.perfunctory"], Example(chat), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert (hits[0].message_index if hits else None) == expected, [h.evidence for h in hits]


def test_one_flag_per_turn(normalizer):
    hits = run_example(
        REGISTRY["phrase.perfunctory"],
        Example("c: 发什么快递\na: 不知道\na: 哦\nc: 几天到\na: 不清楚"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert [h.message_index for h in hits] == [1, 4]
    assert "买家问「发什么快递」" in hits[0].evidence


def test_greetings_param(normalizer):
    hits = run_example(
        REGISTRY["phrase.perfunctory"],
        Example("c: 在吗\na: 哦", params={"greetings": ["你好"]}),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert [h.message_index for h in hits] == [1]
