"""End-to-end: assignment and bulk decisions in headless Chromium, each test on a desk of
its own (assignments change whom claim-next hands the demo chats to). demo-lead gives a
chat (ticked in the queue) and a queue rule to demo-specialist and sets a target;
demo-specialist presses n and gets that chat first, then the rule's items, and sees
今日已处理 N / 目标 M, while demo-specialist-2 never gets them; the lead bulk-dismisses one
rule's flags with a note, an item someone holds is skipped and a double submit changes
nothing more; the forms' refusals in Chinese; the pages at 1440 px and 800 px."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from .conftest import running_desk, sign_in

JD = "jd"  # the queue rule's channel: a few demo items, none in the chat given out


@pytest.fixture
def own_desk(tmp_path):
    with running_desk(tmp_path) as desk:
        yield desk


@pytest.fixture
def as_who(own_desk, browser):
    pages = []

    def opened(who: str):
        pages.append(sign_in(browser, own_desk, who))
        return pages[-1]

    yield opened
    for page in pages:
        page.context.close()


def _notice(page) -> str:
    return page.get_by_test_id("notice").inner_text()


def _open(desk, **params):
    return [i for i in desk.items(**params) if i["status"] in ("open", "in_review")]


def _fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_lead_assigns_and_the_specialist_gets_that_work_first(own_desk, as_who, shots):
    desk = own_desk
    flagged = [i for i in _open(desk, kind="flag") if i["channel"] != JD]
    per_chat = Counter(i["transcript_id"] for i in flagged)
    # the chat given out: two open items, as far down the queue as such a chat goes
    chat = [t for t in dict.fromkeys(i["transcript_id"] for i in flagged) if per_chat[t] == 2][-1]
    jd_items = _open(desk, channel=JD)
    assert jd_items and chat not in {i["transcript_id"] for i in jd_items}

    lead = as_who("demo-lead")
    lead.goto("/ui/queue")
    row = lead.locator(f'[data-testid="queue-row"][data-transcript="{chat}"]').first
    row.get_by_test_id("pick-chat").check()
    lead.get_by_test_id("assign-to").select_option(label="demo-specialist（质检专员）")
    lead.get_by_test_id("assign-chats").click()
    lead.wait_for_load_state()
    assert "已把 1 段会话（共 2 条待处理）分配给 demo-specialist" in _notice(lead)
    owner = lead.locator(f'[data-testid="queue-row"][data-transcript="{chat}"]').first
    assert "demo-specialist" in owner.get_by_test_id("owner").inner_text()

    # the assignment page: a target and a queue rule for the same specialist
    lead.get_by_test_id("nav-assignment").click()
    lead.wait_for_url(re.compile(r"/ui/assignment"))
    card = lead.locator('[data-testid="reviewer"][data-user="demo-specialist"]')
    assert chat in card.get_by_test_id("assigned-chats").inner_text()
    card.get_by_test_id("target").fill("12")
    card.get_by_test_id("save-target").click()
    lead.wait_for_load_state()
    assert "已把 demo-specialist 的每日目标设为 12 条" in _notice(lead)
    card.get_by_test_id("rule-channel").select_option(JD)
    card.get_by_test_id("add-rule").click()
    lead.wait_for_load_state()
    assert "已添加规则：渠道 京东" in _notice(lead)
    assert "渠道 京东" in card.get_by_test_id("rules").inner_text()
    assigned = 2 + len(jd_items)
    assert int(card.get_by_test_id("assigned-open").inner_text()) == assigned
    summary = lead.locator('[data-testid="summary-row"][data-user="demo-specialist"]')
    assert summary.get_by_test_id("summary-target").inner_text() == "12"
    assert int(summary.get_by_test_id("summary-open").inner_text()) == assigned
    lead.goto("/ui/assignment")  # at the top of the page, for the pictures
    lead.screenshot(path=str(shots / "assignment.png"), full_page=True)
    _fits(lead, 800)
    lead.screenshot(path=str(shots / "assignment-800.png"), full_page=True)

    # the specialist: the target in the top bar, the assigned work counted in the queue
    specialist = as_who("demo-specialist")
    assert specialist.get_by_test_id("today").inner_text() == "今日已处理 0 / 目标 12"
    assert int(specialist.get_by_test_id("assigned-count").inner_text()) == assigned
    assert specialist.get_by_test_id("assigned-split").inner_text() == (
        f"整段会话 2 · 队列规则 {len(jd_items)}"
    )
    specialist.get_by_test_id("assigned-me").click()
    specialist.wait_for_url(re.compile(r"assigned=me"))
    rows = specialist.get_by_test_id("queue-row")
    assert rows.count() == assigned
    assert set(rows.get_by_test_id("owner").all_inner_texts()) == {"分配给我"}
    specialist.screenshot(path=str(shots / "queue-assigned.png"))
    specialist.goto("/ui/queue")

    # n: the assigned chat first, though red lines wait above it in the queue
    specialist.keyboard.press("n")
    specialist.wait_for_url(re.compile(r"/ui/items/\d+"))
    assert specialist.get_by_test_id("transcript-id").inner_text() == chat
    for _ in range(2):
        with specialist.expect_navigation():
            specialist.keyboard.press("c")
    assert specialist.get_by_test_id("today").inner_text() == "今日已处理 2 / 目标 12"
    # then the queue rule's items (the JD channel)
    with specialist.expect_navigation():
        specialist.keyboard.press("n")
    assert "京东" in specialist.locator("dl.meta").inner_text()

    # another specialist's n never lands on that work
    other = as_who("demo-specialist-2")
    other.keyboard.press("n")
    other.wait_for_url(re.compile(r"/ui/items/\d+"))
    assert other.get_by_test_id("transcript-id").inner_text() != chat
    assert "京东" not in other.locator("dl.meta").inner_text()


def test_a_lead_bulk_dismisses_one_rules_flags_with_a_note(own_desk, as_who, shots):
    desk = own_desk
    per_rule = Counter(i["flag"]["rule"] for i in _open(desk, kind="flag"))
    rule = next(r for r, n in per_rule.most_common() if 3 <= n <= 8)
    items = [i for i in _open(desk, kind="flag") if i["flag"]["rule"] == rule]
    chats = Counter(i["transcript_id"] for i in items)
    held = next(i for i in reversed(items) if chats[i["transcript_id"]] == 1)
    with desk.api("demo-specialist-2") as api:
        answer = api.post(f"/v1/work-items/{held['id']}/claim", json={"version": held["version"]})
        assert answer.status_code == 200, answer.text
    scores = {i["transcript_id"]: desk.transcript(i["transcript_id"])["score"] for i in items}

    lead = as_who("demo-lead")
    lead.goto("/ui/queue")
    lead.locator(f'[data-facet="rule"] a[data-value="{rule}"]').click()
    lead.wait_for_url(re.compile(r"rule="))
    assert lead.get_by_test_id("queue-row").count() == len(items)
    form = lead.get_by_test_id("bulk-form")
    assert int(form.get_by_test_id("bulk-count").inner_text()) == len(items)
    assert f"批量驳回 {len(items)} 条" in form.get_by_test_id("bulk-dismiss").inner_text()
    ids = form.locator('input[name="ids"]').input_value()

    # the note is required: the browser asks for it, and the server refuses without it
    form.get_by_test_id("bulk-dismiss").click()
    assert lead.evaluate("document.getElementById('bulk-note').validity.valueMissing")
    lead.evaluate("document.getElementById('bulk-note').removeAttribute('required')")
    form.get_by_test_id("bulk-note").fill("   ")
    with lead.expect_navigation() as refused:
        form.get_by_test_id("bulk-dismiss").click()
    assert refused.value.status == 422
    assert "请填写备注" in lead.get_by_test_id("error").inner_text()
    assert all(i["status"] != "dismissed" for i in desk.items(rule=rule))

    note = "抽查多段会话后确认为误报：批量驳回"
    lead.goto(f"/ui/queue?rule={rule}")
    lead.get_by_test_id("bulk-note").fill(note)
    lead.screenshot(path=str(shots / "queue-bulk.png"))
    _fits(lead, 800)
    lead.get_by_test_id("lead-tools").scroll_into_view_if_needed()
    lead.screenshot(path=str(shots / "queue-bulk-800.png"))
    _fits(lead, 1440)
    lead.get_by_test_id("bulk-dismiss").click()
    lead.wait_for_load_state()
    message = _notice(lead)
    assert f"已批量驳回规则 {rule} 的 {len(items) - 1} 条" in message
    assert "跳过 1 条：正由他人复核（demo-specialist-2）" in message
    after = {i["id"]: i for i in desk.items(rule=rule)}
    for item in items:
        if item["id"] == held["id"]:
            continue
        assert (after[item["id"]]["status"], after[item["id"]]["note"]) == ("dismissed", note)
        assert after[item["id"]]["reviewer"] == "demo-lead"
    assert after[held["id"]]["status"] == "in_review"
    # each chat was scored again without the dismissed flags
    assert any(desk.transcript(t)["score"] > s for t, s in scores.items())
    assert lead.get_by_test_id("bulk-count").inner_text() == "1"  # the held one is left

    # a double submit (the same form sent again) changes nothing more
    again = lead.request.post(
        f"{desk.base}/ui/queue/bulk-decide",
        form={"rule": rule, "decision": "dismiss", "note": note, "ids": ids, "q": f"rule={rule}"},
        headers={"Origin": desk.base},
        max_redirects=0,
    )
    assert again.status == 303
    lead.goto(f"/ui/queue?rule={rule}")
    message = _notice(lead)
    assert f"{len(items) - 1} 条此前已驳回，未重复处理" in message
    assert "已批量驳回" not in message
    assert {i["id"]: i["version"] for i in desk.items(rule=rule)} == {
        k: v["version"] for k, v in after.items()
    }


def test_the_forms_refuse_in_chinese_and_only_leads_assign(own_desk, as_who):
    lead = as_who("demo-lead")
    lead.goto("/ui/assignment")
    card = lead.locator('[data-testid="reviewer"][data-user="demo-specialist-2"]')
    card.get_by_test_id("target").fill("很多")
    with lead.expect_navigation() as answer:
        card.get_by_test_id("save-target").click()
    assert answer.value.status == 422
    assert "每日目标请填写 1 到 1000 之间的整数" in lead.get_by_test_id("error").inner_text()
    assert card.get_by_test_id("target").input_value() == "很多"  # kept to correct it
    card.get_by_test_id("add-rule").click()
    lead.wait_for_load_state()
    assert (
        "规则至少要指定店铺、客服、渠道、问题类别中的一项"
        in lead.get_by_test_id("error").inner_text()
    )
    lead.get_by_test_id("chat-ids").fill("demo-presale-002, 没有这段会话")
    lead.get_by_test_id("chat-user").select_option(label="demo-specialist-2（质检专员）")
    lead.get_by_test_id("assign-chats").click()
    lead.wait_for_load_state()
    assert "找不到这些会话：没有这段会话" in lead.get_by_test_id("error").inner_text()
    assert lead.get_by_test_id("chat-ids").input_value() == "demo-presale-002, 没有这段会话"
    lead.get_by_test_id("chat-user").select_option("")
    lead.get_by_test_id("chat-ids").fill("demo-presale-002")
    lead.get_by_test_id("assign-chats").click()
    lead.wait_for_load_state()
    assert "请选择要分配给的质检人员" in lead.get_by_test_id("error").inner_text()
    # from the queue: no chat ticked
    lead.goto("/ui/queue")
    lead.get_by_test_id("assign-to").select_option(label="demo-specialist-2（质检专员）")
    with lead.expect_navigation() as answer:
        lead.get_by_test_id("assign-chats").click()
    assert answer.value.status == 422
    assert "请先勾选或填写要分配的会话" in lead.get_by_test_id("error").inner_text()

    specialist = as_who("demo-specialist")
    assert specialist.get_by_test_id("nav-assignment").count() == 0
    assert specialist.get_by_test_id("lead-tools").count() == 0
    answer = specialist.goto("/ui/assignment")
    assert answer.status == 403
    assert "不能打开分配页面" in specialist.get_by_test_id("error").inner_text()
    refused = specialist.request.post(
        f"{own_desk.base}/ui/assignment/target",
        form={"user_id": "1", "target": "5"},
        headers={"Origin": own_desk.base},
    )
    assert refused.status == 403
    refused = specialist.request.post(
        f"{own_desk.base}/ui/queue/bulk-decide",
        form={"rule": "phrase.rude", "decision": "dismiss", "note": "x", "ids": "1"},
        headers={"Origin": own_desk.base},
    )
    assert refused.status == 403 and "只有质检组长和管理员可以" in refused.text()
