"""End-to-end: the reports page (质检报表, /ui/reports) in headless Chromium against the shared
demo desk: the last complete week by default, a week's figures as the weekly report's API
gives them (the stored report if there is one, else built now), its HTML and Excel
downloads, the week picker and the date range (figures as service/weekly.build_range gives
them), bad weeks and ranges as a Chinese message on the page, a chat link (an id with
characters that must be quoted) opening the chat in the desk, and the page at 1440 px and
800 px."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import quote

from qc_engine.service.weekly import DateRange, build_range
from qc_engine.weeks import IsoWeek, last_week

WEEK = IsoWeek(2026, 47)  # the bundled example chats' week, with red lines
ODD_ID = "ui report/链接#1?x=1&y=%"


def _api_report(desk, week: IsoWeek | str, **params) -> dict:
    with desk.api("demo-lead") as api:
        answer = api.get("/v1/reports/weekly", params={"week": str(week), **params})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _pct(value):
    return f"{value * 100:.1f}%" if value is not None else "—"


def _num(value):
    return f"{value:,.1f}" if value is not None else "—"


def _check_page_against(page, report: dict) -> None:
    text = page.get_by_test_id
    c = report["coverage"]
    assert int(text("kpi-chats").inner_text().replace(",", "")) == c["chats"]
    assert text("kpi-pass").inner_text() == _pct(c["pass_rate"])
    assert text("kpi-mean").inner_text() == _num(c["mean_score"])
    assert int(text("kpi-red").inner_text()) == c["red_lines"]
    assert int(text("kpi-problems").inner_text().replace(",", "")) == c["problems"]
    assert text("report-label").inner_text() == report["period"]["label"]
    rows = page.get_by_test_id("agent-row")
    assert rows.count() == len(report["agents"])
    for agent in report["agents"]:
        row = page.locator(f'[data-testid="agent-row"][data-agent="{agent["agent"]}"]')
        assert int(row.get_by_test_id("chats").inner_text()) == agent["chats"]
        assert row.get_by_test_id("mean").inner_text() == _num(agent["mean_score"])
        assert row.get_by_test_id("pass").inner_text() == _pct(agent["pass_rate"])
    for category in report["categories"]:
        row = page.locator(f'[data-testid="category-row"][data-category="{category["code"]}"]')
        assert int(row.get_by_test_id("flags").inner_text()) == category["flags"]
    assert page.get_by_test_id("red-line-row").count() == report["red_lines"]["shown"]


def test_the_last_complete_week_by_default(desk, open_as):
    page = open_as("demo-lead")
    before = last_week(datetime.now(UTC))
    page.get_by_test_id("nav-report").click()
    page.wait_for_url(re.compile(r"/ui/reports$"))
    after = last_week(datetime.now(UTC))
    shown = page.get_by_test_id("week-input").input_value()
    assert shown in {str(before), str(after)}  # the same unless a week ended meanwhile
    _check_page_against(page, _api_report(desk, shown))
    assert "active" in (page.get_by_test_id("nav-report").get_attribute("class") or "")


def test_a_week_is_the_weekly_reports_and_downloads_its_exports(desk, open_as, shots):
    page = open_as("demo-lead")
    page.goto(f"/ui/reports?week={WEEK}")
    report = _api_report(desk, WEEK)
    assert report["coverage"]["chats"] > 0 and report["red_lines"]["shown"] > 0
    _check_page_against(page, report)
    source = page.get_by_test_id("report-source").inner_text()
    assert ("存档周报" in source) == (report["stored"] is not None)
    page.screenshot(path=str(shots / "reports.png"), full_page=True)

    # The exports of the chosen week, opened with the desk's sign-in.
    html = page.request.get(page.get_by_test_id("download-html").get_attribute("href"))
    assert html.status == 200 and report["period"]["label"] in html.text()
    xlsx = page.request.get(page.get_by_test_id("download-xlsx").get_attribute("href"))
    assert xlsx.status == 200
    assert xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert f"week={WEEK}" in page.get_by_test_id("download-xlsx").get_attribute("href")
    # Built now on request: the page and its downloads then say so.
    page.goto(f"/ui/reports?week={WEEK}&fresh=1")
    _check_page_against(page, _api_report(desk, WEEK, fresh="true"))
    assert "实时计算" in page.get_by_test_id("report-source").inner_text()
    assert "fresh=true" in page.get_by_test_id("download-html").get_attribute("href")


def test_the_week_picker_a_range_and_bad_input(desk, open_as):
    page = open_as("demo-specialist")
    page.goto(f"/ui/reports?week={WEEK}")
    page.get_by_test_id("week-input").fill("2026-W46")
    page.get_by_test_id("week-apply").click()
    page.wait_for_url(re.compile(r"week=2026-W46"))
    _check_page_against(page, _api_report(desk, "2026-W46"))
    page.get_by_test_id("previous-week").click()
    page.wait_for_url(re.compile(r"week=2026-W45"))
    assert page.get_by_test_id("week-input").input_value() == "2026-W45"

    # A range of days: the report's sections over those days.
    page.get_by_test_id("date-from").fill("2026-11-10")
    page.get_by_test_id("date-to").fill("2026-11-24")
    page.get_by_test_id("range-apply").click()
    page.wait_for_url(re.compile(r"date_from=2026-11-10&date_to=2026-11-24"))
    with desk.state.sessions() as session:
        ranged = build_range(session, period=DateRange.of(date(2026, 11, 10), date(2026, 11, 24)))
    _check_page_against(page, ranged)
    assert "没有存档和导出文件" in page.get_by_test_id("downloads").inner_text()
    assert page.get_by_test_id("download-html").count() == 0

    # Bad input: a Chinese message, the last complete week shown, never a 500.
    for query, says in (
        ("week=2026-W54", "「2026-W54」不是有效的周"),
        ("week=abc", "「abc」不是有效的周"),
        ("date_from=2026-11-30&date_to=2026-11-01", "开始日期（2026-11-30）晚于结束日期"),
        ("date_from=2026-02-30&date_to=2026-03-01", "开始日期「2026-02-30」无效"),
        ("date_from=2026-11-01", "结束日期（未填写）无效"),
        ("date_from=2020-01-01&date_to=2026-01-01", "日期范围最长 366 天"),
    ):
        before = last_week(datetime.now(UTC))
        answer = page.goto(f"/ui/reports?{query}")
        after = last_week(datetime.now(UTC))
        assert answer is not None and answer.status == 422, query
        error = page.get_by_test_id("error").inner_text()
        assert says in error and "已显示上一个完整周" in error, (query, error)
        assert page.get_by_test_id("week-input").input_value() in {str(before), str(after)}


def test_a_report_chat_link_opens_the_chat_in_the_desk(desk, open_as):
    # A red line in the week, on a chat whose id needs quoting in a URL.
    chat = {
        "id": ODD_ID,
        "agent": "报表测试",
        "messages": [
            {"role": "customer", "text": "这个能便宜点吗", "ts": "2026-11-18T10:00:00+08:00"},
            {
                "role": "agent",
                "text": "亲，加我微信吧，私下给你便宜",
                "ts": "2026-11-18T10:00:20+08:00",
            },
        ],
    }
    with desk.api("demo-lead") as api:
        answer = api.post("/v1/transcripts", json=chat)
    assert answer.status_code in (200, 201), answer.text
    page = open_as("demo-lead")
    page.goto(f"/ui/reports?week={WEEK}&fresh=1")
    link = page.locator(f'[data-testid="red-line-row"] [data-transcript="{ODD_ID}"]')
    assert link.get_attribute("href") == "/ui/chats/" + quote(ODD_ID, safe="")
    link.click()
    page.wait_for_url(re.compile(r"/ui/(items/\d+|chats/)"))
    assert page.get_by_test_id("transcript-id").inner_text() == ODD_ID
    # The teaching cases' links are the desk's too.
    for case in page.get_by_test_id("teaching-cases").get_by_test_id("chat-link").all():
        assert case.get_attribute("href").startswith("/ui/chats/")


def test_the_page_at_800_px(desk, open_as, shots):
    page = open_as("demo-lead")
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"/ui/reports?week={WEEK}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    for chart in ("report-trend", "report-categories", "report-scores"):
        box = page.get_by_test_id(chart).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 800, chart
    for table in ("agent-table", "rule-table", "red-line-table", "response-table"):
        box = page.get_by_test_id(table).locator("xpath=..").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 800, table
    page.screenshot(path=str(shots / "reports-800.png"), full_page=True)
