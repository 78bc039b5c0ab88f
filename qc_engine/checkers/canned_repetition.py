from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources

# Dropped before comparing: punctuation, decoration, and the particles and address (亲) by
# which the copies of one canned reply usually differ ("亲亲，已经发货了哦~" = "亲，已经发货了").
_NOISE = (
    " \t\r\n,.!?;:'\"`~-_=+*/\\|()[]{}<>@#$%^&、。…·「」『』【】《》〈〉“”‘’—"
    "亲哦噢喔呢啊呀吧哈嘛嗯恩哟啦滴哒"
)
# Removed by one regex substitution over all of a chat's compared replies, joined by NUL.
_NOISE_RUN = re.compile("[" + re.escape(_NOISE) + "]+")
_NUMBER = re.compile(r"\d+")
# The openings by which copies of one canned reply differ ("您好，收到您的反馈了" =
# "亲爱的，收到您的反馈了" = "好的呢，收到您的反馈了"), with the noise around them: replies whose
# openings differ are also compared by what follows them (`_Reply.body`).
_OPENINGS = (
    "您好",
    "你好",
    "亲爱的",
    "亲爱哒",
    "亲亲",
    "好的",
    "嗯嗯",
    "恩恩",
    "在的",
    "在呢",
    "哈喽",
    "hello",
    "hi",
    "尊敬的客户",
    "尊敬的用户",
    "尊敬的会员",
    "不好意思",
    "抱歉",
)
_NOISE_CLASS = "[" + re.escape(_NOISE) + "]*"
_NOISE_DELETE = str.maketrans("", "", _NOISE)
_OPENING_RUN = re.compile(
    _NOISE_CLASS + "(?:(?:" + "|".join(re.escape(o) for o in _OPENINGS) + ")" + _NOISE_CLASS + ")+"
)


class CannedRepetitionParams(Params):
    min_occurrences: int = Field(3, ge=2)
    """How many times the same or near-same reply must be sent to be flagged."""
    similarity: float = Field(0.9, gt=0, le=1)
    """How alike two replies must be to count as the same (character-bigram Dice
    coefficient of the compared text; 1 = identical)."""
    min_length: int = Field(8, ge=1)
    """Shorter replies never count (compared text, i.e. without punctuation and particles):
    "好的亲", "嗯嗯亲", "稍等哦" are meant to recur."""


class _Reply:
    """A compared text, with its bigrams, numbers and body (the text after an opening such
    as 您好 or 亲爱的) worked out only when a comparison needs them (most replies are never
    near another one in length)."""

    __slots__ = ("_bigrams", "_body", "_numbers", "body_size", "members", "opening", "size", "text")

    def __init__(self, text: str, raw: str | None) -> None:
        self.text = text
        self.size = len(text)
        self._bigrams: set[tuple[str, str]] | None = None
        self._body: _Reply | None = None
        self._numbers: list[str] | None = None
        self.members: list[int] = []
        # The compared text is the opening's and then the rest's, each without noise.
        cut = _OPENING_RUN.match(raw) if raw else None
        self.opening = cut.group().translate(_NOISE_DELETE) if cut is not None else ""
        self.body_size = self.size - len(self.opening)

    @property
    def body(self) -> _Reply:
        """The reply without its opening (itself when it has none)."""
        if self._body is None:
            self._body = _Reply(self.text[len(self.opening) :], None) if self.opening else self
        return self._body

    @property
    def bigrams(self) -> set[tuple[str, str]]:
        """The character bigrams (as pairs: the same counts as 2-character strings)."""
        if self._bigrams is None:
            self._bigrams = set(pairwise(self.text))
        return self._bigrams

    @property
    def numbers(self) -> list[str]:
        if self._numbers is None:
            self._numbers = _NUMBER.findall(self.text)
        return self._numbers


