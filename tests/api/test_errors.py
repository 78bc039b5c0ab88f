"""One error shape everywhere, the limits with their 413/422 answers, and no malformed
input ever producing a 500."""

from __future__ import annotations

import json

import pytest

from .support import (
    CHECKLIST,
    CLEAN,
    RED_LINE,
    Limits,
    app_with,
    chat,
    checklist_yaml,
    jsonl,
    prepared,
)

ERROR_KEYS = {"code", "message", "field", "line", "details"}


@pytest.fixture
def qc(api):
    return prepared(api)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message"} <= set(error) <= ERROR_KEYS, error
    assert isinstance(error["message"], str) and error["message"]
    assert error["code"] == (code or f"E{status}")
    return error  # type: ignore[no-any-return]


# The shape -----------------------------------------------------------------------------


def test_the_error_shape_for_every_status(qc):
    item = qc.flagged_item("ER-1")
    lead = qc.auth("lead")
    assert_error(qc.client.get("/v1/work-items"), 401)
    assert_error(qc.client.get("/v1/work-items", headers=qc.auth("service")), 403)
    assert_error(qc.client.get("/v1/nowhere", headers=lead), 404)
    assert_error(qc.client.get("/v1/work-items/424242", headers=lead), 404)
    assert_error(qc.client.delete("/v1/work-items", headers=lead), 405)
    qc.done(item["id"], "claim")
    assert_error(qc.act(item["id"], "claim", role="specialist2"), 409)
    error = assert_error(qc.client.get("/v1/work-items", params={"limit": 0}, headers=lead), 422)
    assert error["field"] == "limit"
    error = assert_error(qc.client.get("/v1/work-items/abc", headers=lead), 422)
    assert error["field"] == "item_id"
    error = assert_error(
        qc.client.get("/v1/work-items", params={"sort": "random"}, headers=lead), 422
    )
    assert error["field"] == "sort"
    assert_error(
        qc.client.post(
            "/v1/transcripts",
            content=b"x",
            headers=qc.auth("service") | {"content-type": "application/xml"},
        ),
        415,
        "E415",
    )
    error = assert_error(qc.store({"id": "ER-2"}), 422, "E101")
    assert error["field"] == "messages"


# Limits ------------------------------------------------------------------------------


@pytest.fixture
def small(database_url):
    with app_with(database_url, **Limits().__dict__) as qc:
        yield qc


def test_body_size_limit(small):
    big = chat("LI-1", CLEAN) | {"remark": "亲" * Limits.max_body_bytes}
    assert len(json.dumps(big).encode()) > Limits.max_body_bytes
    for post in (small.score, small.store):
        error = assert_error(post(big), 413, "E413")
        assert f"{Limits.max_body_bytes:,}" in error["message"]
    assert_error(small.batch(jsonl(big)), 413, "E413")
    # Every endpoint, also those whose JSON body FastAPI reads itself.
    item = small.flagged_item("LI-0")
    response = small.act(item["id"], "confirm", note="亲" * 3000)
    assert_error(response, 413, "E413")
    assert small.item(item["id"])["status"] == "open"


