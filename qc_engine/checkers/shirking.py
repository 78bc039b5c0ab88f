from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class Shirking(PhraseChecker):
    """Pushing the customer's problem away instead of owning it (推诿).

    What it does:
        Flags an agent or bot message that disowns the customer's problem: "not our business"
        ("这个不归我们管", "不关我们的事"), sending the customer to someone else ("你自己去问快递",
        "找厂家去吧", "你去找平台"), declaring it useless ("跟我说也没用") or blaming someone
        else without taking anything on ("那是快递的问题", "这不是我们的责任", "我们也没办法").

    Why is this bad?
        The shop, not the customer, deals with its courier, its supplier and the platform; a
        customer sent away comes back angrier, opens a dispute or complains, and the platform
        counts it against the shop. Shops treat it as a red line.

    Example:
        这个不归我们管，你自己去问快递吧。

    Use instead:
        亲，我这边帮您联系快递核实一下，有结果第一时间告诉您。 (Blame words are fine when the
        agent still owns the problem: "是快递的问题，我马上帮您联系处理" or
        "不是您的问题，给您补发".
        "不用您自己联系快递" and a price refusal such as "已经最低价了，我们也没办法再便宜了" do not
        fire either.)
    """

    code = "QC101"
    slug = "phrase.shirking"
    category = "shirking"
    lexicon_files = ("shirking.txt",)
    must_flag = [
        Example("c: 快递三天没动了怎么回事\na: 这个不归我们管，你自己去问快递", at=1),
        Example("c: 收到的杯子有裂纹\na: 质量问题找厂家去吧，我们只负责卖", at=1),
        Example("c: 我要退款，你们给个说法\na: 跟我说也没用哦亲，你去找平台", at=1),
        Example("c: 包裹显示签收了我没收到\na: 那是快递的问题，不是我们的责任", at=1),
        Example(
            "c: 凭什么自提\na: 这边只能联系下不送我们也没办法",
            at=1,
            note="no punctuation, as in the ECD chats",
        ),
        Example(
            "c: 客服在吗\na: 在的\nc: 衣服洗了一次就缩水了\na: 亲，我只是个客服，这个问我也没用的",
            at=3,
        ),
        Example("c: 物流一直不更新\na: 亲亲找快递去吧[微笑]", at=1, note="emoticon removed"),
        Example(
            "c: 为什么还不送货\nb: 您好，亲亲应该是快递那边的事\na: 是快递的事，我管不了", at=2
        ),
    ]
    must_pass = [
        "c: 快递三天没动了\na: 亲，我帮您联系快递核实一下，有结果第一时间告诉您",
        "c: 怎么还没到\na: 这边帮您催一下快递哦，耐心等一下~",
        "c: 包裹破了\na: 是快递的问题，我这边马上帮您联系快递处理，您放心",
        "c: 东西少了一件\na: 不是您的问题，是我们仓库漏发了，马上给您补发",
        "c: 我要联系快递吗\na: 不用您自己联系快递的，我们这边来处理就好",
        "c: 再便宜点呗\na: 亲，已经是活动最低价了，我们也没办法再便宜了哦",
        "c: 能改地址吗\na: 已经发出了，我们也没办法修改地址了呢，抱歉亲",
        "c: 快递员态度很差\na: 非常抱歉亲，我问快递去，稍等给您回复",
        Example(
            "c: 到哪了\na: 按平台规则运输破损由我们负责，您拒收就可以，给您补发",
            note="a policy explanation that owns the problem",
        ),
    ]
