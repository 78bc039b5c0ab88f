from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class OffPlatform(PhraseChecker):
    """Steering the customer off the platform (引导站外).

    What it does:
        Flags an agent or bot message that invites the customer to WeChat, QQ, a phone call
        or a private payment for the deal: "加我微信", "vx聊", "支付宝直接转我". Evasions
        ("V信", "威信", "薇❤", "加 我 微 信", "扣扣") are normalised before matching.

    Why is this bad?
        Platforms forbid it (it bypasses their protection and fees) and punish the shop; a
        customer paid off-platform has no buyer protection. It is a red line.

    Example:
        亲，加我微信，私下给您便宜。

    Use instead:
        平台规定不能加微信哦，有问题在旺旺随时找我。 (Refusing such a request is fine: words
        like 不能, 不可以, 规定 in the same clause stop the flag.)
    """

    code = "QC107"
    slug = "phrase.off_platform"
    category = "off_platform"
    lexicon_files = ("off_platform.txt",)
    must_flag = [
        Example("c: 能便宜点吗\na: 亲，加我微信，私下给您便宜", at=1),
        Example("a: 加 我 V 信 详聊", at=0),
        Example("a: 有问题加我薇❤信", at=0),
        Example("a: 直接支付宝转我就行，不用拍", at=0),
        Example("a: 我的扣扣是12345678，加一下", at=0),
        Example("a: 留个手机号给我，我打给你", at=0),
    ]
    must_pass = [
        "c: 能加微信吗\na: 平台规定不能加微信哦，有问题旺旺找我就行",
        "a: 亲，不可以私下交易的哦，请在平台下单",
        "a: 支持微信支付吗？淘宝不支持微信支付呢",
        "a: 您好，请问有什么可以帮您",
        "c: 加我微信吧\na: 抱歉亲，这边不支持加微信的",
    ]