def test_body_size_limit_without_a_declared_length(small):
    def chunks():
        for _ in range(10):
            yield b" " * 1000

    response = small.client.post(
        "/v1/score",
        content=chunks(),
        headers=small.auth("service") | {"content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "E413")


def test_too_many_messages(small):
    transcript = chat("LI-2", *[CLEAN] * Limits.max_messages)  # one customer line more
    for post in (small.score, small.store):
        error = assert_error(post(transcript), 422, "E101")
        assert error["field"] == "messages"
        assert str(Limits.max_messages) in error["message"]
    assert small.score(chat("LI-3", *[CLEAN] * (Limits.max_messages - 1))).status_code == 200


def test_too_long_a_message(small):
    transcript = chat("LI-4", CLEAN, "亲" * (Limits.max_message_chars + 1))
    for post in (small.score, small.store):
        error = assert_error(post(transcript), 422, "E101")
        assert error["field"] == "messages[2].text"
    assert small.score(chat("LI-5", "亲" * Limits.max_message_chars)).status_code == 200


def test_too_many_batch_lines(small):
    lines = [chat(f"LI-{n}") for n in range(Limits.max_batch_lines + 1)]
    error = assert_error(small.batch(jsonl(*lines)), 413, "E413")
    assert str(Limits.max_batch_lines) in error["message"]
    assert small.items() == []
    ok = small.batch(jsonl(*lines[: Limits.max_batch_lines]) + b"\n\n\n")  # blanks are free
    assert ok.status_code == 200


def test_batch_lines_over_the_limits_are_rejected_one_by_one(small):
    out = small.batch(
        jsonl(chat("LB-1"), chat("LB-2", *[CLEAN] * 9), chat("LB-3", "亲" * 60))
    ).json()
    assert [a["id"] for a in out["accepted"]] == ["LB-1"]
    assert [(r["line"], r["error"]["field"]) for r in out["rejected"]] == [
        (2, "messages"),
        (3, "messages[1].text"),
    ]


def test_checklist_trial_limits(small):
    def trial(transcripts):
        return small.client.post(
            "/v1/checklists/test",
            headers=small.auth("lead"),
            json={"checklist": checklist_yaml(1), "transcripts": transcripts},
        )

    assert_error(trial([chat(f"LC-{n}", "亲" * 40) for n in range(40)]), 413, "E413")
    out = trial([chat("LC-1", *[CLEAN] * 9), chat("LC-2")]).json()
    assert out["scored"] == 1
    assert out["rejected"][0]["error"]["field"] == "transcripts[0].messages"


def test_limits_come_from_the_environment(monkeypatch):
    from qc_engine.settings import Settings

    monkeypatch.setenv("QC_MAX_BODY_BYTES", "1234")
    monkeypatch.setenv("QC_MAX_MESSAGES", "7")
    monkeypatch.setenv("QC_MAX_MESSAGE_CHARS", "99")
    monkeypatch.setenv("QC_MAX_BATCH_LINES", "5")
    monkeypatch.setenv("QC_CLAIM_MINUTES", "12")
    monkeypatch.setenv("QC_SAMPLE_RATE", "0.5")
    settings = Settings()
    assert (
        settings.max_body_bytes,
        settings.max_messages,
        settings.max_message_chars,
        settings.max_batch_lines,
        settings.claim_minutes,
        settings.sample_rate,
    ) == (1234, 7, 99, 5, 12, 0.5)


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("QC_SAMPLE_RATE", "abc", "expected a number from 0 to 1, not 'abc'"),
        ("QC_SAMPLE_RATE", "1.5", "expected a number from 0 to 1, not '1.5'"),
        ("QC_CLAIM_MINUTES", "1.5", "expected a whole number of at least 1, not '1.5'"),
        ("QC_MAX_MESSAGES", "0", "expected a whole number of at least 1, not '0'"),
        ("QC_REPORT_WEEKDAY", "8", "expected a whole number from 1 to 7, not '8'"),
        ("QC_WEBHOOK_TIMEOUT", "nan", "expected a number of at least 0.1, not 'nan'"),
        ("QC_BACKGROUND_INTERVAL", "inf", "expected a number of at least 0.1, not 'inf'"),
    ],
)
def test_a_bad_setting_is_an_error_naming_the_variable(monkeypatch, name, value, expected):
    from qc_engine.errors import QCError
    from qc_engine.settings import Settings

    monkeypatch.setenv(name, value)
    with pytest.raises(QCError) as caught:
        Settings()
    assert (caught.value.code, caught.value.field, caught.value.message) == ("E630", name, expected)


def test_an_empty_setting_takes_the_default(monkeypatch):
    from qc_engine.settings import Settings

    monkeypatch.setenv("QC_SAMPLE_RATE", " ")
    assert Settings().sample_rate == 0.02


