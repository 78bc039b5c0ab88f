from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class RiskyPromise(PhraseChecker):
    """Guarantees outside policy (违规承诺).

    What it does:
        Flags an agent or bot message that guarantees what the shop cannot control or has no
        policy for: a delivery date ("保证明天到", "明天肯定能收到", "百分百年前到"), an absolute
        product claim ("绝对不会掉色", "肯定不会过敏", "百分百不起球", "100%不缩水"), or
        compensation out of the agent's own pocket ("我私人补偿您50", "我自己掏钱给您").

    Why is this bad?
        Couriers and skin reactions are not in the agent's hands. When the promise fails the
        customer quotes it back, asks for compensation and wins the dispute, and an absolute
        claim can also breach the Advertising Law. Private compensation bypasses the shop's
        refund process and cannot be audited.

    Example:
        亲放心，保证明天到，绝对不会掉色的！

    Use instead:
        正常情况下2-3天到哦，一般不会掉色的，首次洗涤建议冷水手洗～ (Hedged wording passes, and so
        do refusals in the same clause: "不保证明天到哦", "不能说百分百不起球".)
    """

    code = "QC102"
    slug = "phrase.risky_promise"
    category = "risky_promise"
    lexicon_files = ("risky_promise.txt",)
    must_flag = [
        Example("c: 我明天要用，能到吗\na: 亲放心，保证明天到！", at=1),
        Example("c: 这件会掉色吗\na: 绝对不会掉色的亲[微笑]", at=1),
        Example("c: 我皮肤敏感，用了会过敏吗\na: 纯植物成分，肯定不会过敏的哦", at=1),
        Example("c: 毛衣起球吗\na: 亲亲这款百分百不起球呢~", at=1),
        Example("c: 收到的少了一包\na: 实在抱歉，我私人补偿您50元可以吗", at=1),
        Example("c: 这个差价怎么算\na: 差价我自己掏钱给您转过去", at=1),
        Example("c: 着急用\na: 今天下单明天一定能收到的亲", at=1),
        Example("c: 洗了会缩吗\na: 100%不缩水", at=1),
        Example(
            "c: 年前能到吗\nb: 亲，正常3-5天到哦\na: 年前肯定到的，放心",
            at=2,
            note="the bot hedges, the agent guarantees",
        ),
        Example(
            "c: 退回去能确保下次的就不是这样的吗\na: 保证的运费亲先垫付",
            at=1,
            note="a bare yes to a request for a guarantee (ECD)",
        ),
    ]
    must_pass = [
        Example(
            "c: 能拦截住吗\na: 这个小妹不能完全跟您保证。但小妹这边会帮您申请拦截的哦",
            note="declining to guarantee (real JD reply)",
        ),
        "c: 几天能到\na: 正常情况下2-3天到哦",
        "c: 会掉色吗\na: 一般不会掉色的，首次洗涤建议冷水",
        "c: 什么时候发货\na: 我们会尽快为您发出",
        "c: 明天能到吗\na: 亲，快递时效我们不保证明天到哦，一般2-3天",
        "c: 会起球吗\na: 羊毛材质不能说百分百不起球，正常穿着起球很轻微的",
        "c: 敏感肌能用吗\na: 不一定不会过敏哦，建议先在耳后试用",
        "c: 能补偿点吗\na: 抱歉亲，平台规定不能私下补偿，可以帮您申请售后",
        "c: 今天能回复我吗\na: 保证今天给您回复处理结果",
        "c: 会发错吗\na: 这次肯定不会漏发了，已经给您备注",
        "c: 能保证明天到吗\na: 我们能保证的是今天发出，到货要看快递哦",
        "c: 能保证是正品吗\na: 保证的亲，品牌授权",
    ]
