from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers._conversation import first_word_hit
from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources


class ApologyOveruseParams(Params):
    max_apologies: int = Field(3, ge=0)
    """Most agent messages with an apology one chat may hold."""


@register
class ApologyOveruse(Checker):
    """Too many apologies (致歉过多).

    What it does:
        Counts the human agent's messages that apologise (抱歉, 不好意思, 对不起, 非常抱歉,
        sorry, 深表歉意, … from the lexicon apology.txt; a message counts once however many
        apologies it holds) and flags the first message past `max_apologies` (default 3).
        Telling the customer not to apologise ("不用不好意思哦") is not an apology.

    Why is this bad?
        An apology should lead to a solution; repeated apologies without one read as
        helplessness or stalling and irritate an upset customer further.

    Example:
        不好意思亲… 实在抱歉… 非常抱歉… 真的很抱歉亲 (the fourth apology is flagged)

    Use instead:
        Apologise once, then act: "给您带来不便非常抱歉，我这边马上给您补发一件，单号稍后发您".
    """

    code = "QC114"
    slug = "structure.apology_overuse"
    category = "apology_overuse"
    Params = ApologyOveruseParams
    params: ApologyOveruseParams
    lexicon_file = "apology.txt"
    must_flag = [
        Example(
            "c: 怎么还没发货\na: 不好意思亲，最近订单多\nc: 都一个星期了\n"
            "a: 实在抱歉，我帮您催一下\nc: 催了有用吗\na: 非常抱歉给您带来不便\nc: 算了\n"
            "a: 真的很抱歉亲[委屈]",
            at=7,
        ),
        Example("a: 抱歉\na: 抱歉\na: 抱歉\na: 抱歉", at=3),
        Example(
            "c: 少发了一个\na: 对不起亲，是仓库漏发了\nc: 那怎么办\na: 不好意思，给您补发哦\n"
            "c: 什么时候发\na: 抱歉亲，明天发\nc: 能今天吗\na: sorry亲，今天仓库下班了",
            at=7,
        ),
        Example(
            "a: 亲，不好意思久等了\na: 抱歉，刚刚在忙\na: 对不住亲，这款断货了\n"
            "a: 给您添麻烦了，深表歉意",
            at=3,
        ),
        Example(
            "c: 发错颜色了\na: 亲亲非常抱歉\nc: 我要黑色的\na: 抱歉，给您换黑色",
            at=3,
            params={"max_apologies": 1},
        ),
        Example(
            "a: 不好意思亲\nb: 亲亲，抱歉哦，小蜜没听懂\na: 不好意思\na: 抱歉\na: 请您见谅",
            at=4,
            note="bot apologies are not counted; the fourth agent one is flagged",
        ),
    ]
    must_pass = [
        Example("a: 不好意思亲\na: 实在抱歉\na: 非常抱歉", note="exactly the limit"),
        Example(
            "c: 发错了\na: 非常抱歉亲，不好意思，对不起，给您补发\nc: 好吧\na: 抱歉久等\n"
            "a: 不好意思，单号发您",
            note="one message counts once however many apologies",
        ),
        Example(
            "c: 不好意思打扰了\na: 不用不好意思哦亲\nc: 抱歉问这么多\na: 没关系亲，不用抱歉的\n"
            "c: 对不起啊\na: 没什么对不起的亲[微笑]\nc: 谢谢\na: 亲不必道歉哦",
            note="telling the customer not to apologise is not an apology",
        ),
        Example(
            "c: 不好意思\nc: 抱歉\nc: 对不起\nc: sorry\na: 没事的亲",
            note="the customer's apologies are not counted",
        ),
        Example(
            "b: 抱歉\nb: 抱歉\nb: 抱歉\nb: 抱歉\na: 您好",
            note="bot replies are not the human agent",
        ),
        Example(
            "a: 这款是sorryless系列哦\na: 抱歉\na: 抱歉\na: 抱歉",
            note="a Latin word inside a longer word is not an apology",
        ),
        Example("a: 抱歉亲\na: 抱歉\na: 抱歉\na: 抱歉\na: 抱歉", params={"max_apologies": 5}),
    ]

    def __init__(self, params: ApologyOveruseParams, resources: Resources) -> None:
        super().__init__(params, resources)
        self.lexicon = resources.lexicon(self.lexicon_file, roles=("agent",))

    def check(self, chat: Chat) -> Iterator[Hit]:
        limit = self.params.max_apologies
        count = 0
        for index in chat.hit_indices(self.lexicon, ("agent",)):
            hit = first_word_hit(chat, index, self.lexicon)
            if hit is None:
                continue
            count += 1
            if count > limit:
                span = chat.norm[index].to_original(hit.start, hit.end)
                yield Hit(
                    index,
                    span,
                    f"客服第 {count} 次致歉「{chat.quote(index, span)}」(标准最多 {limit} 次)",
                )
                return
