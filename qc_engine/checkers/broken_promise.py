from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers._followup import ReplyReader, releases
from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.transcript import AGENT_ROLES

if TYPE_CHECKING:
    from qc_engine.chat import Chat
    from qc_engine.resources import Resources


class BrokenPromiseParams(Params):
    window_seconds: int = Field(default=600, ge=0)
    """How long a promise may wait for its answer, when the messages carry times."""
    extra: list[str] = []
    """More promise phrases, one lexicon line each (conditions allowed)."""


@register
class BrokenPromise(Checker):
    """A follow-up promised in the chat that never comes (承诺未履行).

    What it does:
        Flags an agent or bot message that ends on a promise to come back with an answer
        ("我查一下马上回复您", "稍等我帮您核实", "我去问一下仓库", "稍等") when no substantive
        agent message follows within `window_seconds` (if the messages carry times) or
        before the chat ends. Substantive means more than filler or another promise:
        "好的亲", "嗯嗯", "还在查哦请再稍等" do not keep a promise. The flag sits on the
        promise (the first of a chain of promises left open together). A customer who
        withdraws the request ("不用查了", "没事了") releases the promise. A bot's promise
        ("正在为您转接人工客服，请稍等") is kept by the first human agent message, whatever it
        says: what the customer waited for was a person.

    Why is this bad?
        The customer was told to wait and waited for nothing; such chats turn into
        complaints. Platforms treat an unkept in-chat promise as a service red line.

    Example:
        买家：帮我看下发货没  客服：稍等我查一下  (对话结束)

    Use instead:
        稍等我查一下 … 亲，查到了，您的包裹今天上午已经发出，单号SF…。 (A promise that
        waits on the customer first, "您提交订单我帮您看下", is not flagged until then.)
    """

    code = "QC119"
    slug = "structure.broken_promise"
    category = "broken_promise"
    Params = BrokenPromiseParams
    must_flag = [
        Example("c: 亲，我的快递到哪了\na: 稍等我查一下马上回复您", at=1),
        Example("c: 这款有黑色M码吗\na: 亲亲稍等，我去问一下仓库哦~\nc: 好的", at=1),
        Example(
            "c: 你帮我看一下跟我之前拍的一样不\na: 嗯嗯还没提交订单呢亲\nc: 提交过了啊\na: 稍等",
            at=3,
            note="an ECD excerpt (ecd-002) ends on 稍等: by definition a broken promise",
        ),
        Example(
            "c: 退款什么时候到账\na: 稍等我帮您核实下哦\nc: 好\na: 好的亲[微笑]",
            at=1,
            note="filler after the promise does not keep it",
        ),
        Example(
            "c@10:00:00: 发票开了吗\na@10:00:20: 我这边帮您查一下哦，请稍等\n"
            "c@10:05:00: 好了没\na@10:16:00: 亲，发票已经开好了，在订单详情里可以下载",
            at=1,
            note="the answer came 940 s later, past the 600 s window",
        ),
        Example(
            "c: 能换成白色吗\na: 我问问同事哈\na: 亲亲再稍等一下哦\nc: ？？",
            at=1,
            note="a chain of promises is one flag, on the first",
        ),
        Example("c: 什么时候发货\na: 您稍等，正在为您查询", at=1),
        Example(
            "c@10:00:00: 还有货吗\na@10:00:10: 我看下\na@10:03:00: 还有的",
            params={"window_seconds": 120},
            at=1,
        ),
        Example(
            "c: 转人工\nb: 正在为您转接人工客服，请稍等哦~",
            at=1,
            note="the bot promised a person and none came",
        ),
    ]
    must_pass = [
        "c: 亲，我的快递到哪了\na: 稍等我查一下\na: 亲，您的包裹已经到杭州中转站了，明天派送",
        "c: 生产日期什么时候的\na: 我看下哦，2024年5月7日的",
        "c: 有纯棉2020的吗\na: 稍等，这款纯棉2020哦",
        "c: 这个金额是否达到包邮条件\na: 您提交订单帮您看下",
        "c: 怎么还没发货\na: 帮亲催下仓库哦，今天一定发出",
        "c: 我的货到哪了\na: 您稍等我查下哦\nc: 算了不用查了，我看到物流了\na: 好的亲",
        "c: 运费谁出\na: 请您核实一下收货地址哦",
        Example(
            "c@10:00:00: 还有货吗\na@10:00:10: 稍等我看一下\na@10:08:00: 亲，还有的，今天拍下今天发"
        ),
        "c: 发货了吗\na: 已经发出了哦，耐心稍等发货物流更新",
        Example(
            "c@08:08:14: 我要人工\nb@08:08:15: 正在为您转接人工客服，请稍等哦~\n"
            "a@08:08:24: 您好亲亲，在的哦~ 请问有什么可以帮您\nc@08:20:21: 直接退款吧\n"
            "a@08:21:25: 好的，给您申请退款239元，3个工作日内到账",
            note="the agent's greeting keeps the bot's transfer promise; the customer's "
            "12 silent minutes are not the agent's delay",
        ),
    ]

    def __init__(self, params: BrokenPromiseParams, resources: Resources) -> None:
        super().__init__(params, resources)
        self.reader = ReplyReader(resources, extra_promises=params.extra)
        self.window = params.window_seconds

    def check(self, chat: Chat) -> Iterator[Hit]:
        promising = self.reader.promising(chat)
        if not promising:
            return  # no promise anywhere, none to break
        messages = chat.messages
        roles = chat.roles
        open_at: int | None = None  # the first promise of the chain still open
        open_span: tuple[int, int] | None = None
        filler_after: int | None = None  # the last filler reply since it
        # Nothing happens before the first message that may hold a promise.
        for index in range(min(promising), len(roles)):
            role = roles[index]
            if role == "customer":
                if open_at is not None and releases(chat, index):
                    open_at = filler_after = None
                continue
            if role not in AGENT_ROLES:
                continue
            if open_at is None and index not in promising:
                continue  # nothing open, and this message opens nothing
            reply = self.reader.read(chat, index)
            if open_at is not None:
                # A bot's promise (a transfer) is kept by a person arriving.
                if reply.substantive or (role == "agent" and roles[open_at] == "bot"):
                    late = self._late(messages[open_at].ts, messages[index].ts)
                    if late is not None:
                        yield Hit(
                            open_at,
                            open_span,
                            f"客服承诺「{chat.quote(open_at, open_span)}」后 {late} 秒"
                            f"才给出答复 (标准 {self.window} 秒)",
                        )
                    open_at = filler_after = None
                elif reply.open_promise is None:
                    filler_after = index
            if reply.open_promise is not None and open_at is None:
                hit = reply.open_promise
                open_at = index
                open_span = chat.norm[index].to_original(hit.start, hit.end)
                filler_after = None
        if open_at is not None:
            promise = chat.quote(open_at, open_span)
            if filler_after is not None:
                evidence = (
                    f"客服承诺「{promise}」后只回复了「{chat.quote(filler_after, None, 20)}」，"
                    "对话结束仍未给出答复"
                )
            else:
                evidence = f"客服承诺「{promise}」后对话结束，未见跟进答复"
            yield Hit(open_at, open_span, evidence)

    def _late(self, promised: datetime | None, answered: datetime | None) -> int | None:
        """Seconds past the promise if the answer came outside the window, else None."""
        if promised is None or answered is None:
            return None
        waited = int((answered - promised).total_seconds())
        return waited if waited > self.window else None
