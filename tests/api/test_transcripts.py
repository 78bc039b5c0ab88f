"""POST /v1/transcripts (one, or a JSON Lines batch), re-ingest, GET /v1/transcripts/{id}."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from qc_engine.db.models import StoredFlag, StoredMessage, StoredTranscript

from .support import (
    CLEAN,
    COMPLAINT,
    DEDUCT_5,
    DEDUCT_10,
    RED_LINE,
    chat,
    jsonl,
    prepared,
)


@pytest.fixture
def qc(api):
    return prepared(api)


def test_store_one(qc):
    body = qc.stored(chat("T-1", DEDUCT_5, RED_LINE, customer=COMPLAINT))
    assert {
        k: body[k]
        for k in ("id", "status", "score", "passed", "checklist", "flags", "work_items_created")
    } == {
        "id": "T-1",
        "status": "created",
        "score": 0,
        "passed": False,
        "checklist": "apitest@1",
        "flags": 3,
        "work_items_created": 2,
    }
    # The result is the same JSON /v1/score answers.
    assert body["result"] == qc.score(chat("T-1", DEDUCT_5, RED_LINE, customer=COMPLAINT)).json()
    # Customer signals raise priority; they are not work items of their own.
    assert sorted(i["category"] for i in qc.items()) == ["ad_law_words", "off_platform"]


def test_read_back(qc):
    transcript = chat("T-2", DEDUCT_5, CLEAN, order_status="shipped", platform_order="9981")
    transcript["messages"][0] |= {
        "ts": "2026-11-20T10:00:03",
        "sender": "tb_buyer_77",
        "msg_type": "text",
    }
    qc.stored(transcript)
    got = qc.transcript("T-2")
    assert {
        k: got[k]
        for k in (
            "id",
            "channel",
            "shop",
            "agent",
            "order_status",
            "score",
            "engine_score",
            "passed",
            "checklist",
        )
    } == {
        "id": "T-2",
        "channel": "taobao",
        "shop": "Q女家旗舰店",
        "agent": "小美",
        "order_status": "shipped",
        "score": 95,
        "engine_score": 95,
        "passed": True,
        "checklist": "apitest@1",
    }
    assert got["extra"] == {"platform_order": "9981"}
    assert [(m["index"], m["role"], m["text"]) for m in got["messages"]] == [
        (0, "customer", "在吗？衣服什么时候发货"),
        (1, "agent", DEDUCT_5),
        (2, "agent", CLEAN),
    ]
    first = got["messages"][0]
    assert first["ts"] == "2026-11-20T10:00:03+08:00"  # no offset: read as Asia/Shanghai
    assert first["sender"] == "tb_buyer_77" and first["msg_type"] == "text"
    (flag,) = got["flags"]
    assert flag["category"] == "ad_law_words" and flag["message_index"] == 1
    assert flag["counts"] is True and flag["category_name"] == "广告法极限词"
    (item,) = got["work_items"]
    assert item["flag_id"] == flag["id"] and item["status"] == "open"
    assert got["ingested_at"] and got["inspected_at"]


def test_unknown_transcript_is_404(qc):
    response = qc.client.get("/v1/transcripts/nope", headers=qc.auth("lead"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "E404"


def test_batch_reports_every_line(qc):
    body = jsonl(
        chat("B-1"),
        "{not json",
        {"id": "B-x", "messages": []},
        chat("B-2", RED_LINE),
        "",
        json.dumps([1, 2]),
        chat("B-3", DEDUCT_5) | {"order_status": "lost"},
    )
    response = qc.batch(body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["counts"] == {"accepted": 2, "rejected": 4}
    assert [
        (a["line"], a["id"], a["status"], a["work_items_created"]) for a in out["accepted"]
    ] == [(1, "B-1", "created", 0), (4, "B-2", "created", 1)]
    assert out["accepted"][1]["passed"] is False
    rejected = {r["line"]: r["error"] for r in out["rejected"]}
    assert sorted(rejected) == [2, 3, 6, 7]  # line 5 is blank: skipped, not rejected
    assert rejected[2]["code"] == "E100" and "column" in rejected[2]["message"]
    assert rejected[3] == {
        "code": "E101",
        "message": rejected[3]["message"],
        "line": 3,
        "field": "messages",
    }
    assert rejected[6]["code"] == "E101" and "object" in rejected[6]["message"]
    assert rejected[7]["field"] == "order_status" and "lost" in rejected[7]["message"]
    assert {t["transcript_id"] for t in qc.items()} == {"B-2"}
    with qc.db() as session:
        ids = set(session.scalars(select(StoredTranscript.id)))
    assert ids == {"B-1", "B-2"}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-ndjson",
        "application/jsonl",
        "application/x-ndjson; charset=utf-8",
        "text/plain",
    ],
)
def test_batch_content_types(qc, content_type):
    response = qc.batch(jsonl(chat("C-1"), chat("C-2")), content_type=content_type)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"accepted": 2, "rejected": 0}


def test_batch_of_only_bad_lines_stores_nothing(qc):
    out = qc.batch(b"[]\nnull\n").json()
    assert out["counts"] == {"accepted": 0, "rejected": 2}
    assert out["accepted"] == []


def test_batch_with_a_byte_order_mark_and_crlf(qc):
    body = b"\xef\xbb\xbf" + jsonl(chat("D-1"), chat("D-2")).replace(b"\n", b"\r\n")
    assert qc.batch(body).json()["counts"] == {"accepted": 2, "rejected": 0}


def test_a_batch_line_that_is_not_utf8_is_one_rejected_line(qc):
    """The other lines are stored (the whole batch used to be refused)."""
    body = (
        jsonl(chat("U-1"), chat("U-2"))
        + b"\n"
        + json.dumps(chat("U-3", "亲，您好"), ensure_ascii=False).encode("gbk")
        + b"\n"
        + jsonl(chat("U-4"))
    )
    out = qc.batch(body).json()
    assert out["counts"] == {"accepted": 3, "rejected": 1}
    (rejected,) = out["rejected"]
    assert rejected["line"] == 3 and rejected["error"]["code"] == "E100"
    assert rejected["error"]["message"].startswith("not UTF-8 text: byte 0x")
    assert [a["id"] for a in out["accepted"]] == ["U-1", "U-2", "U-4"]


def test_a_time_with_an_offset_no_zone_has_is_refused_everywhere(qc):
    """+20:00 is valid ISO 8601 but no time zone: PostgreSQL could not store it (a 500 that
    lost its whole batch). Now the line is rejected naming the field, on both databases,
    and the others are stored; /v1/score refuses it the same way."""
    odd = chat("O-2") | {
        "messages": [{"role": "customer", "text": "在吗", "ts": "2026-11-20T10:00:00+20:00"}]
    }
    out = qc.batch(jsonl(chat("O-1"), odd, chat("O-3"))).json()
    assert out["counts"] == {"accepted": 2, "rejected": 1}
    (rejected,) = out["rejected"]
    assert rejected["line"] == 2 and rejected["error"]["field"] == "messages[0].ts"
    response = qc.client.post("/v1/score", json=odd, headers=qc.auth("service"))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "messages[0].ts"
    edge = chat("O-4") | {
        "messages": [{"role": "customer", "text": "在吗", "ts": "2026-11-20T10:00:00+14:00"}]
    }
    assert qc.batch(jsonl(edge)).json()["counts"] == {"accepted": 1, "rejected": 0}


def test_same_id_twice_in_one_batch(qc):
    out = qc.batch(jsonl(chat("E-1", RED_LINE), chat("E-1", RED_LINE), chat("E-1", CLEAN))).json()
    assert [a["status"] for a in out["accepted"]] == ["created", "unchanged", "updated"]
    (item,) = qc.items(transcript_id="E-1")
    assert item["status"] == "withdrawn"
    assert qc.transcript("E-1")["score"] == 100


def test_reingest_unchanged_is_idempotent(qc):
    first = qc.stored(chat("R-1", RED_LINE, DEDUCT_5))
    again = qc.stored(chat("R-1", RED_LINE, DEDUCT_5))
    assert first["status"] == "created" and again["status"] == "unchanged"
    assert again["work_items_created"] == 0 and again["result"] == first["result"]
    assert len(qc.items(transcript_id="R-1")) == 2
    with qc.db() as session:
        assert session.scalar(select(func.count()).select_from(StoredFlag)) == 2
        assert session.scalar(select(func.count()).select_from(StoredMessage)) == 3


def test_reingest_keeps_decisions_on_unchanged_flags(qc):
    qc.stored(chat("R-2", DEDUCT_10, DEDUCT_5))
    items = {i["category"]: i for i in qc.items(transcript_id="R-2")}
    qc.done(items["regulator_mention"]["id"], "confirm", note="主动提及监管部门")
    qc.done(items["ad_law_words"]["id"], "dismiss", note="描述面料，可以接受")
    assert qc.transcript("R-2")["score"] == 90

    # The chat grows: the agent adds a message. Both flags sit where they were.
    changed = qc.stored(chat("R-2", DEDUCT_10, DEDUCT_5, "亲这款100％有效的，用过都说好"))
    assert changed["status"] == "updated" and changed["work_items_created"] == 1
    after = {(i["category"], i["flag"]["message_index"]): i for i in qc.items(transcript_id="R-2")}
    assert len(after) == 3
    kept = after[("regulator_mention", 1)]
    assert kept["id"] == items["regulator_mention"]["id"]
    assert (kept["status"], kept["note"]) == ("confirmed", "主动提及监管部门")
    assert after[("ad_law_words", 2)]["status"] == "dismissed"
    assert after[("ad_law_words", 3)]["status"] == "open"
    stored = qc.transcript("R-2")
    assert len(stored["messages"]) == 4
    assert [(f["message_index"], f["counts"]) for f in stored["flags"]] == [
        (1, True),
        (2, False),
        (3, True),
    ]
    # The dismissed flag still does not cost: 100 - 10 - 5; the engine alone says 80.
    assert (stored["score"], stored["engine_score"]) == (85, 80)


def test_reingest_withdraws_the_item_of_a_flag_that_disappeared(qc):
    qc.stored(chat("R-3", RED_LINE, DEDUCT_5))
    red, deduct = sorted(qc.items(transcript_id="R-3"), key=lambda i: i["points"])
    qc.done(red["id"], "claim")  # in review: withdrawn as well
    qc.done(deduct["id"], "confirm")

    # The agent's wording is corrected: neither flag is raised any more.
    changed = qc.stored(chat("R-3", CLEAN, "亲亲，面料是纯棉的哦"))
    assert changed["status"] == "updated" and changed["score"] == 100
    after = {i["id"]: i for i in qc.items(transcript_id="R-3")}
    assert after[red["id"]]["status"] == "withdrawn"
    assert after[red["id"]]["reviewer"] is None and after[red["id"]]["flag"] is None
    # A decision already made is history: it stays, though its flag is gone.
    assert after[deduct["id"]]["status"] == "confirmed" and after[deduct["id"]]["flag"] is None
    stored = qc.transcript("R-3")
    assert stored["flags"] == [] and stored["score"] == 100 and stored["passed"] is True
    (withdrawal,) = [a for a in qc.audit(entity_id=red["id"]) if a.action == "withdraw"]
    assert (withdrawal.from_state, withdrawal.to_state) == ("in_review", "withdrawn")
    assert withdrawal.actor == "test-service"


def test_reingest_corrects_the_agent_shop_and_channel_of_its_items(qc):
    qc.stored(chat("R-5", RED_LINE, DEDUCT_5))
    decided, _ = qc.items(transcript_id="R-5")
    qc.done(decided["id"], "confirm")
    # The same chat, re-sent with the agent, shop and channel corrected.
    changed = qc.stored(
        chat("R-5", RED_LINE, DEDUCT_5, agent="阿杰", shop="Q女家童装店", channel="jd")
    )
    assert changed["status"] == "updated" and changed["work_items_created"] == 0
    items = qc.items(transcript_id="R-5")
    assert len(items) == 2
    assert {(i["agent"], i["shop"], i["channel"]) for i in items} == {("阿杰", "Q女家童装店", "jd")}
    assert {i["id"]: i["status"] for i in items}[decided["id"]] == "confirmed"
    got = qc.transcript("R-5")
    assert (got["agent"], got["shop"], got["channel"]) == ("阿杰", "Q女家童装店", "jd")


def test_reingest_with_a_moved_flag_replaces_its_item(qc):
    qc.stored(chat("R-4", RED_LINE))
    (old,) = qc.items(transcript_id="R-4")
    qc.stored(chat("R-4", CLEAN, RED_LINE))  # the same words, one message later
    items = {i["id"]: i for i in qc.items(transcript_id="R-4")}
    assert items.pop(old["id"])["status"] == "withdrawn"
    (new,) = items.values()
    assert new["status"] == "open" and new["flag"]["message_index"] == 2


def test_ingest_needs_a_known_content_type(qc):
    response = qc.client.post(
        "/v1/transcripts",
        content=b"<chat/>",
        headers=qc.auth("service") | {"content-type": "text/xml"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "E415"


def test_ingest_reports_the_field(qc):
    transcript = chat("F-1")
    del transcript["messages"][1]["text"]
    error = qc.store(transcript).json()["error"]
    assert error == {"code": "E101", "message": error["message"], "field": "messages[1].text"}


def test_agent_reads_only_own_chats(qc):
    qc.stored(chat("A-1", agent="小美"))
    qc.stored(chat("A-2", agent="阿杰"))
    assert qc.transcript("A-1", role="agent")["agent"] == "小美"
    other = qc.client.get("/v1/transcripts/A-2", headers=qc.auth("agent"))
    assert other.status_code == 404


def test_agent_taken_from_the_senders_when_absent(qc):
    transcript = chat("A-3", RED_LINE)
    del transcript["agent"]
    transcript["messages"][1]["sender"] = "小美"
    qc.stored(transcript)
    assert qc.transcript("A-3")["agent"] == "小美"
    assert [i["agent"] for i in qc.items(role="agent")] == ["小美"]


def test_a_transcript_the_engine_fails_on_is_rejected_and_the_batch_is_stored(qc, monkeypatch):
    """A bug on one chat costs that chat (E500, logged), not the batch around it."""
    import qc_engine.engine as engine_module

    real = engine_module._run

    def failing(chat, checklist, timings):
        if chat.transcript.id == "B-boom":
            raise ZeroDivisionError("division by zero")
        return real(chat, checklist, timings)

    monkeypatch.setattr(engine_module, "_run", failing)
    out = qc.batch(
        jsonl(chat("B-1"), chat("B-boom", RED_LINE), "{not json", chat("B-2", RED_LINE))
    ).json()
    assert out["counts"] == {"accepted": 2, "rejected": 2}
    assert [a["id"] for a in out["accepted"]] == ["B-1", "B-2"]
    assert [(r["line"], r["error"]["code"]) for r in out["rejected"]] == [(2, "E500"), (3, "E100")]
    assert "'B-boom': ZeroDivisionError: division by zero" in out["rejected"][0]["error"]["message"]
    with qc.db() as session:
        assert set(session.scalars(select(StoredTranscript.id))) == {"B-1", "B-2"}
    # One transcript alone: a 500 naming it, nothing stored.
    response = qc.client.post("/v1/transcripts", json=chat("B-boom"), headers=qc.auth("service"))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "E500"
    with qc.db() as session:
        assert "B-boom" not in set(session.scalars(select(StoredTranscript.id)))


@pytest.mark.parametrize("route", ["transcripts", "score"])
def test_storing_or_scoring_does_not_hold_up_other_requests(qc, monkeypatch, route):
    """While a POST parses, scores and stores (seconds for a large batch), the service
    answers other requests: /healthz is answered while the POST's work is held open.
    Before, that work ran on the event loop and /healthz waited for it (4.8 s behind a
    10,000-line batch)."""
    import threading

    from qc_engine.api.routes import score as score_route
    from qc_engine.api.routes import transcripts as transcripts_route

    entered, release = threading.Event(), threading.Event()
    module, name = (
        (transcripts_route, "ingest_committed")
        if route == "transcripts"
        else (score_route, "parse_one")
    )
    real = getattr(module, name)

    def held(*args, **kwargs):
        entered.set()
        if not release.wait(20):  # nobody could ask /healthz: the loop was blocked
            raise AssertionError("held up the event loop")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    answers = {}
    path = "/v1/transcripts" if route == "transcripts" else "/v1/score"
    worker = threading.Thread(
        target=lambda: answers.setdefault(
            "post", qc.client.post(path, json=chat(f"H-{route}"), headers=qc.auth("service"))
        )
    )
    worker.start()
    assert entered.wait(20)
    health = qc.client.get("/healthz")
    release.set()
    worker.join(30)
    assert health.status_code == 200
    assert answers["post"].status_code == 200, answers["post"].text


def test_the_same_new_id_posted_at_once_is_stored_once(qc, monkeypatch):
    """Two requests with the same new id, both past "is it stored?" before either writes:
    both answer 200, one created it and the other found it (it used to be a 500: a unique
    violation, or SQLite's "database is locked"). Idempotent under concurrency."""
    import threading

    from qc_engine.service import ingest as ingest_module

    both_checked = threading.Barrier(2, timeout=20)
    waited: set[int] = set()
    real = ingest_module._bulk_create

    def racing(*args, **kwargs):
        if threading.get_ident() not in waited:  # the first attempt of each request
            waited.add(threading.get_ident())
            both_checked.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_bulk_create", racing)
    answers: list = []
    body = chat("R-1", RED_LINE)
    threads = [
        threading.Thread(
            target=lambda: answers.append(
                qc.client.post("/v1/transcripts", json=body, headers=qc.auth("service"))
            )
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sorted(a.json()["status"] for a in answers) == ["created", "unchanged"]
    with qc.db() as session:
        assert session.scalar(select(func.count()).select_from(StoredTranscript)) == 1
    once = qc.client.post(
        "/v1/transcripts", json=chat("R-2", RED_LINE), headers=qc.auth("service")
    ).json()
    items = [i["transcript_id"] for i in qc.items()]
    assert items.count("R-1") == items.count("R-2") == once["work_items_created"] > 0


def test_personal_information_is_redacted_when_asked(database_url):
    """QC_REDACT: ID numbers, phone numbers, addresses, bank cards and names a text marks as
    names are masked in what is stored and shown (texts, evidence), one `*` per character,
    so spans stay right; the flags are those of the original chat; re-sending it is still
    `unchanged`."""
    from .support import app_with

    phone, address = "13812345678", "浙江省杭州市西湖区文三路90号"
    card = "6222021234567890128"
    body = chat("PI-1", f"好的亲，已帮您改成收件人王小明，电话{phone}，地址{address}")
    body["messages"].insert(1, {"role": "customer", "text": f"退款打到卡号 {card} 吧"})
    with app_with(database_url, redact=True) as qc:
        stored = qc.client.post("/v1/transcripts", json=body, headers=qc.auth("service"))
        assert stored.status_code == 200, stored.text
        shown = qc.client.get("/v1/transcripts/PI-1", headers=qc.auth("lead")).json()
        texts = [m["text"] for m in shown["messages"]]
        everything = str(shown)
        for secret in (phone, address, card, "王小明"):
            assert secret not in everything
        agent_text = texts[2]
        assert len(agent_text) == len(body["messages"][2]["text"])
        assert "*" * len(phone) in agent_text and texts[1] == "退款打到卡号 " + "*" * 19 + " 吧"
        (privacy,) = [f for f in shown["flags"] if f["category"] == "sensitive_info"]
        start, end = privacy["span"]
        assert set(agent_text[start:end]) == {"*"}  # the span still points at it
        again = qc.client.post("/v1/transcripts", json=body, headers=qc.auth("service"))
        assert again.json()["status"] == "unchanged"
        scored = qc.client.post("/v1/score", json=body, headers=qc.auth("service")).json()
        assert phone not in str(scored) and address not in str(scored)
