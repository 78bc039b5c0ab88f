"""End-to-end: the dashboard (质检看板) in headless Chromium, on a desk of its own with the
demo data and a few dozen decisions made through the REST API: the figures on the page are
the service's (and, for one ISO week, the weekly report's), a bar opens the filtered queue,
the date picker changes the range, a bad range is a Chinese message, the page works at 800
px and from the keyboard, and only leads and admins see it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from qc_engine.service import dashboard
from qc_engine.service.desk import today

from .conftest import running_desk, sign_in

NOVEMBER = ("2026-11-01", "2026-11-30")  # the demo chats' month


@pytest.fixture(scope="module")
def dash_desk(tmp_path_factory):
    """A desk of its own: the decisions below would change other tests' demo chats."""
    with running_desk(tmp_path_factory.mktemp("dashboard")) as desk:
        items = desk.items(status="open", kind="flag")[:36]
        for n, item in enumerate(items):
            who = "demo-specialist" if n % 3 else "demo-specialist-2"
            action = "dismiss" if n % 4 == 0 else "confirm"
            with desk.api(who) as api:
                answer = api.post(
                    f"/v1/work-items/{item['id']}/{action}", json={"version": item["version"]}
                )
                assert answer.status_code == 200, answer.text
        yield desk


@pytest.fixture
def lead_page(dash_desk, browser):
    page = sign_in(browser, dash_desk, "demo-lead")
    yield page
    page.context.close()


def _figures(desk, first: str, last: str) -> dashboard.Dashboard:
    """What the service says about a range, as the lead sees it."""
    principal = desk.state.keys.authenticate(desk.state.sessions, desk.keys["demo-lead"])
    period = dashboard.Period.of(date.fromisoformat(first), date.fromisoformat(last))
    with desk.state.sessions() as session:
        return dashboard.build(session, principal=principal, period=period)


def _check_page_against(page, data: dashboard.Dashboard) -> None:
    text = page.get_by_test_id
    o = data.overall
    assert int(text("kpi-chats").inner_text()) == o.chats
    assert text("kpi-mean").inner_text() == f"{o.mean_score:.1f}"
    assert text("kpi-pass").inner_text() == f"{o.pass_rate * 100:.1f}%"
    assert int(text("kpi-red").inner_text()) == o.red_lines
    assert int(text("kpi-problems").inner_text()) == o.problems
    assert int(text("kpi-closed").inner_text()) == data.closed
    categories = page.get_by_test_id("category-chart").get_by_test_id("bar-link")
    assert [c.get_attribute("data-value") for c in categories.all()] == [
        c.code for c in data.categories
    ]
    rows = page.get_by_test_id("category-table").locator("tbody tr")
    shown = {r.get_attribute("data-value"): int(r.get_by_test_id("n").text_content() or -1)
             for r in rows.all()}  # fmt: skip
    assert shown == {c.code: c.problems for c in data.categories}
    assert page.get_by_test_id("trend-table").locator("tbody tr").count() == len(data.trend)
    points = [p for p in data.trend if p.quality.chats]
    assert page.get_by_test_id("trend-point").count() == len(points)
    rules = page.get_by_test_id("rule-row")
    assert [(r.get_attribute("data-rule"), int(r.get_by_test_id("dismissed").inner_text()))
            for r in rules.all()] == [(r.rule, r.dismissed) for r in data.rules]  # fmt: skip


