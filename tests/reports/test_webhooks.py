"""Webhooks against a local HTTP receiver: the four message formats and their signatures,
red-line events written where work items are created, fan-out, retries with backoff,
failures, one delivery per process, and the service pushing by itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from qc_engine.db.models import WebhookDelivery, WebhookEvent
from qc_engine.errors import QCError
from qc_engine.reports.schedule import Schedule
from qc_engine.service import webhooks
from qc_engine.service.ingest import Sampling, ingest
from qc_engine.transcript import transcript_from_dict

from ..conftest import CHECKLISTS
from . import receiver as receiver_module

RED_LINE = "亲，加我微信，私下给您便宜"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[receiver_module.Receiver]:
    running = receiver_module.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


def targets(
    receiver: receiver_module.Receiver, *paths: str, **extra: Any
) -> list[webhooks.WebhookTarget]:
    formats = {
        "/generic": "generic",
        "/dingtalk": "dingtalk",
        "/wecom": "wecom",
        "/feishu": "feishu",
        "/dingtalk-refuses": "dingtalk",
    }
    return webhooks.parse_targets(
        json.dumps(
            [
                {
                    "name": path.strip("/"),
                    "format": formats.get(path, "generic"),
                    "url": receiver.base + path,
                }
                | extra
                for path in paths
            ]
        )
    )


def chat(ident: str, *agent_lines: str, started: str = "2026-11-20T10:00:00+08:00") -> Any:
    return transcript_from_dict(
        {
            "id": ident,
            "channel": "taobao",
            "shop": "Q女家旗舰店",
            "agent": "小美",
            "messages": [
                {"role": "customer", "text": "在吗？衣服什么时候发货", "ts": started},
                *({"role": "agent", "text": line, "ts": started} for line in agent_lines),
            ],
        }
    )


def wait_for(condition: Callable[[], Any], seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


# Configuration and message formats --------------------------------------------------------


def test_targets_from_json_or_the_short_form():
    full = webhooks.parse_targets(
        json.dumps(
            [
                {
                    "name": "ops",
                    "format": "dingtalk",
                    "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
                    "secret": "SEC1",
                    "events": ["red_line"],
                }
            ]
        )
    )
    assert full == [
        webhooks.WebhookTarget(
            "ops",
            "dingtalk",
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "SEC1",
            ("red_line",),
        )
    ]
    assert full[0].redacted_url() == "https://oapi.dingtalk.com/robot/send"
    short = webhooks.parse_targets(
        "wecom=https://qyapi.weixin.qq.com/x?key=1; generic=http://127.0.0.1:9/hook"
    )
    assert [(t.name, t.format, t.events) for t in short] == [
        ("wecom-1", "wecom", webhooks.EVENT_KINDS),
        ("generic-2", "generic", webhooks.EVENT_KINDS),
    ]
    assert webhooks.parse_targets("") == [] and webhooks.parse_targets(None) == []


@pytest.mark.parametrize(
    "text",
    [
        "[{",
        '{"format": "generic"}',
        '[{"format": "slack", "url": "http://x"}]',
        '[{"format": "generic"}]',
        '[{"format": "generic", "url": "ftp://x"}]',
        '[{"format": "generic", "url": "http://x", "events": ["everything"]}]',
        '[{"name": "a", "url": "http://x"}, {"name": "a", "url": "http://y"}]',
        "dingtalk",
        "wechat=http://x",
    ],
)
def test_bad_webhook_settings_are_refused(text):
    with pytest.raises(QCError) as error:
        webhooks.parse_targets(text)
    assert error.value.code == "E610"


RED_PAYLOAD = {
    "transcript_id": "T-1",
    "shop": "Q女家旗舰店",
    "agent": "小美",
    "channel": "taobao",
    "started_at": "2026-11-20T10:00:00+08:00",
    "category": "off_platform",
    "category_name": "引导站外",
    "rule": "phrase.off_platform",
    "message_index": 1,
    "evidence": "「加我微信」命中词条「加我微信」",
}


def test_dingtalk_markdown_signed_as_dingtalk_checks_it():
    target = webhooks.WebhookTarget(
        "d", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=T", secret="SECabc"
    )
    url, body, _ = webhooks.render(
        target, "red_line", RED_PAYLOAD, base_url="http://qc.example", now=T0
    )
    message = json.loads(body)
    assert message["msgtype"] == "markdown"
    assert message["markdown"]["title"] == "质检红线预警：引导站外"
    assert "[查看会话](http://qc.example/v1/transcripts/T-1)" in message["markdown"]["text"]
    assert "客服：小美" in message["markdown"]["text"]
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    stamp = query["timestamp"]
    assert stamp == str(int(T0.timestamp() * 1000))
    expected = base64.b64encode(
        hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()
    ).decode()
    assert unquote(query["sign"]) == expected and query["access_token"] == "T"


def test_wecom_markdown():
    target = webhooks.WebhookTarget(
        "w", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
    )
    url, body, _ = webhooks.render(target, "red_line", RED_PAYLOAD, base_url=None)
    message = json.loads(body)
    assert url == target.url and message["msgtype"] == "markdown"
    assert message["markdown"]["content"].startswith("### 质检红线预警：引导站外")


def test_feishu_post_signed_as_feishu_checks_it():
    target = webhooks.WebhookTarget(
        "f", "feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/H", secret="fsec"
    )
    weekly = {
        "week": "2026-W47",
        "shop": None,
        "label": "2026 年第 47 周（11月16日—11月22日）",
        "empty": False,
        "links": {"html": "http://qc.example/r.html"},
        "summary": {
            "chats": 135,
            "previous_chats": 91,
            "pass_rate": 0.9333,
            "previous_pass_rate": 0.9011,
            "mean_score": 91.2,
            "red_lines": 10,
            "top_categories": [{"name": "响应超时", "flags": 30}],
            "coaching": ["糖糖"],
        },
    }
    _, body, _ = webhooks.render(target, "weekly_report", weekly, base_url=None, now=T0)
    message = json.loads(body)
    assert message["msg_type"] == "post"
    post = message["content"]["post"]["zh_cn"]
    assert post["title"] == "质检周报 2026 年第 47 周（11月16日—11月22日） · 全部店铺"
    lines = [part[0]["text"] for part in post["content"][:-1]]
    assert "合格率：93.3%（上周 90.1%）" in lines and "建议辅导：糖糖" in lines
    assert post["content"][-1] == [
        {"tag": "a", "text": "查看完整周报", "href": "http://qc.example/r.html"}
    ]
    stamp = str(int(T0.timestamp()))
    expected = base64.b64encode(
        hmac.new(f"{stamp}\nfsec".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert (message["timestamp"], message["sign"]) == (stamp, expected)


def test_generic_json_with_an_hmac_signature():
    target = webhooks.WebhookTarget("g", "generic", "http://127.0.0.1:9/hook", secret="gsec")
    _, body, headers = webhooks.render(target, "red_line", RED_PAYLOAD, base_url="http://qc")
    message = json.loads(body)
    assert message["event"] == "red_line" and message["data"] == RED_PAYLOAD
    assert message["link"] == "http://qc/v1/transcripts/T-1"
    assert (
        headers["X-QC-Signature"] == "sha256=" + hmac.new(b"gsec", body, hashlib.sha256).hexdigest()
    )
    assert headers["X-QC-Event"] == "red_line"


@pytest.mark.parametrize(
    ("fmt", "status", "text", "failed"),
    [
        ("generic", 200, "whatever", False),
        ("generic", 204, "", False),
        ("generic", 500, "boom", True),
        ("dingtalk", 200, '{"errcode":0}', False),
        ("dingtalk", 200, '{"errcode":310000,"errmsg":"sign not match"}', True),
        ("wecom", 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', True),
        ("feishu", 200, '{"code":0,"msg":"success"}', False),
        ("feishu", 200, '{"code":19021,"msg":"sign match fail"}', True),
        ("feishu", 200, '{"StatusCode":0}', False),
        ("dingtalk", 200, "<html>", True),
    ],
)
def test_what_counts_as_refused(fmt, status, text, failed):
    assert (webhooks.refusal(fmt, status, text) is not None) == failed


# Events where work items are created -----------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    from qc_engine.engine import Engine

    return Engine.from_dir(CHECKLISTS)


def _ingest(sessions: Any, engine: Any, *transcripts: Any) -> None:
    with sessions.begin() as session:
        ingest(session, list(transcripts), engine=engine, sampling=Sampling(rate=0.0), actor="test")


def _events(sessions: Any) -> list[WebhookEvent]:
    with sessions() as session:
        return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def test_every_new_red_line_work_item_queues_an_event(sessions, engine):
    _ingest(sessions, engine, chat("R-1", RED_LINE), chat("C-1", "亲亲您好，今天下午发出哦"))
    (event,) = _events(sessions)
    assert event.kind == "red_line" and event.dispatched_at is None
    assert event.payload | {"evidence": None} == {
        "transcript_id": "R-1",
        "shop": "Q女家旗舰店",
        "agent": "小美",
        "channel": "taobao",
        "started_at": "2026-11-20T10:00:00+08:00",
        "category": "off_platform",
        "category_name": "引导站外",
        "rule": event.payload["rule"],
        "message_index": 1,
        "evidence": None,
    }
    assert "微信" in event.payload["evidence"]
    # The same chat again: the same flag, no new work item, no new event.
    _ingest(sessions, engine, chat("R-1", RED_LINE))
    assert len(_events(sessions)) == 1
    # Stored again with a new red line: a new work item through the update path, an event.
    _ingest(sessions, engine, chat("R-1", RED_LINE, "你是不是听不懂啊，加我微信说"))
    assert [e.payload["message_index"] for e in _events(sessions)] == [1, 2]


# The queue ------------------------------------------------------------------------------


def _deliveries(sessions: Any) -> list[WebhookDelivery]:
    with sessions() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _queue_red_line(sessions: Any, engine: Any, ident: str = "R-1") -> None:
    _ingest(sessions, engine, chat(ident, RED_LINE))


def test_each_format_is_delivered(sessions, engine, receiver):
    chosen = targets(receiver, "/generic", "/dingtalk", "/wecom", "/feishu")
    _queue_red_line(sessions, engine)
    with sessions.begin() as session:
        assert webhooks.dispatch(session, chosen) == 4
    with sessions.begin() as session:
        assert webhooks.dispatch(session, chosen) == 0  # an event fans out once
    run = webhooks.deliver_due(sessions, chosen, base_url="http://qc.example")
    assert (run.delivered, run.retried, run.failed) == (4, 0, 0)
    assert {d.status for d in _deliveries(sessions)} == {"delivered"}
    assert receiver.at("/generic")[0].body["data"]["transcript_id"] == "R-1"
    assert receiver.at("/dingtalk")[0].body["msgtype"] == "markdown"
    assert "引导站外" in receiver.at("/wecom")[0].body["markdown"]["content"]
    feishu = receiver.at("/feishu")[0].body["content"]["post"]["zh_cn"]
    assert feishu["content"][-1][0]["href"] == "http://qc.example/v1/transcripts/R-1"
    assert receiver.at("/generic")[0].headers["Content-Type"].startswith("application/json")
    assert webhooks.deliver_due(sessions, chosen).delivered == 0  # nothing is sent twice


def test_targets_take_only_their_events(sessions, engine, receiver):
    chosen = targets(receiver, "/generic", events=["weekly_report"])
    _queue_red_line(sessions, engine)
    with sessions.begin() as session:
        assert webhooks.dispatch(session, chosen) == 0
    assert _events(sessions)[0].dispatched_at is not None


def test_retried_with_backoff_then_failed_and_visible(sessions, engine, receiver):
    chosen = targets(receiver, "/down")
    policy = webhooks.DeliveryPolicy(max_attempts=3, backoff_seconds=10)
    _queue_red_line(sessions, engine)
    with sessions.begin() as session:
        webhooks.dispatch(session, chosen, now=T0)
    clock = {"now": T0}

    def deliver() -> webhooks.DeliveryRun:
        return webhooks.deliver_due(sessions, chosen, policy=policy, now=lambda: clock["now"])

    assert deliver().retried == 1
    (delivery,) = _deliveries(sessions)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500: internal error"
    assert delivery.next_attempt_at == T0 + timedelta(seconds=10)
    clock["now"] = T0 + timedelta(seconds=9)
    assert deliver().retried == 0 and len(receiver.at("/down")) == 1  # not due yet
    clock["now"] = T0 + timedelta(seconds=10)
    assert deliver().retried == 1
    assert _deliveries(sessions)[0].next_attempt_at == T0 + timedelta(seconds=50)  # 10 * 4
    clock["now"] = T0 + timedelta(seconds=50)
    assert deliver().failed == 1
    (delivery,) = _deliveries(sessions)
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(receiver.at("/down")) == 3
    clock["now"] = T0 + timedelta(days=1)
    assert deliver().failed == 0 and len(receiver.at("/down")) == 3  # failed stays failed
    with sessions() as session:
        (listed,) = webhooks.list_deliveries(session, status="failed")
        shown = webhooks.delivery_json(listed)
        assert shown["last_error"] == "HTTP 500: internal error" and shown["attempts"] == 3
        assert shown["event"] == "red_line" and shown["next_attempt_at"] is None
        assert webhooks.delivery_counts(session)["failed"] == 1


def test_a_flaky_robot_gets_it_in_the_end(sessions, engine, receiver):
    receiver.flaky_failures = 2
    chosen = targets(receiver, "/flaky")
    policy = webhooks.DeliveryPolicy(max_attempts=5, backoff_seconds=0)
    _queue_red_line(sessions, engine)
    with sessions.begin() as session:
        webhooks.dispatch(session, chosen)
    results = [webhooks.deliver_due(sessions, chosen, policy=policy) for _ in range(3)]
    assert [(r.delivered, r.retried) for r in results] == [(0, 1), (0, 1), (1, 0)]
    (delivery,) = _deliveries(sessions)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, None)


def test_a_robot_that_refuses_the_message(sessions, engine, receiver):
    chosen = targets(receiver, "/dingtalk-refuses")
    _queue_red_line(sessions, engine)
    with sessions.begin() as session:
        webhooks.dispatch(session, chosen)
    webhooks.deliver_due(sessions, chosen)
    (delivery,) = _deliveries(sessions)
    assert delivery.status == "pending" and delivery.last_status == 200
    assert delivery.last_error == "refused: code 310000: keywords not in content"


def test_unreachable_and_unconfigured_targets(sessions, engine, receiver):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    chosen = webhooks.parse_targets(f"generic=http://127.0.0.1:{closed}/hook")
    chosen += targets(receiver, "/generic")
    _queue_red_line(sessions, engine)
    with sessions.begin() as session:
        webhooks.dispatch(session, chosen)
    run = webhooks.deliver_due(
        sessions, chosen[:1], policy=webhooks.DeliveryPolicy(timeout_seconds=2)
    )
    assert run.retried == 1 and "URLError" in run.errors[0]
    assert run.failed == 1 and "no longer configured" in run.errors[1]  # "generic" removed


def test_at_most_so_many_messages_a_minute_per_robot(sessions, engine, receiver):
    chosen = targets(receiver, "/wecom", "/generic", events=["red_line"])
    _ingest(sessions, engine, *(chat(f"R-{n}", RED_LINE) for n in range(7)))
    with sessions.begin() as session:
        webhooks.dispatch(session, chosen, now=T0)
    policy = webhooks.DeliveryPolicy(per_minute=3)
    clock = {"now": T0}

    def deliver() -> int:
        return webhooks.deliver_due(
            sessions, chosen, policy=policy, now=lambda: clock["now"]
        ).delivered

    assert deliver() == 6  # three to each robot
    clock["now"] = T0 + timedelta(seconds=50)
    assert deliver() == 0  # still the same minute
    clock["now"] = T0 + timedelta(seconds=61)
    assert deliver() == 6
    clock["now"] = T0 + timedelta(seconds=122)
    assert deliver() == 2
    assert Counter(r.path for r in receiver.received) == {"/wecom": 7, "/generic": 7}


def test_several_processes_send_each_delivery_once(sessions, engine, receiver):
    chosen = targets(receiver, "/generic", "/wecom")
    _ingest(sessions, engine, *(chat(f"R-{n}", RED_LINE) for n in range(6)))
    with sessions.begin() as session:
        assert webhooks.dispatch(session, chosen) == 12
    barrier = threading.Barrier(3)

    def process() -> None:
        barrier.wait()
        webhooks.deliver_due(sessions, chosen)

    threads = [threading.Thread(target=process) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    sent = Counter((r.path, r.raw) for r in receiver.received)
    assert len(sent) == 12 and set(sent.values()) == {1}
    assert {d.status for d in _deliveries(sessions)} == {"delivered"}


# The service pushes by itself -------------------------------------------------------------


@pytest.fixture
def service(database_url, receiver):
    """The app with webhooks to the receiver and a fast background task."""
    from fastapi.testclient import TestClient

    from qc_engine.api.main import build_state, create_app
    from qc_engine.service.auth import create_key
    from qc_engine.settings import Settings

    hooks = [
        {"name": path.strip("/"), "format": fmt, "url": receiver.base + path}
        for path, fmt in (
            ("/generic", "generic"),
            ("/dingtalk", "dingtalk"),
            ("/wecom", "wecom"),
            ("/feishu", "feishu"),
            ("/down", "generic"),
        )
    ]
    settings = Settings(
        database_url=database_url,
        checklist_dir=CHECKLISTS,
        sample_rate=0.0,
        webhooks=json.dumps(hooks),
        background_interval=0.1,
        webhook_backoff_seconds=0.05,
        webhook_max_attempts=2,
        public_url="http://qc.example",
    )
    state = build_state(settings)
    keys = {}
    with state.sessions.begin() as session:
        for role in ("lead", "service", "specialist"):
            keys[role] = create_key(session, name=f"test-{role}", role=role)[1]
    app = create_app(settings, state=state)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, keys, state
    state.sessions.kw["bind"].dispose()


def test_the_service_pushes_red_lines_and_the_weekly_report(service, receiver):
    client, keys, _ = service
    lead = {"Authorization": f"Bearer {keys['lead']}"}
    answer = client.post(
        "/v1/transcripts",
        json={
            "id": "LIVE-1",
            "shop": "Q女家旗舰店",
            "agent": "小美",
            "messages": [
                {"role": "customer", "text": "在吗？衣服什么时候发货"},
                {"role": "agent", "text": RED_LINE},
            ],
        },
        headers={"Authorization": f"Bearer {keys['service']}"},
    )
    assert answer.status_code == 200, answer.text

    def red_lines_everywhere() -> bool:
        return all(
            any(b"LIVE-1" in r.raw for r in receiver.at(path))
            for path in ("/generic", "/dingtalk", "/wecom", "/feishu")
        )

    wait_for(red_lines_everywhere)
    dingtalk = next(r.body for r in receiver.at("/dingtalk") if b"LIVE-1" in r.raw)
    assert "质检红线预警：引导站外" in dingtalk["markdown"]["title"]
    assert "http://qc.example/v1/transcripts/LIVE-1" in dingtalk["markdown"]["text"]
    # The weekly report of the due week was generated at start-up and pushed with its link.
    week = str(Schedule().due_week(datetime.now(UTC)))
    weekly = wait_for(
        lambda: [r.body for r in receiver.at("/generic") if r.body["event"] == "weekly_report"]
    )
    assert weekly[0]["data"]["week"] == week
    assert weekly[0]["link"] == f"http://qc.example/v1/reports/weekly.html?week={week}"
    # The robot that is down: tried twice, then failed, and the API says so.
    failed = wait_for(
        lambda: client.get(
            "/v1/webhooks/deliveries", params={"status": "failed"}, headers=lead
        ).json()["deliveries"]
    )
    assert {d["target"] for d in failed} == {"down"}
    assert failed[0]["attempts"] == 2 and failed[0]["last_error"].startswith("HTTP 500")
    overview = client.get("/v1/webhooks", headers=lead).json()
    assert [w["name"] for w in overview["webhooks"]] == [
        "generic",
        "dingtalk",
        "wecom",
        "feishu",
        "down",
    ]
    assert overview["webhooks"][1]["url"] == receiver.base + "/dingtalk"
    assert overview["deliveries"]["delivered"] >= 8
    # A lead sends a failed one again.
    retried = client.post(f"/v1/webhooks/deliveries/{failed[0]['id']}/retry", headers=lead)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert retried.json()["attempts"] == 0
    assert client.post("/v1/webhooks/deliveries/999999/retry", headers=lead).status_code == 404
    specialist = {"Authorization": f"Bearer {keys['specialist']}"}
    assert client.get("/v1/webhooks/deliveries", headers=specialist).status_code == 403
    assert (
        client.get("/v1/webhooks/deliveries", params={"status": "lost"}, headers=lead).status_code
        == 422
    )
