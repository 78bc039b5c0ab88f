from __future__ import annotations

from qc_engine.checkers.base import Example
from qc_engine.checkers.phrase import PhraseChecker
from qc_engine.checkers.registry import register


@register
class AdLawWords(PhraseChecker):
    """Absolute or superlative claims about a product (广告法极限词).

    What it does:
        Flags an agent or bot message that makes a claim the Advertising Law bans:
        superlatives ("最好的", "全网最低价", "史上最", "最高级"), rankings ("全网第一",
        "销量冠军", "第一品牌"), grades ("国家级", "顶级"), and efficacy or cure claims
        ("100%有效", "根治", "药到病除", "无副作用", "万能的").

        Ordinary usage is not flagged: advice with 最好 ("您最好先量一下尺寸", "最好是冷水手
        洗", "最好的办法是先退货再重拍"), "第一时间", a refusal to discount ("已经是最低价
        了"), an honest denial ("不能根治的哦"), product names (万能胶, 治愈系). Guarantees
        such as "绝对不会掉色" belong to risky_promise, and authenticity statements ("绝对正
        品") are left out.

    Why is this bad?
        Such claims in a shop's communication can be fined by market regulators and make a
        customer's complaint or "false advertising" claim easy to win.

    Example:
        亲，我们家这款是全网第一，100%有效，可以根治脚气。

    Use instead:
        亲，这款是我们家的热卖款，很多买家反馈效果不错，具体因人而异哦。
    """

    code = "QC108"
    slug = "phrase.ad_law_words"
    category = "ad_law_words"
    lexicon_files = ("ad_law_words.txt",)
    reason = "对商品使用广告法禁止的绝对化用语"
    must_flag = [
        Example("c: 这个面料怎么样\na: 亲亲放心，我们家的面料是最好的哦~", at=1),
        Example("c: 有效果吗\na: 亲这款100％有效的，用过都说好", at=1),
        Example("a: 我们是这个品类的全网第一，销量冠军哦", at=0),
        Example("c: 能治好吗\na: 可以根治的亲，一个疗程就见效[微笑]", at=1),
        Example("a: 国家级非遗工艺，纯手工制作", at=0),
        Example("c: 别家更便宜\na: 亲，我们家是全网最低价了，不会有更便宜的", at=1),
        Example("a: 史上最划算的一次活动，错过等一年", at=0),
        Example("a: 这款清洁剂是万能的，什么污渍都能去", at=0),
    ]
    must_pass = [
        "c: 我穿什么码\na: 您最好先量一下尺寸，对照详情页的尺码表哦",
        "c: 怎么洗\na: 最好是冷水手洗，不要暴晒哦",
        "c: 地址填错了\na: 亲，最好的办法是先退货再重拍呢",
        "a: 我们会尽全力将宝贝第一时间送达您的手上哦",
        "c: 能再便宜点吗\na: 亲亲已经是最低价了哦，实在抱歉",
        "c: 能根治吗\na: 亲，这个不能根治的哦，只能缓解",
        "a: 亲，这是万能胶，金属木头都能粘",
        "a: 这款是100%纯棉的哦，亲肤透气",
        "a: 亲亲放心，我们家都是正品哦",
    ]
