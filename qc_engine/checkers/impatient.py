from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class Impatient(PhraseChecker):
    """Impatient or commanding tone (不耐烦).

    What it does:
        Flags an agent or bot message that shows exasperation ("说了多少遍了", "我已经说过了",
        "烦不烦"), orders the customer to look it up ("自己看", "你自己不会看详情页吗"), questions
        their understanding ("听不懂吗", "懂不懂") or tells them to stop ("别问了", "别催了").

    Why is this bad?
        A customer who asks twice has not found the answer; an exasperated reply makes them feel
        stupid, and the chat turns into a complaint or a bad review instead of a sale.

    Example:
        说了多少遍了，自己看详情页！

    Use instead:
        我再跟您说明一下：165cm 建议拿 M 码，您可以看一下详情页的尺码表哦～ (A polite pointer with
        可以, or a choice left to the customer, "您自己看喜欢哪个颜色", does not fire; neither does
        the agent's own work, "我已经跟仓库说过了".)
    """

    code = "QC104"
    slug = "phrase.impatient"
    category = "impatient"
    lexicon_files = ("impatient.txt",)
    must_flag = [
        Example("c: 到底是M还是L\na: 说了多少遍了，M码", at=1),
        Example("c: 尺码怎么选\na: 你自己不会看详情页吗", at=1),
        Example("c: 那我穿多大\na: 听不懂吗？拍M", at=1),
        Example("c: 什么时候发货\na: 我已经说过了，48小时内", at=1),
        Example("c: 这个多长\na: 自己看", at=1),
        Example("c: 还有别的颜色吗\na: 没有了，别问了", at=1),
        Example("c: 亲在吗在吗\na: 烦不烦啊[白眼]", at=1),
        Example(
            "c: 退回去能确保下次的就不是这样的吗\na: 不是说了退回来不发吗补发吗",
            at=1,
            note="ECD, no punctuation",
        ),
        Example("c: 快点发货\nb: 亲，已经在安排了哦\na: 催也没用，等着吧", at=2),
    ]
    must_pass = [
        "c: 尺码怎么选\na: 您可以看一下详情页的尺码表哦",
        "c: 我没看懂\na: 我再跟您说明一下，这款偏大一码",
        "c: 哪个颜色好看\na: 都很好看哦，您自己看喜欢哪个颜色",
        "c: 催一下发货\na: 我已经跟仓库说过了，今天一定安排",
        "c: 你们的说明书看不懂\na: 说明书看不懂吗？我给您发个安装视频",
        "c: 能便宜点吗\na: 不好意思亲，这是活动价了",
        "c: 什么时候到\na: 您好，烦请提供一下订单号，我帮您查询",
        "c: 物流好慢，烦死了\na: 确实烦死了，非常理解您，我这边帮您催一下",
    ]
