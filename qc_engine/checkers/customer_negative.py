from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class CustomerNegative(PhraseChecker):
    """The customer says outright that they are angry or upset (买家负面情绪).

    What it does:
        Flags a customer message with explicit words of anger, contempt, disappointment or
        exasperation: "气死了", "太差劲了", "垃圾", "骗子", "什么破东西", "无语", "恶心",
        "坑人", "太失望了", "等了这么久", "到底怎么回事", "凭什么". One flag per customer
        message. Only unambiguous wording is listed; a model catches implicit negativity.

        Negated or innocent uses are not flagged: "一点都不差", "没有失望", "希望不要失望",
        "不生气", "垃圾袋", "质量差不多", "晕车恶心", "你们最近搞什么活动".

    Why is this bad?
        It is not the agent's fault and deducts nothing: it is a risk signal. An upset
        customer is likely to complain or leave a bad review, so the chat is reviewed first
        and the agent's soothing (apology, solution, no emoji) checked.

    Example:
        等了这么久还不发货，什么破店，气死了！

    Use instead:
        (Customer side; nothing to change. The agent should acknowledge the feeling and
        solve: "让您久等了非常抱歉，我马上帮您催仓库今天发出。")
    """

    code = "QC111"
    slug = "phrase.customer_negative"
    category = "customer_negative"
    lexicon_files = ("customer_negative.txt",)
    roles = ("customer",)
    reason = "买家明确表达不满、愤怒或失望"
    must_flag = [
        Example("c: 拜托您帮忙催一下，真的很急", at=0, note="urgency (real JD turn)"),
        Example(
            "c: 我给你说了那么半天，你怎么没听明白呢", at=0, note="exasperation (real JD turn)"
        ),
        Example("c: 等了这么久还没发货，气死了！", at=0),
        Example("a: 亲亲您好\nc: 什么破东西，一洗就掉色", at=1),
        Example("c: 那你这不是骗人吗", at=0),
        Example("c: 查也需要这么久吗我也是醉了", at=0),
        Example("c: 你们家质量太差劲了，太失望了[怒]", at=0),
        Example("c: 垃圾！", at=0),
        Example("c: 到底怎么回事啊，凭什么不给我送货", at=0),
        Example("c: 别弄花样赶紧退款给我", at=0),
        Example("c: 你们又骗我，说好的昨天发", at=0),
    ]
    must_pass = [
        Example("c: 不用了，谢谢 京东从不让人失望", note="praise: 从不让人失望 (real JD turn)"),
        "c: 质量一点都不差，挺好的",
        "c: 上次买的没有失望，这次再来",
        "c: 第一次买希望不要失望",
        "c: 有没有大号的垃圾袋",
        "c: 你个大坏坏[偷笑]",
        "c: 好的没关系弄清楚就好了",
        "c: 这两款质量差不多吗",
        "c: 你们最近在搞什么活动呀",
        "c: 我怀孕了老是恶心，这个能吃吗",
        "a: 让您久等了，实在抱歉，给您添麻烦了",
        "c: 真能退吗？没骗我吧",
    ]
