"""Edge cases of phrase.risky_promise: (chat, expected message index or None)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # delivery guarantees
    ("a: 保证后天到的亲", 0),
    ("a: 放心，绝对今天发出", 0),
    ("a: 三天内肯定到", 0),
    ("a: 明天绝对能到哦", 0),
    ("a: 我敢保证您周五之前收到", 0),
    # absolute product claims
    ("a: 这款绝对不起球", 0),
    ("a: 百分之百不会缩水", 0),
    ("a: 一定不会生锈的，放心用", 0),
    ("a: 孕妇用保证没有副作用", 0),
    # first-person pledges, bare 百分百, outcomes, arrangements outside the process
    ("a: 我保证十点前给您单号", 0),
    ("a: 我拿人格担保，一根毛都不掉", 0),
    ("a: 郊区也次日达，百分百", 0),
    ("a: 保证合身，不合身找我", 0),
    ("a: 放心，后天上午准到", 0),
    ("a: 化了算我的", 0),
    ("a: 不用走流程，我直接退您", 0),
    ("a: 喝一个月没效果全额退", 0),
    # private compensation
    ("a: 这样吧，我个人给您补20块", 0),
    ("a: 运费我自己出钱", 0),
    ("a: 我从我工资里扣给您", 0),
    # hedged, refused, or the shop's own policy
    ("a: 一般3天左右到，偏远地区会慢一点", None),
    ("a: 快递这边无法保证明天到哦", None),
    ("a: 不敢说百分百不掉色，深色建议单独洗", None),
    ("a: 保证48小时内发货", None),
    ("a: 保证今天给您答复", None),
    ("a: 肯定到时候第一时间通知您", None),
    ("a: 这个价格保证有效期到月底", None),
    ("a: 平台规定不可以私人补偿哦", None),
    ("a: 我个人建议您选大一码", None),
    ("c: 明天能到吗\na: 嗯嗯", None),
    ("a: 我保证会尽快帮您处理", None),
    ("a: 我们保证不泄露您的信息", None),
    ("a: 好评率百分百哦", None),
    ("a: 百分百纯棉，透气", None),
    ("a: 支付宝担保交易，放心付款", None),
    ("a: 质量有保证的亲", None),
    ("a: 我们给您全额退款", None),
    ("a: 这个不是我说了算的", None),
    ("a: 一年内我们承担保修费用", None),
    ("a: 不必到店自提，送货上门", None),
    ("a: 正常情况下明天能到，我没办法百分百保证", None),
    ("c: 谢谢\na: 保证", None),
]


@pytest.mark.parametrize(("chat", "expected"), CASES)
def test_risky_promise(chat, expected, normalizer):
    hits = run_example(
        REGISTRY["phrase.risky_promise"], Example(chat), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert (hits[0].message_index if hits else None) == expected, [h.evidence for h in hits]
