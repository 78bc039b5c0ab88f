"""End-to-end: 全部会话 (every stored chat, searchable), opening any chat, starting a review
of a chat without a work item, and the desk defects found by trying it (numbering, the
score box, the unknown-value filter, the narrow window, Enter in a list, the favicon)."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import func, select

from qc_engine.db.models import StoredFlag, StoredMessage, StoredTranscript, WorkItem


def _count(desk, query) -> int:
    with desk.state.sessions() as session:
        return int(session.scalar(query) or 0)


def _total(page) -> int:
    return int(page.get_by_test_id("chats-total").inner_text().split()[0])


def _shown(page) -> list[str]:
    return [r.get_attribute("data-transcript") for r in page.get_by_test_id("chat-row").all()]


def test_browse_and_search_every_chat(desk, open_as, shots):
    page = open_as("demo-specialist")
    page.get_by_test_id("nav-chats").click()
    page.wait_for_url(re.compile(r"/ui/chats$"))
    stored = _count(desk, select(func.count()).select_from(StoredTranscript))
    assert _total(page) == stored > 50  # every stored chat, not only those with work items
    assert len(_shown(page)) == 50  # one page
    page.screenshot(path=str(shots / "chats.png"))

    # Text search in the messages ("/" focuses the box).
    page.keyboard.press("/")
    page.keyboard.type("发货")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"text="))
    holding = _count(
        desk,
        select(func.count(func.distinct(StoredMessage.transcript_id))).where(
            StoredMessage.text.contains("发货")
        ),
    )
    assert 0 < _total(page) == holding
    for transcript_id in _shown(page)[:5]:
        texts = [m["text"] for m in desk.transcript(transcript_id)["messages"]]
        assert any("发货" in t for t in texts)

    # Failed chats of one category, within a score range.
    page.goto("/ui/chats?passed=no")
    failed = _count(
        desk, select(func.count()).select_from(StoredTranscript).where(~StoredTranscript.passed)
    )
    assert _total(page) == failed > 0
    assert page.locator(".score-pill.pass").count() == 0
    page.goto("/ui/chats?score_min=60&score_max=80&category=missing_greeting")
    expected = _count(
        desk,
        select(func.count())
        .select_from(StoredTranscript)
        .where(
            StoredTranscript.score.between(60, 80),
            StoredTranscript.id.in_(
                select(StoredFlag.transcript_id).where(StoredFlag.category == "missing_greeting")
            ),
        ),
    )
    assert _total(page) == expected
    assert all(60 <= int(s) <= 80 for s in page.locator(".score-pill").all_inner_texts()), (
        "a score outside the range"
    )
    assert page.get_by_test_id("q-category").input_value() == "missing_greeting"

    # Bad values are named, in Chinese, and ignored; the page still answers.
    answer = page.goto("/ui/chats?date_from=2026-13-01&score_min=abc&date_to=2026-11-01")
    assert answer is not None and answer.status == 200
    error = page.get_by_test_id("error").inner_text()
    assert "开始日期" in error and "最低分" in error
    page.goto("/ui/chats?date_from=2026-12-01&date_to=2026-11-01")
    assert "开始日期晚于结束日期" in page.get_by_test_id("error").inner_text()


def test_open_any_chat_and_start_a_review(desk, open_as, shots):
    lonely = _count(
        desk,
        select(func.count())
        .select_from(StoredTranscript)
        .where(~StoredTranscript.id.in_(select(WorkItem.transcript_id))),
    )
    assert lonely > 0
    with desk.state.sessions() as session:
        chat_id = session.scalar(
            select(StoredTranscript.id)
            .where(~StoredTranscript.id.in_(select(WorkItem.transcript_id)))
            .order_by(StoredTranscript.id.desc())
        )
    page = open_as("demo-specialist")
    page.goto("/ui/chats")
    # Enter opens the selected row (the first, from the start); j moves down.
    first = page.get_by_test_id("chat-row").first.get_attribute("data-transcript")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_test_id("transcript-id").inner_text() == first

    page.goto("/ui/chats/" + quote(chat_id, safe=""))
    assert page.get_by_test_id("transcript-id").inner_text() == chat_id
    assert "没有复核条目" in page.get_by_test_id("item-bar").inner_text()
    # Messages are numbered 第 N 条 from 1, the way a reader counts.
    assert "第 1 条" in page.get_by_test_id("chat").inner_text()
    assert "#0" not in page.get_by_test_id("chat").inner_text()
    page.screenshot(path=str(shots / "chat-start-review.png"))
    page.get_by_test_id("start-review").click()
    page.wait_for_url(re.compile(r"/ui/items/\d+"))
    assert "已加入复核队列" in page.get_by_test_id("notice").inner_text()
    item_id = int(page.url.split("/ui/items/")[1].split("?")[0])
    (item,) = desk.items(transcript_id=chat_id)
    assert item["id"] == item_id and item["kind"] == "sample" and item["status"] == "open"
    # Opening the chat again lands on its item; starting again adds nothing.
    page.goto("/ui/chats/" + quote(chat_id, safe=""))
    assert page.url.split("?")[0].endswith(f"/ui/items/{item_id}")
    assert len(desk.items(transcript_id=chat_id)) == 1

    # A chat that does not exist: a Chinese 404.
    answer = page.goto("/ui/chats/no-such-chat")
    assert answer is not None and answer.status == 404
    assert "找不到该会话" in page.get_by_test_id("error").inner_text()


def test_an_agent_sees_only_their_own_chats(desk, open_as):
    page = open_as(desk.agent)
    page.goto("/ui/chats")
    name = desk.agent.removeprefix("demo-agent-")
    own = _count(
        desk,
        select(func.count()).select_from(StoredTranscript).where(StoredTranscript.agent == name),
    )
    assert _total(page) == own > 0
    assert set(page.locator(".c-agent").all_inner_texts()[1:]) == {name}
    with desk.state.sessions() as session:
        other = session.scalar(
            select(StoredTranscript.id).where(StoredTranscript.agent != name).limit(1)
        )
    answer = page.goto("/ui/chats/" + quote(str(other), safe=""))
    assert answer is not None and answer.status == 404
    assert page.get_by_test_id("start-review").count() == 0


def test_one_numbering_and_the_score_box_after_decisions(desk, open_as):
    page = open_as("demo-specialist")
    items = [i for i in desk.items(transcript_id="demo-presale-002") if i["status"] in ("open",)]
    assert items
    item = items[0]
    page.goto(f"/ui/items/{item['id']}")
    assert "尚未人工复核" in page.get_by_test_id("engine-score").inner_text()
    bar = page.get_by_test_id("item-bar").inner_text()
    assert f"#{item['id']}" not in bar and "问题 " in bar
    number = page.locator(f'[data-testid="flag"][data-item="{item["id"]}"]').get_attribute(
        "data-flag"
    )
    card = page.locator(f'[data-testid="flag"][data-item="{item["id"]}"]')
    card.get_by_test_id("confirm").click()
    page.wait_for_load_state()
    notice = page.get_by_test_id("notice").inner_text()
    assert f"问题 {number}「" in notice and f"#{item['id']}" not in notice
    assert "已复核 1 项" in page.get_by_test_id("engine-score").inner_text()


def test_missing_closing_sits_on_the_agents_message(desk, open_as):
    rows = desk.transcript("demo-jd-001")
    roles = [m["role"] for m in rows["messages"]]
    closing = [f for f in rows["flags"] if f["category"] == "missing_closing"]
    assert closing and all(roles[f["message_index"]] == "agent" for f in closing)


def test_unknown_agent_shop_and_channel_filter_what_they_count(desk, open_as):
    transcript = {
        "id": "ui-no-shop-001",
        "messages": [
            {"role": "customer", "text": "你好，这个什么时候发货"},
            {"role": "agent", "text": "加我微信吧，微信上给你便宜"},
        ],
    }
    with desk.api("demo-lead") as api:
        answer = api.post("/v1/transcripts", json=transcript)
    assert answer.status_code in (200, 201), answer.text
    page = open_as("demo-specialist")
    page.goto("/ui/queue")
    for facet in ("agent", "shop", "channel"):
        link = page.locator(f'[data-facet="{facet}"] a[data-value="(none)"]')
        if not link.is_visible():  # among the less frequent values, folded
            page.locator(f'[data-facet="{facet}"] details.more summary').click()
        assert "未填写" in link.inner_text() and "(none)" not in link.inner_text()
        expected = int(link.locator(".n").inner_text())
        link.click()
        page.wait_for_url(re.compile(facet + r"=%28none%29"))
        assert page.get_by_test_id("queue-row").count() == expected > 0
        assert "未填写" in page.locator(".active-filters").inner_text()
        page.goto("/ui/queue")


def test_queue_enter_chat_time_narrow_window_and_favicon(desk, open_as, shots):
    page = open_as("demo-specialist")
    # The chat's own time is shown beside the time it entered the queue.
    assert page.get_by_test_id("chat-time").count() > 0
    first = page.get_by_test_id("queue-row").first
    target = first.get_attribute("data-href").split("?")[0]
    with page.expect_navigation():
        page.keyboard.press("Enter")  # without pressing j first
    assert page.url.split("?")[0].endswith(target)

    # At 800 px the top bar wraps between its links, never inside one, and does not
    # cover the page when it scrolls.
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto("/ui/chats")
    heights = page.eval_on_selector_all(
        ".nav a", "links => links.map(a => a.getBoundingClientRect().height)"
    )
    assert max(heights) < 40, heights  # one line each
    assert page.eval_on_selector(".topbar", "e => getComputedStyle(e).position") == "static"
    assert page.evaluate("document.documentElement.scrollWidth") <= 800  # nothing overflows
    page.screenshot(path=str(shots / "chats-800.png"), full_page=False)

    # A favicon, served from the package.
    icon = page.eval_on_selector('link[rel="icon"]', "e => e.href")
    with desk.api("demo-lead") as api:
        assert api.get(icon).status_code == 200
        assert api.get("/favicon.ico", follow_redirects=True).status_code == 200


def test_checklists_page_speaks_chinese(desk, open_as, shots):
    page = open_as("demo-specialist")
    page.goto("/ui/checklists")
    page.screenshot(path=str(shots / "checklists.png"))
    for section in page.get_by_test_id("checklist").all():
        description = section.locator("p.muted.small").first.inner_text()
        assert not re.search(r"[A-Za-z]{4,}", description), description
    params = " ".join(page.get_by_test_id("params").all_inner_texts())
    assert "兑现时限（秒）：600" in params
    assert "{'" not in params and "window_seconds" not in params
    assert "适用角色：客服" in params  # roles in words, not codes
