from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class ComplaintThreat(PhraseChecker):
    """The customer threatens a complaint, a bad review, exposure or legal action (投诉风险).

    What it does:
        Flags a customer message that threatens or announces escalation: a complaint ("我要
        投诉", "投诉到平台", "找淘宝申诉"), a regulator ("12315", "找消协", "工商局"), a bad
        review ("给差评", "差评伺候"), exposure ("曝光你们", "发微博"), legal action or the
        police ("起诉", "找律师", "退一赔三", "我要报警"). One flag per customer message.

        A customer who rules it out ("不会给差评的放心", "我不是要投诉") or talks about other
        people's reviews ("看到有人给差评说会掉色") is not flagged; neither is praise ("朋友
        说你们家不错") or an innocent sense of the word (工商银行, 报警器, 照片曝光).

    Why is this bad?
        It is not the agent's fault and deducts nothing: it is a risk signal. A chat where
        the customer threatens to complain should be reviewed first, and the agent's
        handling of it (apology, solution, no provocation) checked.

    Example:
        再不给我退款我就打12315投诉你们！

    Use instead:
        (Customer side; nothing to change. The agent should own the problem: "非常抱歉给您
        带来困扰，我马上为您处理退款。")
    """

    code = "QC110"
    slug = "phrase.complaint_threat"
    category = "complaint_risk"
    lexicon_files = ("complaint_threat.txt",)
    roles = ("customer",)
    reason = "买家表达投诉/差评/曝光/法律维权意向"
    must_flag = [
        Example("c: 一个礼拜了还不发货，我要投诉你们！", at=0),
        Example("a: 亲亲您好\nc: 东西是坏的，不给退就给差评", at=1),
        Example("c: 再不处理我就打12315", at=0),
        Example("c: 那我找淘宝申诉吧你这骗子", at=0),
        Example("c: 我要去网上曝光你们这种黑心商家", at=0),
        Example("c: 假货！我要起诉你们，退一赔三", at=0),
        Example("c: 我已经申请平台介入了", at=0),
        Example("a: 请问还有什么问题吗\nc: 差评！", at=1),
    ]
    must_pass = [
        "c: 不会给差评的放心，就是问问",
        Example(
            "c: 会员权益咨询 我的报价申诉没有结果?",
            note="a price-protection appeal (报价申诉) is a request, not a threat",
        ),
        "c: 朋友说你们家不错，推荐我来的",
        "c: 看到有人给差评说会掉色，是真的吗",
        "c: 我不是要投诉，就是想问下什么时候发货",
        "c: 可以用工商银行的卡付款吗",
        "c: 这个烟雾报警器怎么安装",
        "c: 单号是 7312315880 对吧",
        "c: 你们家有假一赔十吗",
        "c: 支持假一赔三吗？送人的",
        "a: 亲，您可以投诉的，我们配合处理",
    ]
