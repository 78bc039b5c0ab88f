"""End-to-end: the review desk in headless Chromium against a real server with the demo
data. Each test uses its own demo chats, so they do not depend on one another's order."""

from __future__ import annotations

import re

from .conftest import running_desk, sign_in


def _score(page) -> int:
    return int(page.get_by_test_id("score").inner_text())


def _flag(page, item_id: int):
    return page.locator(f'[data-testid="flag"][data-item="{item_id}"]')


def _item_id(desk, transcript_id: str, category: str) -> int:
    (item,) = [i for i in desk.items(transcript_id=transcript_id) if i["category"] == category]
    return int(item["id"])


def test_sign_in_filter_the_queue_and_sign_out(desk, open_as, browser, shots):
    # A wrong key is refused with a message, on the page.
    context = browser.new_context(base_url=desk.base, locale="zh-CN")
    page = context.new_page()
    page.goto("/ui/queue")
    assert "/ui/login" in page.url
    page.get_by_test_id("key").fill("qck_not-a-key")
    page.get_by_test_id("login").click()
    assert "密钥无效" in page.get_by_test_id("error").inner_text()
    context.close()

    page = open_as("demo-specialist")
    assert page.url.endswith("/ui/queue")
    assert desk.keys["demo-specialist"] not in page.url
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "qc_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.get_by_test_id("user").inner_text().startswith("demo-specialist")

    rows = page.get_by_test_id("queue-row")
    total = int(page.get_by_test_id("queue-total").inner_text().split()[0])
    assert total >= 50 and rows.count() >= 50
    # Red lines first.
    assert "红线" in rows.first.inner_text()
    page.screenshot(path=str(shots / "queue.png"))

    # Filter by category: the facet's count is the number of rows shown.
    link = page.locator('[data-facet="category"] a[data-value="slow_first_response"]')
    expected = int(link.locator(".n").inner_text())
    link.click()
    page.wait_for_url(re.compile(r"category=slow_first_response"))
    assert (
        rows.count() == expected == int(page.get_by_test_id("queue-total").inner_text().split()[0])
    )
    assert all("首响超时" in text for text in rows.all_inner_texts())
    # ... and by channel within it; the counts follow the other filters.
    channel = page.locator('[data-facet="channel"] a[data-value="tmall"]')
    narrowed = int(channel.locator(".n").inner_text())
    assert 0 < narrowed < expected
    channel.click()
    page.wait_for_url(re.compile(r"channel=tmall"))
    assert rows.count() == narrowed
    assert all("天猫" in text for text in rows.all_inner_texts())
    # Today's items (the demo was just loaded), then clear every filter.
    page.locator('[data-facet="date"] .chips a').first.click()
    page.wait_for_url(re.compile(r"date_from="))
    assert rows.count() == narrowed
    page.get_by_text("全部清除").click()
    page.wait_for_url(re.compile(r"/ui/queue$"))
    assert int(page.get_by_test_id("queue-total").inner_text().split()[0]) == total

    # The read-only checklists page.
    page.goto("/ui/checklists")
    assert page.get_by_test_id("checklist").count() >= 3
    assert "引导站外" in page.content()

    # Sign out: the cookie is gone and pages ask to sign in again.
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/ui/login"))
    assert "已退出登录" in page.get_by_test_id("notice").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "qc_session"]
    page.goto("/ui/queue")
    assert "/ui/login" in page.url


