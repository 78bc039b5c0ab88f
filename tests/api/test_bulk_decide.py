"""Over HTTP: the `rule` filter and counts, POST /v1/work-items/bulk-decide (leads; items
someone holds or of another rule skipped; a repeat changes nothing more; the note
required), and claim-next handing a reviewer their assigned chat first. SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qc_engine.db.models import User
from qc_engine.service import assignment
from qc_engine.service.auth import Principal

from .support import DEDUCT_5, DEDUCT_10, RED_LINE, chat, jsonl, prepared

AD_LAW = "phrase.ad_law_words"


@pytest.fixture
def qc(api):
    qc = prepared(api)
    qc.batch(
        jsonl(
            chat("B-1", DEDUCT_5),
            chat("B-2", DEDUCT_5, DEDUCT_10),
            chat("B-3", DEDUCT_5),
            chat("B-4", RED_LINE),
        )
    )
    return qc


def _bulk(qc, role: str = "lead", **body):
    return qc.client.post("/v1/work-items/bulk-decide", json=body, headers=qc.auth(role))


def test_the_rule_filter_and_counts(qc):
    items = qc.items(rule=AD_LAW)
    assert sorted(i["transcript_id"] for i in items) == ["B-1", "B-2", "B-3"]
    assert {i["flag"]["rule"] for i in items} == {AD_LAW}
    counts = qc.client.get("/v1/work-items/counts?by=rule", headers=qc.auth("lead")).json()
    assert counts == {
        "by": "rule",
        "counts": {AD_LAW: 3, "phrase.regulator_mention": 1, "phrase.off_platform": 1},
    }


def test_a_lead_dismisses_a_rules_items_in_bulk(qc):
    items = {i["transcript_id"]: i for i in qc.items(rule=AD_LAW)}
    held = items["B-3"]
    qc.done(held["id"], "claim", role="specialist")
    note = "广告法词表误收“最好的”：批量驳回"

    answer = _bulk(qc, "specialist", rule=AD_LAW, decision="dismiss", note=note)
    assert answer.status_code == 403, answer.text
    answer = _bulk(qc, rule=AD_LAW, decision="dismiss", note=" \n ")
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "note"

    answer = _bulk(qc, rule=AD_LAW, decision="dismiss", note=note)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert sorted(result["done"]) == sorted([items["B-1"]["id"], items["B-2"]["id"]])
    assert result["already"] == []
    assert result["skipped"] == [
        {"id": held["id"], "reason": "held", "status": "in_review", "holder": "test-specialist"}
    ]
    assert result["remaining"] == 1
    for ident in ("B-1", "B-2"):
        item = qc.item(items[ident]["id"])
        assert (item["status"], item["note"], item["reviewer"]) == ("dismissed", note, "test-lead")
    assert qc.transcript("B-1")["score"] == 100
    assert [a.to_state for a in qc.audit("rule", AD_LAW)] == ["2 items"]

    again = _bulk(qc, rule=AD_LAW, decision="dismiss", note=note, item_ids=result["done"])
    assert again.json()["already"] == result["done"] and again.json()["done"] == []
    assert len(qc.audit("rule", AD_LAW)) == 1

    other = qc.items(rule="phrase.off_platform")[0]
    mixed = _bulk(qc, rule=AD_LAW, decision="confirm", note="x", item_ids=[other["id"]])
    assert mixed.json()["skipped"][0]["reason"] == "other_rule"
    assert qc.item(other["id"])["status"] == "open"


def test_claim_next_gives_a_reviewer_their_assigned_chat_first(qc):
    last = qc.items()[-1]["transcript_id"]  # the least urgent chat
    with qc.db() as session:
        lead = session.scalar(select(User).where(User.name == "test-lead"))
        second = session.scalar(select(User).where(User.name == "test-specialist-2"))
        principal = Principal(user_id=lead.id, name=lead.name, role=lead.role, agent_name=None)
        assignment.assign_chats(
            session, principal=principal, transcript_ids=[last], user_id=second.id
        )
    mine = qc.client.post("/v1/work-items/claim-next", headers=qc.auth("specialist2"))
    assert mine.status_code == 200 and mine.json()["transcript_id"] == last
    qc.done(mine.json()["id"], "release", role="specialist2")
    for _ in range(len(qc.items())):
        got = qc.client.post("/v1/work-items/claim-next", headers=qc.auth("specialist"))
        if got.status_code == 404:
            break
        assert got.json()["transcript_id"] != last
        qc.done(got.json()["id"], "dismiss", role="specialist")
    assert qc.item(mine.json()["id"])["status"] == "open"
