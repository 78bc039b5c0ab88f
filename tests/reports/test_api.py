"""The report routes over HTTP, on SQLite and PostgreSQL: JSON, HTML and Excel forms, stored
and live reports, regeneration, listing, signed links, roles, and the scheduler started
with the service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from qc_engine.reports.schedule import Schedule
from qc_engine.service.links import LinkSigner
from qc_engine.weeks import last_week

from ..conftest import CHECKLISTS
from .seed import SHOPS

SECRET = "link-secret"


def _app(database_url: str, **overrides: Any) -> Iterator[tuple[Any, dict[str, dict[str, str]]]]:
    from fastapi.testclient import TestClient

    from qc_engine.api.main import build_state, create_app
    from qc_engine.service.auth import create_key
    from qc_engine.settings import Settings

    settings = Settings(
        database_url=database_url,
        checklist_dir=CHECKLISTS,
        sample_rate=0.0,
        public_url="http://qc.example",
        background_interval=0.1,
        **({"report_schedule": False} | overrides),
    )
    state = build_state(settings)
    headers = {}
    with state.sessions.begin() as session:
        for role in ("admin", "lead", "specialist", "service"):
            key = create_key(session, name=f"test-{role}", role=role)[1]
            headers[role] = {"Authorization": f"Bearer {key}"}
        key = create_key(session, name="test-agent", role="agent", agent_name="小美")[1]
        headers["agent"] = {"Authorization": f"Bearer {key}"}
    app = create_app(settings, state=state)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, headers
    state.sessions.kw["bind"].dispose()


@pytest.fixture
def api(seeded, database_url):
    yield from _app(database_url, report_link_secret=SECRET)


def test_weekly_json_live_then_stored(api):
    client, h = api
    live = client.get("/v1/reports/weekly", params={"week": "2026-W47"}, headers=h["lead"])
    assert live.status_code == 200, live.text
    body = live.json()
    assert body["stored"] is None and body["coverage"]["chats"] == 135
    link = urlparse(body["links"]["html"])
    assert (link.netloc, link.path) == ("qc.example", "/v1/reports/weekly.html")
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert query["week"] == "2026-W47" and int(query["exp"]) > time.time() + 29 * 86400
    assert query["sig"] == LinkSigner(SECRET).sign("2026-W47", None, int(query["exp"]))
    assert client.get("/v1/reports", headers=h["lead"]).json()["reports"] == []  # not stored
    made = client.post("/v1/reports/weekly", params={"week": "2026-W47"}, headers=h["lead"])
    assert made.status_code == 200 and made.json()["stored"]["generated_by"] == "test-lead"
    again = client.get("/v1/reports/weekly", params={"week": "2026-W47"}, headers=h["specialist"])
    assert again.json()["stored"]["generated_by"] == "test-lead"
    assert again.json()["coverage"] == body["coverage"]
    fresh = client.get(
        "/v1/reports/weekly", params={"week": "2026-W47", "fresh": "true"}, headers=h["lead"]
    )
    assert fresh.json()["stored"] is None
    client.post("/v1/reports/weekly", params={"week": "2026-W47"}, headers=h["admin"])
    listed = client.get("/v1/reports", headers=h["lead"]).json()["reports"]
    assert [(r["week"], r["shop"], r["generated_by"]) for r in listed] == [
        ("2026-W47", None, "test-admin")
    ]  # regenerated: replaced, not added
    assert listed[0]["summary"]["chats"] == 135 and listed[0]["links"]["xlsx"].startswith(
        "http://qc.example/v1/reports/weekly.xlsx?week=2026-W47"
    )


def test_one_shop_over_http(api):
    client, h = api
    body = client.get(
        "/v1/reports/weekly", params={"week": "2026-W47", "shop": SHOPS[1]}, headers=h["lead"]
    ).json()
    assert body["shop"] == SHOPS[1] and body["coverage"]["shops"] == 1
    client.post(
        "/v1/reports/weekly", params={"week": "2026-W47", "shop": SHOPS[1]}, headers=h["lead"]
    )
    listed = client.get("/v1/reports", params={"shop": SHOPS[1]}, headers=h["lead"]).json()
    assert [r["shop"] for r in listed["reports"]] == [SHOPS[1]]


def test_html_and_excel_forms(api):
    from openpyxl import load_workbook

    client, h = api
    page = client.get("/v1/reports/weekly.html", params={"week": "2026-W47"}, headers=h["lead"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "质检周报 · 2026 年第 47 周" in page.text and page.text.count("<svg") == 3
    book = client.get("/v1/reports/weekly.xlsx", params={"week": "2026-W47"}, headers=h["lead"])
    assert book.status_code == 200
    assert book.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "weekly-2026-W47.xlsx" in book.headers["content-disposition"]
    sheet = load_workbook(BytesIO(book.content))["概览"]
    assert sheet["B5"].value == 135


def _signed(
    secret: str, week: str = "2026-W47", shop: str | None = None, expires: int | None = None
) -> dict[str, str]:
    exp = expires if expires is not None else int(time.time()) + 3600
    return {"week": week, "exp": str(exp), "sig": LinkSigner(secret).sign(week, shop, exp)}


def test_signed_links_open_without_a_key(api):
    client, _ = api
    good = _signed(SECRET)
    assert client.get("/v1/reports/weekly.html", params=good).status_code == 200
    assert client.get("/v1/reports/weekly.xlsx", params=good).status_code == 200
    stale = _signed(SECRET, expires=int(time.time()) - 1)
    for params in (
        good | {"week": "2026-W46"},  # another week
        good | {"shop": SHOPS[0]},  # another shop
        good | {"exp": str(int(good["exp"]) + 86400)},  # a later expiry
        good | {"sig": "0" * 32},
        {"week": "2026-W47"},
        {"week": "2026-W47", "sig": good["sig"]},  # no expiry
        stale,
    ):  # expired
        assert client.get("/v1/reports/weekly.html", params=params).status_code == 401, params
    assert client.get("/v1/reports").status_code == 401  # the list always needs a key


def test_a_signed_link_cannot_rebuild_the_report(api):
    """fresh=true rebuilds from the data (seconds for a large week): it needs a key, even
    with a valid link."""
    client, h = api
    good = _signed(SECRET)
    for path in ("/v1/reports/weekly", "/v1/reports/weekly.html", "/v1/reports/weekly.xlsx"):
        assert client.get(path, params=good | {"fresh": "true"}).status_code == 401
    assert (
        client.get(
            "/v1/reports/weekly", params=good | {"fresh": "true"}, headers=h["lead"]
        ).status_code
        == 200
    )


def test_signed_links_need_a_secret(seeded, database_url):
    for client, _ in _app(database_url):
        assert client.get("/v1/reports/weekly.html", params=_signed("")).status_code == 401


def test_who_may_read_and_regenerate(api):
    client, h = api
    week = {"week": "2026-W47"}
    for role in ("admin", "lead", "specialist"):
        assert client.get("/v1/reports/weekly", params=week, headers=h[role]).status_code == 200
    for role in ("agent", "service"):
        assert client.get("/v1/reports/weekly", params=week, headers=h[role]).status_code == 403
        assert client.get("/v1/reports", headers=h[role]).status_code == 403
    for role in ("specialist", "agent", "service"):
        assert client.post("/v1/reports/weekly", params=week, headers=h[role]).status_code == 403


@pytest.mark.parametrize(
    "week", ["2026-47", "W47", "2026-W54", "2025-W53", "x" * 11, "0001-W01", "9999-W52", "1969-W30"]
)
def test_bad_weeks(api, week):
    """A week that is not one, or one at the edge of the calendar, is a 422 naming the
    field on every report route (the edges were a 500)."""
    client, h = api
    for method, path in (
        ("GET", "/v1/reports/weekly"),
        ("GET", "/v1/reports/weekly.html"),
        ("GET", "/v1/reports/weekly.xlsx"),
        ("POST", "/v1/reports/weekly"),
    ):
        answer = client.request(method, path, params={"week": week}, headers=h["lead"])
        assert answer.status_code == 422, (method, path, answer.text)
        assert answer.json()["error"]["field"] == "week"


def test_the_default_week_is_last_week(api):
    client, h = api
    body = client.get("/v1/reports/weekly", headers=h["lead"]).json()
    assert body["week"] == str(last_week(datetime.now(UTC)))


def test_the_service_generates_the_due_week_on_its_own(seeded, database_url):
    for client, h in _app(database_url, report_schedule=True):
        week = str(Schedule().due_week(datetime.now(UTC)))
        deadline = time.monotonic() + 15
        listed: dict[str, Any] = {}
        while time.monotonic() < deadline:
            listed = client.get("/v1/reports", headers=h["lead"]).json()
            if listed["reports"]:
                break
            time.sleep(0.05)
        assert [(r["week"], r["generated_by"]) for r in listed["reports"]] == [(week, "scheduler")]
        assert listed["runs"][0]["status"] == "done"


def test_a_signed_link_hands_on_its_own_expiry(api):
    """The links in a report opened by a signed link keep that link's expiry: a leaked
    link cannot be renewed by opening it (it used to hand on links valid 30 more days)."""
    client, h = api
    soon = int(time.time()) + 60
    opened = client.get("/v1/reports/weekly", params=_signed(SECRET, expires=soon)).json()
    query = {k: v[0] for k, v in parse_qs(urlparse(opened["links"]["html"]).query).items()}
    assert query["exp"] == str(soon)
    keyed = client.get("/v1/reports/weekly", params={"week": "2026-W47"}, headers=h["lead"]).json()
    query = {k: v[0] for k, v in parse_qs(urlparse(keyed["links"]["html"]).query).items()}
    assert int(query["exp"]) > time.time() + 29 * 86400  # a key holder gets fresh links