def test_review_a_chat_confirm_dismiss_and_the_score_changes(desk, open_as, shots):
    page = open_as("demo-specialist")
    # "n" on the queue claims the top item (the demo's red-line chat) and opens it.
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/ui/items/\d+"))
    assert page.get_by_test_id("transcript-id").inner_text() == "demo-aftersale-001"
    assert "由我复核" in page.get_by_test_id("item-bar").inner_text()
    assert "j" in page.locator("footer.keys").inner_text()  # the shortcuts are shown

    # Customer left, agent right, bot and system distinct; waits and spans shown.
    chat = page.get_by_test_id("chat")
    assert chat.locator('[data-role="customer"]').count() >= 2
    assert chat.locator('[data-role="agent"]').count() >= 2
    assert chat.locator('[data-role="bot"]').count() == 1
    # one clock (qc_engine/clock.py): the bot's reply at 30 s does not stop it, so the
    # agent's bubble shows the same 130 s the first-response flag measures
    assert "等待 2 分 10 秒" in chat.inner_text()
    assert "等待 1 分 40 秒" not in chat.inner_text()
    marks = chat.locator("mark.span")
    assert "自己去问快递" in marks.all_inner_texts()
    shirking = _flag(page, _item_id(desk, "demo-aftersale-001", "shirking"))
    perfunctory_id = _item_id(desk, "demo-aftersale-001", "perfunctory")
    perfunctory = _flag(page, perfunctory_id)
    assert "phrase.shirking" in shirking.inner_text() and "红线" in shirking.inner_text()
    assert "置信度 100%" in shirking.inner_text()
    before = _score(page)
    assert before == 0  # a red line fails the chat

    # Keyboard: j moves to the next flag, c confirms the focused one.
    page.locator("body").click(position={"x": 5, "y": 200})
    focused = page.locator(".flag.focused")
    assert focused.get_attribute("data-item") == shirking.get_attribute("data-item")
    while focused.get_attribute("data-item") != str(perfunctory_id):
        page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_load_state()
    assert "已确认" in page.get_by_test_id("notice").inner_text()
    assert "已确认" in perfunctory.get_by_test_id("flag-state").inner_text()
    assert _score(page) == before

    # Dismiss the red line with a note: the chat's score comes back.
    shirking.click(position={"x": 200, "y": 10})
    shirking.locator("textarea").fill("买家问的是快递进度，客服已给出物流查询方式，不算推诿")
    shirking.get_by_test_id("dismiss").click()
    page.wait_for_load_state()
    assert "已驳回" in page.get_by_test_id("notice").inner_text()
    assert "已驳回" in shirking.get_by_test_id("flag-state").inner_text()
    after = _score(page)
    assert after > before
    assert after == desk.transcript("demo-aftersale-001")["score"]
    assert "引擎初评 0 分" in page.get_by_test_id("engine-score").inner_text()
    assert "不算推诿" in shirking.inner_text()
    assert int(page.get_by_test_id("done-today").inner_text()) >= 2
    page.screenshot(path=str(shots / "chat.png"))

    # "n" does not leave a chat with flags still to review; "s" skips it, giving it back.
    path = page.url.split("?")[0]
    with page.expect_navigation():
        page.keyboard.press("n")
    assert page.url.split("?")[0] == path and "待复核" in page.get_by_test_id("notice").inner_text()
    with page.expect_navigation():
        page.keyboard.press("s")
    assert "已跳过会话 demo-aftersale-001" in page.get_by_test_id("notice").inner_text()
    assert page.get_by_test_id("transcript-id").inner_text() != "demo-aftersale-001"
    left = [
        i
        for i in desk.items(transcript_id="demo-aftersale-001")
        if i["status"] in ("open", "in_review")
    ]
    assert left and all(i["status"] == "open" and i["reviewer"] is None for i in left)


def test_appeal_as_the_agent_and_decide_as_a_lead(desk, open_as):
    agent_name = desk.agent.removeprefix("demo-agent-")
    candidates = [
        i
        for i in desk.items(agent=agent_name, status="open", kind="flag")
        if i["transcript_id"] != "demo-aftersale-001"
    ]
    item = candidates[0]
    with desk.api("demo-lead") as api:
        answer = api.post(f"/v1/work-items/{item['id']}/confirm", json={"version": item["version"]})
        assert answer.status_code == 200, answer.text
    score_confirmed = desk.transcript(item["transcript_id"])["score"]

    agent = open_as(desk.agent)
    assert "/ui/agents/" in agent.url  # an agent's home is their own page (test_agent_page.py)
    agent.goto("/ui/appeals")
    row = agent.locator(f'[data-testid="section-confirmed"] [data-item="{item["id"]}"]')
    row.get_by_test_id("open-item").click()
    agent.wait_for_url(re.compile(rf"/ui/items/{item['id']}"))
    assert agent.get_by_test_id("confirm").count() == 0  # an agent reviews nothing
    flag = _flag(agent, item["id"])
    flag.get_by_test_id("appeal-reason").fill("当时系统卡顿，消息发送延迟，后台有记录可查")
    flag.get_by_test_id("appeal").click()
    agent.wait_for_load_state()
    assert "已对" in agent.get_by_test_id("notice").inner_text()
    assert "申诉中" in flag.get_by_test_id("flag-state").inner_text()

    lead = open_as("demo-lead")
    lead.goto("/ui/appeals")
    row = lead.locator(f'[data-testid="section-appealed"] [data-item="{item["id"]}"]')
    assert "系统卡顿" in row.inner_text()
    row.get_by_test_id("open-item").click()
    lead.wait_for_url(re.compile(rf"/ui/items/{item['id']}"))
    flag = _flag(lead, item["id"])
    assert "系统卡顿" in flag.inner_text()
    flag.locator(".decide-appeal textarea").fill("后台记录属实，撤销扣分")
    flag.get_by_test_id("overturn").click()
    lead.wait_for_load_state()
    assert "申诉成立" in lead.get_by_test_id("notice").inner_text()
    assert "已改判" in flag.get_by_test_id("flag-state").inner_text()
    assert _score(lead) > score_confirmed

    agent.goto("/ui/appeals")
    decided = agent.locator(f'[data-testid="section-decided"] [data-item="{item["id"]}"]')
    assert "已改判" in decided.inner_text()


