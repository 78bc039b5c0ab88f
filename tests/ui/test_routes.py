"""The desk's rules over plain HTTP (no browser): sign-in cookie, CSRF, roles, refusals as
Chinese pages, escaping. Runs against the same demo server as the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
import pytest

EVIL = "http://evil.example"


@contextmanager
def _client(desk, who: str | None = None) -> Iterator[httpx.Client]:
    """A browser-like client (same-origin POSTs), signed in as `who` if given."""
    with httpx.Client(
        base_url=desk.base, timeout=20.0, follow_redirects=False, headers={"Origin": desk.base}
    ) as client:
        if who is not None:
            answer = client.post("/ui/login", data={"key": desk.keys[who]})
            assert answer.status_code == 303, answer.text
        yield client


def _open_item(desk, **params) -> dict:
    items = desk.items(status="open", kind="flag", **params)
    assert items
    return items[-1]


def test_sign_in_sets_a_strict_http_only_cookie(desk):
    with _client(desk) as client:
        answer = client.post("/ui/login", data={"key": desk.keys["demo-specialist"]})
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/queue"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("qc_session=qcs_") and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie and "Path=/" in cookie and "Secure" not in cookie
        assert desk.keys["demo-specialist"] not in answer.headers["location"]
        out = client.post("/ui/logout")
        assert out.status_code == 303 and 'qc_session=""' in out.headers["set-cookie"]


def test_over_https_the_cookie_is_secure(desk):
    from fastapi.testclient import TestClient

    from qc_engine.api.main import create_app

    with TestClient(create_app(state=desk.state), base_url="https://desk.example") as client:
        answer = client.post(
            "/ui/login",
            data={"key": desk.keys["demo-lead"]},
            headers={"Origin": "https://desk.example"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]


def test_signed_out_pages_ask_to_sign_in(desk):
    with _client(desk) as client:
        answer = client.get("/ui/queue?category=rude")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/ui/login?next=%2Fui%2Fqueue")
        assert client.get("/", follow_redirects=True).url.path == "/ui/login"
        item = _open_item(desk)
        answer = client.post(
            f"/ui/items/{item['id']}/decide", data={"action": "confirm", "version": item["version"]}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"


@pytest.mark.parametrize("key", ["qck_wrong", "", "x" * 300])
def test_a_bad_key_is_refused_on_the_page(desk, key):
    with _client(desk) as client:
        answer = client.post("/ui/login", data={"key": key})
        assert answer.status_code == 401
        assert "密钥无效或已被吊销" in answer.text and "set-cookie" not in answer.headers


def test_a_service_key_cannot_sign_in(desk):
    with _client(desk) as client:
        answer = client.post("/ui/login", data={"key": desk.keys["demo-service"]})
        assert answer.status_code == 403 and "服务账号" in answer.text


def test_next_only_leads_inside_the_desk(desk):
    with _client(desk) as client:
        for target in (
            "//evil.example/x",
            "https://evil.example",
            "/v1/work-items",
            "/ui//evil.example",
        ):
            answer = client.post("/ui/login", data={"key": desk.keys["demo-lead"], "next": target})
            assert answer.headers["location"] == "/ui/dashboard", target  # a lead's home
        answer = client.post(
            "/ui/login", data={"key": desk.keys["demo-lead"], "next": "/ui/cases?q=a"}
        )
        assert answer.headers["location"] == "/ui/cases?q=a"


def test_posts_from_another_site_are_refused(desk):
    item = _open_item(desk)
    with _client(desk, "demo-specialist") as client:
        for headers in (
            {"Origin": EVIL},
            {"Origin": "null"},
            {"Origin": "", "Referer": f"{EVIL}/page"},
        ):
            answer = client.post(
                f"/ui/items/{item['id']}/decide",
                headers=headers,
                data={"action": "dismiss", "version": item["version"]},
            )
            assert answer.status_code == 403, headers
            assert "请求来源校验失败" in answer.text
        # Neither Origin nor Referer: refused too.
        bare = httpx.post(
            f"{desk.base}/ui/items/{item['id']}/decide",
            cookies=client.cookies,
            follow_redirects=False,
            data={"action": "dismiss", "version": item["version"]},
        )
        assert bare.status_code == 403
        # Signing in from another site (login CSRF) is refused as well.
        login = client.post(
            "/ui/login", headers={"Origin": EVIL}, data={"key": desk.keys["demo-lead"]}
        )
        assert login.status_code == 403
    (after,) = [i for i in desk.items(transcript_id=item["transcript_id"]) if i["id"] == item["id"]]
    assert after["status"] == "open" and after["version"] == item["version"]


def test_roles_are_the_apis_and_refusals_are_chinese_pages(desk):
    item = _open_item(desk)
    with _client(desk, desk.agent) as agent:
        # the queue is not an agent's page: it sends them home, to their own figures
        name = desk.agent.removeprefix("demo-agent-")
        assert agent.get("/ui/queue").headers["location"] == "/ui/agents/" + quote(name, safe="")
        answer = agent.post(
            f"/ui/items/{item['id']}/decide", data={"action": "confirm", "version": item["version"]}
        )
        # Another agent's item is not even visible; an own item is forbidden to review.
        assert answer.status_code in (403, 404)
        assert "找不到该条目" in answer.text or "不能执行此操作" in answer.text
        own = desk.items(agent=desk.agent.removeprefix("demo-agent-"), status="open", kind="flag")[
            -1
        ]
        answer = agent.post(
            f"/ui/items/{own['id']}/decide", data={"action": "confirm", "version": own["version"]}
        )
        assert answer.status_code == 403 and "您的角色（客服）不能执行此操作" in answer.text
        other = desk.items(status="open", kind="flag")
        foreign = next(i for i in other if i["agent"] != own["agent"])
        assert agent.get(f"/ui/items/{foreign['id']}").status_code == 404
    with _client(desk, "demo-specialist-2") as specialist:
        answer = specialist.post(
            f"/ui/items/{item['id']}/decide-appeal",
            data={"decision": "upheld", "version": item["version"]},
        )
        assert answer.status_code == 403 and "只有质检组长可以裁决申诉" in answer.text
        answer = specialist.post(
            f"/ui/items/{item['id']}/appeal", data={"reason": "不服", "version": item["version"]}
        )
        assert answer.status_code == 403 and "只有被质检的客服本人" in answer.text
        for path in ("/ui/items/999999", "/ui/items/99999999999"):
            answer = specialist.get(path)
            assert answer.status_code == 404 and "找不到该条目" in answer.text
        answer = specialist.post(
            f"/ui/items/{item['id']}/decide", data={"action": "confirm", "version": "stale"}
        )
        assert answer.status_code == 409 and "您的操作未生效" in answer.text
        answer = specialist.post(
            f"/ui/items/{item['id']}/decide",
            data={"action": "confirm", "version": item["version"], "note": "长" * 4001},
        )
        assert answer.status_code == 422 and "不能超过 4000 字" in answer.text
        for answer in (
            specialist.get("/ui/queue?cursor=garbage&severity=bogus"),
            specialist.get("/ui/queue?date_from=2026-13-45&status=nonsense"),
            specialist.get("/ui/cases?category=nope&q=%25_%5C"),
        ):
            assert answer.status_code == 200
            assert "Traceback" not in answer.text


def test_transcript_markup_is_escaped_in_the_html(desk):
    chat = {
        "id": "ui-escape-2",
        "channel": "jd",
        "agent": "小北",
        "messages": [
            {"role": "customer", "text": "</textarea><script>alert(1)</script>在吗"},
            {"role": "agent", "text": '亲，加我微信，私下给您便宜"><svg onload=alert(2)>'},
        ],
    }
    with desk.api("demo-service") as api:
        assert api.post("/v1/transcripts", json=chat).status_code == 200
    (item,) = [
        i for i in desk.items(transcript_id="ui-escape-2") if i["category"] == "off_platform"
    ]
    with _client(desk, "demo-specialist") as client:
        page = client.get(f"/ui/items/{item['id']}").text
        assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;在吗" in page
        assert "<script>alert" not in page and "<svg" not in page
        assert "script-src 'self'" in client.get("/ui/queue").headers["content-security-policy"]
