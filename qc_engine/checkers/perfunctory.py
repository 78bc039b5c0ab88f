from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from qc_engine.checkers.base import Example, Hit
from qc_engine.checkers.phrase import PhraseChecker, PhraseParams
from qc_engine.checkers.registry import register
from qc_engine.lexicon import FILLERS

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.lexicon import PhraseHit
    from qc_engine.resources import Resources

_GREETINGS = [
    "在吗",
    "在么",
    "在嘛",
    "在不在",
    "在不",
    "在",
    "有人吗",
    "有人在吗",
    "有人么",
    "客服",
    "你好",
    "您好",
    "亲亲",
    "亲",
    "哈喽",
    "hello",
    "hi",
    "老板",
    "掌柜",
    "店家",
    "小二",
    "请问",
]
_HOLDING = [
    "请稍等",
    "稍等",
    "稍后",
    "等一下",
    "等下",
    "马上",
    "我看一下",
    "我看下",
    "我查一下",
    "我查下",
    "帮您看一下",
    "帮您看下",
    "帮您查一下",
    "帮您查下",
    "在的",
    "在呢",
    "您好",
    "你好",
    "欢迎光临",
    "亲亲",
    "亲",
    "客官",
]


class PerfunctoryParams(PhraseParams):
    greetings: list[str] = _GREETINGS
    """Words that make a customer message a mere greeting ("亲在吗？", "你好在不在"): a brush-off
    after such a message answers no question and is not flagged."""
    holding: list[str] = _HOLDING
    """Words of an agent or bot message that neither answers nor brushes off ("您好，请稍等"):
    such a message in the same turn does not count as the real answer."""


@register
class Perfunctory(PhraseChecker):
    """A real question answered with a brush-off and nothing else (敷衍).

    What it does:
        Flags an agent or bot reply that is only "不知道", "不清楚", "随便", "看着办", "可能吧" or a
        bare "哦" when the customer's message before it asks a question (a question mark, 吗,
        什么, 怎么, 多少, 哪, 几天, 能不能, 有没有…). A bare "嗯" or "好的" counts only after an
        open question (什么时候发货 → 嗯), since it answers a yes/no one (能开发票吗 → 嗯嗯).
        The agent's whole turn is judged: a turn that also holds a real answer is not
        flagged (a holding line such as "您好，请稍等" is no answer), a customer message that
        is only a greeting (在吗) asks nothing, and one turn gets one flag.

    Why is this bad?
        The customer asked because they need the answer to buy or to solve a problem; "不知道"
        and nothing else ends the conversation, loses the sale and reads as indifference.

    Example:
        买家: 发货了吗？
        客服: 不知道

    Use instead:
        亲，我帮您查一下～ 您的订单今天下午已经发出了，单号是… ("哦好的，马上帮您处理" and a
        "嗯嗯亲" after the customer's "好的" or "谢谢" are fine.)
    """

    code = "QC105"
    slug = "phrase.perfunctory"
    category = "perfunctory"
    Params = PerfunctoryParams
    lexicon_files = ("perfunctory.txt",)
    shared_lexicons = False  # one-word replies (哦, 嗯, 好的): only short messages can hold them
    must_flag = [
        Example("c: 发货了吗\na: 不知道", at=1),
        Example("c: 这个会掉色吗？\na: 不清楚哦亲", at=1),
        Example("c: 那我什么时候才能买到旧包装的\na: 这个不清楚哦", at=1, note="ECD"),
        Example("c: 蚂蚁花呗可以嘛\na: 这个小二也不知道呢", at=1, note="ECD"),
        Example("c: 几天能到广州\na: 哦[微笑]", at=1),
        Example("c: 什么时候发货\na: 嗯嗯", at=1, note="嗯 after an open question"),
        Example("c: 在吗\na: 在的亲\nc: 发什么快递？\na: 随便", at=3),
        Example("c: 能不能便宜点\nb: 亲，活动价哦\nc: 那满减怎么算\na: 看着办吧", at=3),
        Example("c: 发货了吗\na: 哦\na: 不知道", at=1, note="one flag for the turn, on its first"),
    ]
    must_pass = [
        "c: 发货了吗\na: 哦好的，马上帮您处理",
        "c: 谢谢\na: 哦",
        "c: 好\na: 嗯嗯亲",
        "c: 能开发票吗\na: 嗯嗯",
        "c: 在吗\na: 哦",
        "c: 什么时候发货\na: 嗯\na: 今天下午四点前发出哦",
        "c: 发什么快递？我要顺丰\na: 好的",
        "c: 这个不知道收到就是这样了\na: 不知道的话您拍个照片给我看看",
        "c: 发货了吗\na: 不知道呢亲，我帮您问一下仓库",
        Example("c: 那么久\na: 恩呢", note="ECD: a complaint, not a question"),
        Example("c: 发什么快递\na: 韵达\na: 嗯嗯", note="the turn already answered"),
    ]

    def __init__(self, params: PerfunctoryParams, resources: Resources) -> None:
        super().__init__(params, resources)
        normalize = resources.normalizer.normalize_phrase
        self.greetings = _longest_first(normalize(w) or w for w in params.greetings)
        self.holding = _longest_first(normalize(w) or w for w in params.holding)

    def check(self, chat: Chat) -> Iterator[Hit]:
        flagged_turns: set[int] = set()
        for index in self.candidates(chat):
            hit = self._brush_off(chat, index)
            if hit is None:
                continue
            asked = chat.previous_index(index, "customer")
            turn = -1 if asked is None else asked
            if turn in flagged_turns:
                continue
            if asked is not None and self._is_greeting(chat.norm[asked].text):
                continue
            if self._turn_has_answer(chat, turn + 1, index):
                continue
            flagged_turns.add(turn)
            span = chat.norm[index].to_original(hit.start, hit.end)
            yield Hit(index, span, self._evidence(chat, index, span, hit, asked))

    def _brush_off(self, chat: Chat, index: int) -> PhraseHit | None:
        for lexicon in self.lexicons:
            hit = chat.first_hit(index, lexicon)
            if hit is not None:
                return hit
        return None

    def _is_greeting(self, text: str) -> bool:
        return _only(text, self.greetings)

    def _turn_has_answer(self, chat: Chat, start: int, index: int) -> bool:
        """Whether another agent/bot message of the same turn says something real."""
        end = start
        while end < len(chat) and chat.roles[end] != "customer":
            end += 1
        for j in range(start, end):
            if j == index or chat.roles[j] not in self.inspect_roles:
                continue
            if _only(chat.norm[j].text, self.holding):
                continue
            if self._brush_off(chat, j) is None:
                return True
        return False

    def _evidence(
        self, chat: Chat, index: int, span: tuple[int, int], hit: PhraseHit, asked: int | None
    ) -> str:
        where = f"(词条「{hit.entry.original}」, {hit.entry.source} 第{hit.entry.line}行)"
        if asked is None:
            return f"客服仅回复「{chat.quote(index, span)}」{where}"
        return (
            f"买家问「{chat.quote(asked, None, limit=30)}」, 客服仅回复"
            f"「{chat.quote(index, span)}」{where}"
        )


def _longest_first(words: Iterable[str]) -> list[str]:
    return sorted(set(words), key=len, reverse=True)


def _only(text: str, words: list[str]) -> bool:
    """Whether `text` holds nothing but these words, particles, punctuation and emoji."""
    for word in words:
        text = text.replace(word, "")
    return all(ch in FILLERS for ch in text)