# No malformed input gives a 500 ------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = (
    b'{"id": "x", "messages": [{"role": "agent", "text": "x", "n": '
    + b'{"a": ' * 5000
    + b"1"
    + b"}" * 5000
    + b"}]}"
)
HUGE_INT = b"9" * 5000
NASTY: list[tuple[str, bytes, str]] = [
    ("empty", b"", "application/json"),
    ("whitespace", b"  \n ", "application/json"),
    ("null", b"null", "application/json"),
    ("array", b"[]", "application/json"),
    ("string", b'"hello"', "application/json"),
    ("number", b"42", "application/json"),
    ("true", b"true", "application/json"),
    ("object", b"{}", "application/json"),
    ("truncated", b'{"id": "x", "messages": [', "application/json"),
    ("deep array", DEEP, "application/json"),
    ("deep object", DEEP_OBJECT, "application/json"),
    ("invalid utf-8", b'{"id": "\xff\xfe", "messages": []}', "application/json"),
    ("latin-1", '{"id": "caf\xe9"}'.encode("latin-1"), "application/json"),
    ("utf-16", json.dumps(chat("U16")).encode("utf-16"), "application/json"),
    (
        "lone surrogate",
        b'{"id": "s", "messages": [{"role": "agent", "text": "\\ud800"}]}',
        "application/json",
    ),
    (
        "nul byte",
        b'{"id": "n\\u0000", "messages": [{"role": "agent", "text": "a\\u0000b"}]}',
        "application/json",
    ),
    ("huge int", b'{"id": ' + HUGE_INT + b', "messages": []}', "application/json"),
    (
        "huge int id",
        (b'{"id": 123456789012345678901234567890, "messages": [{"role": "agent", "text": "x"}]}'),
        "application/json",
    ),
    (
        "huge float",
        b'{"id": 1e999, "messages": [{"role": "agent", "text": "x"}]}',
        "application/json",
    ),
    (
        "NaN",
        (b'{"id": "nan", "messages": [{"role": "agent", "text": "x", "w": NaN}], "v": Infinity}'),
        "application/json",
    ),
    (
        "id of wrong type",
        b'{"id": {"a": 1}, "messages": [{"role": "agent", "text": "x"}]}',
        "application/json",
    ),
    ("bool id", b'{"id": true, "messages": [{"role": "agent", "text": "x"}]}', "application/json"),
    ("messages object", b'{"id": "x", "messages": {"role": "agent"}}', "application/json"),
    ("message string", b'{"id": "x", "messages": ["hi"]}', "application/json"),
    ("text number", b'{"id": "x", "messages": [{"role": "agent", "text": 5}]}', "application/json"),
    ("role null", b'{"id": "x", "messages": [{"role": null, "text": "x"}]}', "application/json"),
    (
        "role list",
        b'{"id": "x", "messages": [{"role": ["agent"], "text": "x"}]}',
        "application/json",
    ),
    (
        "ts number",
        b'{"id": "x", "messages": [{"role": "agent", "text": "x", "ts": 1e300}]}',
        "application/json",
    ),
    (
        "ts garbage",
        (b'{"id": "x", "messages": [{"role": "agent", "text": "x", "ts": "2026-13-45T99:99"}]}'),
        "application/json",
    ),
    (
        "ts year 0",
        (b'{"id": "x", "messages": [{"role": "agent", "text": "x", "ts": "0000-01-01T00:00:00"}]}'),
        "application/json",
    ),
    (
        "ts year 1",
        (
            b'{"id": "x", "messages": [{"role": "agent", "text": "x", '
            b'"ts": "0001-01-01T00:00:00+14:00"}]}'
        ),
        "application/json",
    ),
    (
        "ts year 9999",
        (
            b'{"id": "x", "messages": [{"role": "agent", "text": "x", '
            b'"ts": "9999-12-31T23:59:59-12:00"}]}'
        ),
        "application/json",
    ),
    (
        "sender object",
        (b'{"id": "x", "messages": [{"role": "agent", "text": "x", "sender": {"a": [1]}}]}'),
        "application/json",
    ),
    (
        "channel list",
        (b'{"id": "x", "channel": ["tb"], "messages": [{"role": "agent", "text": "x"}]}'),
        "application/json",
    ),
    (
        "order status number",
        (b'{"id": "x", "order_status": 3, "messages": [{"role": "agent", "text": "x"}]}'),
        "application/json",
    ),
    (
        "long id",
        json.dumps({"id": "x" * 5000, "messages": [{"role": "agent", "text": "x"}]}).encode(),
        "application/json",
    ),
    (
        "long fields",
        json.dumps(
            {
                "id": "lf",
                "channel": "c" * 500,
                "shop": "s" * 5000,
                "agent": "a" * 5000,
                "messages": [{"role": "agent", "text": "x", "sender": "s" * 5000}],
            }
        ).encode(),
        "application/json",
    ),
    (
        "duplicate keys",
        b'{"id": "a", "id": "b", "messages": [{"role": "agent", "text": "x"}]}',
        "application/json",
    ),
    ("text/plain one line", json.dumps(chat("TP")).encode(), "text/plain"),
    ("form", b"id=x&messages=y", "application/x-www-form-urlencoded"),
    (
        "multipart",
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    ("no content type", json.dumps(chat("NCT")).encode(), ""),
    ("bad content type", json.dumps(chat("BCT")).encode(), "application/json; charset=ebcdic"),
    ("ndjson garbage", b"\x00\x01\x02\n{{{\n", "application/x-ndjson"),
    ("ndjson invalid utf-8", b'{"id": "\xff"}\n', "application/x-ndjson"),
    ("ndjson deep", DEEP + b"\n" + json.dumps(chat("ND")).encode(), "application/x-ndjson"),
    ("ndjson huge int", b'{"id": ' + HUGE_INT + b"}\n", "application/x-ndjson"),
    (
        "ndjson NaN",
        b'{"id": "nn", "x": NaN, "messages": [{"role": "agent", "text": "x"}]}\n',
        "application/x-ndjson",
    ),
    (
        "ndjson lone surrogate",
        b'{"id": "ls", "messages": [{"role": "agent", "text": "\\udfff"}]}\n',
        "application/x-ndjson",
    ),
    (
        "ndjson nul byte",
        b'{"id": "nb", "messages": [{"role": "agent", "text": "\\u0000"}]}\n',
        "application/x-ndjson",
    ),
    (
        "ndjson long id",
        json.dumps({"id": "y" * 5000, "messages": [{"role": "agent", "text": "x"}]}).encode(),
        "application/x-ndjson",
    ),
    ("ndjson only blank lines", b"\n\n\r\n", "application/x-ndjson"),
]


def _action_endpoints(item: int) -> list[tuple[str, str]]:
    return [
        ("POST", f"/v1/work-items/{item}/confirm"),
        ("POST", f"/v1/work-items/{item}/appeal"),
        ("POST", f"/v1/work-items/{item}/decide-appeal"),
        ("POST", f"/v1/work-items/{item}/review-sample"),
        ("POST", f"/v1/work-items/{item}/teaching-case"),
        ("POST", "/v1/checklists/test"),
        ("PUT", f"/v1/checklists/{CHECKLIST}"),
    ]


@pytest.mark.parametrize("endpoint", ["/v1/score", "/v1/transcripts", "actions"])
def test_no_malformed_body_gives_a_500(qc, endpoint):
    """Every body of the table to one endpoint (one app per endpoint keeps this fast):
    each answer is a JSON error of the one shape with a 4xx status, or a 200."""
    item = qc.flagged_item("NA-1")
    targets = [("POST", endpoint)] if endpoint != "actions" else _action_endpoints(item["id"])
    role = {"/v1/score": "service", "/v1/transcripts": "service"}.get(endpoint, "admin")
    failures = []
    for method, path in targets:
        for name, body, content_type in NASTY:
            headers = qc.auth("agent" if path.endswith("/appeal") else role)
            if content_type:
                headers["content-type"] = content_type
            response = qc.client.request(method, path, content=body, headers=headers)
            if response.status_code == 200:
                continue
            try:
                assert 400 <= response.status_code < 500
                assert_error(response, response.status_code, response.json()["error"]["code"])
            except (AssertionError, ValueError, KeyError):
                failures.append(
                    f"{method} {path} [{name}]: {response.status_code} {response.text[:200]}"
                )
    assert not failures, "\n".join(failures)
    # The store is still whole and answering.
    assert qc.item(item["id"])["status"] == "open"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/work-items/99999999999999999999999999", {}),
        ("/v1/work-items/-1", {}),
        ("/v1/work-items/0", {}),
        ("/v1/work-items", {"limit": "99999999999999999999"}),
        ("/v1/work-items", {"limit": "-5"}),
        ("/v1/work-items", {"created_from": "not a time"}),
        ("/v1/work-items", {"created_from": "99999-01-01T00:00:00+08:00"}),
        ("/v1/work-items", {"created_from": "0001-01-01T00:00:00+14:00"}),
        ("/v1/work-items", {"created_to": "9999-12-31T23:59:59-12:00"}),
        ("/v1/work-items", {"teaching_case": "maybe"}),
        ("/v1/work-items", {"status": "x" * 10000}),
        ("/v1/work-items", {"agent": "\x00"}),
        ("/v1/work-items?shop=%ED%A0%80&agent=%FF", {}),
        ("/v1/work-items", {"cursor": "\x00" * 10}),
        ("/v1/work-items/counts", {"by": "password"}),
        ("/v1/transcripts/" + "x" * 5000, {}),
        ("/v1/transcripts/%00", {}),
        ("/v1/checklists/default", {"version": "99999999999999999999999"}),
        ("/v1/checklists/default", {"version": "-1"}),
        ("/v1/checklists/%00", {}),
    ],
)
def test_no_malformed_query_gives_a_500(qc, path, params):
    response = qc.client.get(path, params=params, headers=qc.auth("lead"))
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert_error(response, response.status_code, response.json()["error"]["code"])


