"""End-to-end: the agent's page (我的质检概览, /ui/agents/<name>) in headless Chromium, on a
desk of its own with the demo data and a few confirmations, appeals and decisions made
through the REST API: the demo agent lands on it and reads the service's figures (and, for
one week, the weekly report's), their appeals with the outcome, and reaches the appeals
list; another agent's page is refused in Chinese; a lead opens any agent's page from the
reports page and picks the weeks; and the page works at 1440 px and 800 px."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from qc_engine.service import scorecard
from qc_engine.weeks import IsoWeek

from .conftest import running_desk, sign_in

UNTIL = IsoWeek(2026, 48)  # the demo chats run from 2026-W44 to W49
WEEK = IsoWeek(2026, 47)


@pytest.fixture(scope="module")
def agent_desk(tmp_path_factory):
    """A desk of its own: the appeals below would change other tests' demo chats. Of the
    demo agent's open flags, three are confirmed by a specialist; the agent appeals two; a
    lead upholds one of them with a note."""
    with running_desk(tmp_path_factory.mktemp("agent-page")) as desk:
        name = desk.agent.removeprefix("demo-agent-")
        items = desk.items(agent=name, status="open", kind="flag")[:3]
        assert len(items) == 3
        versions = {}
        for item in items:
            with desk.api("demo-specialist") as api:
                answer = api.post(
                    f"/v1/work-items/{item['id']}/confirm", json={"version": item["version"]}
                )
            assert answer.status_code == 200, answer.text
            versions[item["id"]] = answer.json()["version"]
        appealed, upheld, _ = (i["id"] for i in items)
        for item_id, reason in ((appealed, "客户自己要求改地址"), (upheld, "回复及时，系统延迟")):
            with desk.api(desk.agent) as api:
                answer = api.post(
                    f"/v1/work-items/{item_id}/appeal",
                    json={"version": versions[item_id], "reason": reason},
                )
            assert answer.status_code == 200, answer.text
            versions[item_id] = answer.json()["version"]
        with desk.api("demo-lead") as api:
            answer = api.post(
                f"/v1/work-items/{upheld}/decide-appeal",
                json={"version": versions[upheld], "decision": "upheld", "note": "证据不足"},
            )
        assert answer.status_code == 200, answer.text
        desk.appeals = {"open": appealed, "upheld": upheld}
        yield desk


@pytest.fixture
def as_who(agent_desk, browser):
    pages = []

    def opened(who):
        pages.append(sign_in(browser, agent_desk, who))
        return pages[-1]

    yield opened
    for page in pages:
        page.context.close()


def _principal(desk, who):
    return desk.state.keys.authenticate(desk.state.sessions, desk.keys[who])


def _card(desk, who, name, last=UNTIL, weeks=8) -> scorecard.Scorecard:
    """What the service says, as `who` would see it."""
    with desk.state.sessions() as session:
        return scorecard.scorecard(
            session, principal=_principal(desk, who), agent=name, last=last, weeks=weeks
        )


def _score(value):
    return f"{value:.1f}" if value is not None else "—"


def _pct(value):
    return f"{value * 100:.1f}%" if value is not None else "—"


def _check_page_against(page, card: scorecard.Scorecard) -> None:
    text = page.get_by_test_id
    assert int(text("kpi-chats").inner_text()) == card.overall.chats
    assert text("kpi-mean").inner_text() == _score(card.overall.mean_score)
    assert text("kpi-pass").inner_text() == _pct(card.overall.pass_rate)
    assert text("kpi-team-mean").inner_text() == _score(card.team.mean_score)
    assert int(text("kpi-red").inner_text()) == card.overall.red_lines
    assert int(text("kpi-appeals").inner_text()) == len(card.open_appeals)
    assert int(text("kpi-appealable").inner_text()) == card.appealable
    rows = page.get_by_test_id("week-row")
    assert rows.count() == len(card.weeks)
    for week in card.weeks:
        row = page.locator(f'[data-testid="week-row"][data-week="{week.week}"]')
        assert int(row.get_by_test_id("chats").inner_text()) == week.agent.chats
        assert row.get_by_test_id("mean").inner_text() == _score(week.agent.mean_score)
        assert row.get_by_test_id("pass").inner_text() == _pct(week.agent.pass_rate)
        assert row.get_by_test_id("team-mean").inner_text() == _score(week.team.mean_score)
    for category in card.categories:
        row = page.locator(f'[data-testid="category-row"][data-category="{category.code}"]')
        assert int(row.get_by_test_id("flags").inner_text()) == category.flags
        assert row.get_by_test_id("team-per-100").inner_text() == (
            f"{category.team_per_100:.1f}" if category.team_per_100 is not None else "—"
        )


def test_the_agent_lands_on_their_page_and_reads_their_figures(agent_desk, as_who, shots):
    desk = agent_desk
    name = desk.agent.removeprefix("demo-agent-")
    page = as_who(desk.agent)
    assert page.url.endswith("/ui/agents/" + quote(name, safe=""))  # the agent's home
    assert "active" in (page.get_by_test_id("nav-agent").get_attribute("class") or "")
    # By default, the 8 weeks up to the week in progress, marked as such.
    assert page.get_by_test_id("week-row").count() == 8
    latest = page.get_by_test_id("week-row").first
    assert "进行中" in latest.inner_text()
    assert page.get_by_test_id("until").input_value() == latest.get_attribute("data-week")

    page.goto(f"/ui/agents/{quote(name, safe='')}?until={UNTIL}&weeks=8")
    card = _card(desk, desk.agent, name)
    assert card.overall.chats > 0 and card.categories
    _check_page_against(page, card)
    assert page.get_by_test_id("agent-name").inner_text() == "我的质检概览"

    # One week's figures are the weekly report's row for this agent.
    with desk.api("demo-lead") as api:
        report = api.get("/v1/reports/weekly", params={"week": str(WEEK), "fresh": "true"}).json()
    (mine,) = [a for a in report["agents"] if a["agent"] == name]
    row = page.locator(f'[data-testid="week-row"][data-week="{WEEK}"]')
    assert int(row.get_by_test_id("chats").inner_text()) == mine["chats"]
    assert row.get_by_test_id("mean").inner_text() == _score(mine["mean_score"])
    assert row.get_by_test_id("pass").inner_text() == _pct(mine["pass_rate"])
    page.screenshot(path=str(shots / "agent.png"), full_page=True)

    # The team is only ever an aggregate: no other agent's name on the page.
    others = {a["agent"] for a in report["agents"]} - {name}
    body = page.locator("main").inner_text()
    assert others and not [other for other in others if other in body]
    assert page.get_by_test_id("agent-switch").count() == 0


def test_the_agent_sees_their_appeals_with_the_outcome(agent_desk, as_who):
    desk = agent_desk
    name = desk.agent.removeprefix("demo-agent-")
    page = as_who(desk.agent)
    card = _card(desk, desk.agent, name)
    pending = page.get_by_test_id("open-appeals").get_by_test_id("appeal")
    assert pending.count() == len(card.open_appeals) >= 1
    opened = page.locator(
        f'[data-testid="open-appeals"] [data-item="{desk.appeals["open"]}"]'
    ).inner_text()
    assert "客户自己要求改地址" in opened
    decided = page.locator(
        f'[data-testid="decided-appeals"] [data-item="{desk.appeals["upheld"]}"]'
    )
    assert decided.get_attribute("data-decision") == "upheld"
    assert "维持原判" in decided.inner_text() and "证据不足" in decided.inner_text()
    assert "demo-lead" in decided.inner_text()
    assert card.appealable >= 1
    # The appeals list stays one click away, and its confirmed deductions are the ones
    # the page says can be appealed.
    page.get_by_test_id("to-appeals").click()
    page.wait_for_url(re.compile(r"/ui/appeals$"))
    confirmed = page.locator('[data-testid="section-confirmed"] [data-testid="appeal-row"]')
    assert confirmed.count() == card.appealable


def test_an_agent_cannot_see_another_agents_page(agent_desk, as_who):
    desk = agent_desk
    name = desk.agent.removeprefix("demo-agent-")
    with desk.api("demo-lead") as api:
        report = api.get("/v1/reports/weekly", params={"week": str(WEEK)}).json()
    other = next(a["agent"] for a in report["agents"] if a["agent"] != name)
    page = as_who(desk.agent)
    for target in (other, "没有这个人"):  # refused alike, whether the agent exists or not
        answer = page.goto("/ui/agents/" + quote(target, safe=""))
        assert answer is not None and answer.status == 403
        assert page.get_by_test_id("error").inner_text() == "您只能查看自己的质检概览。"
        assert target not in page.locator("main").inner_text()
    # /ui/agents leads an agent to their own page; the reports are not theirs.
    page.goto("/ui/agents")
    assert page.url.endswith("/ui/agents/" + quote(name, safe=""))
    answer = page.goto("/ui/reports")
    assert answer is not None and answer.status == 403
    assert "不能查看质检报表" in page.get_by_test_id("error").inner_text()


def test_a_lead_opens_any_agents_page_and_picks_the_weeks(agent_desk, as_who):
    desk = agent_desk
    page = as_who("demo-lead")
    page.goto(f"/ui/reports?week={WEEK}")
    link = page.get_by_test_id("agent-table").get_by_test_id("agent-link").first
    name = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/ui/agents/"))
    assert page.get_by_test_id("agent-name").inner_text() == name

    # The week picker: 4 weeks up to W47.
    page.get_by_test_id("until").fill(str(WEEK))
    page.get_by_test_id("weeks").select_option("4")
    page.get_by_test_id("weeks-apply").click()
    page.wait_for_url(re.compile(r"until=2026-W47&weeks=4"))
    _check_page_against(page, _card(desk, "demo-lead", name, last=WEEK, weeks=4))
    assert [r.get_attribute("data-week") for r in page.get_by_test_id("week-row").all()] == [
        "2026-W47", "2026-W46", "2026-W45", "2026-W44",
    ]  # fmt: skip

    # Another agent, from the page itself.
    page.get_by_test_id("agent-switch").locator("summary").click()
    other = page.get_by_test_id("other-agent").first
    other_name = other.inner_text().split()[0]
    other.click()
    page.wait_for_url(re.compile(r"until=2026-W47"))
    assert page.get_by_test_id("agent-name").inner_text() == other_name
    _check_page_against(page, _card(desk, "demo-lead", other_name, last=WEEK, weeks=4))

    # A bad week or number of weeks: a Chinese message and the default weeks, not a 500.
    answer = page.goto("/ui/agents/" + quote(name, safe="") + "?until=2026-W54&weeks=9")
    assert answer is not None and answer.status == 422
    error = page.get_by_test_id("error").inner_text()
    assert "「2026-W54」不是有效的周" in error and "周数只能是" in error
    assert page.get_by_test_id("week-row").count() == scorecard.DEFAULT_WEEKS
    # An agent no chat names is a 404; the list of agents is there for leads.
    answer = page.goto("/ui/agents/" + quote("没有这个人", safe=""))
    assert answer is not None and answer.status == 404
    assert "找不到客服" in page.get_by_test_id("error").inner_text()
    page.goto("/ui/agents")
    assert name in page.get_by_test_id("agent-list").inner_text()


def test_specialists_do_not_see_agents_pages(agent_desk, as_who):
    page = as_who("demo-specialist")
    name = agent_desk.agent.removeprefix("demo-agent-")
    answer = page.goto("/ui/agents/" + quote(name, safe=""))
    assert answer is not None and answer.status == 403
    assert "只对质检组长和管理员开放" in page.get_by_test_id("error").inner_text()
    # In the reports page, their agent names are not links.
    page.goto(f"/ui/reports?week={WEEK}")
    assert page.get_by_test_id("agent-row").count() > 0
    assert page.get_by_test_id("agent-table").get_by_test_id("agent-link").count() == 0


def test_the_page_at_800_px(agent_desk, as_who, shots):
    desk = agent_desk
    name = desk.agent.removeprefix("demo-agent-")
    page = as_who(desk.agent)
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"/ui/agents/{quote(name, safe='')}?until={UNTIL}&weeks=8")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    for chart in ("agent-trend-chart", "agent-category-chart"):
        box = page.get_by_test_id(chart).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 800, chart
    # Every table fits, or scrolls inside its own box.
    for table in ("week-table", "category-table"):
        box = page.get_by_test_id(table).locator("xpath=..").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 800, table
    page.screenshot(path=str(shots / "agent-800.png"), full_page=True)
