"""End-to-end: a calibration session (校准) in headless Chromium, on a desk of its own (its
teaching cases would change the other tests' case library): demo-lead creates a session of
three chats (two by id, one picked from a search) with demo-specialist and itself as raters;
each rates blind in a browser context of its own and cannot see the other's answers before
submitting; then the disagreements, the engine's answers and the kappas show, the lead records
final answers and turns two into teaching cases found on /ui/cases; a rating made from the
keyboard alone; the pages at 1440 and 800 px. Then the refusals over plain HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import exists, select

from qc_engine.db.models import StoredTranscript, WorkItem
from qc_engine.service.calibration import AGENT_CATEGORIES
from qc_engine.taxonomy import CATEGORIES

from .conftest import running_desk, sign_in

LEAD_NOTE = "组长备注：独立判断"
SPECIALIST_NOTE = "专员备注：答非所问"


@pytest.fixture(scope="module")
def cal_desk(tmp_path_factory):
    with running_desk(tmp_path_factory.mktemp("calibration")) as desk:
        yield desk


@pytest.fixture
def pages(cal_desk, browser) -> Iterator[Any]:
    opened: list[Any] = []

    def page_of(who: str) -> Any:
        opened.append(sign_in(browser, cal_desk, who))
        return opened[-1]

    yield page_of
    for page in opened:
        page.context.close()


def _chats(desk) -> tuple[str, str, str]:
    """A chat whose agent-side flag waits in the queue (and its category), and a chat the
    engine found nothing in and nobody reviewed."""
    with desk.state.sessions() as session:
        flagged = session.execute(
            select(WorkItem.transcript_id, WorkItem.category)
            .where(
                WorkItem.status == "open",
                WorkItem.kind == "flag",
                WorkItem.category.in_(AGENT_CATEGORIES),
                WorkItem.category != "perfunctory",
            )
            .order_by(WorkItem.id.desc())
            .limit(1)
        ).one()
        clean = session.scalar(
            select(StoredTranscript.id)
            .where(
                StoredTranscript.flag_count == 0,
                ~exists().where(WorkItem.transcript_id == StoredTranscript.id),
            )
            .order_by(StoredTranscript.id.desc())
            .limit(1)
        )
    return flagged[0], flagged[1], str(clean)


def _rate(page, problems: list[str], passed: bool, note: str = "") -> None:
    form = page.get_by_test_id("rating-form")
    for code in problems:
        form.get_by_test_id(f"problem-{code}").check()
    form.get_by_test_id("passed-yes" if passed else "passed-no").check()
    if note:
        form.get_by_test_id("rating-note").fill(note)
    with page.expect_navigation():
        form.get_by_test_id("save-rating").click()


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def _full_page(page, path) -> None:
    """A whole-page screenshot from the top, the shortcut bar at the end of the page rather
    than over its middle."""
    footer = "document.querySelector('footer.keys')"
    page.evaluate(f"() => {{ window.scrollTo(0, 0); {footer}.style.position = 'static'; }}")
    page.screenshot(path=str(path), full_page=True)
    page.evaluate(f"() => {{ {footer}.style.position = ''; }}")


def _section(page, position: int) -> Any:
    return page.locator(f'[data-testid="cal-chat"][data-position="{position}"]')


def test_a_calibration_session_from_creation_to_teaching_cases(cal_desk, pages, shots):
    flagged, category, clean = _chats(cal_desk)
    other = "impatient" if category != "impatient" else "off_platform"

    # The lead creates it: two chats by id, a third from a search (Enter searches and keeps
    # what was typed), the specialist and the lead as raters.
    lead = pages("demo-lead")
    lead.get_by_test_id("nav-calibration").click()
    lead.get_by_test_id("new-calibration").click()
    lead.get_by_test_id("cal-title").fill("十一月 · 校准演练")
    lead.get_by_test_id("cal-ids").fill(f"{flagged}\n{clean}")
    lead.get_by_test_id("cal-search-text").fill("发货")
    with lead.expect_navigation():
        lead.get_by_test_id("cal-search-text").press("Enter")
    assert lead.get_by_test_id("cal-title").input_value() == "十一月 · 校准演练"
    assert lead.get_by_test_id("cal-ids").input_value().split() == [flagged, clean]
    rows = lead.get_by_test_id("cal-result")
    assert rows.count() > 0
    third = next(
        r.get_attribute("data-transcript")
        for r in rows.all()
        if r.get_attribute("data-transcript") not in (flagged, clean)
    )
    lead.locator(f'[data-testid="cal-result"][data-transcript="{third}"] input').check()
    for name in ("demo-specialist", "demo-lead"):
        lead.locator(f'[data-testid="cal-person"][data-name="{name}"]').check()
    _full_page(lead, shots / "calibration-new.png")
    with lead.expect_navigation():
        lead.get_by_test_id("cal-create").click()
    assert re.search(r"/ui/calibration/\d+$", lead.url)
    assert "已创建校准" in lead.get_by_test_id("notice").inner_text()
    session_url = lead.url
    assert lead.get_by_test_id("cal-mine").count() == 1  # a rater: blind like the others

    # The lead rates all three but does not submit yet.
    lead.get_by_test_id("cal-start").click()
    lead.wait_for_url(re.compile(r"/chats/1$"))
    _rate(lead, [category], passed=False, note=LEAD_NOTE)
    _rate(lead, [], passed=True)
    _rate(lead, [], passed=True)
    assert "核对无误后请提交" in lead.get_by_test_id("notice").inner_text()

    # The specialist: the chat's words only, nobody's answers, no engine.
    specialist = pages("demo-specialist")
    specialist.get_by_test_id("nav-calibration").click()
    specialist.get_by_test_id("rate-link").first.click()
    specialist.get_by_test_id("cal-start").click()
    specialist.wait_for_url(re.compile(r"/chats/1$"))
    assert "盲评" in specialist.get_by_test_id("cal-blind").inner_text()
    html = specialist.content()
    assert LEAD_NOTE not in html
    for engine_trace in ('data-testid="score-card"', 'class="pin', "引擎初评", "置信度"):
        assert engine_trace not in html, engine_trace
    assert specialist.get_by_test_id("message").count() > 0
    specialist.screenshot(path=str(shots / "calibration-rate.png"))

    # The first chat from the keyboard alone: Tab to the boxes, Space, the arrow keys for
    # the verdict, Enter on the button.
    _tab_to(specialist, f'[data-testid="problem-{category}"]')
    specialist.keyboard.press("Space")
    _tab_to(specialist, f'[data-testid="problem-{other}"]')
    specialist.keyboard.press("Space")
    _tab_to(specialist, '[data-testid="passed-yes"]')
    specialist.keyboard.press("ArrowRight")  # the radio group: 不合格
    _tab_to(specialist, '[data-testid="save-rating"]')
    with specialist.expect_navigation():
        specialist.keyboard.press("Enter")
    assert specialist.url.endswith("/chats/2")
    specialist.set_viewport_size({"width": 800, "height": 900})
    assert specialist.evaluate("document.documentElement.scrollWidth") <= 800
    _full_page(specialist, shots / "calibration-rate-800.png")
    specialist.set_viewport_size({"width": 1440, "height": 900})
    _rate(specialist, ["perfunctory"], passed=False, note=SPECIALIST_NOTE)
    _rate(specialist, [], passed=True)
    specialist.goto(session_url + "/chats/1")
    assert specialist.get_by_test_id(f"problem-{category}").is_checked()
    assert specialist.get_by_test_id(f"problem-{other}").is_checked()
    assert specialist.get_by_test_id("passed-no").is_checked()

    # Before submitting: still nothing of the lead's.
    specialist.goto(session_url)
    assert specialist.get_by_test_id("cal-agreement").count() == 0
    assert LEAD_NOTE not in specialist.content()
    with specialist.expect_navigation():
        specialist.get_by_test_id("cal-submit").click()
    assert "评分已提交" in specialist.get_by_test_id("notice").inner_text()
    # Submitted: the comparison, but the lead has not submitted, so none of the lead's.
    assert specialist.get_by_test_id("cal-agreement").count() == 1
    assert "demo-lead" in specialist.get_by_test_id("cal-pending").inner_text()
    assert LEAD_NOTE not in specialist.content()
    assert SPECIALIST_NOTE in specialist.content()

    # The lead, not yet submitted, still sees only their own answers; then submits.
    lead.goto(session_url)
    assert lead.get_by_test_id("cal-agreement").count() == 0
    assert SPECIALIST_NOTE not in lead.content()
    with lead.expect_navigation():
        lead.get_by_test_id("cal-submit").click()

    # Everything side by side: where they disagree with each other and with the engine.
    agreement = lead.get_by_test_id("cal-agreement")
    assert agreement.count() == 1 and lead.get_by_test_id("cal-pending").count() == 0
    # Pass/fail: both fail chat 1, split on chat 2, both pass chat 3: P_o = (1 + 0 + 1) / 3,
    # P_e = (3/6)^2 + (3/6)^2 = 1/2, Fleiss' kappa = (2/3 - 1/2) / (1/2) = 1/3.
    fleiss = lead.get_by_test_id("fleiss-passed").locator("b").inner_text()
    assert float(fleiss) == pytest.approx(1 / 3, abs=0.005)
    assert lead.get_by_test_id("fleiss-all").locator("b").inner_text() != "—"
    assert _section(lead, 2).get_by_test_id("cal-split").count() == 1
    line = _section(lead, 2).locator('[data-testid="cal-line"][data-code="perfunctory"]')
    assert "分歧" in line.inner_text()
    engine_line = _section(lead, 1).locator(f'[data-testid="cal-line"][data-code="{category}"]')
    assert engine_line.get_by_test_id("engine-vote").inner_text() == "有"
    assert LEAD_NOTE in lead.content() and SPECIALIST_NOTE in lead.content()

    # Final answers: chat 1 as the majority has it (pre-ticked), chat 2 decided by the lead.
    first = _section(lead, 1).get_by_test_id("final-form")
    assert first.get_by_test_id(f"final-{category}").is_checked()
    assert not first.get_by_test_id(f"final-{other}").is_checked()
    with lead.expect_navigation():
        first.get_by_test_id("save-final").click()
    assert "已保存第 1 段的定案" in lead.get_by_test_id("notice").inner_text()
    second = _section(lead, 2).get_by_test_id("final-form")
    second.get_by_test_id("final-perfunctory").check()
    second.get_by_test_id("final-passed-no").check()
    second.get_by_test_id("final-note").fill("答非所问，属于敷衍")
    with lead.expect_navigation():
        second.get_by_test_id("save-final").click()

    # Both become teaching cases: the engine's flag waiting in the queue is confirmed, and
    # the problem the engine missed becomes a confirmed item of its own.
    for position, code in ((1, category), (2, "perfunctory")):
        with lead.expect_navigation():
            _section(lead, position).locator(
                f'[data-testid="make-case"][data-code="{code}"]'
            ).click()
        assert "设为教学案例" in lead.get_by_test_id("notice").inner_text()
        link = _section(lead, position).locator(f'[data-testid="case-link"][data-code="{code}"]')
        assert link.count() == 1
    _full_page(lead, shots / "calibration-results.png")
    for transcript_id, name in ((flagged, category), (clean, "perfunctory")):
        lead.goto(f"/ui/cases?q={transcript_id}")
        cases = lead.get_by_test_id("case")
        assert cases.count() == 1
        assert CATEGORIES[name].name_zh in cases.first.inner_text()
        assert "校准「十一月 · 校准演练」定案" in cases.first.inner_text()
    with lead.expect_navigation():
        lead.get_by_test_id("case").first.click()
    assert "已确认" in lead.get_by_test_id("item-status").inner_text()

    # At 800 px: the comparison scrolls inside its tables, never the page sideways.
    specialist.set_viewport_size({"width": 800, "height": 900})
    specialist.goto(session_url)
    assert specialist.evaluate("document.documentElement.scrollWidth") <= 800
    _full_page(specialist, shots / "calibration-results-800.png")
    lead.set_viewport_size({"width": 800, "height": 900})
    lead.goto("/ui/calibration")
    assert lead.evaluate("document.documentElement.scrollWidth") <= 800
    lead.screenshot(path=str(shots / "calibration-list-800.png"))


@contextmanager
def _client(desk, who: str) -> Iterator[httpx.Client]:
    """A browser-like client (same-origin POSTs) signed in as `who`."""
    with httpx.Client(
        base_url=desk.base, timeout=20.0, follow_redirects=False, headers={"Origin": desk.base}
    ) as client:
        answer = client.post("/ui/login", data={"key": desk.keys[who]})
        assert answer.status_code == 303, answer.text
        yield client


def _people(desk) -> dict[str, int]:
    with _client(desk, "demo-lead") as lead:
        page = lead.get("/ui/calibration/new").text
    return {
        name: int(ident)
        for ident, name in re.findall(
            r'name="participant" value="(\d+)"[^>]*data-name="([^"]+)"', page
        )
    }


def test_refusals_over_http(cal_desk):
    people = _people(cal_desk)
    assert "demo-specialist" in people and not any(n.startswith("demo-agent") for n in people)
    with _client(cal_desk, "demo-lead") as lead:
        made = lead.post(
            "/ui/calibration/new",
            data={"action": "create", "title": "权限检查", "ids": "demo-jd-001",
                  "participant": [people["demo-lead"], people["demo-specialist"]]},
        )  # fmt: skip
        assert made.status_code == 303, made.text
        url = made.headers["location"]
        # a rater who has not submitted decides nothing
        final = lead.post(url + "/chats/1/final", data={"passed": "yes", "version": "1"})
        assert final.status_code == 409 and "请先提交自己的评分" in final.text
        # a form from another site is refused before anything else
        foreign = lead.post(url + "/submit", headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403 and "请求来源校验失败" in foreign.text
        # an answer without a verdict, with a category that is the customer's
        bad = lead.post(url + "/chats/1", data={"problem": ["customer_negative"]})
        assert bad.status_code == 422
        assert "未知的问题类别" in bad.text and "请选择这段会话「合格」还是「不合格」" in bad.text
        early = lead.post(url + "/submit")
        assert early.status_code == 422 and "还有会话没有评分：第 1 段" in early.text
    with _client(cal_desk, "demo-specialist-2") as outsider:
        assert outsider.get(url).status_code == 404
        assert outsider.get(url + "/chats/1").status_code == 404
        listed = outsider.get("/ui/calibration")
        assert listed.status_code == 200 and "权限检查" not in listed.text
        assert outsider.get("/ui/calibration/new").status_code == 403
        refused = outsider.post(
            "/ui/calibration/new",
            data={"action": "create", "title": "x", "ids": "demo-jd-001",
                  "participant": [people["demo-specialist"], people["demo-specialist-2"]]},
        )  # fmt: skip
        assert refused.status_code == 403 and "质检组长" in refused.text
    with _client(cal_desk, cal_desk.agent) as agent:
        page = agent.get("/ui/calibration")
        assert page.status_code == 403 and "客服" in page.text
        assert agent.get(url).status_code == 403
        assert 'data-testid="nav-calibration"' not in agent.get("/ui/cases").text
