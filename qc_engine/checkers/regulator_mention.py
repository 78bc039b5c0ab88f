from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class RegulatorMention(PhraseChecker):
    """The agent volunteers a regulator or an escalation channel (主动提及监管).

    What it does:
        Flags an agent or bot message that points the customer to a regulator, a government
        hotline, the platform's dispute process, a court or the media: "12315", "消协",
        "工商局", "市场监管", "申请平台介入", "可以走法律途径", and dares such as "你去投诉吧",
        "随便你投诉", "有本事去告".

        "Volunteers" is decided on the customer's message just before: when it already
        raised the channel ("我要打12315", "我要投诉你们"), a neutral mention in the reply is an
        answer, not volunteering, and is not flagged (the lexicon's `not_prev:` words). Dares
        are flagged whatever the customer said: daring a customer who threatens a complaint
        is the worst moment for it. Mentions that wave the channel away ("不用申请平台介入，我
        们直接给您退"), complaints the agent files for the customer ("我帮您去投诉快递") and
        complaints about the courier are not flagged.

    Why is this bad?
        Pointing a customer to 12315 or platform intervention turns a service problem into a
        formal complaint against the shop (dispute rate, store rating, fines); daring them
        to do it also sounds contemptuous.

    Example:
        不满意您可以打12315投诉。 / 随便你投诉，我们不怕。

    Use instead:
        给您带来不便非常抱歉，这个问题我来帮您处理，今天内给您答复。
    """

    code = "QC106"
    slug = "phrase.regulator_mention"
    category = "regulator_mention"
    lexicon_files = ("regulator_mention.txt",)
    reason = "客服主动向买家提及监管部门或投诉维权渠道"
    must_flag = [
        Example("c: 东西收到是坏的\na: 亲，不满意的话您可以打12315投诉哦", at=1),
        Example("c: 你们这什么质量啊\na: 那您去消协告我们吧", at=1),
        Example(
            "c: 我要投诉你们\na: 随便你投诉，我们不怕",
            at=1,
            note="a dare counts even when the customer raised the complaint",
        ),
        Example("c: 退款一直不给处理\na: 亲亲可以申请淘宝小二介入的哦~", at=1),
        Example("c: 味道不对\na: 亲觉得不满意可以去相关部门检测呢", at=1),
        Example("c: 那我怎么办\na: 您要是觉得我们有问题，可以走法律途径[微笑]", at=1),
        Example("c: 都一个礼拜了还没发货\na: 那你去投诉吧，我也没办法", at=1),
        Example("c: 你们这是虚假宣传\na: 亲可以向市场监管部门反映的", at=1),
    ]
    must_pass = [
        "c: 我要打12315投诉你们\na: 亲亲您可以拨打12315，我们也会积极配合处理的",
        "c: 你们家的东西太差了，我要找消协\na: 非常抱歉亲，我马上给您申请退款好吗",
        "c: 我申请平台介入了\na: 好的亲，小二介入后我们会配合处理的",
        "a: 亲不需要申请平台介入哦，我这边直接给您退款",
        "a: 亲亲别投诉我们呀，我马上帮您催仓库",
        "a: 快递一直不派送的话，我帮您去投诉快递哈",
        "a: 您的订单号是2023123156789，请核对哦",
        "a: 支持工商银行信用卡支付的哦",
        "a: 有什么需要尽管告诉我哦[微笑]",
        "a: 如有人冒充客服让您转账，请直接报警哦",
    ]
