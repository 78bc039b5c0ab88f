"""Edge cases of the response-time checkers and their shared helpers."""

from __future__ import annotations

import pytest

from qc_engine.checkers import REGISTRY, Example
from qc_engine.checkers.examples import run_example
from qc_engine.clock import format_duration

from ..conftest import LEXICONS


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 秒"),
        (30, "30 秒"),
        (30.2, "31 秒"),
        (59.5, "1 分钟"),
        (60, "1 分钟"),
        (180, "3 分钟"),
        (272, "4 分 32 秒"),
        (3600, "1 小时"),
        (3725, "1 小时 2 分"),
        (-5, "0 秒"),
    ],
)
def test_format_duration(seconds, expected):
    assert format_duration(seconds) == expected


def hits(slug, chat, **params):
    found = run_example(REGISTRY[slug], Example(chat, params=params), lexicon_dir=LEXICONS)
    return [h.message_index for h in found]


@pytest.mark.parametrize(
    ("chat", "expected"),
    [
        ("c@10:00:00: 在吗\na@10:00:31: 您好", [1]),
        ("c@10:00:00: 在吗\na@10:00:30: 您好", []),
        ("c@10:00:00: 在吗\nb@10:00:01: 稍等\ns@10:00:02: 转人工\na@10:00:40: 您好", [3]),
        ("a@09:00:00: 亲您的包裹到了\nc@10:00:00: 好的\na@10:05:00: 嗯嗯", []),
        ("c@10:00:00: 在吗\na@09:59:00: 您好", []),  # clock skew: negative time is not a delay
        ("c: 在吗\na@10:00:40: 您好", []),
        ("c@10:00:00: 在吗\nb@10:09:00: 亲亲在的", []),
        ("c@10:00:00: 在吗\na@10:01:00: 您好\nc@10:01:30: 多少钱\na@10:09:00: 99", [1]),
    ],
)
def test_first_response(chat, expected):
    assert hits("response.first_response", chat) == expected


@pytest.mark.parametrize(
    ("chat", "expected"),
    [
        # every wait over the standard is flagged once, on the agent message that ends it
        (
            "c@10:00:00: 在吗\na@10:04:00: 在\nc@10:05:00: 多少钱\nc@10:06:00: ?\na@10:09:00: 99",
            [1, 4],
        ),
        # consecutive customer messages: one wait from the first, not from the last
        ("c@10:00:00: 在吗\nc@10:02:50: 在吗?\na@10:03:10: 在的", [2]),
        # bot and system messages in between end nothing
        ("c@10:00:00: 在吗\nb@10:00:01: 稍等\ns@10:00:02: 排队中\na@10:03:01: 在的", [3]),
        # no agent ever: runs to the last message, flag on the first waiting customer message
        ("c@10:00:00: 在吗\nb@10:00:01: 稍等\nc@10:01:00: 人呢\ns@10:10:00: 会话超时", [0]),
        # ... but a chat that ends on the customer's message shows no elapsed time
        ("c@10:00:00: 在吗\nb@10:00:01: 稍等\nc@10:10:00: 人呢", []),
        ("c@10:00:00: 在吗\nb@10:00:01: 稍等\ns: 会话超时", []),  # last message has no time
        ("c: 在吗\na@10:10:00: 在的", []),  # missing start time
        ("c@10:00:00: 在吗\na@10:03:00: 在的", []),  # exactly the standard
        ("a@10:00:00: 在吗\na@10:30:00: 亲?", []),  # no customer: no wait
    ],
)
def test_reply_wait(chat, expected):
    assert hits("response.reply_wait", chat) == expected


def test_reply_wait_threshold_param():
    chat = "c@10:00:00: 在吗\na@10:00:45: 在的"
    assert hits("response.reply_wait", chat) == []
    assert hits("response.reply_wait", chat, max_seconds=30) == [1]
