"""API keys and roles: every endpoint without a key is 401, with the wrong role 403; agents
see and appeal only their own items; keys are stored only as hashes; `qc keys create`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from qc_engine.cli import main as qc_main
from qc_engine.db.models import ApiKey, AuditEntry, User, WorkItem
from qc_engine.service.auth import FailedAuthLimiter, create_key

from .support import CHECKLIST, chat, checklist_yaml, prepared

ROLES = ("admin", "lead", "specialist", "agent", "service")
READERS = {"admin", "lead", "specialist", "agent"}
REVIEWERS = {"admin", "lead", "specialist"}
LEADS = {"admin", "lead"}


def _endpoints(item: int, sample: int) -> list[tuple[str, str, dict, set[str]]]:
    """(method, path, request keywords, roles allowed) for every endpoint."""
    version = {"json": {"version": 1}}
    return [
        ("POST", "/v1/score", {"json": chat("AU-x")}, {"admin", "lead", "specialist", "service"}),
        ("POST", "/v1/transcripts", {"json": chat("AU-y")}, {"admin", "lead", "service"}),
        ("GET", "/v1/transcripts/AU-1", {}, READERS),
        ("GET", "/v1/work-items", {}, READERS),
        ("GET", "/v1/work-items/counts", {}, READERS),
        ("POST", "/v1/work-items/claim-next", {}, REVIEWERS),
        ("GET", f"/v1/work-items/{item}", {}, READERS),
        ("POST", f"/v1/work-items/{item}/claim", version, REVIEWERS),
        ("POST", f"/v1/work-items/{item}/release", version, REVIEWERS),
        ("POST", f"/v1/work-items/{item}/confirm", version, REVIEWERS),
        ("POST", f"/v1/work-items/{item}/dismiss", version, REVIEWERS),
        ("POST", f"/v1/work-items/{sample}/review-sample", version, REVIEWERS),
        (
            "POST",
            f"/v1/work-items/{item}/appeal",
            {"json": {"version": 1, "reason": "x"}},
            {"agent"},
        ),
        (
            "POST",
            f"/v1/work-items/{item}/decide-appeal",
            {"json": {"version": 1, "decision": "upheld"}},
            LEADS,
        ),
        ("POST", f"/v1/work-items/{item}/teaching-case", version, REVIEWERS),
        ("GET", "/v1/checklists", {}, READERS),
        ("GET", f"/v1/checklists/{CHECKLIST}", {}, READERS),
        ("PUT", f"/v1/checklists/{CHECKLIST}", {"content": checklist_yaml(9).encode()}, LEADS),
        ("POST", f"/v1/checklists/{CHECKLIST}/activate", {"json": {"version": 1}}, LEADS),
        (
            "POST",
            "/v1/checklists/test",
            {"json": {"checklist": checklist_yaml(1), "transcripts": [chat("AU-z")]}},
            LEADS,
        ),
        ("GET", "/v1/stats/miss-rate", {}, REVIEWERS),
    ]


@pytest.fixture
def qc(api):
    return prepared(api)


def _setup_items(qc) -> tuple[int, int]:
    item = qc.flagged_item("AU-1", agent="小美")
    with qc.db() as session:  # a sample item, written directly: sampling is off here
        sample = WorkItem(
            transcript_id="AU-1",
            kind="sample",
            status="open",
            priority=0.0,
            agent="小美",
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
        session.add(sample)
        session.flush()
        sample_id = sample.id
    return item["id"], sample_id


def test_every_endpoint_needs_a_key(qc):
    item, sample = _setup_items(qc)
    for method, path, kwargs, _ in _endpoints(item, sample):
        # More failed guesses than one client may make in a minute: each endpoint starts
        # from a fresh limiter (the limit has tests of its own below).
        qc.state.auth_failures = FailedAuthLimiter()
        for headers in (
            {},
            {"Authorization": "Bearer qck_not-a-key"},
            {"Authorization": f"Basic {qc.api.keys['admin']}"},
            {"Authorization": "Bearer "},
        ):
            response = qc.client.request(method, path, headers=headers, **kwargs)
            assert response.status_code == 401, (method, path, headers)
            assert response.json()["error"]["code"] == "E401"
            assert response.headers["www-authenticate"] == "Bearer"


def test_every_endpoint_refuses_the_wrong_roles(qc):
    item, sample = _setup_items(qc)
    for method, path, kwargs, allowed in _endpoints(item, sample):
        for role in ROLES:
            response = qc.client.request(method, path, headers=qc.auth(role), **kwargs)
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                error = response.json()["error"]
                assert error["code"] == "E403" and role in error["message"]


def test_health_needs_no_key(qc):
    response = qc.client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and f"{CHECKLIST}@1" in body["checklists"]


def _signed_in(qc, role: str = "lead"):
    """A browser signed in at the desk: a TestClient holding the desk's session cookie."""
    from fastapi.testclient import TestClient

    browser = TestClient(qc.api.app)
    answer = browser.post(
        "/ui/login",
        data={"key": qc.api.keys[role]},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return browser


def test_the_desk_cookie_holds_a_session_not_the_key(qc):
    """Signing in makes a server-side session (12 hours); the cookie holds its token, never
    the API key; signing out ends it at once, and so do its expiry and revoking the key.
    A raw key in a cookie no longer authenticates."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from qc_engine.db.models import BrowserSession

    browser = _signed_in(qc)
    token = browser.cookies["qc_session"]
    assert token.startswith("qcs_") and qc.api.keys["lead"] not in token
    assert browser.get("/v1/work-items").status_code == 200
    assert (
        browser.post(
            "/ui/logout", headers={"origin": "http://testserver"}, follow_redirects=False
        ).status_code
        == 303
    )
    stale = {"qc_session": token}
    assert qc.client.get("/v1/work-items", cookies=stale).status_code == 401

    browser = _signed_in(qc)
    with qc.db() as session:
        session.execute(
            update(BrowserSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert browser.get("/v1/work-items").status_code == 401  # expired

    browser = _signed_in(qc, "specialist")
    assert browser.get("/v1/work-items").status_code == 200
    from qc_engine.service.auth import revoke_keys

    with qc.db() as session:
        revoke_keys(session, name="test-specialist", actor="test")
    assert browser.get("/v1/work-items").status_code == 401  # its key was revoked

    assert (
        qc.client.get("/v1/work-items", cookies={"qc_key": qc.api.keys["lead"]}).status_code == 401
    )


def test_keys_are_stored_only_as_hashes(qc):
    key = qc.api.keys["admin"]
    with qc.db() as session:
        rows = list(session.execute(select(ApiKey.key_hash, ApiKey.prefix)))
    assert hashlib.sha256(key.encode()).hexdigest() in {r.key_hash for r in rows}
    assert all(key not in (r.key_hash, r.prefix) for r in rows)
    assert key.startswith("qck_") and len(key) > 40


def test_revoked_keys_and_disabled_users_are_refused(qc):
    with qc.db() as session:
        _, revoked = create_key(session, name="test-revoked", role="lead")
        _, disabled = create_key(session, name="test-disabled", role="lead")
    with qc.db() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.key_hash == hashlib.sha256(revoked.encode()).hexdigest())
            .values(revoked_at=datetime.now(UTC))
        )
        session.execute(update(User).where(User.name == "test-disabled").values(disabled=True))
    for key in (revoked, disabled):
        response = qc.client.get("/v1/work-items", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401
        assert "not valid or was revoked" in response.json()["error"]["message"]


def test_agents_see_only_their_own_items(qc):
    mine = qc.flagged_item("AG-1", agent="小美")
    theirs = qc.flagged_item("AG-2", agent="阿杰")
    qc.flagged_item("AG-3", agent="小美", shop="暖居家纺旗舰店")
    assert {i["transcript_id"] for i in qc.items(role="agent")} == {"AG-1", "AG-3"}
    assert {i["transcript_id"] for i in qc.items(role="other_agent")} == {"AG-2"}
    # Asking for someone else's items by filter does not widen the view.
    assert qc.items(role="agent", agent="阿杰") == []
    assert qc.item(mine["id"], role="agent")["id"] == mine["id"]
    response = qc.client.get(f"/v1/work-items/{theirs['id']}", headers=qc.auth("agent"))
    assert response.status_code == 404
    counts = qc.client.get(
        "/v1/work-items/counts", params={"by": "agent"}, headers=qc.auth("other_agent")
    ).json()["counts"]
    assert counts == {"阿杰": 1}


def test_agents_appeal_only_their_own_items(qc):
    mine = qc.confirmed_item("AG-4", agent="小美")
    theirs = qc.confirmed_item("AG-5", agent="阿杰")
    refused = qc.act(theirs["id"], "appeal", role="agent", reason="不是我")
    assert refused.status_code == 404
    assert qc.item(theirs["id"])["status"] == "confirmed"
    assert qc.done(mine["id"], "appeal", role="agent", reason="买家先发的")["status"] == "appealed"
    # The agent cannot decide its own appeal, nor review anything.
    assert (
        qc.act(mine["id"], "decide-appeal", role="agent", decision="overturned").status_code == 403
    )
    assert qc.act(theirs["id"], "confirm", role="agent").status_code == 403
    # Nobody but the agent concerned appeals.
    for role in ("admin", "lead", "specialist"):
        assert qc.act(theirs["id"], "appeal", role=role, reason="x").status_code == 403


def test_keys_create_command(qc, database_url, monkeypatch, capsys):
    monkeypatch.setenv("QC_DATABASE_URL", database_url)
    assert qc_main(["keys", "create", "--role", "lead", "--name", "王组长"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("qck_") and "shown only this once" in err
    response = qc.client.get("/v1/work-items", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200

    assert (
        qc_main(
            ["keys", "create", "--role", "agent", "--name", "小美-key2", "--agent-name", "小美"]
        )
        == 0
    )
    agent_key = capsys.readouterr().out.strip()
    qc.flagged_item("KC-1", agent="小美")
    listed = qc.client.get("/v1/work-items", headers={"Authorization": f"Bearer {agent_key}"})
    assert [i["transcript_id"] for i in listed.json()["items"]] == ["KC-1"]

    # The same name with another role is refused; an unknown role never reaches the store.
    assert qc_main(["keys", "create", "--role", "admin", "--name", "王组长"]) == 2
    assert "exists with role 'lead'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        qc_main(["keys", "create", "--role", "boss", "--name", "x"])
    with qc.db() as session:
        assert session.scalar(select(User.role).where(User.name == "王组长")) == "lead"


def test_keys_list_and_revoke_commands(qc, database_url, monkeypatch, capsys):
    monkeypatch.setenv("QC_DATABASE_URL", database_url)
    keys = []
    for name in ("李质检", "李质检", "赵质检"):
        assert qc_main(["keys", "create", "--role", "specialist", "--name", name]) == 0
        keys.append(capsys.readouterr().out.strip())
    assert qc_main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    for key in keys:
        assert key[:10] in listing and key not in listing  # never the key itself

    def status(key: str) -> int:
        return qc.client.get(
            "/v1/work-items", headers={"Authorization": f"Bearer {key}"}
        ).status_code

    # One key by its prefix (as listed): it stops working; the others go on.
    assert qc_main(["keys", "revoke", keys[0][:10]]) == 0
    assert "revoked 1 key" in capsys.readouterr().err
    assert status(keys[0]) == 401 and status(keys[2]) == 200
    assert qc_main(["keys", "list"]) == 0
    (line,) = [row for row in capsys.readouterr().out.splitlines() if row.startswith(keys[0][:10])]
    assert not line.endswith("-")  # the revocation time is shown
    # Every live key of a user.
    assert qc_main(["keys", "revoke", "--name", "李质检"]) == 0
    assert status(keys[1]) == 401
    # The whole key works as well as its prefix. The server checked this key a moment ago
    # and trusts that for 10 seconds (KeyCache); after that it refuses it.
    assert qc_main(["keys", "revoke", keys[2]]) == 0
    assert status(keys[2]) == 200
    qc.client.app.state.qc.keys.ttl = 0.0
    assert status(keys[2]) == 401
    # A typo is an error, never a silent success; so is a prefix too short to be one key.
    assert qc_main(["keys", "revoke", "qck_nothing"]) == 2
    assert "no live key starts with 'qck_nothing'" in capsys.readouterr().err
    assert qc_main(["keys", "revoke", "--name", "李质检"]) == 2
    assert "has no live key" in capsys.readouterr().err
    assert qc_main(["keys", "revoke", "qck_"]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    with qc.db() as session:
        revoked = session.scalars(select(AuditEntry).where(AuditEntry.action == "revoke")).all()
        assert len(revoked) == 3 and {a.actor for a in revoked} == {"cli"}


def test_failed_authentication_is_limited_per_client(qc):
    """After QC_AUTH_FAILURES_PER_MINUTE failures (20) a client gets 429 with Retry-After,
    even with a good key; another client's good key still works. (300 wrong keys in 4.2 s
    all got 401 before.)"""
    from fastapi.testclient import TestClient

    wrong = {"Authorization": "Bearer qck_wrong"}
    answers = [qc.client.get("/v1/checklists", headers=wrong).status_code for _ in range(25)]
    assert answers[:20] == [401] * 20 and answers[20:] == [429] * 5
    limited = qc.client.get("/v1/checklists", headers=qc.auth("lead"))
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["error"]["code"] == "E429"
    elsewhere = TestClient(qc.api.app, client=("203.0.113.9", 50000))
    assert elsewhere.get("/v1/checklists", headers=qc.auth("lead")).status_code == 200
    # The desk's sign-in counts and answers the same way (in Chinese).
    page = qc.client.post(
        "/ui/login", data={"key": "qck_wrong"}, headers={"origin": "http://testserver"}
    )
    assert page.status_code == 429 and "登录失败次数过多" in page.text


def test_the_limiter_forgets_old_failures():
    from qc_engine.service.auth import FailedAuthLimiter

    limiter = FailedAuthLimiter(limit=3, window=60)
    for moment in (0, 1, 2):
        limiter.failed("a", now=moment)
    assert limiter.retry_after("a", now=10) == 50 and limiter.retry_after("b", now=10) is None
    assert limiter.retry_after("a", now=60) is None  # the first failure is a minute old
    small = FailedAuthLimiter(limit=1, window=60, clients=2)
    for client in ("a", "b", "c"):
        small.failed(client, now=0)
    assert small.retry_after("a", now=1) is None  # forgotten: at most 2 clients kept


def test_a_cookie_write_must_come_from_a_desk_page(qc):
    """The desk's cookie authenticates the REST API; a write with it needs this host's
    Origin (a same-site page on another port could post transcripts or claim work with
    it). Reads with the cookie and writes with a bearer key are unaffected."""
    browser = _signed_in(qc)
    body = chat("CK-1")
    foreign = browser.post(
        "/v1/transcripts", json=body, headers={"origin": "http://testserver:8081"}
    )
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "E403"
    assert browser.post("/v1/transcripts", json=body).status_code == 403  # no Origin at all
    assert browser.get("/v1/checklists").status_code == 200
    own = browser.post("/v1/transcripts", json=body, headers={"origin": "http://testserver"})
    assert own.status_code == 200, own.text
    keyed = qc.client.post(
        "/v1/transcripts",
        json=chat("CK-2"),
        headers=qc.auth("lead") | {"origin": "http://evil.example"},
    )
    assert keyed.status_code == 200
