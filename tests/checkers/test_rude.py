"""Edge cases of phrase.rude: (chat, expected message index or None)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    ("a: 滚吧", 0),
    ("a: 给我滚", 0),
    ("a: 你是不是傻，退款要三天", 0),
    ("a: 嫌贵就别买，没人逼你", 0),
    ("a: 说人话行吗", 0),
    ("a: 脑子进水了吧", 0),
    ("a: 这都不会，智障吗", 0),
    ("a: 不买拉倒，谁稀罕", 0),
    ("a: 切", 0),
    ("a: 爱买不买", 0),
    ("a: 慢走不送", 0),
    ("a: 自己不会找？手残啊", 0),
    ("a: 在你个头", 0),
    # products and ordinary words that contain the same characters
    ("a: 滚筒洗衣机和波轮的区别是洗得更干净", None),
    ("a: 页面往下滚动就能看到尺码表", None),
    ("a: 万向滚轮，推起来很顺", None),
    ("a: 这款磨砂膏去死皮效果很好", None),
    ("a: 猪肉脯是今天新做的", None),
    ("a: 宝宝辅食蠢蠢欲动的话可以先少量尝试", None),
    ("a: 有usb接口的", None),
    ("a: 切片面包明天发", None),
    ("a: 切开就能吃", None),
    ("a: 不配送偏远地区哦", None),
    ("a: 这个颜色配不配裤子看个人喜好", None),
    ("a: 不好意思久等了", None),
    ("a: 手残党也能轻松上手", None),
    ("a: 老人眼神不好可以选大字版", None),
    ("a: 宝宝不认字也能玩", None),
    ("a: 您个头多高呀，给您推荐尺码", None),
    ("a: 适合你全家人用", None),
    ("a: 抽纸和垃圾袋一起拍包邮", None),
    ("a: 土鳖虫是药材，不能发快递", None),
    ("a: 洗衣粉废物利用的包装", None),
    ("a: 神经酰胺成分的面霜", None),
    ("a: 宝宝穿上每天都乐呵呵的", None),
    ("a: 这款游戏精品手柄支持蓝牙", None),
    ("a: 呵呵，您可真会开玩笑", 0),
]


@pytest.mark.parametrize(("chat", "expected"), CASES)
def test_rude(chat, expected, normalizer):
    hits = run_example(
        REGISTRY["phrase.rude"], Example(chat), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert (hits[0].message_index if hits else None) == expected, [h.evidence for h in hits]
