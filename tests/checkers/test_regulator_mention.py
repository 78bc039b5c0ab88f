"""Edge cases of phrase.regulator_mention: (chat, expected message index or None)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # volunteered
    ("a: 亲可以打12315哦", 0),
    ("a: 有问题找消费者协会吧", 0),
    ("a: 您可以去工商局反映", 0),
    ("c: 什么时候退款\na: 您可以申请平台介入", 1),
    ("c: 为什么不发货\na: 那您申请客服介入吧", 1),
    ("c: 太慢了\na: 投诉也没用的亲，快递就这样", 1),
    ("c: 你们骗人\na: 有本事你去告啊", 1),
    ("c: 我要曝光你们\na: 随便你曝光", 1),
    ("c: 这是假货吧\na: 亲可以向市监局举报的", 1),
    ("a: 快递问题您可以打国家邮政局的电话申诉", 0),
    # answers when the customer raised the channel first
    ("c: 我要打12315\na: 亲，12315我们也会配合的，先帮您处理好吗", None),
    ("c: 我要申请小二介入\na: 可以的亲，平台介入我们也会配合", None),
    ("c: 我要去消协投诉\na: 消协那边我们也会配合处理的", None),
    # numbers, banks, internal departments, courier complaints, de-escalation
    ("a: 物流单号 7712315 已经揽收了", None),
    ("a: 单号是 JT12315009 哦", None),
    ("a: 中国工商银行和建设银行都支持的", None),
    ("a: 我这边向相关部门反映一下，稍后回复您", None),
    ("a: 您可以投诉快递员的，我们这边也会反馈", None),
    ("a: 不用找工商哦，我们直接给您退款", None),
    ("a: 您有什么问题尽管告诉我", None),
    ("a: 你去告诉快递员放门口就行", None),
    ("a: 亲亲千万别投诉我们，我马上处理", None),
    ("b: 正在为您转接人工客服介入处理", None),
]


@pytest.mark.parametrize(("chat", "expected"), CASES)
def test_regulator_mention(chat, expected, normalizer):
    hits = run_example(
        REGISTRY["phrase.regulator_mention"],
        Example(chat),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert (hits[0].message_index if hits else None) == expected, [h.evidence for h in hits]
