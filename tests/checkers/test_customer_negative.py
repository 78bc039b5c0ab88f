"""Edge cases of phrase.customer_negative: (customer text, flagged?)."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY
from qc_engine.checkers.base import Example
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # upset
    ("气死我了", True),
    ("太差劲了吧", True),
    ("什么垃圾东西", True),
    ("你们就是骗子", True),
    ("无语", True),
    ("真恶心", True),
    ("坑人啊这是", True),
    ("有点失望", True),
    ("好后悔买了", True),
    ("等了那么久就给我发这个", True),
    ("到底什么时候发货", True),
    ("别跟我说这些，我就要退款", True),
    ("你们客服是装死吗", True),
    ("再也不买你家的了", True),
    ("质量太差了不太满意", True),
    ("TMD什么破快递", True),
    # not upset
    ("一点都不差", False),
    ("没有失望，挺好的", False),
    ("垃圾袋多少钱一卷", False),
    ("这个垃圾桶有盖子吗", False),
    ("质量还不算太差", False),
    ("我没生气，就是问问", False),
    ("买了不后悔", False),
    ("你们不会骗人吧", False),
    ("退了差价好差不多", False),
    ("补好差价了吗", False),
    ("能不能接受退货", False),
    ("坐车有点晕车恶心，有晕车贴吗", False),
    ("这个好玩我很喜欢", False),
    ("USB接口是什么型号", False),
    ("最后一次买的时候是红色包装", False),
    ("收到礼物感动得想哭", False),
    ("这价格便宜得离谱", False),
    ("孩子热得受不了，有薄一点的被子吗", False),
    ("我服了你们家，发货太快了", False),
    ("空气炸锅涂层掉了", False),
    ("贴上去产生气泡怎么办", False),
    ("为什么破了一个洞，能换吗", False),
    ("有什么破损的话怎么处理", False),
    ("这个门铃无语音提示吗", False),
    ("我怕买到假货", False),
    ("后悔了可以退吗，七天无理由", False),
    ("死活安装不上，安装死活不行", False),
    ("1克拉黑钻有吗", False),
    ("只好烦请您帮我改下地址", False),
    ("火大不大，适合爆炒吗", False),
    ("气炸了，等了一个星期", True),
]


@pytest.mark.parametrize(("text", "flagged"), CASES)
def test_customer_negative(text, flagged, normalizer):
    hits = run_example(
        REGISTRY["phrase.customer_negative"],
        Example(f"c: {text}"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert bool(hits) == flagged, [h.evidence for h in hits]


def test_one_flag_per_message(normalizer):
    hits = run_example(
        REGISTRY["phrase.customer_negative"],
        Example("c: 垃圾！骗子！气死了！\na: 亲亲别生气\nc: 无语"),
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )
    assert [h.message_index for h in hits] == [0, 2]