def test_two_specialists_on_the_same_chat(desk, open_as):
    # A chat with two open items that no one holds.
    busy = {i["transcript_id"] for i in desk.items(status="in_review")}
    chats: dict[str, list[int]] = {}
    for item in desk.items(status="open", kind="flag"):
        if item["transcript_id"] not in busy:
            chats.setdefault(item["transcript_id"], []).append(item["id"])
    chat_id, (held_id, sibling_id, *_) = next((c, ids) for c, ids in chats.items() if len(ids) >= 2)
    second = open_as("demo-specialist-2")
    second.goto(f"/ui/items/{held_id}")
    first = open_as("demo-specialist")
    first.goto(f"/ui/items/{held_id}")

    # The first claims the chat; the second, on a page loaded before, tries to confirm.
    first.get_by_test_id("claim").click()
    first.wait_for_load_state()
    assert "已领取" in first.get_by_test_id("notice").inner_text()
    _flag(second, held_id).get_by_test_id("confirm").click()
    second.wait_for_load_state()
    message = second.get_by_test_id("error").inner_text()
    assert "正由 demo-specialist 复核" in message and "未生效" in message
    assert "demo-specialist 正在复核" in second.get_by_test_id("holder").inner_text()
    # The whole chat is held: the second can act on none of its flags.
    for item_id in (held_id, sibling_id):
        assert _flag(second, item_id).get_by_test_id("confirm").count() == 0
        assert "demo-specialist 正在复核" in _flag(second, item_id).inner_text()
    # ... and claiming the next item never lands the second in that chat.
    second.get_by_test_id("next").click()
    second.wait_for_url(re.compile(r"/ui/items/\d+"))
    assert second.get_by_test_id("transcript-id").inner_text() != chat_id

    # Both open an unclaimed item; the first dismisses it; the second's confirm is a 409.
    busy = {i["transcript_id"] for i in desk.items(status="in_review")}
    stale_id = [
        i for i in desk.items(status="open", kind="flag") if i["transcript_id"] not in busy
    ][-1]["id"]
    first.goto(f"/ui/items/{stale_id}")
    second.goto(f"/ui/items/{stale_id}")
    _flag(first, stale_id).get_by_test_id("dismiss").click()
    first.wait_for_load_state()
    assert "已驳回" in _flag(first, stale_id).get_by_test_id("flag-state").inner_text()
    _flag(second, stale_id).get_by_test_id("confirm").click()
    second.wait_for_load_state()
    message = second.get_by_test_id("error").inner_text()
    assert "已被 demo-specialist 更新" in message and "已驳回" in message
    assert "已驳回" in _flag(second, stale_id).get_by_test_id("flag-state").inner_text()
    assert "Traceback" not in second.content()


