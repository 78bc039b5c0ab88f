"""POST /v1/score: the result JSON of the format spec, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qc_engine.db.models import StoredTranscript, WorkItem

from .support import CLEAN, COMPLAINT, DEDUCT_5, DEDUCT_10, RED_LINE, chat, prepared

RESULT_KEYS = {"id", "score", "passed", "checklist", "flags"}
FLAG_KEYS = {
    "category",
    "message_index",
    "span",
    "evidence",
    "severity",
    "points",
    "source",
    "rule",
    "confidence",
}


@pytest.fixture
def qc(api):
    return prepared(api)


def test_result_has_exactly_the_spec_shape(qc):
    response = qc.score(chat("S-1", DEDUCT_5, RED_LINE, customer=COMPLAINT))
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == RESULT_KEYS
    assert result["id"] == "S-1" and result["checklist"] == "apitest@1"
    assert result["score"] == 0 and result["passed"] is False
    assert [(f["category"], f["message_index"]) for f in result["flags"]] == [
        ("complaint_risk", 0),
        ("ad_law_words", 1),
        ("off_platform", 2),
    ]
    for flag in result["flags"]:
        assert set(flag) == FLAG_KEYS
        assert flag["source"] in ("rule", "model")
        assert flag["severity"] in ("red_line", "deduct")
        assert isinstance(flag["points"], int) and isinstance(flag["confidence"], float)
        assert isinstance(flag["evidence"], str) and flag["evidence"]
        start, end = flag["span"]
        assert 0 <= start < end
    red = result["flags"][2]
    assert red == {
        "category": "off_platform",
        "message_index": 2,
        "span": [2, 6],
        "evidence": red["evidence"],
        "severity": "red_line",
        "points": 0,
        "source": "rule",
        "rule": "phrase.off_platform",
        "confidence": 1.0,
    }
    assert "加我微信" in red["evidence"]


@pytest.mark.parametrize(
    ("lines", "score", "passed"),
    [
        ((CLEAN,), 100, True),
        ((DEDUCT_5,), 95, True),
        ((DEDUCT_5, DEDUCT_10), 85, True),
        ((DEDUCT_10, RED_LINE), 0, False),
    ],
)
def test_scores(qc, lines, score, passed):
    result = qc.score(chat("S-2", *lines)).json()
    assert (result["score"], result["passed"]) == (score, passed)


def test_nothing_is_stored(qc):
    for _ in range(2):
        assert qc.score(chat("S-3", RED_LINE)).status_code == 200
    with qc.db() as session:
        assert session.scalar(select(func.count()).select_from(StoredTranscript)) == 0
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 0
    missing = qc.client.get("/v1/transcripts/S-3", headers=qc.auth("lead"))
    assert missing.status_code == 404
    assert qc.items() == []


def test_without_a_checklist_the_engine_chooses_one(qc):
    response = qc.client.post("/v1/score", json=chat("S-4", RED_LINE), headers=qc.auth("service"))
    assert response.status_code == 200
    health = qc.client.get("/healthz").json()
    assert response.json()["checklist"] in health["checklists"]
    assert response.json()["passed"] is False  # every bundled checklist has the red line


def test_unknown_checklist_is_named(qc):
    response = qc.client.post(
        "/v1/score", params={"checklist": "nope"}, json=chat("S-5"), headers=qc.auth("service")
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "E204" and error["field"] == "checklist"
    assert "nope" in error["message"]


def test_message_times_and_extra_fields_are_accepted(qc):
    transcript = chat("S-6", CLEAN, order_status="shipped", platform_order="123")
    transcript["messages"][0] |= {
        "ts": "2026-11-20T10:00:03",
        "sender": "tb_buyer_77",
        "msg_type": "text",
    }
    transcript["messages"][1] |= {"ts": "2026-11-20T10:00:21+08:00", "sender": 12345}
    response = qc.score(transcript)
    assert response.status_code == 200, response.text
    assert response.json()["score"] == 100


def test_invalid_transcript_names_the_field(qc):
    transcript = chat("S-7")
    transcript["messages"][1]["role"] = "robot"
    error = qc.score(transcript).json()["error"]
    assert error["code"] == "E101" and error["field"] == "messages[1].role"
    transcript["messages"][1] |= {"role": "agent", "ts": "yesterday"}
    error = qc.score(transcript).json()["error"]
    assert error["field"] == "messages[1].ts" and "yesterday" in error["message"]


def test_counted_in_the_metrics(qc):
    qc.score(chat("S-8", RED_LINE))
    assert qc.client.get("/metrics").status_code == 401
    assert qc.client.get("/metrics", headers=qc.auth("specialist")).status_code == 403
    metrics = qc.client.get("/metrics", headers=qc.auth("service"))
    assert metrics.status_code == 200
    assert 'qc_transcripts_inspected_total{endpoint="score"}' in metrics.text
    assert 'qc_flags_total{category="off_platform"}' in metrics.text
    assert 'route="/v1/score"' in metrics.text
