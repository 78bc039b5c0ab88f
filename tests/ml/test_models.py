"""The shipped models: they load, decide clear cases, apply thresholds, explain with spans,
and `qc train agent` rebuilds the agent model identically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qc_engine.chat import Chat
from qc_engine.checkers.agent_speech_model import AgentSpeechModel
from qc_engine.checkers.customer_model import CustomerModel
from qc_engine.checkers.examples import build_checker, parse_example_chat

from ..conftest import LEXICONS, ROOT, SHARED

MODELS = ROOT / "qc_engine" / "models"


def run(cls, chat, params=None, normalizer=None):
    checker, resources = build_checker(
        cls, params or {}, lexicon_dir=LEXICONS, normalizer=normalizer
    )
    transcript = parse_example_chat(chat)
    return list(checker.check(Chat(transcript, resources))), transcript


def test_thresholds_come_from_the_model_and_can_be_overridden(normalizer):
    chat = "c: 快递三天没动了怎么回事\na: 这个您得自己去跟快递沟通哈，我们这边管不了"
    hits, _ = run(AgentSpeechModel, chat, normalizer=normalizer)
    assert hits and hits[0].category == "shirking" and 0 < hits[0].confidence <= 1
    strict = {
        "thresholds": dict.fromkeys(
            ("shirking", "impatient", "rude", "perfunctory", "risky_promise"), 0.999
        )
    }
    assert run(AgentSpeechModel, chat, strict, normalizer)[0] == []
    only_rude = {"categories": ["rude"]}
    assert all(h.category == "rude" for h in run(AgentSpeechModel, chat, only_rude, normalizer)[0])


def test_model_flags_point_at_the_words_that_decided(normalizer):
    chat = "c: 能便宜点吗\na: 买不起就别买，穷就别问了"
    hits, transcript = run(AgentSpeechModel, chat, normalizer=normalizer)
    hit = hits[0]
    assert hit.category == "rude" and hit.span is not None
    text = transcript.messages[hit.message_index].text
    start, end = hit.span
    assert 0 <= start < end <= len(text)
    assert text[start:end] in hit.evidence or "依据" in hit.evidence


def test_customer_model_flags_both_signals(normalizer):
    hits, _ = run(
        CustomerModel, "c: 再不给我处理我就去12315投诉你们，还要给差评", normalizer=normalizer
    )
    assert {h.category for h in hits} == {"complaint_risk", "customer_negative"}


def test_model_flags_carry_source_model_and_one_flag_per_category(engine):
    from qc_engine.transcript import transcript_from_dict

    transcript = transcript_from_dict(
        {
            "id": "t",
            "order_status": "shipped",
            "messages": [
                {"role": "customer", "text": "快递三天没动了"},
                {"role": "agent", "text": "你自己去问快递吧"},
            ],
        }
    )
    result = engine.with_models(True).score(transcript)
    shirking = [f for f in result.flags if f.category == "shirking"]
    assert len(shirking) == 1  # the rule and the model agree: one flag remains
    assert shirking[0].source in ("rule", "model")


def test_a_batch_scores_as_each_transcript_alone(engine):
    """score_batch runs the classifiers once over the batch: the results are those of
    score on each transcript, models on, across checklists and scopes."""
    from qc_engine.chatgen import generate

    full = engine.with_models(True)
    mix = generate(300, seed=11)
    alone = [full.score(t).to_dict() for t in mix]
    assert [r.to_dict() for r in full.score_batch(mix)] == alone
    assert any(f["source"] == "model" for r in alone for f in r["flags"])
    assert full.score_batch([]) == []


@pytest.mark.skipif(
    not (SHARED / "data" / "ecd").is_dir(),
    reason="../shared/data is missing: the agent model trains on its chats",
)
def test_training_the_agent_model_is_reproducible(tmp_path):
    """Retraining gives the shipped model: the same vocabulary and settings exactly, the
    weights to a tolerance that holds across machines (BLAS builds and library versions
    move float32 sums by a step or two: 435 of 178,806 weights by 1.2e-7 in one fresh
    clone)."""
    from qc_engine.ml.train import main

    main("agent", models_dir=tmp_path, log=lambda _: None)
    shipped, rebuilt = MODELS / "agent_speech", tmp_path / "agent_speech"
    _assert_close(
        json.loads((rebuilt / "model.json").read_text()),
        json.loads((shipped / "model.json").read_text()),
        where="model.json",
    )
    with np.load(shipped / "model.npz") as a, np.load(rebuilt / "model.npz") as b:
        assert np.array_equal(a["vocabulary"], b["vocabulary"])
        for key in ("idf", "coef", "intercept"):
            assert a[key].shape == b[key].shape, key
            assert np.allclose(a[key], b[key], rtol=1e-4, atol=1e-5), key
    card = (rebuilt / "card.md").read_text(encoding="utf-8")
    assert "Confusion matrix" in card and "Thresholds" in card


def _assert_close(got, want, *, where):
    """JSON equal but for floats, which may differ by 0.011 (a threshold grid step, or a
    figure's fourth decimal)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), where
        for key in want:
            _assert_close(got[key], want[key], where=f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for index, (a, b) in enumerate(zip(got, want, strict=True)):
            _assert_close(a, b, where=f"{where}[{index}]")
    elif isinstance(want, float) or isinstance(got, float):
        assert abs(got - want) <= 0.011, (where, got, want)
    else:
        assert got == want, (where, got, want)


def test_shipped_models_are_small_and_plain():
    for folder in ("agent_speech", "customer/emotion", "customer/complaint"):
        arrays = MODELS / folder / "model.npz"
        assert arrays.stat().st_size < 8_000_000
        with np.load(arrays, allow_pickle=False) as data:  # raises if anything is pickled
            assert set(data.files) == {"vocabulary", "idf", "coef", "intercept"}
    assert Path(MODELS / "agent_speech" / "card.md").is_file()
