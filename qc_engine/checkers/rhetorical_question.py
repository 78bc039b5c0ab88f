from __future__ import annotations

from typing import Any, ClassVar

from qc_engine.checkers.base import Example
from qc_engine.checkers.registry import register
from qc_engine.checkers.token_pattern import TokenPatternChecker

_YOU = {"ORTH": {"IN": ["你", "您", "你们", "亲"]}}
_SELF = {"ORTH": "自己", "OP": "?"}
_Q = {"ORTH": {"IN": ["吗", "么", "嘛"]}}
_ANY = {"IS_PUNCT": False, "ORTH": {"NOT_IN": ["吗", "么", "嘛", "帮", "给", "是"]}}
_LOOK = {
    "ORTH": {
        "IN": [
            "看",
            "看看",
            "查",
            "查查",
            "查看",
            "用",
            "读",
            "找",
            "点",
            "搜",
            "翻",
            "问",
            "量",
            "试",
            "算",
            "选",
        ]
    }
}
_SEEN = {"ORTH": {"IN": ["看", "看到", "看见", "看清", "看清楚", "注意", "注意到", "听到", "读"]}}
_LOST = {"ORTH": {"IN": ["听不懂", "看不懂", "听不明白", "看不明白", "不识字", "不认字"]}}


@register
class RhetoricalQuestion(TokenPatternChecker):
    """Rhetorical questions that blame the customer (反问句, 不耐烦).

    What it does:
        Segments agent messages that contain 你/您 and a question particle, and flags the
        rhetorical pattern "你 (自己) 不会/不能/没 … 吗" and "难道 … 吗": "你自己不会看详情页吗",
        "你没看到我发的链接吗", "难道您不会自己查物流吗". A phrase list cannot hold every verb and
        object between the negation and the particle; the token pattern can.

    Why is this bad?
        A rhetorical question tells the customer they are stupid for asking. It is the most
        common impatient tone in chat QC.

    Example:
        你自己不会看一下详情页吗？

    Use instead:
        尺码表在详情页第三张图哦，我把链接发您～ (And a genuine question, "您不介意的话我先帮您
        改地址吗", is not rhetorical: it asks about the agent's own action.)
    """

    code = "QC122"
    slug = "tokens.rhetorical_question"
    category = "impatient"
    default_triggers: ClassVar[list[str]] = ["吗", "么", "嘛", "?"]
    default_patterns: ClassVar[list[list[dict[str, Any]]]] = [
        # 你(自己)不会(自己)看/查/用…吗
        [
            _YOU,
            _SELF,
            {"ORTH": {"IN": ["不会", "不能"]}},
            _SELF,
            _LOOK,
            {**_ANY, "OP": "{0,5}"},
            _Q,
        ],
        # 你(自己)没看到…吗
        [_YOU, _SELF, {"ORTH": {"IN": ["没", "没有"]}}, _SEEN, {**_ANY, "OP": "{0,5}"}, _Q],
        # 你听不懂…吗
        [_YOU, _LOST, {**_ANY, "OP": "{0,5}"}, _Q],
        # 你不知道自己…吗
        [_YOU, {"ORTH": "不"}, {"ORTH": "知道"}, {"ORTH": "自己"}, {**_ANY, "OP": "{1,6}"}, _Q],
        # 难道…不/没…吗
        [
            {"ORTH": "难道"},
            {**_ANY, "OP": "{0,3}"},
            {"ORTH": {"IN": ["不会", "不能", "没", "没有", "不"]}},
            {**_ANY, "OP": "{1,6}"},
            _Q,
        ],
    ]
    default_evidence = "反问语气"
    must_flag = [
        Example("c: 尺码怎么选\na: 你自己不会看详情页吗？", at=1),
        Example("a: 你没看到我发的链接吗", at=0),
        Example("a: 难道您不会自己查物流吗", at=0),
        Example("a: 亲不会自己看评价吗", at=0),
        Example("a: 你听不懂我说的话吗？", at=0),
        Example("a: 您不知道自己拍的什么颜色吗", at=0),
    ]
    must_pass = [
        "a: 您看一下详情页的尺码表哦",
        "a: 请问您还有其他问题吗？",
        "a: 您方便提供一下订单号吗",
        "a: 亲，您不介意的话我帮您改成顺丰吗",
        "a: 您收到货了吗",
        "c: 你不会骗我吧？你们没有假货吗\na: 亲放心，我们是品牌直营",
        "a: 您没有收到货吗？我帮您查一下物流",
        "a: 您不会是拍错颜色了吧",
        "a: 您不能登录吗？可以换个浏览器试试",
    ]
