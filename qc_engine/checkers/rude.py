from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class Rude(PhraseChecker):
    """Insults, sarcasm and contempt for the customer (辱骂/讽刺).

    What it does:
        Flags an agent or bot message that insults the customer ("你有病吧", "神经病", "脑子有问题",
        "滚蛋"), scorns their budget ("爱买不买", "穷就别买", "买不起就别问", "嫌贵别买") or
        scoffs at them ("呵呵", "你可真行", "想得美", "慢走不送"). Every entry is a phrase: a
        lone character such as 滚 or 死 would fire on 滚筒洗衣机 or 去死皮.

    Why is this bad?
        One insulting line is enough for a complaint the platform upholds, a screenshot on
        social media and a penalty for the shop. Shops treat it as a red line, whatever the
        customer said first.

    Example:
        买不起就别问了，爱买不买。

    Use instead:
        亲，这款已经是活动价了，您可以领一下店铺优惠券，能再省10元哦～
    """

    code = "QC103"
    slug = "phrase.rude"
    category = "rude"
    lexicon_files = ("rude.txt",)
    must_flag = [
        Example("c: 你们发错货了\na: 你有病吧，我们怎么可能发错", at=1),
        Example("c: 能便宜点吗\na: 穷就别买", at=1),
        Example("c: 有没有优惠券\na: 没有，爱买不买", at=1),
        Example("c: 这个多少钱能卖\na: 买不起就别问了亲", at=1),
        Example("c: 怎么安装啊\na: 这都不会，脑子有问题吧", at=1),
        Example("c: 我要退货\na: 神经病，用坏了还来找事", at=1),
        Example("c: 你态度太差了\na: 不买就滚", at=1),
        Example("c: 再便宜五块\na: 呵呵[微笑]", at=1, note="emoticon removed"),
        Example("c: 能多送点小样吗\na: 买个旅行装还想要小样，呵呵", at=1),
        Example("c: 你们这什么服务\na: 滚 蛋", at=1, note="split by a space"),
    ]
    must_pass = [
        "c: 这款洗衣机是滚筒的吗\na: 是的亲，10公斤滚筒洗衣机，支持滚动洗涤",
        "c: 茶怎么泡\na: 用滚开的水冲泡，第一泡倒掉哦",
        "c: 这个面膜有什么用\na: 可以去死皮、补水哦",
        "c: 垃圾袋有大号的吗\na: 有的亲，大号垃圾袋一卷30只",
        "c: 宝宝有病史能用吗\na: 建议先咨询医生哦",
        "c: 能便宜点吗\na: 亲，已经是活动价了，可以领店铺券再减10元哦",
        "c: 我考虑一下\na: 好的亲，不好意思让您久等了，有问题随时找我",
        "c: 傻子瓜子有吗\na: 有的亲，傻子瓜子五香味",
        "c: 屁屁霜怎么用\na: 洗完屁屁擦干再涂一层就可以",
        "c: 抽屉多深\na: 您找抽屉尺寸的话详情页第五张图有",
    ]
