"""Edge cases of phrase.ad_law_words: (agent text, flagged?)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # claims
    ("这款质量最好的，放心拍", True),
    ("我们家的是最好用的拖把", True),
    ("顶级面料，穿着很舒服", True),
    ("这是行业第一品牌哦", True),
    ("百分之百有效，无效退款", True),
    ("有效率达100%", True),
    ("纯中药成分，无副作用", True),
    ("No.1的销量，放心买", True),
    ("最高级的配置了亲", True),
    ("用了就能药到病除", True),
    ("这个价是史上最低", True),
    # ordinary usage
    ("您最好先量一下尺寸", False),
    ("最好是冷水手洗哦", False),
    ("最好的办法是先退货再重拍", False),
    ("最好别用热水泡", False),
    ("建议您最好在阴凉处保存", False),
    ("我们会给您最好的服务", False),
    ("这已经是最好的价格了亲", False),
    ("我不敢说是最好的，但是性价比很高", False),
    ("亲价格最低了", False),
    ("第一次购买可以领新人券哦", False),
    ("亲亲收到后第一时间联系我们", False),
    ("符合国家标准，质检合格", False),
    ("这款是万能轮，推起来很顺", False),
    ("治愈系的小公仔，很可爱", False),
    ("亲亲这个不是万能的哦，重油污要先泡一下", False),
    ("黑色最受欢迎哦", False),
    ("这款不会产生副作用吗？我帮您问下", False),
    ("2023年No.10款式", False),
    ("订单号 1000120%", False),
    ("卖得最好的是原味，其次是海盐", False),
    ("是是是，您审美最高级", False),
    ("有无副作用要看个人体质哦", False),
]


@pytest.mark.parametrize(("text", "flagged"), CASES)
def test_ad_law_words(text, flagged, normalizer):
    hits = run_example(
        REGISTRY["phrase.ad_law_words"],
        Example(f"a: {text}"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert bool(hits) == flagged, [h.evidence for h in hits]
