"""Edge cases of phrase.review_inducement: (agent text, flagged?), and the pairing window."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # offers
    ("好评返现哦亲亲", True),
    ("好评截图发给客服领取红包", True),
    ("确认收货五星好评后联系客服领取5元红包", True),
    ("给个好评，返您3块", True),
    ("亲，帮忙改成好评，给您发个红包", True),
    ("差评删掉我们补偿您20元", True),
    ("追评带图送10元无门槛券", True),
    ("亲，删了差评就给您退款", True),
    ("晒图有礼，详情咨询客服", True),
    ("给您补偿了，麻烦亲给个五星好评哦", True),
    ("评价截图发我一下哦", True),
    ("亲亲，好评有惊喜哦", True),
    ("这边给您补偿了10元，麻烦您把差评改一下", True),
    ("好评满意的话下次来找我送您小礼物", True),
    # no exchange
    ("麻烦亲给个好评哦", False),
    ("有问题先联系我们哦", False),
    ("亲，我们店不支持好评返现的，请勿相信", False),
    ("谨防好评返现诈骗，客服不会让您扫码", False),
    ("我们家好评率99%，下单送运费险", False),
    ("您的评价对我们很重要，补偿已经给您申请了", False),
    ("收到满意给个好评，满99元送5元券哦", False),
    ("有问题联系我们补发，别给中差评哦", False),
    ("五星级酒店同款毛巾，送您一条试用", False),
    ("亲，好评就不用了，小礼物是送您的", False),
    ("麻烦给个好评，不满意可以返修的", False),
    ("收到货后请五星好评，这样我们会有奖励的", False),
    ("给您退了5元差价，收到满意给个好评哦", False),
    ("亲，收藏店铺送5元无门槛优惠券，收到满意记得五星好评哦", False),
]


@pytest.mark.parametrize(("text", "flagged"), CASES)
def test_review_inducement(text, flagged, normalizer):
    hits = run_example(
        REGISTRY["phrase.review_inducement"],
        Example(f"a: {text}"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert bool(hits) == flagged, [h.evidence for h in hits]


@pytest.mark.parametrize(("window", "flagged"), [(12, True), (2, False), (0, False)])
def test_pair_window(window, flagged, normalizer):
    example = Example("a: 您看这边给您返5元您给个好评可以吗", params={"pair_window": window})
    hits = run_example(
        REGISTRY["phrase.review_inducement"], example, lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert bool(hits) == flagged


def test_span_covers_review_and_reward(normalizer):
    text = "您看这边给您返5元您给个好评可以吗"
    hits = run_example(
        REGISTRY["phrase.review_inducement"],
        Example(f"a: {text}"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    start, end = hits[0].span
    assert text[start:end] == "返5元您给个好评"
