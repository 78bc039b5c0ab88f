from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import register
from qc_engine.clock import first_response, format_duration

if TYPE_CHECKING:
    from qc_engine.chat import Chat


class FirstResponseParams(Params):
    max_seconds: int = Field(30, ge=0)
    """Longest allowed time from the customer's first message to the first human-agent
    message, in seconds."""


@register
class FirstResponse(Checker):
    """Slow first response (首响超时).

    What it does:
        Measures the time from the customer's first message to the first message of a human
        agent and flags that agent message when it came later than `max_seconds` (default
        30 s). Bot (店小蜜) and system messages do not stop the clock: an auto-reply is not a
        response. A chat without times on either message, or without any agent message, is
        not judged (the reply-wait check covers a customer left without any agent).

    Why is this bad?
        The first wait decides whether the customer stays: platforms measure the shop's
        first-response time (首响时间) and customers who wait leave for another shop.

    Example:
        买家 10:00:00「在吗？这款还有货吗」… 店小蜜 10:00:01「亲亲稍等，人工客服马上来」… 客服
        10:01:10「您好，有货的哦」 (首次响应 70 秒)

    Use instead:
        Answer within the standard; when busy, a short human reply first ("您好，在的，稍等我帮您
        看下哦") stops the clock and keeps the customer.
    """

    code = "QC112"
    slug = "response.first_response"
    category = "slow_first_response"
    Params = FirstResponseParams
    params: FirstResponseParams
    must_flag = [
        Example(
            "c@10:00:00: 在吗？这款还有货吗\na@10:00:48: 您好亲，有货的哦", at=1, note="48 s > 30 s"
        ),
        Example(
            "c@10:00:00: 亲，这个什么时候发货\nb@10:00:01: 亲亲，店小蜜在呢，人工客服马上就来哦"
            "[微笑]\na@10:01:10: 您好，今天下午四点前统一发出哦",
            at=2,
            note="the bot's instant reply does not stop the clock",
        ),
        Example(
            "c@09:59:50: 在吗\nc@10:00:05: 有人吗？？\ns@10:00:06: 买家已进入人工咨询队列\n"
            "a@10:00:40: 在的亲，久等了",
            at=3,
            note="the clock starts at the customer's first message, not the last",
        ),
        Example(
            "c@10:00:00: 你好\na@10:00:20: 您好\nc@10:00:30: 尺码怎么选",
            at=1,
            params={"max_seconds": 15},
            note="a stricter checklist",
        ),
        Example(
            "b@09:59:00: 欢迎光临Q女家旗舰店~\nc@10:00:00: 这件外套有M码吗\n"
            "a@10:05:00: 亲，M码有的",
            at=2,
            note="a bot greeting before the customer is not a response either",
        ),
        Example(
            "c@10:00:00: 还在吗，想问下退货地址\na@10:12:30: 亲亲在的，退货地址发您哦",
            at=1,
            note="a wait of minutes",
        ),
        Example(
            "c@10:00:00: 发什么快递\nb@10:00:01: 默认中通哦\nc@10:00:30: 能发顺丰吗\n"
            "a@10:01:00: 您好，顺丰需要补运费差价哦",
            at=3,
            note="a customer served by the bot alone still waits for the human",
        ),
    ]
    must_pass = [
        Example("c@10:00:00: 在吗？这款还有货吗\na@10:00:18: 您好亲，有货的哦"),
        Example("c@10:00:00: 在吗\na@10:00:30: 您好", note="exactly the standard is not over it"),
        Example("c: 在吗\na: 您好亲，在的", note="no times: skipped, not failed"),
        Example("c@10:00:00: 在吗\na: 您好亲，在的", note="the agent message has no time"),
        Example(
            "c@10:00:00: 在吗\nb@10:00:01: 亲亲稍等哦\nc@10:09:00: 人呢",
            note="no agent ever came: the reply-wait check covers this",
        ),
        Example(
            "a@10:00:00: 亲，您的订单已发货，请注意查收哦\nc@10:30:00: 好的，谢谢",
            note="the agent spoke first (outbound message): nothing to measure",
        ),
        Example(
            "c@10:00:00: 在吗\na@10:00:10: 在的亲\nc@10:00:20: 这个多少钱\na@10:10:00: 99元哦",
            note="later slow replies are the reply-wait check's, not this one's",
        ),
        Example("c@10:00:00: 在吗\na@10:01:00: 您好", params={"max_seconds": 60}),
    ]

    def check(self, chat: Chat) -> Iterator[Hit]:
        wait = first_response([(m.role, m.ts) for m in chat.messages])
        if wait is None or wait.answered is None or wait.seconds is None:
            return
        limit = self.params.max_seconds
        if wait.seconds <= limit:
            return
        yield Hit(
            wait.answered,
            None,
            f"首次响应 {format_duration(wait.seconds)} (标准 {format_duration(limit)})",
        )
