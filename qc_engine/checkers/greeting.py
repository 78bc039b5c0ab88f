from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from qc_engine.checkers._conversation import first_word_hit
from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.lexicon import FILLERS

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources


class GreetingParams(Params):
    required: bool = True
    """Whether the checklist requires a greeting at all (false turns the check off)."""
    judge_cut_off: bool = False
    """Also judge transcripts that visibly start mid-conversation (the first message is a
    customer's bare "嗯嗯" / "好的" / "谢谢"): by default they are not judged, since the
    greeting, if any, came before the transcript begins."""


@register
class Greeting(Checker):
    """Missing greeting (缺少欢迎语).

    What it does:
        Judges the first message of the first human agent in the chat and flags it when it
        holds no greeting (您好, 你好, 亲, 亲亲, 在的, 欢迎光临, 很高兴为您服务, hi, … from the
        lexicon greeting.txt). Bot greetings do not count for the agent, and an agent who
        takes over later in the chat is not judged. A transcript that visibly starts in the
        middle of a conversation (its first message is a customer's bare acknowledgement such
        as "嗯嗯", "好的" or "谢谢", lexicon greeting_mid_start.txt) is not judged unless
        `judge_cut_off` is set. With `required: false` the check is off.

    Why is this bad?
        The first words set the tone of the whole chat; a bare answer without a greeting
        reads as cold, and most shops' service standards require one.

    Example:
        买家「这款有M码吗」… 客服「有的」

    Use instead:
        "亲亲您好，有M码的哦[微笑]" or "您好，欢迎光临，很高兴为您服务~".
    """

    code = "QC115"
    slug = "structure.greeting"
    category = "missing_greeting"
    Params = GreetingParams
    params: GreetingParams
    lexicon_file = "greeting.txt"
    mid_start_file = "greeting_mid_start.txt"
    must_flag = [
        Example("c: 这款有M码吗\na: 有的", at=1),
        Example(
            "c: 在吗\nb: 亲亲，欢迎光临，店小蜜为您服务~\nc: 转人工\na: 什么问题",
            at=3,
            note="the bot's greeting does not count for the human agent",
        ),
        Example("c: 528105689823\na: 这款是纯棉的，不起球", at=1),
        Example(
            "c: 什么时候发货\na: 今天下午四点前发出[微笑]",
            at=1,
            note="an emoticon is not a greeting",
        ),
        Example(
            "c: 这个面料亲肤吗\na: 面料很亲肤的，可以放心",
            at=1,
            note="亲 inside 亲肤 is not the address 亲",
        ),
        Example(
            "c: 现在的价格是多少\na: 现在的价格是99元",
            at=1,
            note="在的 inside 现在的 is not a greeting",
        ),
        Example(
            "c: 这个剃须刀是什么牌子\na: Philips飞利浦的，正品保证",
            at=1,
            note="hi inside Philips is not a greeting",
        ),
        Example(
            "c: 嗯嗯\na: 这款没有优惠了",
            at=1,
            params={"judge_cut_off": True},
            note="a strict checklist judges transcripts cut off at the start as well",
        ),
    ]
    must_pass = [
        "c: 这款有M码吗\na: 亲亲您好，有M码的哦[微笑]",
        "c: 在吗\na: 在的亲",
        "c: 在吗\na: 你好，在呢",
        "c: 有货吗\na: 欢迎光临Q女家旗舰店，有货的哦",
        "c: 在吗\na: 亲爱的，请问有什么可以帮您",
        "c: hello?\na: Hi，有什么可以帮您",
        Example(
            "c: 在吗\na: 您好\nc: 退货地址多少\na: 请稍等，我转给售后\na: 地址是杭州市xx路",
            note="only the first message of the first agent is judged",
        ),
        Example(
            "c: 在吗\na: 您好亲\ns: 会话已转接给客服小李\na: 退款已经处理了",
            note="an agent taking over later is not judged",
        ),
        Example("c: 嗯嗯\na: 这款没有优惠了哦", note="the transcript starts mid-conversation"),
        Example("c: 好的，谢谢\na: 不客气哦", note="the transcript starts mid-conversation"),
        Example("c: 这款有M码吗\na: 有的", params={"required": False}),
        Example("c: 在吗\nb: 亲亲稍等，人工客服马上就来", note="no human agent: nothing to judge"),
    ]

    def __init__(self, params: GreetingParams, resources: Resources) -> None:
        super().__init__(params, resources)
        # Word lists read on one message per chat: kept out of the shared phrase scan.
        self.lexicon = resources.lexicon(self.lexicon_file, shared=False)
        self.mid_start = resources.lexicon(self.mid_start_file, shared=False)

    def check(self, chat: Chat) -> Iterator[Hit]:
        if not self.params.required:
            return
        try:
            first_agent = chat.roles.index("agent")
        except ValueError:
            return
        if first_word_hit(chat, first_agent, self.lexicon) is not None:
            return
        if not self.params.judge_cut_off and self._starts_mid_conversation(chat):
            return
        yield Hit(
            first_agent, None, f"客服首条消息无欢迎语:「{chat.quote(first_agent, None, 30)}」"
        )

    def _starts_mid_conversation(self, chat: Chat) -> bool:
        for index, role in enumerate(chat.roles):
            if role == "system":
                continue
            return role == "customer" and self._only_acknowledgement(chat, index)
        return False

    def _only_acknowledgement(self, chat: Chat, index: int) -> bool:
        text = chat.norm[index].text
        covered = bytearray(len(text))
        for hit in chat.phrase_hits(index, self.mid_start):
            covered[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
        return any(covered) and all(covered[k] or ch in FILLERS for k, ch in enumerate(text))
