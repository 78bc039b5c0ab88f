from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.clock import format_duration, waits

if TYPE_CHECKING:
    from qc_engine.chat import Chat


class ReplyWaitParams(Params):
    max_seconds: int = Field(180, ge=0)
    """Longest allowed wait of a customer for an agent reply, in seconds."""


@register
class ReplyWait(Checker):
    """Slow reply (响应超时).

    What it does:
        Measures every wait of the customer for a human agent: a wait starts at a customer
        message that has no agent reply yet (consecutive customer messages share one wait,
        from the first of them) and ends at the next agent message, which is flagged when the
        wait exceeds `max_seconds` (default 180 s). Bot and system messages do not end a wait.
        If no agent message ever comes, the wait runs to the chat's last message (a system
        timeout notice, a bot reply) and the waiting customer message is flagged; a chat that
        simply ends on the customer's message shows no elapsed time and is not flagged. Waits
        with a missing time are skipped. One flag per wait.

    Why is this bad?
        A customer left waiting leaves, complains or gives a bad review; platforms rate the
        shop's average response time (平均响应时长).

    Example:
        买家 10:00:00「这个什么时候发货」… 客服 10:04:30「今天下午发出哦」 (等待 4 分 30 秒)

    Use instead:
        Reply within the standard; if an answer needs checking, say so at once ("亲稍等，我帮您
        查一下哦") and come back with it.
    """

    code = "QC113"
    slug = "response.reply_wait"
    category = "slow_response"
    Params = ReplyWaitParams
    params: ReplyWaitParams
    must_flag = [
        Example("c@10:00:00: 亲，这个什么时候发货\na@10:04:30: 今天下午四点前发出哦", at=1),
        Example(
            "c@10:00:00: 在吗\na@10:00:10: 您好亲，在的\nc@10:01:00: 这款有红色吗\n"
            "c@10:02:00: ？？\nc@10:03:00: 人呢\na@10:04:30: 亲亲有的哦，久等了",
            at=5,
            note="three customer messages share one wait from the first: 3 min 30 s",
        ),
        Example(
            "c@10:00:00: 退款怎么还没到账\nb@10:00:02: 亲亲，退款一般1-3个工作日到账哦\n"
            "a@10:05:00: 亲，我帮您看下",
            at=2,
            note="a bot reply does not end the wait",
        ),
        Example(
            "c@10:00:00: 能便宜点吗\ns@10:10:00: 会话已超时，系统自动结束",
            at=0,
            note="no agent ever came: the flag sits on the waiting customer message",
        ),
        Example(
            "c@10:00:00: 在吗\nc@10:00:30: 衣服起球了怎么办\n"
            "b@10:00:31: 亲亲，人工客服忙，请稍候哦\ns@10:08:00: 会话已关闭",
            at=0,
            note="the wait runs to the chat's last message",
        ),
        Example(
            "c@10:00:00: 在吗\na@10:00:20: 在的亲\nc@10:01:00: M码还有吗\na@10:02:00: 有的\n"
            "c@10:03:00: 那拍M码\na@10:09:00: 好的亲",
            at=5,
            note="only the third wait is over the standard",
        ),
        Example("c@10:00:00: 在吗\na@10:01:30: 您好", at=1, params={"max_seconds": 60}),
    ]
    must_pass = [
        Example("c@10:00:00: 亲，这个什么时候发货\na@10:02:00: 今天下午四点前发出哦"),
        Example("c@10:00:00: 在吗\na@10:03:00: 您好", note="exactly the standard is not over it"),
        Example(
            "c@10:00:00: 在吗\na@10:00:10: 您好\nc@10:01:00: 好的\nc@10:30:00: 那我先拍了",
            note="a chat that simply ends on the customer's messages is not judged",
        ),
        Example("c: 在吗\na: 您好亲\nc: 这个多少钱\na: 99元哦", note="no times: skipped"),
        Example(
            "c@10:00:00: 在吗\na: 您好\nc@10:05:00: 有货吗\na@10:06:00: 有的亲",
            note="a wait whose reply has no time is skipped; the next one is short",
        ),
        Example(
            "a@10:00:00: 亲，您的快递已到驿站了哦\nc@10:40:00: 好的谢谢\na@10:41:00: 不客气哦",
            note="the agent's own outbound message is not a customer wait",
        ),
        Example(
            "c@10:00:00: 在吗\na@10:00:10: 您好\na@10:20:00: 亲还在吗\nc@10:21:00: 在\n"
            "a@10:22:00: 好的亲",
            note="the agent's long silence while no customer waited is not a wait",
        ),
        Example("c@10:00:00: 在吗\ns@10:30:00: 会话已超时", params={"max_seconds": 3600}),
    ]

    def check(self, chat: Chat) -> Iterator[Hit]:
        limit = self.params.max_seconds
        for wait in waits([(m.role, m.ts) for m in chat.messages]):
            if wait.seconds is None or wait.seconds <= limit:
                continue
            waited = (
                f"客户「{chat.quote(wait.asked, None, 20)}」等待 {format_duration(wait.seconds)}"
            )
            standard = f"(标准 {format_duration(limit)})"
            if wait.answered is None:
                yield Hit(wait.asked, None, f"{waited}至会话结束仍无客服回复 {standard}")
            else:
                yield Hit(wait.answered, None, f"{waited}才得到客服回复 {standard}")
