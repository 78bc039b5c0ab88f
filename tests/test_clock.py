"""The response-time clock (qc_engine/clock.py): its rule, and the promise that the checkers'
flags, the stored response times and the desk's per-message wait read the same clock."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qc_engine.checkers import REGISTRY, Example
from qc_engine.checkers.examples import parse_example_chat, run_example
from qc_engine.clock import (
    SHANGHAI,
    Moment,
    Wait,
    first_response,
    format_duration,
    response_times,
    waits,
    waits_by_message,
)

from .conftest import LEXICONS


def moments(chat: str) -> list[Moment]:
    """(role, time) pairs from the checkers' example notation ("c@10:00:00: 在吗" per line)."""
    return [(m.role, m.ts) for m in parse_example_chat(chat).messages]


def flags(slug: str, chat: str) -> list[tuple[int, str]]:
    found = run_example(REGISTRY[slug], Example(chat), lexicon_dir=LEXICONS)
    return [(h.message_index, h.evidence) for h in found]


# The chat: the shop robot answers at once, the human agent 2 min 10 s later.
BOT_FIRST = "c@10:00:00: 在吗？有货吗\nb@10:00:30: 亲亲稍等，人工马上来\na@10:02:10: 您好，有货的哦"


def test_a_bot_reply_does_not_stop_the_clock():
    chat = moments(BOT_FIRST)
    assert waits(chat) == [Wait(0, 2, 130.0)]
    assert first_response(chat) == Wait(0, 2, 130.0)
    # The desk shows the wait on the agent's reply, none on the bot's ...
    assert waits_by_message(chat) == {2: 130.0}
    # ... and it reads as the flag on that same message does.
    assert flags("response.first_response", BOT_FIRST) == [(2, "首次响应 2 分 10 秒 (标准 30 秒)")]
    assert response_times(parse_example_chat(BOT_FIRST))["first_response_seconds"] == 130.0


def test_consecutive_customer_messages_share_one_wait_from_the_first():
    chat = moments(
        "c@10:00:00: 在吗\na@10:00:10: 在的\nc@10:01:00: 有红色吗\nc@10:02:00: ？？\n"
        "s@10:02:30: 转接中\nc@10:03:00: 人呢\na@10:04:30: 有的亲"
    )
    assert waits(chat) == [Wait(0, 1, 10.0), Wait(2, 6, 210.0)]
    assert waits_by_message(chat) == {1: 10.0, 6: 210.0}


def test_only_an_agent_answering_a_customer_ends_a_wait():
    # The agent wrote first (an outbound message), then again while nobody waited.
    chat = moments(
        "a@10:00:00: 亲，您的快递到了\na@10:20:00: 记得取哦\nc@10:40:00: 好的\na@10:41:00: 不客气"
    )
    assert waits(chat) == [Wait(2, 3, 60.0)]
    assert first_response(chat) is None
    assert waits_by_message(chat) == {3: 60.0}


def test_an_unanswered_wait_runs_to_the_last_message_and_shows_on_the_customer():
    chat = moments("c@10:00:00: 能便宜点吗\nb@10:00:02: 亲亲稍等\ns@10:10:00: 会话已超时")
    assert waits(chat) == [Wait(0, None, 600.0)]
    assert first_response(chat) is None
    assert waits_by_message(chat) == {0: 600.0}
    assert flags("response.reply_wait", "c@10:00:00: 能便宜点吗\ns@10:10:00: 会话已超时") == [
        (0, "客户「能便宜点吗」等待 10 分钟至会话结束仍无客服回复 (标准 3 分钟)")
    ]
    # Not stored as a reply wait: the reports count answered waits.
    assert (
        response_times(parse_example_chat("c@10:00:00: 在吗\ns@10:10:00: 超时"))["reply_waits"] == 0
    )


def test_a_chat_ending_on_the_customer_shows_no_elapsed_time():
    chat = moments("c@10:00:00: 在吗\na@10:00:10: 在的\nc@10:01:00: 好的\nc@10:30:00: 那我拍了")
    assert waits(chat) == [Wait(0, 1, 10.0), Wait(2, None, None)]
    assert waits_by_message(chat) == {1: 10.0}


def test_a_missing_time_leaves_the_wait_out_and_is_not_guessed():
    # The run's first customer message has no time: the wait is not timed from the second.
    chat = moments("c: 在吗\nc@10:00:30: 有人吗\na@10:05:00: 在的\nc@10:06:00: 多少钱\na: 99元")
    assert waits(chat) == [Wait(0, 2, None), Wait(3, 4, None)]
    assert first_response(chat) == Wait(0, 2, None)
    assert waits_by_message(chat) == {}


def test_an_end_before_its_start_is_no_wait():
    chat = moments("c@10:00:00: 在吗\na@09:59:00: 您好")
    assert waits(chat) == [Wait(0, 1, 0.0)]
    assert flags("response.first_response", "c@10:00:00: 在吗\na@09:59:00: 您好") == []


def test_no_messages_no_waits():
    assert waits([]) == []
    assert first_response([]) is None
    assert waits_by_message([]) == {}


@pytest.fixture(scope="module")
def mix():
    from qc_engine.chatgen import generate

    return generate(400, seed=19)


def test_flags_stored_times_and_the_desk_agree_on_a_generated_mix(mix, engine):
    words = {"response.first_response": "首次响应", "response.reply_wait": "等待"}
    flagged = 0
    for transcript in mix:
        chat = [(m.role, m.ts) for m in transcript.messages]
        shown = waits_by_message(chat)
        first = first_response(chat)
        answered = [w.seconds for w in waits(chat) if w.answered is not None]
        stored = response_times(transcript)
        assert stored["reply_waits"] == len(answered)
        assert stored["reply_wait_max_seconds"] == (max(answered) if answered else None)
        # The first response is the chat's first wait, shown on the same message.
        if first is not None:
            assert first == waits(chat)[0]
            assert stored["first_response_seconds"] == shown[first.answered] == first.seconds
        # Every response-time flag sits where the desk shows a wait, and reads the same.
        for flag in engine.score(transcript).flags:
            if flag.rule in words:
                flagged += 1
                wait = f"{words[flag.rule]} {format_duration(shown[flag.message_index])}"
                assert wait in flag.evidence, transcript.id
    assert flagged > 20


def test_the_clock_imports_nothing_of_the_package_nor_the_db_the_transcript_parser():
    code = (
        "import sys, qc_engine.clock, qc_engine.db.models; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('qc_engine'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == [
        "qc_engine",
        "qc_engine.clock",
        "qc_engine.db",
        "qc_engine.db.models",
    ]
    from qc_engine.transcript import SHANGHAI as parsers

    assert parsers is SHANGHAI
