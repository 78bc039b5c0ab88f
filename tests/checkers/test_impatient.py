"""Edge cases of phrase.impatient: (chat, expected message index or None)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    ("a: 说了几遍了，不包邮", 0),
    ("a: 都跟你说了今天发", 0),
    ("a: 自己看吧", 0),
    ("a: 自己看哦亲", 0),
    ("a: 懂不懂啊", 0),
    ("a: 有完没完", 0),
    ("a: 你到底买不买", 0),
    ("a: 急什么，在发了", 0),
    ("a: 第三遍了，M码", 0),
    ("a: 包邮包邮，标题里字那么大", 0),
    ("a: 这还用问吗，当然是新货", 0),
    ("a: 别一直问了，在查", 0),
    ("a: 能不能仔细看看图片再问", 0),
    ("a: 你说呢", 0),
    # polite pointers, empathy, the agent's own effort
    ("a: 亲可以自己看一下详情页的尺码表哦", None),
    ("a: 您自己看喜欢哪款，都是现货", None),
    ("a: 颜色您自己看吧，都很百搭", None),
    ("a: 您也可以自己查一下物流哦，单号发您了", None),
    ("a: 已经跟快递说过了，明天派送", None),
    ("a: 我已经跟仓库说了两遍了，马上发", None),
    ("a: 您洗了两遍了吗？第一次会有浮色", None),
    ("a: 图片看不到吗？我重新发一下", None),
    ("a: 您急什么时候要呢？我帮您备注加急", None),
    ("a: 这个说法确实说不通，我帮您反馈", None),
    ("a: 宝宝动不动就哭的话可以试试这款安抚奶嘴", None),
    ("a: 您好，烦请提供订单号", None),
    ("a: 有多少问题都可以问我哦", None),
    ("a: 我还问了仓库，今天能发", None),
    ("a: 颜色随便你选，都有货", None),
    ("a: 足够了，一件够用", None),
    ("a: 穿着很舒服了，不用买大", None),
]


@pytest.mark.parametrize(("chat", "expected"), CASES)
def test_impatient(chat, expected, normalizer):
    hits = run_example(
        REGISTRY["phrase.impatient"], Example(chat), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert (hits[0].message_index if hits else None) == expected, [h.evidence for h in hits]
