from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers._conversation import ends_with_question, first_word_hit
from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources


class ClosingParams(Params):
    required: bool = True
    """Whether the checklist requires a closing at all (false turns the check off)."""
    last_agent_messages: int = Field(2, ge=1)
    """How many of the agent's last messages may hold the closing."""
    judge_cut_off: bool = False
    """Also judge chats that visibly go on past the transcript's end (see the docstring):
    by default they are not judged, since the closing cannot be due yet."""


@register
class Closing(Checker):
    """Missing closing (缺少结束语).

    What it does:
        Flags the agent's last message when none of the human agent's last
        `last_agent_messages` messages (default 2) holds a closing (再见, 祝您生活愉快,
        有问题随时联系, 感谢您的支持, 欢迎下次光临, 还有什么可以帮您, … from the lexicon
        closing.txt). A chat without any agent message is not judged, nor is a bot's closing
        counted for the agent. With `required: false` the check is off.

        A chat that visibly goes on past the transcript's end is not judged either (unless
        `judge_cut_off` is set), because its closing is not due yet and other checks own what
        went wrong: the agent's last message puts the customer on hold or hands the chat over
        ("稍等，我帮您查一下", "帮您转接售后"; lexicons hold.txt, closing_open_end.txt) or a
        system message after it transfers the chat (broken_promise judges the hold); the
        customer's question is the last word (unanswered_question, slow_response judge it);
        or the agent's question is the last word and the customer never answered it (the
        customer left mid-exchange).
        A chat that ends on the customer's "好的，谢谢" with no answer IS judged.

    Why is this bad?
        A chat that just stops leaves the customer unsure whether the matter is settled; a
        closing confirms it, invites them back and is part of every shop's service standard.

    Example:
        买家「好的，那我拍了」… 客服「嗯嗯」 (chat ends)

    Use instead:
        "好的亲，还有什么可以帮您的吗？没有的话祝您生活愉快，欢迎下次光临~".
    """

    code = "QC116"
    slug = "structure.closing"
    category = "missing_closing"
    Params = ClosingParams
    params: ClosingParams
    lexicon_file = "closing.txt"
    open_end_file = "closing_open_end.txt"
    hold_file = "hold.txt"
    must_flag = [
        Example("c: 这款有M码吗\na: 亲亲您好，有的哦\nc: 好的，那我拍了\na: 嗯嗯", at=3),
        Example(
            "c: 什么时候发货\na: 您好，今天下午发出\nc: 好的谢谢",
            at=1,
            note="the customer signed off and the agent never closed",
        ),
        Example(
            "c: 在吗\na: 您好，祝您购物愉快\nc: 还有个问题，能开发票吗\na: 可以的\n"
            "c: 好\na: 好的亲\ns: 会话已结束",
            at=5,
            note="the closing was not among the last two agent messages",
        ),
        Example(
            "c: 在吗\na: 在的亲\nc: 怎么还没发货\na: 您好亲，这两天订单多，明天发出哦\n"
            "b: 亲亲，还有什么可以帮您的吗",
            at=3,
            note="the bot's closing does not count for the agent",
        ),
        Example("c: 包邮吗\na: 亲，满99包邮的哦\nc: 好吧", at=1, params={"last_agent_messages": 1}),
        Example(
            "c: 有货吗\na: 亲，稍等，我帮您查一下",
            at=1,
            params={"judge_cut_off": True},
            note="a strict checklist judges chats cut off on a hold as well",
        ),
        Example(
            "c: 这个愉快系列还有吗\na: 亲，有的哦\nc: OK",
            at=1,
            note="the customer's words are not the agent's closing",
        ),
        Example(
            "c: 体验很不愉快\na: 非常抱歉给您带来不愉快的体验，已经给您退款了\nc: 嗯",
            at=1,
            note="不愉快 is not a wish",
        ),
    ]
    must_pass = [
        "c: 这款有M码吗\na: 有的哦\nc: 好的，那我拍了\na: 好的亲，祝您生活愉快~",
        "c: 好的谢谢\na: 不客气，还有什么可以帮您的吗\nc: 没了",
        "c: 多少钱\na: 99元哦，有问题随时联系我们\nc: 好的\na: [微笑]",
        "c: 能便宜点吗\na: 已经是最低价了哦，感谢您的理解\nc: 好吧",
        "c: 什么时候到\na: 明天就到了，感谢亲的支持，欢迎下次光临\nc: 好",
        Example("c: 发什么快递\nb: 默认中通哦\nc: 好的", note="no agent message: nothing to judge"),
        Example(
            "c: 有货吗\na: 亲，稍等，我帮您查一下",
            note="the chat goes on past the transcript: not judged",
        ),
        Example("c: 可以退吗\na: 您好亲\ns: 已为您转接售后客服", note="the chat was handed over"),
        Example(
            "c: 在吗\na: 您好，在的\nc: 这款能机洗吗？",
            note="the customer's question is the last word",
        ),
        Example(
            "c: 在吗\na: 您好\nc: 我想换个颜色\na: 亲是要换成哪个颜色呢",
            note="the agent's question awaits the customer's answer",
        ),
        Example("c: 好的\na: 嗯嗯", params={"required": False}),
    ]

    def __init__(self, params: ClosingParams, resources: Resources) -> None:
        super().__init__(params, resources)
        self.lexicon = resources.lexicon(self.lexicon_file, roles=("agent",))
        self.open_end = resources.lexicon(self.open_end_file, roles=("agent", "system"))
        self.hold = resources.lexicon(self.hold_file, roles=("agent",))

    def check(self, chat: Chat) -> Iterator[Hit]:
        if not self.params.required:
            return
        roles = chat.roles
        wanted = self.params.last_agent_messages
        judged: list[int] = []  # the agent's last messages, latest first
        for index in range(len(roles) - 1, -1, -1):
            if roles[index] == "agent":
                if first_word_hit(chat, index, self.lexicon) is not None:
                    return
                judged.append(index)
                if len(judged) == wanted:
                    break
        if not judged:
            return
        if not self.params.judge_cut_off and self._goes_on(chat, judged[0]):
            return
        quote = chat.quote(judged[0], None, 30)
        if len(judged) == 1:
            evidence = f"会话结束时客服最后一条消息无结束语:「{quote}」"
        else:
            evidence = f"会话结束时客服最后 {len(judged)} 条消息均无结束语，最后一条:「{quote}」"
        yield Hit(judged[0], None, evidence)  # the agent's message, not the chat's last

    def _goes_on(self, chat: Chat, last_agent: int) -> bool:
        """Whether the transcript visibly stops before the conversation has ended."""
        if (
            chat.first_hit(last_agent, self.hold) is not None
            or chat.first_hit(last_agent, self.open_end) is not None
        ):
            return True
        roles = chat.roles
        for index in range(last_agent + 1, len(roles)):
            if roles[index] == "system" and chat.first_hit(index, self.open_end) is not None:
                return True
        last_spoken = next((i for i in range(len(roles) - 1, -1, -1) if roles[i] != "system"), None)
        if last_spoken is None or roles[last_spoken] not in ("customer", "agent"):
            return False
        return ends_with_question(chat.norm[last_spoken].text)