@register
class CannedRepetition(Checker):
    """Mechanical repetition (机械重复).

    What it does:
        Groups the human agent's replies that are the same or nearly the same, compared
        without punctuation, emoji, particles (哦, 呢, 啊, …) and the address 亲, by
        character-bigram Dice similarity (at least `similarity`, default 0.9), and without
        an opening (您好, 亲爱的, 好的, 在的, 抱歉, …) at their start. A group of
        `min_occurrences` (default 3) or more is flagged once, on its first repeat (the
        second occurrence). Replies shorter than `min_length` (default 8 characters of
        compared text) never count, and replies with different numbers (order numbers,
        prices, dates) are never the same reply. A hold ("收到，马上帮您核实", "稍等，我帮您查
        一下"; lexicon hold.txt) that the agent follows with another message before the
        customer speaks again is a courtesy before the answer, not the reply, and is not
        counted; holds that are all the customer gets are.

    Why is this bad?
        The same canned text pasted again and again tells the customer that nobody is
        reading their messages; it usually means the real question is not being answered.

    Example:
        亲，您的订单已经在排队发货了，请耐心等待哦~ (sent three times while the customer asks
        when exactly it ships)

    Use instead:
        Answer the question actually asked: "亲，您的订单排在明天上午发，发出后单号第一时间发您".
    """

    code = "QC117"
    slug = "structure.canned_repetition"
    category = "canned_repetition"
    Params = CannedRepetitionParams
    params: CannedRepetitionParams
    hold_file = "hold.txt"
    must_flag = [
        Example(
            "c: 什么时候发货\na: 亲，您的订单已经在排队发货了，请耐心等待哦~\nc: 到底什么时候\n"
            "a: 亲，您的订单已经在排队发货了，请耐心等待哦~\nc: 我问的是哪天\n"
            "a: 亲，您的订单已经在排队发货了，请耐心等待哦~",
            at=3,
        ),
        Example(
            "c: 能便宜点吗\na: 亲亲，我们已经是最低价了哦，品质有保障的呢[微笑]\nc: 少5块\n"
            "a: 亲，我们已经是最低价了，品质有保障的\nc: 3块也行\n"
            "a: 我们已经是最低价了哦亲，品质有保障的呢~",
            at=3,
            note="copies differing only in particles, 亲 and emoticons",
        ),
        Example(
            "c: 退款呢\na: 您好，退款申请已提交，请耐心等待审核\nc: 多久\n"
            "a: 您好，退款申请已经提交，请耐心等待审核\nc: ？？\n"
            "a: 您好，退款申请已提交，请您耐心等待审核",
            at=3,
            note="near-same: one or two characters differ",
        ),
        Example(
            "a: 欢迎光临本店，全场满199减20哦\nc: 在吗\n"
            "a: 欢迎光临本店，全场满199减20哦\nc: 人呢\n"
            "a: 欢迎光临本店，全场满199减20哦\nc: ？\na: 欢迎光临本店，全场满199减20哦",
            at=2,
            note="four copies: still one flag, on the second",
        ),
        Example(
            "c: 掉色怎么办\na: 亲，深色衣服第一次洗会有轻微浮色，属于正常现象\nc: 嗯\n"
            "a: 亲，深色衣服第一次洗会有轻微浮色，属于正常现象",
            at=3,
            params={"min_occurrences": 2},
        ),
        Example(
            "c: 什么时候到\na: 物流显示正在派送中，请您保持电话畅通\nc: 一直这样\n"
            "a: 物流显示正在派送中，请您保持电话畅通哦\nc: 我要投诉\n"
            "a: 亲亲，物流显示正在派送中，请您保持电话畅通",
            at=3,
        ),
        Example(
            "c: 快递到哪了\na: 收到，马上帮您核实哦\nc: 人呢\na: 收到，马上帮您核实哦\n"
            "c: ？？？\na: 收到，马上帮您核实哦亲",
            at=3,
            note="holds that are all the customer gets are canned replies",
        ),
        Example(
            "c: 发票开了吗\na: 您好，收到您的反馈了，请您耐心等待处理哦~\nc: 多久能好\n"
            "a: 亲爱的，收到您的反馈了，请您耐心等待处理哦~\nc: 我急用\n"
            "a: 好的呢，收到您的反馈了，请您耐心等待处理",
            at=3,
            note="the same canned text with another opening each time",
        ),
        Example(
            "c: 在吗\nb: 亲亲，店小蜜没有理解您的问题哦\na: 您好，请问有什么可以帮您的吗\n"
            "c: 衣服破了\na: 您好，请问有什么可以帮您的吗\nc: 破了！\n"
            "a: 您好，请问有什么可以帮您的吗",
            at=4,
        ),
    ]
    must_pass = [
        Example(
            "c: 在吗\na: 好的亲\nc: 这个呢\na: 好的亲\nc: 那个呢\na: 好的亲\nc: 嗯\na: 好的亲",
            note="short acknowledgements are meant to recur",
        ),
        Example("c: 1\na: 稍等哦亲~\nc: 2\na: 稍等哦亲~\nc: 3\na: 稍等哦亲~"),
        Example(
            "c: 查下三个订单\na: 亲，订单123456789已经发货了哦\n"
            "a: 亲，订单123456790已经发货了哦\na: 亲，订单123456791已经发货了哦",
            note="different order numbers: three different answers",
        ),
        Example(
            "c: 价格\na: 这款M码的价格是99元哦\nc: L码呢\na: 这款L码的价格是109元哦\nc: XL\n"
            "a: 这款XL码的价格是119元哦",
            note="different prices",
        ),
        Example(
            "c: 发货\na: 亲，您的订单已经在排队发货了，请耐心等待哦\nc: 好\n"
            "a: 亲，您的订单已经在排队发货了，请耐心等待哦",
            note="twice is below the default of three",
        ),
        Example(
            "b: 亲亲，店小蜜没有理解您的问题哦，请换个说法试试\nc: 人工\n"
            "b: 亲亲，店小蜜没有理解您的问题哦，请换个说法试试\nc: 人工！\n"
            "b: 亲亲，店小蜜没有理解您的问题哦，请换个说法试试\na: 您好，人工客服为您服务",
            note="the bot's repetition is not the human agent's",
        ),
        Example(
            "c: 我的订单到哪了\nc: 我的订单到哪了\nc: 我的订单到哪了\na: 亲，已经到杭州了",
            note="the customer repeating is not the agent's canned reply",
        ),
        Example(
            "c: 快递到哪了\na: 收到，马上帮您核实哦\na: 亲，包裹已经到杭州转运中心了\n"
            "c: 签收了没收到\na: 收到，马上帮您核实哦亲\n"
            "a: 亲亲，快递员放在驿站了，凭取件码取哦\n"
            "c: 退款呢\na: 收到，马上帮您核实哦\na: 亲，仓库签收后4个工作日内退款",
            note="a hold followed by the answer is a courtesy, not a canned reply",
        ),
        Example(
            "c: 退款呢\na: 您好，退款申请已提交，请耐心等待\nc: 发票呢\n"
            "a: 您好，发票已经开好了，请注意查收\nc: 运费呢\n"
            "a: 您好，运费险已经理赔了，请注意查收",
            note="one opening, different replies",
        ),
        Example(
            "c: 这两款有什么区别\na: 亲，这款是纯棉面料的，透气吸汗\nc: 另一款呢\n"
            "a: 亲，这款是涤纶面料的，挺括不皱\nc: 第三款\na: 亲，这款是真丝面料的，顺滑亲肤",
            note="one template, different content",
        ),
    ]

    def __init__(self, params: CannedRepetitionParams, resources: Resources) -> None:
        super().__init__(params, resources)
        self.hold = resources.lexicon(self.hold_file, roles=("agent",))

    def check(self, chat: Chat) -> Iterator[Hit]:
        params = self.params
        min_length = params.min_length
        roles = chat.roles
        norm = chat.norm
        long = [
            (index, norm[index].text)
            for index, role in enumerate(roles)
            if role == "agent" and len(norm[index].text) >= min_length
        ]
        if len(long) < params.min_occurrences:
            return  # (the comparison drops characters, never adds them)
        stripped = _NOISE_RUN.sub("", "\x00".join(text for _, text in long)).split("\x00")
        if len(stripped) != len(long):  # a message holding a NUL itself
            stripped = [_NOISE_RUN.sub("", text) for _, text in long]
        holds = set(chat.hit_indices(self.hold, ("agent",)))
        compared = [
            (index, text, raw)
            for (index, raw), text in zip(long, stripped, strict=True)
            if len(text) >= min_length and not (index in holds and self._answered_hold(chat, index))
        ]
        if len(compared) < params.min_occurrences:
            return  # no group can be large enough
        similarity = params.similarity
        groups: list[_Reply] = []
        exact: dict[str, _Reply] = {}
        for index, text, raw in compared:
            group = exact.get(text)
            if group is None:
                reply = _Reply(text, raw)
                group = self._closest(groups, reply, similarity)
                if group is None:
                    group = reply
                    groups.append(group)
                exact[text] = group
            group.members.append(index)
        flagged = [g for g in groups if len(g.members) >= params.min_occurrences]
        for group in sorted(flagged, key=lambda g: g.members[1]):
            yield Hit(
                group.members[1],
                None,
                f"相同或近似的回复共发送 {len(group.members)} 次:"
                f"「{chat.quote(group.members[0], None, 30)}」"
                f"(标准: {params.min_occurrences} 次即为机械重复)",
            )

    def _answered_hold(self, chat: Chat, index: int) -> bool:
        """A hold the agent follows with another message before the customer speaks."""
        if chat.first_hit(index, self.hold) is None:
            return False
        roles = chat.roles
        for following in range(index + 1, len(roles)):
            if roles[following] in ("agent", "customer"):
                return roles[following] == "agent"
        return False

    @staticmethod
    def _closest(groups: list[_Reply], reply: _Reply, threshold: float) -> _Reply | None:
        """The most similar earlier group at or above the threshold (bigram Dice of the
        replies, or of their bodies when an opening differs). Texts whose lengths alone
        rule the threshold out (2*min/(a+b) below it) are not compared."""
        best: _Reply | None = None
        best_score = threshold
        size, opening, body_size = reply.size, reply.opening, reply.body_size
        for group in groups:
            other = group.size
            shared = total = 0
            score = 0.0
            if 2 * min(size, other) >= best_score * (size + other):
                mine, theirs = reply.bigrams, group.bigrams
                total = len(mine) + len(theirs)
                shared = len(mine & theirs)
                score = 2 * shared / total if total else 1.0
            if score < best_score:
                # Copies with different openings: compare what follows them. A body is a
                # suffix of its reply, so the bodies share at most the replies' shared
                # bigrams and each lost at most its opening's length of them: when even
                # that bound is below the threshold, they cannot be alike.
                if opening == group.opening:
                    continue
                other = group.body_size
                if 2 * min(body_size, other) < best_score * (body_size + other) or (
                    total and 2 * shared < best_score * (total - len(opening) - len(group.opening))
                ):
                    continue
                score = _dice(reply.body, group.body, best_score)
                if score < best_score:
                    continue
            if group.numbers != reply.numbers:
                continue
            best, best_score = group, score
        return best


def _dice(a: _Reply, b: _Reply, threshold: float) -> float:
    """Bigram Dice of two replies; 0 when their lengths alone rule `threshold` out."""
    if 2 * min(a.size, b.size) < threshold * (a.size + b.size):
        return 0.0
    mine, theirs = a.bigrams, b.bigrams
    total = len(mine) + len(theirs)
    return 2 * len(mine & theirs) / total if total else 1.0
