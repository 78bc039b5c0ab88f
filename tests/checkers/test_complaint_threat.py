"""Edge cases of phrase.complaint_threat: (customer text, flagged?)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # threats
    ("投诉！", True),
    ("你们等着吃差评吧", True),
    ("给你们家差评", True),
    ("差评", True),
    ("这种服务必须差评", True),
    ("还想要好评？", True),
    ("我要找消费者协会", True),
    ("去工商局告你们", True),
    ("你们这是虚假宣传", True),
    ("我会发微博让大家看看", True),
    ("我问过律师了，你们看着办", True),
    ("法院见", True),
    ("我要报警了", True),
    ("再不发货我找你们领导", True),
    ("已经给你们打了个差评", True),
    ("12315见", True),
    # no threat
    ("我不会投诉的，放心吧", False),
    ("不打差评，你们尽快处理就好", False),
    ("评论区好多差评啊，质量怎么样", False),
    ("这个差评是怎么回事", False),
    ("你们家好评挺多的", False),
    ("照片曝光有点过，能再拍一张吗", False),
    ("报警器一直响怎么关", False),
    ("我在工商银行上班", False),
    ("麻烦告诉我一下单号", False),
    ("订单号 202312315000 帮我查下", False),
    ("朋友说你们家不错", False),
    ("我在法院上班，地址写法院门卫室", False),
    ("发票抬头是某某律师事务所", False),
    ("帮我找淘宝同款链接", False),
    ("寄到电视台大楼", False),
    ("怎么取消协议价", False),
    ("广告你们自己写的吧", False),
]


@pytest.mark.parametrize(("text", "flagged"), CASES)
def test_complaint_threat(text, flagged, normalizer):
    hits = run_example(
        REGISTRY["phrase.complaint_threat"],
        Example(f"c: {text}"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert bool(hits) == flagged, [h.evidence for h in hits]


def test_agent_messages_are_not_inspected(normalizer):
    hits = run_example(
        REGISTRY["phrase.complaint_threat"],
        Example("a: 您要投诉的话我们也配合"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert hits == []