def test_the_dashboard_shows_the_services_figures_and_opens_the_queue(dash_desk, lead_page, shots):
    page = lead_page
    # /ui is the dashboard for a lead, the first link of the top bar
    page.goto("/ui")
    page.wait_for_url(re.compile(r"/ui/dashboard$"))
    assert page.locator(".nav a").first.get_attribute("data-testid") == "nav-dashboard"
    # the last 28 days (Asia/Shanghai) by default, per day
    first = page.get_by_test_id("date-from").input_value()
    last = page.get_by_test_id("date-to").input_value()
    assert date.fromisoformat(last) - date.fromisoformat(first) == timedelta(days=27)
    assert date.fromisoformat(last) in (today(), today() - timedelta(days=1))  # near midnight
    assert "28 天 · 按天" in page.get_by_test_id("period").inner_text()
    data = _figures(dash_desk, first, last)
    _check_page_against(page, data)
    assert data.closed == 36  # the decisions made for this desk, all today
    reviewers = page.get_by_test_id("reviewer-table").locator("tbody tr")
    closed = {r.get_attribute("data-value"): int(r.get_by_test_id("closed").text_content() or -1)
              for r in reviewers.all()}  # fmt: skip
    assert closed == {"demo-specialist": 24, "demo-specialist-2": 12}
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    # The date picker: November, per day.
    page.get_by_test_id("date-from").fill(NOVEMBER[0])
    page.get_by_test_id("date-to").fill(NOVEMBER[1])
    page.get_by_test_id("range-apply").click()
    page.wait_for_url(re.compile(r"date_from=2026-11-01&date_to=2026-11-30"))
    assert "30 天 · 按天" in page.get_by_test_id("period").inner_text()
    november = _figures(dash_desk, *NOVEMBER)
    assert november.overall.chats >= 300 and november.overall.red_lines > 0
    _check_page_against(page, november)

    # One ISO week: the same figures as the weekly report's API.
    page.goto("/ui/dashboard?date_from=2026-11-16&date_to=2026-11-22")
    with dash_desk.api("demo-lead") as api:
        answer = api.get("/v1/reports/weekly", params={"week": "2026-W47", "fresh": "true"})
    assert answer.status_code == 200, answer.text
    coverage = answer.json()["coverage"]
    assert int(page.get_by_test_id("kpi-chats").inner_text()) == coverage["chats"]
    assert page.get_by_test_id("kpi-mean").inner_text() == f"{coverage['mean_score']:.1f}"
    assert int(page.get_by_test_id("kpi-red").inner_text()) == coverage["red_lines"]
    assert int(page.get_by_test_id("kpi-problems").inner_text()) == coverage["problems"]

    # A long range is drawn per ISO week.
    page.goto("/ui/dashboard?date_from=2026-09-01&date_to=2026-12-31")
    assert "按周" in page.get_by_test_id("period").inner_text()
    assert page.get_by_test_id("trend-table").locator("tbody tr").count() == 18  # W36-W53

    # A bar opens the queue filtered to its category, every status.
    page.goto(f"/ui/dashboard?date_from={NOVEMBER[0]}&date_to={NOVEMBER[1]}")
    top = november.categories[0]
    page.locator(f'[data-testid="category-chart"] a[data-value="{top.code}"]').click()
    page.wait_for_url(re.compile(r"/ui/queue\?"))
    query = parse_qs(urlparse(page.url).query)
    assert query == {"category": [top.code], "status": ["all"]}
    rows = page.get_by_test_id("queue-row")
    expected = dash_desk.items(category=top.code)
    assert rows.count() == len(expected) > 0
    assert all(top.name in text for text in rows.all_inner_texts())

    # ... and an agent's bar to that agent's items.
    page.go_back()
    agents = page.locator('[data-testid="agent-chart"] a[data-testid="bar-link"]')
    name = next(
        a.get_attribute("data-value")
        for a in agents.all()
        if dash_desk.items(agent=a.get_attribute("data-value"))
    )
    page.locator(f'[data-testid="agent-chart"] a[data-value="{name}"]').click()
    page.wait_for_url(re.compile(r"/ui/queue\?"))
    assert parse_qs(urlparse(page.url).query) == {"agent": [name], "status": ["all"]}
    total = int(page.get_by_test_id("queue-total").inner_text().split()[0])
    assert total == len(dash_desk.items(agent=name))
    assert {row.locator(".c-agent").inner_text() for row in rows.all()} == {name}


