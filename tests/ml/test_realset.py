"""The real labelled set's machinery: the fixed session split, JD's placeholders, the
labellers' file check, the merge of two passes, and `qc eval` on a small labelled slice."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from qc_engine.evaluate import evaluate, format_report
from qc_engine.ml.realset import (
    REAL_DIR,
    LabelledItem,
    deanonymise,
    labelled_items,
    split_of_session,
)

from ..conftest import ROOT, SHARED


def test_the_split_is_fixed_by_the_session_and_ecd_only_validates():
    assert split_of_session("ecd-012") == "validation"
    ids = [f"jddc-{n:04d}" for n in range(400)]
    splits = [split_of_session(i) for i in ids]
    assert splits == [split_of_session(i) for i in ids]  # no state, no randomness
    assert 150 < splits.count("test") < 250


def test_placeholders_read_as_plausible_text():
    text = "您的[订单x]已到[站点x]，#E-s[数字x]预计[数字x]天，退[金额x]给[姓名x][未知x]"
    assert deanonymise(text) == "您的订单号308512274619已到朝阳站点，预计3天，退59元给小王"
    assert deanonymise("没有占位符") == "没有占位符"


def _item(kind, index, answer, **extra):
    return LabelledItem(
        session="t-1",
        index=index,
        kind=kind,
        split="validation",
        text="",
        context="",
        answer=answer,
        **extra,
    )


def test_eval_counts_each_flag_against_its_label(engine):
    """One chat whose flags are known: the figures are those counted by hand."""
    session = {
        "id": "t-1",
        "channel": "taobao",
        "messages": [
            {"role": "customer", "text": "这个什么时候发货"},  # 0 question
            {"role": "agent", "text": "亲，加我微信，私下给您便宜"},  # 1 off_platform
            {"role": "customer", "text": "再不发货我就去12315投诉你们"},  # 2 complaint
            {"role": "agent", "text": "亲亲，这款是全网最低价哦"},  # 3 ad_law
            {"role": "customer", "text": "好的"},  # 4 calm
            {"role": "agent", "text": "稍等，我帮您查一下"},  # 5 promise
        ],
    }
    items = [
        _item("customer", 0, "calm"),
        _item("customer", 2, "complaint_risk"),
        _item("customer", 4, "calm"),
        _item("agent", 1, ("off_platform",)),
        _item("agent", 3, ()),  # ad_law not labelled
        _item("agent", 5, ()),
        _item("question", 0, None, qtype="时间"),
        _item("promise", 5, None),
    ]
    report = evaluate(items=items, sessions=[session], engine=engine, written=False)
    flags = report.agent_flags
    assert flags["off_platform"]["rule"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "flagged": 1,
        "positives": 1,
        "tp": 1,
    }
    assert flags["ad_law_words"]["rule"]["flagged"] == 1
    assert flags["ad_law_words"]["rule"]["precision"] == 0.0  # labelled no problem
    assert report.customer["complaint_risk"]["tp"] == 1
    assert report.questions["labelled"] == 1 and report.questions["positives"] == 1
    assert report.promises["labelled"] == 1 and report.promises["positives"] == 1
    text = format_report(report)
    assert "off_platform" in text and "unanswered_question" in text


@pytest.mark.skipif(
    not (SHARED / "data" / "jddc").is_dir() or not (REAL_DIR / "labels.jsonl").is_file(),
    reason="../shared/data or the labelled set is missing",
)
def test_qc_eval_runs_on_a_small_slice_of_the_labelled_set():
    items = labelled_items()
    assert {i.kind for i in items} == {"agent", "customer", "question", "promise"}
    run = subprocess.run(
        [sys.executable, "-m", "qc_engine.cli", "eval", "--limit", "5", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["sessions"] == 5 and report["agent_messages"] > 0
    assert set(report["customer"]) >= {"customer_negative", "complaint_risk"}


def test_the_labellers_file_check_finds_what_is_missing_or_wrong(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import labelling
    finally:
        sys.path.remove(str(ROOT / "tools"))
    batch = tmp_path / "batch_00.txt"
    batch.write_text(
        "=== session s-1\n[0] C: 什么时候发货\n[1] A: 稍等我查下\n[2] A: 明天发\n", encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    rows = [
        {"s": "s-1", "i": 0, "kind": "customer", "label": "calm"},
        {"s": "s-1", "i": 1, "kind": "agent", "labels": []},
        {"s": "s-1", "i": 2, "kind": "agent", "labels": []},
        {"s": "s-1", "i": 0, "kind": "question", "type": "时间", "answered_by": 2},
        {"s": "s-1", "i": 1, "kind": "promise", "kept_by": 2},
    ]
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    assert labelling.check(batch, out) == []
    bad = [
        *rows[1:3],
        {"s": "s-1", "i": 0, "kind": "question", "type": "时间", "answered_by": 0},
        {"s": "s-1", "i": 2, "kind": "agent", "labels": ["mean"]},
    ]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in bad), encoding="utf-8")
    problems = labelling.check(batch, out)
    assert any("[0] (customer) has no label" in p for p in problems)
    assert any("0 is not a later agent message" in p for p in problems)
    assert any("labelled twice" in p for p in problems)
    assert any("labels must be a list" in p for p in problems)


def test_a_threshold_is_raised_until_real_flags_are_precise_or_few():
    """raise_for_real: from the written threshold up, the first at which the real
    validation flags reach the precision, or their false flags fit the budget."""
    import numpy as np

    from qc_engine.ml import train_agent

    # 1,000 replies: budget 0.1 per 100 = 1 false flag.
    scores = np.zeros(1000)
    truth = np.zeros(1000, dtype=bool)
    scores[:4] = [0.95, 0.7, 0.6, 0.45]  # one true problem at 0.95, three false below
    truth[0] = True
    threshold, precision, flags = train_agent.raise_for_real(scores, truth, 0.3)
    assert (threshold, flags) == (0.61, 2) and precision == 0.5  # one false flag left
    truth[1:3] = True  # now 0.7 and 0.6 are problems: precision 0.75 at 0.45 ...
    threshold, precision, flags = train_agent.raise_for_real(scores, truth, 0.3)
    assert (threshold, flags, precision) == (0.3, 4, 0.75)  # ... and one false flag fits
    assert train_agent.raise_for_real(np.zeros(10), np.zeros(10, dtype=bool), 0.4) == (0.4, None, 0)
