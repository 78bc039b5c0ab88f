"""Edge cases of structure.broken_promise: what keeps a promise, and the time window."""

from __future__ import annotations

import pytest

from qc_engine.checkers.base import Example
from qc_engine.checkers.broken_promise import BrokenPromise
from qc_engine.checkers.examples import run_example

from ..conftest import LEXICONS

CASES = [
    # (chat, params, index of the flag or None)
    ("a: 稍等", {}, 0),
    ("a: 我帮您问问仓库\na: 亲，仓库说明天发", {}, None),
    ("a: 稍等我查下物流哦", {}, 0),  # only filler after the promise: still open
    ("a: 稍等我查下，您是哪天下单的", {}, None),  # asks the customer: the turn is theirs
    ("a: 好的\na: 稍等\na: 嗯嗯\na: 好的亲", {}, 1),
    ("a: 稍等\nb: 亲，已为您查到，明天送达", {}, None),  # the shop robot may keep it
    ("a: 稍等\ns: [系统] 会话已结束", {}, 0),
    ("a: 稍等\nc: 没事了，我自己看到了\na: 好的", {}, None),
    ("a: 稍等\nc: 快点\na: 还在查哦，再稍等\na: 亲，查到了，是今天发的", {}, None),
    ("a@10:00:00: 稍等\na@10:10:00: 亲，查到了，今天发", {}, None),  # exactly 600 s
    ("a@10:00:00: 稍等\na@10:10:01: 亲，查到了，今天发", {}, 0),
    ("a@10:00:00: 稍等\na: 亲，查到了，今天发", {}, None),  # no time: window not applied
    ("a@10:00:00: 稍等\na@10:00:50: 亲，查到了，今天发", {"window_seconds": 30}, 0),
    ("a: 这边联系快递核实下\na: 核实好了，快递明天上门", {}, None),
    ("a: 亲，请您核实一下收货地址", {}, None),  # asks the customer to check
    ("a: 亲您下单后我帮您看下运费", {}, None),  # waits on the customer
    ("a: 我们会尽快发货的，请耐心稍等发货", {}, None),  # about shipping, not an answer
    ("a: 稍后给您回复", {"extra": []}, 0),
    ("a: 容我研究一下", {"extra": ["容我研究"]}, 0),
]


@pytest.mark.parametrize(("chat", "params", "at"), CASES)
def test_broken_promise(chat, params, at, normalizer):
    hits = run_example(
        BrokenPromise, Example(chat, params=params), lexicon_dir=LEXICONS, normalizer=normalizer
    )
    assert [h.message_index for h in hits] == ([] if at is None else [at])


def test_late_answer_evidence(normalizer):
    chat = "a@10:00:00: 我查一下马上回复您\na@10:15:00: 亲，查到了，今天发"
    hits = run_example(BrokenPromise, Example(chat), lexicon_dir=LEXICONS, normalizer=normalizer)
    assert "900 秒" in hits[0].evidence and "600 秒" in hits[0].evidence
    assert chat.splitlines()[0].split(": ", 1)[1][slice(*hits[0].span)] == "马上回复您"
