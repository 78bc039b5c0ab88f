"""The generated mix (qc_engine/chatgen.py) that the benchmark, demo data and tests use, and
the `qc bench` command. No speed is asserted here: speed targets live in the benchmark's own
output."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sys
from collections import Counter

import pytest

from qc_engine.chatgen import MAX_MESSAGES, MIN_MESSAGES, PRE_SALE, generate
from qc_engine.cli import main as qc_main
from qc_engine.transcript import ROLES, Transcript, transcript_from_dict

from .conftest import CHECKLISTS


@pytest.fixture(scope="module")
def mix() -> list[Transcript]:
    return generate(1500, seed=11)


def test_same_seed_same_transcripts():
    first = [t.to_dict() for t in generate(60, seed=3)]
    again = [t.to_dict() for t in generate(60, seed=3)]
    assert first == again


def test_same_seed_same_bytes_across_versions():
    """The chats of a seed are fixed: demo data and recorded figures (docs/performance.md,
    docs/quality.md) were made from them. Change this digest only when the generator's words
    or draws change on purpose."""
    lines = [json.dumps(t.to_dict(), ensure_ascii=False) for t in generate(50, seed=7)]
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    assert digest == "af4e8eedada0b88969cca994803e42e3d5af4160a4e9e44e6b0c6b73ce39656f"


def test_other_seed_other_transcripts_and_prefix_stable():
    assert [t.to_dict() for t in generate(20, seed=3)] != [
        t.to_dict() for t in generate(20, seed=4)
    ]
    # The first k transcripts of a longer run are the run of k.
    assert [t.to_dict() for t in generate(30, seed=3)] == [
        t.to_dict() for t in generate(90, seed=3)[:30]
    ]


def test_transcripts_are_valid_and_round_trip_through_json(mix):
    for transcript in mix[:200]:
        line = json.dumps(transcript.to_dict(), ensure_ascii=False)
        again = transcript_from_dict(json.loads(line))
        assert again.to_dict() == transcript.to_dict()
    assert len({t.id for t in mix}) == len(mix)


def test_shape_of_each_chat(mix):
    for transcript in mix:
        messages = transcript.messages
        assert MIN_MESSAGES <= len(messages) <= MAX_MESSAGES
        assert all(m.role in ROLES and m.text for m in messages)
        times = [m.ts for m in messages]
        assert all(ts is not None for ts in times)
        assert all(a <= b for a, b in itertools.pairwise(times)), transcript.id
        roles = {m.role for m in messages}
        assert {"customer", "agent"} <= roles
        for m in messages:
            if m.role == "agent":
                assert m.sender == transcript.agent
            elif m.role == "bot":
                assert m.sender == "店小蜜"
        assert "{" not in "".join(m.text for m in messages), "an unfilled template slot"


def test_mix_looks_like_a_shop(mix):
    n = len(mix)
    lengths = [len(t.messages) for t in mix]
    assert 17 <= sum(lengths) / n <= 24
    assert min(lengths) <= 10 and max(lengths) >= 32
    statuses = Counter(t.order_status for t in mix)
    assert set(statuses) == {"none", "unpaid", "shipped", "delivered", "refunding"}
    pre = sum(statuses[s] for s in PRE_SALE) / n
    assert 0.3 <= pre <= 0.6
    roles = Counter(m.role for t in mix for m in t.messages)
    total = sum(roles.values())
    assert roles["customer"] / total > 0.35 and roles["agent"] / total > 0.35
    assert 0.01 < roles["bot"] / total < 0.1 and 0.005 < roles["system"] / total < 0.08
    texts = [m.text for t in mix for m in t.messages]
    # Built from templates and fillers: the texts vary, they are not a few strings repeated.
    assert len(set(texts)) / len(texts) > 0.3
    joined = "\n".join(texts)
    for marker in ("亲亲", "哦", "~", "[微笑]", "/:^_^", "😊", "[图片]", "店小蜜"):
        assert marker in joined, marker
    assert re.search(r"订单号：?[234]\d{18}", joined)
    # Some agents are slow: a customer waits more than three minutes for an answer.
    slow = 0
    for transcript in mix:
        m = transcript.messages
        slow += any(
            a.role == "customer" and b.role == "agent" and (b.ts - a.ts).total_seconds() > 180
            for a, b in itertools.pairwise(m)
        )
    assert 0.01 < slow / n < 0.5


def test_violations_at_realistic_rates(mix):
    n = len(mix)
    planted = [t.extra["synthetic"]["planted"] for t in mix]
    agent_violation = sum(1 for p in planted if any(c != "complaint_threat" for c in p)) / n
    threat = sum(1 for p in planted if "complaint_threat" in p) / n
    assert 0.02 <= agent_violation <= 0.12
    assert 0.005 <= threat <= 0.08
    kinds = Counter(c for p in planted for c in p)
    assert len(kinds) >= 7
    joined = "\n".join(m.text for t in mix for m in t.messages)
    assert re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", joined), "a planted full phone number"


def test_planted_off_platform_is_flagged_by_the_engine(engine, mix):
    """The mix exercises the checklist: every planted off-platform invitation is caught."""
    for transcript in mix:
        if "off_platform" in transcript.extra["synthetic"]["planted"]:
            flags = engine.score(transcript).flags
            assert any(f.category == "off_platform" for f in flags), transcript.id


def test_qc_bench_runs_and_prints_the_figures(capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    code = qc_main(
        [
            "--checklists",
            str(CHECKLISTS),
            "bench",
            "-n",
            "200",
            "--repeat",
            "1",
            "--json",
            str(out_json),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    for needle in (
        "200 generated transcripts",
        "ONE core",
        "transcripts/s",
        "messages/s",
        "normalise",
        "Aho-Corasick floor",
        "x the floor",
        "ahocorasick_rs",
        "jieba.lcut",
        "rjieba.cut",
        "JSON Lines parse",
        "max RSS",
        "tracemalloc",
        "Targets",
    ):
        assert needle in out, needle
    figures = json.loads(out_json.read_text(encoding="utf-8"))
    assert figures["mix"]["transcripts"] == 200
    assert figures["engine"]["transcripts_per_s"] > 0
    assert figures["floor"]["engine_over_floor"] > 0
    # the two floors count the same hits: one phrase list, two libraries
    assert figures["floor"]["rust_hits"] == figures["floor"]["hits"] > 0
    assert any(s["stage"] == "normalise" for s in figures["stages"]["by_stage"])


def test_qc_bench_without_pyahocorasick_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ahocorasick", None)  # as if not installed
    code = qc_main(["--checklists", str(CHECKLISTS), "bench", "-n", "5", "--repeat", "1"])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "pyahocorasick" in lines[0]
    assert "pip install 'qc-engine[bench]'" in lines[0]


def test_gated_checkers_skip_only_chats_where_they_find_nothing(mix):
    """A checker with a gate is skipped on chats where none of its lexicons hits: the same
    results as running every checker on every chat, over the whole mix."""
    from qc_engine.chat import Chat
    from qc_engine.engine import Engine

    gated = Engine.from_dir(CHECKLISTS).with_models(False)
    ungated = Engine.from_dir(CHECKLISTS).with_models(False)
    for checklist in ungated.checklists.values():
        for item in checklist.items:
            item.checker.gate = None
    skipped = 0
    for transcript in mix:
        assert gated.score(transcript) == ungated.score(transcript), transcript.id
        checklist = gated.select(transcript)
        chat = Chat(transcript, checklist.resources)
        skipped += sum(item.checker.idle(chat) for item in checklist.items)
    assert skipped > len(mix)  # most chats hold no phrase of most phrase checkers