def test_a_query_parameter_given_twice_is_refused_naming_it(qc):
    response = qc.client.get(
        "/v1/work-items?status=open&agent=a&status=closed", headers=qc.auth("lead")
    )
    error = assert_error(response, 422, "E422")
    assert error["field"] == "status" and "more than once" in error["message"]
    response = qc.client.get("/v1/work-items?status=open&agent=a", headers=qc.auth("lead"))
    assert response.status_code == 200


def test_no_malformed_action_body_gives_a_500(qc):
    item = qc.flagged_item("NA-2")
    url = f"/v1/work-items/{item['id']}"
    bodies = [
        ("claim", {"version": 10**30}),
        ("claim", {"version": -1}),
        ("claim", {"version": 1.5}),
        ("claim", {"version": None}),
        ("claim", [1]),
        ("claim", "1"),
        ("confirm", {"version": 1, "note": {"a": 1}}),
        ("confirm", {"version": 1, "note": "\u0000"}),
        ("confirm", b'{"version": 1, "note": "\\ud800"}'),
        ("appeal", {"version": 1, "reason": "x\u0000"}),
        ("decide-appeal", {"version": 1, "decision": None}),
        ("teaching-case", {"version": 1, "value": "yes please"}),
        ("review-sample", {"version": 1, "findings": "all"}),
    ]
    sample = _sample_item(qc, "NA-3")
    bodies += [
        (f"/{sample}/review-sample", body)
        for body in (
            {"version": 1, "findings": [{"category": "rude", "message_index": 10**30}]},
            {"version": 1, "findings": [{"category": "rude", "message_index": -1}]},
            {"version": 1, "findings": [{"category": "rude" * 1000}]},
            {"version": 1, "findings": [{"category": "rude", "note": "\u0000"}]},
            {"version": 1, "findings": [{"category": None}]},
        )
    ]
    for action, body in bodies:
        path = f"/v1/work-items{action}" if action.startswith("/") else f"{url}/{action}"
        role = "agent" if action == "appeal" else "lead"
        sent = (
            {"content": body, "headers": qc.auth(role) | {"content-type": "application/json"}}
            if isinstance(body, bytes)
            else {"json": body, "headers": qc.auth(role)}
        )
        response = qc.client.post(path, **sent)
        assert 400 <= response.status_code < 500, (action, body, response.text)
        assert_error(response, response.status_code, response.json()["error"]["code"])
    assert qc.item(item["id"])["version"] == 1
    assert qc.item(sample)["version"] == 1


