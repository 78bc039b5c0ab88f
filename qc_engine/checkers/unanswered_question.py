from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qc_engine.checkers._followup import ReplyReader, releases
from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.transcript import AGENT_ROLES

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.normalize import NormalizedText
    from qc_engine.resources import Resources

# Questions that ask for information (an acknowledgement cannot answer them), choice
# questions ("大号还是小号") included. Lookarounds drop statements: 没什么, 什么都, 不怎么,
# 好几天, 没几天, 十几个, 哪怕, 多多少少, 我还是要, 还是挺好.
_WH = re.compile(
    r"为什么|为啥|为何|作何|何种|何处|干嘛|干吗|谁(?![都也])|(?<![没不])什么(?![都也])|(?<!没)啥|"
    r"(?<!不)怎么|怎样|咋|(?<!多)多少(?!有)|多久|多大|多长|多重|多高|多宽|多厚|多远|哪(?!怕)|"
    r"如何|何时|(?<![我那但可却也都还])还是(?!要|得|会|挺|很|不|没|比较|觉得|算了)|"
    r"(?<![好十没])几(?=[天个号月点包份盒斤种件袋罐支把片次日时瓶箱米码岁年周块元克张套只双条层位组])"
)
# Yes/no questions, anywhere in the message.
_YES_NO = re.compile(
    r"\?|吗|是否|能不能|能否|可不可以|可否|可以不|有没有|有没|有木有|会不会|是不是|要不要|"
    r"行不行|好不好|对不对|在不在|请问|(?<![这那多要什怎么])么(?!么)"
)
_CLAUSE = re.compile(r"[^,.!?;:~。、…\s]+")
_CLAUSE_BREAK = re.compile(r"[,.!?;:~。、…\s]")
_TO_LAST_BREAK = re.compile(r".*[,.!?;:~。、…\s]", re.DOTALL)
# Cheap gates: the characters a match of _WH / _YES_NO must begin with (look-behinds keep
# the regex engine from skipping ahead by itself), and the last characters `_ending` knows.
_WH_START = re.compile(r"[为作何干谁什啥怎咋多哪如还几]")
_YES_NO_START = re.compile(r"[?吗是能可有会要行好对在请么]")
_ENDING_CHARS = frozenset("呢嘛不吧没有")
# What may trail a question clause: particles and laughter.
_TRAIL = "啊呀哈哦噢亲的"


@dataclass(slots=True)
class _Question:
    index: int
    span: tuple[int, int]
    needs_answer: bool
    """An information question: an acknowledgement ("好的", "嗯嗯") does not answer it."""
    promised: bool = False
    """A promise replied to it: an acknowledgement after that is no answer either."""


def find_question(norm: NormalizedText) -> tuple[tuple[int, int], bool] | None:
    """The question clause of a customer message (normalised span) and whether it asks for
    information (True) or is a yes/no question (False); None if it asks nothing."""
    text = norm.text
    if not text:
        return None
    gate = _WH_START.search(text)
    if gate is not None:
        # No match starts before the gate's character (look-behinds still see the text
        # before `pos`).
        for match in _WH.finditer(text, gate.start()):
            start, end = _clause(text, match.start())
            if match.group() == "还是" and text[start:end].rstrip(_TRAIL).endswith(("吧", "了")):
                continue  # 那还是算了吧, 还是先拍吧: advice, not a choice question
            return (start, end), True
    for clause in _CLAUSE.finditer(text):
        core = clause.group().rstrip(_TRAIL)
        if len(core) < 2 or core[-1] not in _ENDING_CHARS:
            continue  # `_ending` gives None
        ending = _ending(core)
        if ending is not None:
            return clause.span(), ending
    gate = _YES_NO_START.search(text)
    if gate is not None:
        yes_no = _YES_NO.search(text, gate.start())
        if yes_no is not None:
            return _clause(text, yes_no.start()), False
    return None


def _ending(core: str) -> bool | None:
    """A question told by how the clause ends: 呢 (what about…?) asks for information;
    嘛/不/是吧 ask yes or no."""
    if len(core) < 2:
        return None
    last = core[-1]
    if last == "呢":
        if (
            len(core) <= 12
            and not core.endswith(
                ("好的呢", "是的呢", "对的呢", "嗯呢", "恩呢", "好呢", "行呢", "可以的呢")
            )
            and not any(w in core for w in ("以为", "正在", "还在", "我在", "在找"))
        ):
            return True
        return None
    if last == "嘛" and not core.endswith(("好嘛", "就是嘛", "行嘛", "对嘛对嘛")):
        return False
    if last == "不" and len(core) >= 3 and not core.endswith(("要不", "可不", "并不")):
        return False
    if core.endswith(("是吧", "对吧", "是不", "了没", "了没有")):
        return False
    if (
        core.endswith("没有")
        and len(core) >= 4
        and "有" in core[:-2]
        and core[-3] not in "还都也我"
    ):
        return False
    return None


def _clause(text: str, pos: int) -> tuple[int, int]:
    """The _CLAUSE run holding text[pos], or (pos, pos + 1) if it is a break."""
    after = _CLAUSE_BREAK.search(text, pos)
    end = after.start() if after is not None else len(text)
    if end == pos:
        return (pos, pos + 1)
    before = _TO_LAST_BREAK.match(text, 0, pos)
    return (before.end() if before is not None else 0, end)


class UnansweredParams(Params):
    ack_answers_yes_no: bool = True
    """Let an acknowledgement ("好的", "嗯嗯", "您好") answer a yes/no question ("在吗",
    "可以发顺丰吗"); false: only a substantive reply answers any question."""