def test_a_chat_with_markup_shows_it_as_text(desk, open_as):
    chat = {
        "id": "ui-escape-1",
        "channel": "taobao",
        "shop": "<i>测试</i>店",
        "agent": "<b>小坏</b>",
        "order_status": "paid",
        "messages": [
            {
                "role": "customer",
                "sender": "<img src=x onerror=alert(1)>",
                "ts": "2026-11-20T10:00:00+08:00",
                "text": "<script>window.__pwned = 1</script>能便宜点吗",
            },
            {
                "role": "agent",
                "sender": "<b>小坏</b>",
                "ts": "2026-11-20T10:00:20+08:00",
                "text": '亲，加我微信，私下给您便宜 <img src=x onerror="window.__pwned=2">',
            },
        ],
    }
    with desk.api("demo-service") as api:
        answer = api.post("/v1/transcripts", json=chat)
        assert answer.status_code == 200, answer.text
    (item,) = [
        i for i in desk.items(transcript_id="ui-escape-1") if i["category"] == "off_platform"
    ]
    page = open_as("demo-specialist")
    page.goto(f"/ui/items/{item['id']}")
    bubbles = page.get_by_test_id("chat").locator(".bubble")
    assert bubbles.first.inner_text() == "<script>window.__pwned = 1</script>能便宜点吗"
    assert "<img src=x" in bubbles.nth(1).inner_text()
    assert page.get_by_test_id("chat").locator("script, img, b, i").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "<b>小坏</b>" in page.locator(".meta").inner_text()

    page.goto("/ui/queue?agent=%3Cb%3E%E5%B0%8F%E5%9D%8F%3C%2Fb%3E")
    row = page.get_by_test_id("queue-row").first
    assert "<b>小坏</b>" in row.inner_text()
    assert page.locator("tbody b, tbody i, tbody img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_sample_review_with_a_missed_problem(desk, open_as):
    page = open_as("demo-specialist-2")
    page.locator('[data-facet="category"] a[data-value="sample"]').click()
    page.wait_for_url(re.compile(r"category=sample"))
    page.get_by_test_id("claim-next").click()
    page.wait_for_url(re.compile(r"/ui/items/\d+\?category=sample"))
    box = page.get_by_test_id("sample")
    box.get_by_test_id("finding-category").first.select_option("perfunctory")
    box.locator('select[name="finding_message"]').first.select_option("1")
    box.locator('input[name="finding_note"]').first.fill("回答太简单，没有解决问题")
    box.get_by_test_id("review-sample").click()
    page.wait_for_load_state()
    assert "已完成抽检" in page.get_by_test_id("notice").inner_text()
    assert "已抽检" in page.get_by_test_id("item-status").inner_text()
    assert "敷衍（消息 #1）" in box.inner_text()


def test_teaching_case_library(desk, open_as):
    # A chat at the end of the queue, which no other test claims.
    busy = {i["transcript_id"] for i in desk.items(status="in_review")}
    item = [i for i in desk.items(status="open", kind="flag") if i["transcript_id"] not in busy][-1]
    item_id, category = item["id"], item["category"]
    page = open_as("demo-lead")
    page.goto(f"/ui/items/{item_id}")
    _flag(page, item_id).get_by_test_id("confirm-teach").click()
    page.wait_for_load_state()
    assert "教学案例" in _flag(page, item_id).get_by_test_id("flag-state").inner_text()

    page.goto("/ui/cases")
    page.locator(f'.facet a[data-value="{category}"]').click()
    page.wait_for_url(re.compile(rf"category={category}"))
    cases = page.get_by_test_id("case")
    assert cases.count() == 1 and item["category_name"] in cases.first.inner_text()
    quoted = cases.first.locator("blockquote").inner_text()
    page.get_by_test_id("case-search").fill(quoted[:4])
    page.get_by_test_id("case-search").press("Enter")
    page.wait_for_url(re.compile(r"q="))
    assert cases.count() == 1
    page.get_by_test_id("case-search").fill("没有这种说法的案例")
    page.get_by_test_id("case-search").press("Enter")
    page.wait_for_load_state()
    assert cases.count() == 0
    page.goto("/ui/cases")
    page.get_by_test_id("case").first.click()
    page.wait_for_url(re.compile(r"/ui/items/\d+"))
    assert page.get_by_test_id("chat").count() == 1


def test_a_newcomer_clears_the_whole_demo_queue_with_the_keyboard(browser, tmp_path):
    """The issue's "done": sign in, then only n and c until the queue is empty."""
    with running_desk(tmp_path) as fresh:
        page = sign_in(browser, fresh, "demo-specialist")
        total = int(page.get_by_test_id("queue-total").inner_text().split()[0])
        decisions = 0
        for _ in range(4 * total):
            if "/ui/queue" in page.url and decisions:
                break
            key = "c" if page.locator(".flags-panel .flag.pending").count() else "n"
            with page.expect_navigation():
                page.keyboard.press(key)
            decisions += key == "c"
        assert "队列已清空" in page.get_by_test_id("notice").inner_text()
        assert page.get_by_test_id("queue-empty").count() == 1
        assert int(page.get_by_test_id("done-today").inner_text()) == total == decisions
        assert fresh.items(status="open,in_review") == []
        page.context.close()