def test_at_800_px_and_from_the_keyboard(dash_desk, lead_page, shots):
    page = lead_page
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto("/ui/dashboard")
    # everything from the desk itself, no inline style for the CSP to refuse
    assert requests and all(url.startswith(dash_desk.base + "/") for url in requests), requests
    assert page.locator("main [style]").count() == 0 and problems == []
    # nothing wider than the window; the charts scale to it
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    for chart in ("trend-chart", "category-chart", "shop-chart", "agent-chart"):
        box = page.get_by_test_id(chart).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 800, chart
    page.screenshot(path=str(shots / "dashboard-800.png"), full_page=True)

    # Tab from the first date (Chromium may stop on each of its fields): the other date,
    # the button, then, past the presets and the trend's table, the bars, each a link.
    page.get_by_test_id("date-from").focus()
    seen: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        testid = page.evaluate(
            "document.activeElement && document.activeElement.getAttribute('data-testid')"
        )
        if testid and testid != "date-from" and testid not in seen:
            seen.append(testid)
        if testid == "bar-link":
            break
    assert seen == ["date-to", "range-apply", "bar-link"], seen
    focused = page.evaluate("document.activeElement.closest('svg').dataset.testid")
    assert focused == "category-chart"
    code = page.evaluate("document.activeElement.getAttribute('data-value')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/ui/queue\?category={code}&status=all"))

    # Enter in a date field submits the range.
    page.goto("/ui/dashboard")
    page.get_by_test_id("date-from").fill(NOVEMBER[0])
    page.get_by_test_id("date-to").fill(NOVEMBER[1])
    page.get_by_test_id("date-to").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"date_from=2026-11-01&date_to=2026-11-30"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01&date_to=2026-12-01", "开始日期「2026-13-01」无效"),
        ("date_from=2026-11-30&date_to=2026-11-01", "开始日期（2026-11-30）晚于结束日期"),
        ("date_from=2024-01-01&date_to=2026-01-01", "日期范围最长 366 天"),
        ("date_from=<b>x</b>", "开始日期「<b>x</b>」无效"),
    ],
)
def test_a_bad_range_is_a_chinese_message(dash_desk, lead_page, query, message):
    answer = lead_page.goto(f"/ui/dashboard?{query}")
    assert answer is not None and answer.status == 422
    assert message in lead_page.get_by_test_id("error").inner_text()
    assert "已显示最近 28 天" in lead_page.get_by_test_id("error").inner_text()
    assert lead_page.locator(".banner b").count() == 0  # shown as text
    assert "28 天" in lead_page.get_by_test_id("period").inner_text()
    assert "Traceback" not in lead_page.content()


@pytest.mark.parametrize("who", ["demo-specialist", "agent"])
def test_only_leads_and_admins_see_it(dash_desk, browser, who):
    signed_out = httpx.get(f"{dash_desk.base}/ui/dashboard?date_from=2026-11-01")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == (
        "/ui/login?next=%2Fui%2Fdashboard%3Fdate_from%3D2026-11-01"
    )
    who = dash_desk.agent if who == "agent" else who
    page = sign_in(browser, dash_desk, who)
    try:
        assert page.get_by_test_id("nav-dashboard").count() == 0
        answer = page.goto("/ui/dashboard")
        assert answer is not None and answer.status == 403
        assert "不能查看质检看板" in page.get_by_test_id("error").inner_text()
        assert page.get_by_test_id("kpi-chats").count() == 0
        page.goto("/ui")
        assert "/ui/dashboard" not in page.url
    finally:
        page.context.close()
    admin = sign_in(browser, dash_desk, "demo-admin")
    try:
        admin.goto("/ui")
        admin.wait_for_url(re.compile(r"/ui/dashboard$"))
        assert admin.get_by_test_id("kpi-chats").count() == 1
    finally:
        admin.context.close()


def test_an_agents_row_opens_their_page(dash_desk, lead_page):
    lead_page.goto("/ui/dashboard?date_from=2026-01-01&date_to=2026-12-31")
    table = lead_page.get_by_test_id("agent-table")
    table.locator("xpath=ancestor::details").locator("summary").click()
    link = table.get_by_test_id("agent-page-link").first
    name = link.locator("xpath=ancestor::tr").get_attribute("data-value")
    link.click()
    lead_page.wait_for_url(re.compile(r"/ui/agents/"))
    assert name and name in lead_page.locator("main").inner_text()