@register
class UnansweredQuestion(Checker):
    """A customer question left without an answer (问题未回复).

    What it does:
        Flags a customer question (？, 吗/么/嘛/呢/…不 endings, 什么/怎么/多少/几/哪/是否/
        能不能/有没有/会不会…) that no later agent or bot message answers before the chat
        ends: silence, or replies that are only a promise ("稍等我查一下") or filler ("好的",
        "嗯嗯") with nothing substantive after them. Consecutive customer messages are
        answered together by the next substantive reply; an acknowledgement does answer a
        yes/no question ("在吗" → "您好", "能备注吗" → "好的"), but not a question asking for
        information. The flag sits on the last open question: promises and filler do not end
        a run, so "几天能到" … "您好" … "人呢" is one run and one flag, on "人呢".

    Why is this bad?
        The customer leaves without what they came for, asks again elsewhere or gives up
        the purchase; an unanswered question is the commonest cause of "客服不理人" reviews.

    Example:
        买家：这款什么时候发货？  客服：稍等  (对话结束)

    Use instead:
        稍等 … 亲，今天16点前付款当天发货哦。
    """

    code = "QC118"
    slug = "structure.unanswered_question"
    category = "unanswered_question"
    Params = UnansweredParams
    must_flag = [
        Example("a: 您好，欢迎光临\nc: 这款什么时候发货？", at=1),
        Example(
            "c: 在吗\na: 在的亲\nc: 这个茶刀多少钱一把\na: 稍等我查一下",
            at=2,
            note="a promise never kept leaves the question unanswered",
        ),
        Example(
            "c: 运费谁出呀\na: 好的亲[微笑]",
            at=0,
            note="an acknowledgement does not answer an information question",
        ),
        Example("c: 蓝色还有货吗\nc: 有的话我要两件\na: 亲亲稍等哦\nc: 好\na: 嗯嗯", at=0),
        Example(
            "c: 请问几天能到\na: 您好\nc: 人呢",
            at=2,
            note="the run's last question carries the flag",
        ),
        Example("c: 那我这包开的呢\na: 嗯嗯", at=0),
        Example("c: 可以发顺丰吗\na: 好的亲", params={"ack_answers_yes_no": False}, at=0),
        Example("c: 你们家是用什么快递\na: 亲\nc: 哪个快递\na: 稍等下", at=2),
    ]
    must_pass = [
        "c: 在吗\na: 您好",
        "c: 可以开发票吗\na: 好的亲",
        "c: 几天到货啊\na: 亲哪里的呢\nc: 秦皇岛\na: 3到5天左右",
        "c: 生产日期什么时候的\na: 稍等我看一下\na: 亲，是今年5月的新货哦",
        "c: 这个好用吗\na: 干的呢亲沾水当湿巾用呢",
        "c: 好几天前就显示派送了\na: 好的",
        "c: 我以为就一个大包裹呢\na: 嗯嗯",
        "c: 有黑色吗\na: 稍等\nc: 算了不用了，我买白色的\na: 好的亲",
        "c: 谢谢啦，没什么问题了\na: 不客气哦",
        "c: 会生锈不\na: 不会哦",
    ]

    def __init__(self, params: UnansweredParams, resources: Resources) -> None:
        super().__init__(params, resources)
        self.reader = ReplyReader(resources)
        self.ack_answers = params.ack_answers_yes_no

    def check(self, chat: Chat) -> Iterator[Hit]:
        # Questions since the last substantive answer; promises and filler do not break
        # the run, so a nudge ("人呢") joins the question it repeats.
        open_questions: list[_Question] = []
        last_reply: int | None = None  # the last non-answer after an open question
        roles = chat.roles
        # A substantive reply closes every open question: only what comes after the last
        # one can be left open. (Before it, the run ends with no open question, and a
        # last_reply from before it can never follow a later question.)
        begin = 0
        for index in range(len(roles) - 1, -1, -1):
            if roles[index] in AGENT_ROLES and self.reader.read(chat, index).substantive:
                begin = index + 1
                break
        for index in range(begin, len(roles)):
            role = roles[index]
            if role == "customer":
                norm = chat.norm[index]
                if open_questions and releases(chat, index):
                    open_questions, last_reply = [], None
                found = find_question(norm)
                if found is not None:
                    (start, end), needs_answer = found
                    open_questions.append(
                        _Question(index, norm.to_original(start, end), needs_answer)
                    )
                continue
            if role not in AGENT_ROLES or not open_questions:
                continue
            reply = self.reader.read(chat, index)
            if reply.substantive:
                open_questions, last_reply = [], None
                continue
            last_reply = index
            if reply.promise is not None:
                for question in open_questions:
                    question.promised = True
            elif self.ack_answers:
                open_questions = [q for q in open_questions if q.needs_answer or q.promised]
        if not open_questions:
            return
        question = open_questions[-1]
        quoted = chat.quote(question.index, question.span)
        more = f"(连同此前共 {len(open_questions)} 个问题)" if len(open_questions) > 1 else ""
        if last_reply is not None and last_reply > question.index:
            evidence = (
                f"买家提问「{quoted}」{more}，客服只回复了「{chat.quote(last_reply, None, 20)}」，"
                "对话结束仍未答复"
            )
        else:
            evidence = f"买家提问「{quoted}」{more}后客服未再回复"
        yield Hit(question.index, question.span, evidence)