def test_a_boolean_version_counts_as_a_number(qc):
    """JSON true is read as 1 (pydantic's lax mode): not an error, and not a 500."""
    item = qc.flagged_item("NA-4")
    assert qc.act(item["id"], "claim", version=True).status_code == 200


def _sample_item(qc, ident: str) -> int:
    from datetime import UTC, datetime

    from qc_engine.db.models import WorkItem

    qc.stored(chat(ident))
    with qc.db() as session:
        now = datetime.now(UTC)
        row = WorkItem(
            transcript_id=ident,
            kind="sample",
            status="open",
            priority=0.0,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def test_a_storable_chat_after_all_that(qc):
    assert qc.stored(chat("OK-1", RED_LINE))["status"] == "created"
    assert qc.transcript("OK-1")["passed"] is False
    assert qc.client.get("/v1/checklists", headers=qc.auth("lead")).status_code == 200


def _read_only(qc, on: bool) -> None:
    """Make the test database refuse writes (SQLite: query_only; PostgreSQL: every
    transaction read-only), as a read-only disk or a standby would, or accept them again."""
    from sqlalchemy import event

    engine = qc.state.sessions.kw["bind"]

    def refuse_writes(connection, _record):
        cursor = connection.cursor()
        cursor.execute(
            "PRAGMA query_only = ON"
            if engine.dialect.name == "sqlite"
            else "SET default_transaction_read_only = on"
        )
        cursor.close()
        connection.commit()  # PostgreSQL's SET is transactional

    if on:
        event.listen(engine, "connect", refuse_writes)
        qc._read_only = refuse_writes
    else:
        event.remove(engine, "connect", qc._read_only)
    engine.dispose()  # pooled connections reconnect with (or without) it


def test_a_database_that_refuses_writes_answers_503_and_readyz_says_so(qc):
    """A storage fault is a 503 with Retry-After, not a 500; /readyz proves the database
    takes writes and /healthz stays the liveness check. Nothing half-stored: afterwards
    the same request goes through."""
    assert qc.client.get("/readyz").json()["status"] == "ready"
    _read_only(qc, True)
    try:
        response = qc.client.post(
            "/v1/transcripts", json=chat("RO-1", RED_LINE), headers=qc.auth("service")
        )
        error = assert_error(response, 503, "E503")
        assert response.headers["retry-after"] == "5" and "database" in error["message"]
        ready = qc.client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        assert qc.client.get("/healthz").status_code == 200
        # Reading still works.
        assert qc.client.get("/v1/checklists", headers=qc.auth("lead")).status_code == 200
    finally:
        _read_only(qc, False)
    assert qc.client.get("/readyz").status_code == 200
    response = qc.client.post(
        "/v1/transcripts", json=chat("RO-1", RED_LINE), headers=qc.auth("service")
    )
    assert response.status_code == 200 and response.json()["status"] == "created"


def test_an_unexpected_error_is_answered_without_reaching_the_server(qc, monkeypatch):
    """A bug's 500 is answered by the app itself: Starlette's outermost handler re-raised
    it to the server, which then dropped the client's keep-alive connection."""
    from fastapi.testclient import TestClient

    from qc_engine.api.routes import score as score_route

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(score_route, "parse_one", broken)
    with TestClient(qc.api.app, raise_server_exceptions=True) as client:  # raises if it
        response = client.post(
            "/v1/score",
            json=chat("X-1"),  # reaches the server
            headers=qc.auth("service"),
        )
    assert_error(response, 500, "E500")


def test_only_storage_faults_are_503():
    """SQLite raises the same class for a locked database and for a missing table: only the
    first is a fault of the day (503); the second is a bug (500)."""
    import sqlite3

    from qc_engine.service.storage import storage_fault

    assert storage_fault(sqlite3.OperationalError("database is locked")) is not None
    assert storage_fault(sqlite3.OperationalError("attempt to write a readonly database"))
    assert storage_fault(sqlite3.OperationalError("no such table: transcripts")) is None
    assert storage_fault(RuntimeError("a bug")) is None
