"""Work items over HTTP: filters, sorting, cursor pagination, every action of the lifecycle,
claims, optimistic concurrency, the audit log, sampling and the miss rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from qc_engine.db.models import User
from qc_engine.service import workitems
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Conflict
from qc_engine.settings import Settings

from .support import (
    CLEAN,
    COMPLAINT,
    DEDUCT_5,
    DEDUCT_10,
    RED_LINE,
    app_with,
    chat,
    jsonl,
    prepared,
)


@pytest.fixture
def qc(api):
    return prepared(api)


def _ids(items):
    return [i["id"] for i in items]


def _queue(qc):
    """Seven items on five chats, two agents, two shops, three channels."""
    qc.batch(
        jsonl(
            chat("Q-1", DEDUCT_5, agent="小美", shop="Q女家旗舰店", channel="taobao"),
            chat("Q-2", RED_LINE, agent="阿杰", shop="暖居家纺旗舰店", channel="tmall"),
            chat("Q-3", DEDUCT_10, DEDUCT_5, agent="小美", shop="暖居家纺旗舰店", channel="jd"),
            chat(
                "Q-4",
                DEDUCT_5,
                RED_LINE,
                agent="阿杰",
                shop="Q女家旗舰店",
                channel="taobao",
                customer=COMPLAINT,
            ),
            chat("Q-5", DEDUCT_5, agent="小美", shop="Q女家旗舰店", channel="jd"),
            chat("Q-6", CLEAN, agent="小美"),
        )
    )
    items = qc.items()
    assert len(items) == 7
    return {(i["transcript_id"], i["category"]): i for i in items}


# Listing ---------------------------------------------------------------------------------


def test_priority_puts_red_lines_first_then_points_risk_and_age(qc):
    q = _queue(qc)
    order = [(i["transcript_id"], i["category"]) for i in qc.items()]
    assert order == [
        ("Q-4", "off_platform"),  # red line, with a complaining customer
        ("Q-2", "off_platform"),  # red line
        ("Q-3", "regulator_mention"),  # 10 points
        ("Q-4", "ad_law_words"),  # 5 points, with a complaining customer
        ("Q-1", "ad_law_words"),  # 5 points: by age (same batch: by id)
        ("Q-3", "ad_law_words"),
        ("Q-5", "ad_law_words"),
    ]
    priorities = [i["priority"] for i in qc.items()]
    assert priorities == sorted(priorities, reverse=True)
    # Among equal priorities the older item comes first.
    older = datetime.now(UTC) - timedelta(days=2)
    qc.set_item_times(q[("Q-5", "ad_law_words")]["id"], created_at=older)
    assert [i["transcript_id"] for i in qc.items(category="ad_law_words")][1:] == [
        "Q-5",
        "Q-1",
        "Q-3",
    ]


def test_red_lines_outrank_any_deduction_and_points_outrank_risk(qc):
    qc.install_checklist(2, points={"regulator": 100})
    qc.batch(
        jsonl(
            chat("P-1", DEDUCT_10, customer=COMPLAINT),  # 100 points, complaining customer
            chat("P-2", RED_LINE),  # red line, calm customer
            chat("P-3", DEDUCT_5, customer=COMPLAINT),  # 5 points, complaining customer
            chat(
                "P-4",
                "亲这款100％有效的，用过都说好",
                DEDUCT_5,
                "我们是这个品类的全网第一，销量冠军哦",
            ),  # 5 points each, calm customer
        )
    )
    order = [(i["transcript_id"], i["category"]) for i in qc.items()]
    assert order[:3] == [
        ("P-2", "off_platform"),
        ("P-1", "regulator_mention"),
        ("P-3", "ad_law_words"),
    ]
    assert {t for t, _ in order[3:]} == {"P-4"} and len(order) == 6


def test_sort_by_age_oldest_first(qc):
    q = _queue(qc)
    now = datetime.now(UTC)
    ages = {("Q-3", "ad_law_words"): 5, ("Q-2", "off_platform"): 3, ("Q-1", "ad_law_words"): 1}
    for key, days in ages.items():
        qc.set_item_times(q[key]["id"], created_at=now - timedelta(days=days))
    listed = [(i["transcript_id"], i["category"]) for i in qc.items(sort="age")]
    assert listed[:3] == [("Q-3", "ad_law_words"), ("Q-2", "off_platform"), ("Q-1", "ad_law_words")]
    assert len(listed) == 7


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, 7),
        ({"status": "confirmed"}, 0),
        ({"status": "open,confirmed"}, 7),
        ({"category": "ad_law_words"}, 4),
        ({"category": "off_platform,regulator_mention"}, 3),
        ({"severity": "red_line"}, 2),
        ({"severity": "deduct"}, 5),
        ({"agent": "小美"}, 4),
        ({"agent": "阿杰", "severity": "deduct"}, 1),
        ({"shop": "暖居家纺旗舰店"}, 3),
        ({"channel": "jd"}, 3),
        ({"channel": "tmall"}, 1),
        ({"channel": "douyin"}, 0),
        ({"kind": "flag"}, 7),
        ({"kind": "sample"}, 0),
        ({"transcript_id": "Q-3"}, 2),
        ({"teaching_case": "false"}, 7),
    ],
)
def test_filters(qc, params, expected):
    _queue(qc)
    found = qc.items(**params)
    assert len(found) == expected
    for item in found:
        for key, value in params.items():
            if key in ("category", "status"):
                assert item[key] in value.split(",")
            elif key == "teaching_case":
                assert item[key] is False
            else:
                assert item[key] == value


def test_filter_by_reviewer_and_status(qc):
    q = _queue(qc)
    mine = q[("Q-2", "off_platform")]["id"]
    theirs = q[("Q-1", "ad_law_words")]["id"]
    qc.done(mine, "claim")
    qc.done(theirs, "confirm", role="specialist2")
    assert _ids(qc.items(reviewer="test-specialist")) == [mine]
    assert _ids(qc.items(reviewer="test-specialist-2")) == [theirs]
    assert qc.items(reviewer="nobody") == []
    assert _ids(qc.items(status="in_review")) == [mine]
    assert len(qc.items(status="open")) == 5


def test_filter_by_date_range(qc):
    q = _queue(qc)
    shanghai = "+08:00"
    qc.set_item_times(
        q[("Q-1", "ad_law_words")]["id"],
        created_at=datetime.fromisoformat(f"2026-11-19T23:30:00{shanghai}"),
    )
    qc.set_item_times(
        q[("Q-2", "off_platform")]["id"],
        created_at=datetime.fromisoformat(f"2026-11-20T08:00:00{shanghai}"),
    )
    qc.set_item_times(
        q[("Q-3", "ad_law_words")]["id"],
        created_at=datetime.fromisoformat("2026-11-20T23:59:00+00:00"),
    )
    day = {
        "created_from": f"2026-11-20T00:00:00{shanghai}",
        "created_to": f"2026-11-21T00:00:00{shanghai}",
    }
    assert _ids(qc.items(**day)) == [q[("Q-2", "off_platform")]["id"]]
    assert len(qc.items(created_to=day["created_from"])) == 1
    assert len(qc.items(created_from="2026-11-20T00:00:00Z")) == 6  # Q-1 is the 19th in UTC
    listed = qc.items(**day)[0]
    assert listed["created_at"] == "2026-11-20T08:00:00+08:00"


def test_a_time_without_offset_is_refused(qc):
    response = qc.client.get(
        "/v1/work-items", params={"created_from": "2026-11-20T00:00:00"}, headers=qc.auth("lead")
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "created_from"


@pytest.mark.parametrize("sort", ["priority", "age"])
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_cursor_walks_every_item_once(qc, sort, limit):
    q = _queue(qc)
    # Ties on priority and on creation time, and some distinct times, as in real queues.
    now = datetime.now(UTC)
    for n, key in enumerate([("Q-5", "ad_law_words"), ("Q-2", "off_platform")]):
        qc.set_item_times(q[key]["id"], created_at=now - timedelta(hours=n + 1))
    expected = _ids(qc.items(sort=sort))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"sort": sort, "limit": limit} | ({"cursor": cursor} if cursor else {})
        page = qc.page(**params)
        assert len(page["items"]) <= limit
        seen += _ids(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 20
    assert seen == expected and len(set(seen)) == 7
    assert pages == -(-7 // limit)  # the last full page says there is nothing after it


def test_cursor_with_filters_and_changes_between_pages(qc):
    _queue(qc)
    first = qc.page(category="ad_law_words", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    # A new item arriving with a lower priority than the page boundary shows up later.
    qc.stored(chat("Q-7", DEDUCT_5))
    rest = qc.page(category="ad_law_words", limit=10, cursor=first["next_cursor"])
    walked = _ids(first["items"]) + _ids(rest["items"])
    assert walked == _ids(qc.items(category="ad_law_words"))
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "W10",
        "e30",
        "WzEsMiwzXQ",
        "!!!",
        "=",
        "WzEuMCwiMjAyNi0wMS0wMVQwMDowMDowMCIsMV0",
        ("WzEuMCwiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsOTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ"),
    ],
)
def test_a_bad_cursor_is_422(qc, cursor):
    _queue(qc)
    response = qc.client.get("/v1/work-items", params={"cursor": cursor}, headers=qc.auth("lead"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "cursor"


def test_counts(qc):
    _queue(qc)
    response = qc.client.get(
        "/v1/work-items/counts", params={"by": "category"}, headers=qc.auth("lead")
    )
    assert response.json() == {
        "by": "category",
        "counts": {"ad_law_words": 4, "off_platform": 2, "regulator_mention": 1},
    }
    by_agent = qc.client.get(
        "/v1/work-items/counts", params={"by": "agent"}, headers=qc.auth("agent")
    ).json()
    assert by_agent["counts"] == {"小美": 4}


def test_get_one_item(qc):
    item = qc.flagged_item("G-1", shop="Q女家旗舰店")
    got = qc.item(item["id"])
    assert got == item
    assert got["kind"] == "flag" and got["status"] == "open" and got["version"] == 1
    assert got["category_name"] == "引导站外" and got["severity"] == "red_line"
    assert got["flag"]["evidence"] and got["flag"]["rule"] == "phrase.off_platform"
    missing = qc.client.get("/v1/work-items/999999", headers=qc.auth("lead"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "E404"


# The lifecycle -------------------------------------------------------------------------


def test_claim_and_release(qc):
    item = qc.flagged_item("L-1")
    claimed = qc.done(item["id"], "claim")
    assert claimed["status"] == "in_review" and claimed["reviewer"] == "test-specialist"
    assert claimed["version"] == item["version"] + 1
    expires = datetime.fromisoformat(claimed["claim_expires_at"])
    claimed_at = datetime.fromisoformat(claimed["claimed_at"])
    assert expires - claimed_at == timedelta(minutes=Settings().claim_minutes)
    # Times are answered in +08:00 like everywhere else, also just after they were set.
    assert claimed["claimed_at"].endswith("+08:00") and claimed["updated_at"].endswith("+08:00")
    assert qc.item(item["id"])["claim_expires_at"] == claimed["claim_expires_at"]
    released = qc.done(item["id"], "release")
    assert released["status"] == "open" and released["reviewer"] is None
    assert released["claim_expires_at"] is None
    assert qc.act(item["id"], "release").status_code == 409  # not claimed any more


def test_confirm_keeps_the_points_dismiss_gives_them_back(qc):
    qc.stored(chat("L-2", DEDUCT_10, DEDUCT_5))
    items = {i["category"]: i for i in qc.items(transcript_id="L-2")}
    assert qc.transcript("L-2")["score"] == 85
    confirmed = qc.done(items["regulator_mention"]["id"], "confirm", note="主动提及监管部门")
    assert confirmed["status"] == "confirmed" and confirmed["note"] == "主动提及监管部门"
    assert confirmed["reviewer"] == "test-specialist" and confirmed["decided_at"]
    assert qc.transcript("L-2")["score"] == 85
    dismissed = qc.done(items["ad_law_words"]["id"], "dismiss", note="误报")
    assert dismissed["status"] == "dismissed" and dismissed["flag"]["counts"] is False
    got = qc.transcript("L-2")
    assert (got["score"], got["engine_score"], got["passed"]) == (90, 85, True)


def test_dismissing_a_red_line_passes_the_chat(qc):
    item = qc.flagged_item("L-3")
    assert qc.transcript("L-3")["passed"] is False
    qc.done(item["id"], "claim")
    qc.done(item["id"], "dismiss", note="买家自己说的微信，不是客服")
    got = qc.transcript("L-3")
    assert (got["score"], got["passed"]) == (100, True)


def test_decided_items_cannot_be_decided_again(qc):
    item = qc.confirmed_item("L-4")
    for action in ("confirm", "dismiss", "claim"):
        response = qc.act(item["id"], action, role="lead")
        assert response.status_code == 409, action
        assert "confirmed" in response.json()["error"]["message"]
    assert qc.act(item["id"], "decide-appeal", role="lead", decision="upheld").status_code == 409


def test_appeal_upheld(qc):
    item = qc.confirmed_item("L-5", agent="小美")
    appealed = qc.done(item["id"], "appeal", role="agent", reason="买家先要的微信，我拒绝了")
    assert appealed["status"] == "appealed"
    assert qc.act(item["id"], "appeal", role="agent", reason="再申诉").status_code == 409
    upheld = qc.done(
        item["id"], "decide-appeal", role="lead", decision="upheld", note="聊天记录里是客服主动发的"
    )
    assert upheld["status"] == "upheld" and upheld["flag"]["counts"] is True
    got = qc.transcript("L-5")
    assert (got["score"], got["passed"]) == (0, False)


def test_appeal_overturned_changes_the_score(qc):
    qc.stored(chat("L-6", DEDUCT_10, agent="小美"))
    (item,) = qc.items(transcript_id="L-6")
    qc.done(item["id"], "confirm")
    assert qc.transcript("L-6")["score"] == 90
    qc.done(item["id"], "appeal", role="agent", reason="是买家问能不能投诉，我只是回答")
    overturned = qc.done(
        item["id"], "decide-appeal", role="admin", decision="overturned", note="申诉成立"
    )
    assert overturned["status"] == "overturned" and overturned["flag"]["counts"] is False
    got = qc.transcript("L-6")
    assert (got["score"], got["engine_score"]) == (100, 90)


def test_appeal_needs_a_confirmed_item_and_a_reason(qc):
    item = qc.flagged_item("L-7", agent="小美")
    response = qc.act(item["id"], "appeal", role="agent", reason="不是我")
    assert response.status_code == 409 and response.json()["error"]["field"] == "status"
    qc.done(item["id"], "confirm")
    for reason in ("", "   "):
        response = qc.act(item["id"], "appeal", role="agent", reason=reason)
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "reason"


def test_decide_appeal_needs_a_known_decision(qc):
    item = qc.confirmed_item("L-8", agent="小美")
    qc.done(item["id"], "appeal", role="agent", reason="理由")
    response = qc.act(item["id"], "decide-appeal", role="lead", decision="maybe")
    assert response.status_code == 422 and response.json()["error"]["field"] == "decision"


def test_teaching_case(qc):
    item = qc.flagged_item("L-9")
    response = qc.act(item["id"], "teaching-case")
    assert response.status_code == 409  # only confirmed items
    qc.done(item["id"], "confirm")
    marked = qc.done(item["id"], "teaching-case", note="典型的引导站外")
    assert marked["teaching_case"] is True and marked["status"] == "confirmed"
    assert _ids(qc.items(teaching_case="true")) == [item["id"]]
    unmarked = qc.done(item["id"], "teaching-case", value=False)
    assert unmarked["teaching_case"] is False
    assert qc.items(teaching_case="true") == []


def test_confirm_from_open_without_a_claim(qc):
    item = qc.flagged_item("L-10")
    assert qc.done(item["id"], "confirm")["status"] == "confirmed"


def test_action_bodies_are_checked(qc):
    item = qc.flagged_item("L-11")
    url = f"/v1/work-items/{item['id']}/claim"
    cases = [
        ({}, "version"),
        ({"version": "one"}, "version"),
        ({"version": 1, "extra": True}, "extra"),
    ]
    for body, field in cases:
        response = qc.client.post(url, json=body, headers=qc.auth("specialist"))
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == field
    long_note = qc.act(item["id"], "confirm", note="很" * 4001)
    assert long_note.status_code == 422 and long_note.json()["error"]["field"] == "note"


# Claims ------------------------------------------------------------------------------


def test_a_claim_held_by_someone_else_is_409_naming_the_holder(qc):
    item = qc.flagged_item("C-1")
    qc.done(item["id"], "claim")
    for action in ("claim", "confirm", "dismiss"):
        response = qc.act(item["id"], action, role="specialist2")
        assert response.status_code == 409, action
        error = response.json()["error"]
        assert error["code"] == "E409" and "test-specialist" in error["message"]
    response = qc.act(item["id"], "release", role="specialist2")
    assert response.status_code == 403
    got = qc.item(item["id"])
    assert got["status"] == "in_review" and got["reviewer"] == "test-specialist"
    # The holder can still decide it; a lead can take the claim back.
    assert qc.act(item["id"], "release", role="lead").status_code == 200
    assert qc.item(item["id"])["status"] == "open"


def test_an_expired_claim_can_be_taken_over(qc):
    item = qc.flagged_item("C-2")
    qc.done(item["id"], "claim")
    past = datetime.now(UTC) - timedelta(minutes=1)
    qc.set_item_times(item["id"], claim_expires_at=past)
    taken = qc.done(item["id"], "claim", role="specialist2")
    assert taken["reviewer"] == "test-specialist-2" and taken["status"] == "in_review"
    assert datetime.fromisoformat(taken["claim_expires_at"]) > datetime.now(UTC)


def test_an_expired_claim_can_be_decided_or_released_by_another(qc):
    first, second = qc.flagged_item("C-3"), qc.flagged_item("C-4")
    for item in (first, second):
        qc.done(item["id"], "claim")
        qc.set_item_times(item["id"], claim_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert qc.done(first["id"], "dismiss", role="specialist2")["reviewer"] == "test-specialist-2"
    assert qc.done(second["id"], "release", role="specialist2")["status"] == "open"


def test_claim_minutes_setting(database_url):
    with app_with(database_url, claim_minutes=5) as qc:
        item = qc.flagged_item("C-5")
        claimed = qc.done(item["id"], "claim")
        expires = datetime.fromisoformat(claimed["claim_expires_at"])
        assert expires - datetime.fromisoformat(claimed["claimed_at"]) == timedelta(minutes=5)


def test_claim_next_takes_the_highest_priority_free_item(qc):
    _queue(qc)
    url = "/v1/work-items/claim-next"
    first = qc.client.post(url, headers=qc.auth("specialist")).json()
    assert (first["transcript_id"], first["category"]) == ("Q-4", "off_platform")
    assert first["status"] == "in_review" and first["reviewer"] == "test-specialist"
    second = qc.client.post(url, headers=qc.auth("specialist2")).json()
    assert (second["transcript_id"], second["category"]) == ("Q-2", "off_platform")
    # Filters narrow the queue.
    jd = qc.client.post(
        url, params={"channel": "jd", "category": "ad_law_words"}, headers=qc.auth("specialist2")
    ).json()
    assert (jd["transcript_id"], jd["category"]) == ("Q-3", "ad_law_words")
    # An expired claim goes back to the queue.
    qc.set_item_times(first["id"], claim_expires_at=datetime.now(UTC) - timedelta(minutes=1))
    again = qc.client.post(url, headers=qc.auth("specialist2")).json()
    assert again["id"] == first["id"] and again["reviewer"] == "test-specialist-2"


def test_claim_next_on_an_empty_queue_is_404(qc):
    qc.flagged_item("C-6")
    url = "/v1/work-items/claim-next"
    assert qc.client.post(url, headers=qc.auth("specialist")).status_code == 200
    response = qc.client.post(url, headers=qc.auth("specialist2"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "E404"


# Optimistic concurrency -------------------------------------------------------------------


def test_two_clients_with_the_same_version_second_gets_409(qc):
    item = qc.flagged_item("V-1")
    seen = item["version"]
    first = qc.act(item["id"], "confirm", version=seen, note="第一位")
    assert first.status_code == 200
    second = qc.act(item["id"], "dismiss", role="specialist2", version=seen, note="第二位")
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "E409" and error["field"] == "version"
    got = qc.item(item["id"])
    assert (got["status"], got["note"], got["reviewer"]) == (
        "confirmed",
        "第一位",
        "test-specialist",
    )
    assert got["version"] == seen + 1
    assert qc.transcript("V-1")["passed"] is False


def test_a_stale_version_changes_nothing(qc):
    item = qc.flagged_item("V-2")
    qc.done(item["id"], "claim")
    for action, body in [("release", {}), ("confirm", {"note": "x"}), ("dismiss", {"note": "x"})]:
        response = qc.act(item["id"], action, version=item["version"], **body)
        assert response.status_code == 409, action
    assert qc.item(item["id"])["status"] == "in_review"
    assert [a.action for a in qc.audit(entity_id=item["id"])] == ["claim"]


def test_a_simultaneous_change_is_detected_at_write_time(qc):
    """Two requests read the same version and both pass the version check: the database
    update of the second finds the row changed and answers 409."""
    item = qc.flagged_item("V-3")
    with qc.db() as session:
        users = dict(session.execute(select(User.name, User.id)).all())
    one = Principal(users["test-specialist"], "test-specialist", "specialist", None)
    two = Principal(users["test-specialist-2"], "test-specialist-2", "specialist", None)
    factory = qc.state.sessions
    with factory() as a, factory() as b:
        workitems.get_item(a, one, item["id"])
        workitems.get_item(b, two, item["id"])
        workitems.confirm(a, principal=one, item_id=item["id"], version=1, note="A")
        a.commit()
        with pytest.raises(Conflict):
            workitems.dismiss(b, principal=two, item_id=item["id"], version=1, note="B")
    got = qc.item(item["id"])
    assert (got["status"], got["note"]) == ("confirmed", "A")


# Audit log ---------------------------------------------------------------------------


def test_every_change_is_in_the_audit_log(qc):
    item = qc.flagged_item("AU-1", agent="小美")
    steps = [
        ("claim", "specialist", {}),
        ("release", "specialist", {}),
        ("claim", "specialist2", {}),
        ("confirm", "specialist2", {"note": "确认"}),
        ("teaching-case", "lead", {"note": "入案例库"}),
        ("appeal", "agent", {"reason": "不是我发的"}),
        ("decide-appeal", "lead", {"decision": "overturned", "note": "申诉成立"}),
    ]
    for action, role, body in steps:
        qc.done(item["id"], action, role=role, **body)
    rows = qc.audit(entity_id=item["id"])
    assert [(r.actor, r.action, r.from_state, r.to_state, r.note) for r in rows] == [
        ("test-specialist", "claim", "open", "in_review", None),
        ("test-specialist", "release", "in_review", "open", None),
        ("test-specialist-2", "claim", "open", "in_review", None),
        ("test-specialist-2", "confirm", "in_review", "confirmed", "确认"),
        ("test-lead", "teaching_case", "false", "true", "入案例库"),
        ("test-agent", "appeal", "confirmed", "appealed", "不是我发的"),
        ("test-lead", "decide_appeal", "appealed", "overturned", "申诉成立"),
    ]
    times = [r.at for r in rows]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    assert qc.item(item["id"])["version"] == 1 + len(steps)


def test_dismiss_and_refusals_in_the_audit_log(qc):
    item = qc.flagged_item("AU-2")
    qc.done(item["id"], "dismiss", note="误报")
    qc.act(item["id"], "confirm")  # refused: nothing is written
    rows = qc.audit(entity_id=item["id"])
    assert [(r.action, r.from_state, r.to_state, r.note) for r in rows] == [
        ("dismiss", "open", "dismissed", "误报")
    ]


# Sampling and the miss rate ----------------------------------------------------------


def test_sampling_turns_flag_free_chats_into_sample_items(database_url):
    with app_with(database_url, sample_rate=1.0) as qc:
        out = qc.batch(
            jsonl(
                chat("SA-1"),
                chat("SA-2", RED_LINE),
                chat("SA-3"),
                chat("SA-4", CLEAN, customer=COMPLAINT),
            )
        ).json()
        assert [a["work_items_created"] for a in out["accepted"]] == [1, 1, 1, 0]
        samples = qc.items(kind="sample")
        assert sorted(i["transcript_id"] for i in samples) == ["SA-1", "SA-3"]
        for sample in samples:
            assert sample["category"] is None and sample["flag"] is None
            assert sample["status"] == "open" and sample["priority"] == 0.0
        # A flagged chat is not sampled; a re-ingest does not add a second sample.
        assert [i["kind"] for i in qc.items(transcript_id="SA-2")] == ["flag"]
        qc.stored(chat("SA-1", CLEAN, "亲亲还有别的问题吗"))
        assert len(qc.items(transcript_id="SA-1")) == 1
        # A chat whose flag is gone after a re-ingest is sampled like any flag-free chat.
        qc.stored(chat("SA-2", CLEAN))
        assert sorted(i["kind"] for i in qc.items(transcript_id="SA-2")) == ["flag", "sample"]


def test_sampling_is_seeded_and_reproducible(database_url, tmp_path):
    ids = [f"RS-{n}" for n in range(60)]
    body = jsonl(*(chat(i) for i in ids))

    def sampled(url: str, seed: int) -> set[str]:
        with app_with(url, sample_rate=0.5, sample_seed=seed) as qc:
            qc.batch(body)
            return {i["transcript_id"] for i in qc.items(kind="sample")}

    first = sampled(database_url, 11)
    again = sampled(f"sqlite:///{tmp_path / 'again.sqlite3'}", 11)
    other = sampled(f"sqlite:///{tmp_path / 'other.sqlite3'}", 12)
    assert first == again
    assert first != other
    assert 15 < len(first) < 45


def test_sampling_default_share():
    assert Settings().sample_rate == 0.02


def test_review_sample_and_miss_rate(database_url):
    with app_with(database_url, sample_rate=1.0) as qc:
        qc.batch(jsonl(*(chat(f"M-{n}") for n in range(4)), chat("M-flag", RED_LINE)))
        samples = qc.items(kind="sample")
        assert len(samples) == 4
        empty = qc.client.get("/v1/stats/miss-rate", headers=qc.auth("lead")).json()
        assert empty["sampled_reviewed"] == 0
        assert empty["categories"]["rude"] == {"chats_with_miss": 0, "miss_rate": None}

        a, b, c, d = (s["id"] for s in samples)
        qc.done(a, "claim")
        reviewed = qc.done(
            a,
            "review-sample",
            findings=[
                {"category": "perfunctory", "message_index": 1, "note": "答非所问"},
                {"category": "rude", "message_index": 1},
            ],
            note="漏检两处",
        )
        assert reviewed["status"] == "reviewed" and reviewed["reviewer"] == "test-specialist"
        qc.done(b, "review-sample", findings=[{"category": "perfunctory"}])
        qc.done(c, "review-sample")  # nothing missed
        # d stays open: it is not counted.
        rate = qc.client.get("/v1/stats/miss-rate", headers=qc.auth("specialist")).json()
        assert rate["sampled_reviewed"] == 3
        assert rate["categories"]["perfunctory"] == {"chats_with_miss": 2, "miss_rate": 0.6667}
        assert rate["categories"]["rude"] == {"chats_with_miss": 1, "miss_rate": 0.3333}
        assert rate["categories"]["off_platform"] == {"chats_with_miss": 0, "miss_rate": 0.0}

        # Sample items are completed only with review-sample, flags only with confirm/dismiss.
        response = qc.act(d, "confirm")
        assert response.status_code == 422 and response.json()["error"]["field"] == "kind"
        (flag_item,) = qc.items(kind="flag")
        response = qc.act(flag_item["id"], "review-sample")
        assert response.status_code == 422 and response.json()["error"]["field"] == "kind"
        bad = qc.act(
            d, "review-sample", findings=[{"category": "perfunctory"}, {"category": "nope"}]
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["field"] == "findings[1].category"
        assert qc.item(d)["status"] == "open"
        assert (
            qc.client.get("/v1/stats/miss-rate", headers=qc.auth("lead")).json()["sampled_reviewed"]
            == 3
        )
        audit = qc.audit(entity_id=a)
        assert [(r.action, r.to_state, r.note) for r in audit] == [
            ("claim", "in_review", None),
            ("review", "reviewed", "漏检两处"),
        ]


def test_created_times_are_iso_not_unix_seconds(qc):
    """created_to=0.5 was read as half a second after 1970."""
    for value in ("0.5", "1700000000", "-3"):
        response = qc.client.get(
            "/v1/work-items", params={"created_to": value}, headers=qc.auth("lead")
        )
        assert response.status_code == 422, value
        assert response.json()["error"]["field"] == "created_to"
    ok = qc.client.get(
        "/v1/work-items",
        params={"created_to": "2026-11-20T10:00:00+08:00"},
        headers=qc.auth("lead"),
    )
    assert ok.status_code == 200
