from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.transcript import AGENT_ROLES

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.normalize import EmojiHit
    from qc_engine.resources import Resources

UPSET_LEXICON = "customer_upset.txt"
# Customer emoji that show distress besides the mocking kind (anger is already mocking).
_SAD_EMOJI = frozenset(
    ("😭", "😢", "😞", "😔", "[大哭]", "[流泪]", "[快哭了]", "[委屈]", "[难过]", "[心碎]", "[裂开]")
)
_KIND_ZH = {"cheerful": "轻松类", "neutral": "中性", "mocking": "嘲讽类", "apologetic": "致歉类"}


class EmojiMisuseParams(Params):
    max_per_message: int = Field(default=3, ge=0)
    """Most emoji or emoticon codes one agent message may hold."""
    extra_upset: list[str] = []
    """More words showing an upset customer, one lexicon line each (conditions allowed)."""


@register
class EmojiMisuse(Checker):
    """An emoji used where it hurts (表情不当).

    What it does:
        Flags an agent or bot message that (a) uses a mocking emoji or emoticon at any time
        (🙄, [白眼], [鄙视], /:>M<), (b) uses a cheerful or neutral one ([微笑], 😊, [OK])
        while the customer is complaining or upset: the customer messages it answers hold
        a complaint word (customer_upset.txt: 怎么回事, 坏了, 投诉, 太慢, 还没到, 退钱…) or
        an angry or crying emoji; apologetic ones (🙏, [抱拳], [对不起]) are fine then, or
        (c) holds more than `max_per_message` emoji. One flag per message, on the emoji.

    Why is this bad?
        To an upset customer a smiley reads as mockery (in Chinese chat [微笑] is
        notoriously sarcastic), a mocking face is contempt, and a string of emoji looks
        unprofessional. Each is a common trigger of complaints about "态度".

    Example:
        买家：东西破了怎么回事  客服：亲亲别急哦[微笑]

    Use instead:
        非常抱歉给您添麻烦了[抱拳]，麻烦拍张照片，我马上给您补发。
    """

    code = "QC120"
    slug = "emoji.misuse"
    category = "emoji_misuse"
    Params = EmojiMisuseParams
    must_flag = [
        Example("c: 收到的杯子破了怎么回事\na: 亲亲别急哦[微笑]", at=1),
        Example("c: 能便宜点吗\na: 亲，已经是最低价了[白眼]", at=1),
        Example("c: 都五天了还没到\nc: 到底什么时候能到\na: 好的亲😊帮您催一下", at=2),
        Example("a: 欢迎光临[微笑][微笑][玫瑰][爱心]有什么可以帮您", at=0),
        Example("c: 你们这质量太差了，我要退款\na: 好的呢/:^_^", at=1),
        Example("c: 在吗\na: 在的亲🙄", at=1),
        Example(
            "c: 快递员把东西弄坏了😡\na: 亲[OK]我来处理",
            at=1,
            note="a neutral emoji to an upset customer",
        ),
        Example("c: 好的\na: 谢谢亲[微笑][玫瑰]", params={"max_per_message": 1}, at=1),
    ]
    must_pass = [
        "c: 在吗\na: 在的亲[微笑]有什么可以帮您",
        "c: 收到的杯子破了怎么回事\na: 非常抱歉亲[抱拳]，麻烦拍照我给您补发",
        "c: 东西坏了\na: 实在对不起🙏我们马上处理",
        "c: 好的谢谢\na: 不客气哦亲😊祝您生活愉快[玫瑰][爱心]",
        "c: 不用退款了，挺好的\na: 好的亲[微笑]",
        Example(
            "c: 退款什么时候到账\na: 亲，仓库收到退货后3个工作日内退款哦[微笑]",
            note="asking about a refund is a request, not a complaint",
        ),
        "c: 发什么快递\na: 默认中通哦[微笑]",
        "c: 东西破了怎么回事\na: 亲亲抱歉\nc: 好吧，那补发一个吧\na: 好的亲[微笑]",
        "c: 哈哈好的[白眼]\na: 嗯嗯亲",
    ]

    def __init__(self, params: EmojiMisuseParams, resources: Resources) -> None:
        super().__init__(params, resources)
        # Read on customer messages only.
        self.upset = [resources.lexicon(UPSET_LEXICON, roles=("customer",))]
        if params.extra_upset:
            self.upset.append(
                resources.inline_lexicon(
                    f"{self.slug}.extra", params.extra_upset, roles=("customer",)
                )
            )
        self.limit = params.max_per_message

    def check(self, chat: Chat) -> Iterator[Hit]:
        norm = chat.norm
        roles = chat.roles
        if not any(norm[i].emoji for i, role in enumerate(roles) if role in AGENT_ROLES):
            return
        # Customer messages with an upset phrase (or an emoji): only they can be upset.
        worded: set[int] = set()
        for lexicon in self.upset:
            worded.update(chat.hit_indices(lexicon, ("customer",)))
        upset: str | None = None  # why the customer run being answered reads as upset
        in_run = False
        for index, role in enumerate(roles):
            if role == "customer":
                if not in_run:
                    upset, in_run = None, True
                if upset is None and (index in worded or norm[index].emoji):
                    upset = self._upset(chat, index)
                continue
            if role not in AGENT_ROLES:
                continue
            in_run = False
            emoji = norm[index].emoji
            if emoji:
                hit = self._judge(chat, index, emoji, upset)
                if hit is not None:
                    yield hit

    def _judge(
        self, chat: Chat, index: int, emoji: tuple[EmojiHit, ...], upset: str | None
    ) -> Hit | None:
        for item in emoji:
            if item.kind == "mocking":
                return Hit(index, (item.start, item.end), f"客服使用嘲讽类表情「{item.code}」")
        if upset is not None:
            for item in emoji:
                if item.kind in ("cheerful", "neutral"):
                    return Hit(
                        index,
                        (item.start, item.end),
                        f"买家正在抱怨({upset})时客服使用{_KIND_ZH[item.kind]}表情「{item.code}」",
                    )
        if len(emoji) > self.limit:
            item = emoji[self.limit]
            codes = "".join(e.code for e in emoji)
            if len(codes) > 30:
                codes = codes[:29] + "…"
            return Hit(
                index,
                (item.start, item.end),
                f"一条消息用了 {len(emoji)} 个表情 (上限 {self.limit} 个)：{codes}",
            )
        return None

    def _upset(self, chat: Chat, index: int) -> str | None:
        for lexicon in self.upset:
            hit = chat.first_hit(index, lexicon)
            if hit is not None:
                span = chat.norm[index].to_original(hit.start, hit.end)
                return f"「{chat.quote(index, span)}」"
        for item in chat.norm[index].emoji:
            if item.kind == "mocking" or item.code in _SAD_EMOJI:
                return f"买家表情「{item.code}」"
        return None
