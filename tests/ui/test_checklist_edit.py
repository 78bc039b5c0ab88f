"""End-to-end: a lead edits a lexicon in the desk, tries the draft on the stored chats
(what would no longer be flagged), deploys it as the next version, and rolls back in one
action; specialists may look at versions but not change them."""

from __future__ import annotations

import re

WORD = "四点前拍下"  # said by the agent of the demo chat demo-presale-001, flagged by nothing


def _active(desk, name: str) -> dict:
    with desk.api("demo-lead") as api:
        return api.get(f"/v1/checklists/{name}").json()


def test_edit_try_deploy_and_roll_back_a_lexicon(desk, open_as, shots):
    page = open_as("demo-lead")
    page.goto("/ui/checklists")
    before = _active(desk, "presale")
    assert WORD not in before["lexicons"]["off_platform.txt"]
    page.locator('#cl-presale [data-testid="edit-link"]').click()
    page.wait_for_url(re.compile(r"/ui/checklists/presale/edit$"))

    # Add a line to the off_platform lexicon and try the draft on the stored chats.
    lexicon = page.locator('details[data-lexicon="off_platform.txt"]')
    lexicon.locator("summary").click()
    box = lexicon.locator("textarea")
    box.fill(box.input_value() + WORD + "\n")
    page.get_by_test_id("preview-button").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("preview").is_visible()
    assert int(page.get_by_test_id("added-count").inner_text()) >= 1
    assert int(page.get_by_test_id("removed-count").inner_text()) == 0
    added = page.get_by_test_id("added").inner_text()
    assert WORD in added and "引导站外" in added
    assert page.locator('[data-testid="added"] a[href="/ui/chats/demo-presale-001"]').count() == 1
    # Nothing is deployed by trying; the edit is kept on the page, marked as changed.
    assert _active(desk, "presale")["version"] == before["version"]
    assert "已修改" in page.locator('details[data-lexicon="off_platform.txt"] summary').inner_text()
    page.screenshot(path=str(shots / "checklist-edit.png"))

    # Deploy: the next version carries the new words; chats scored now name it.
    page.get_by_test_id("deploy-button").click()
    page.wait_for_url(re.compile(r"/ui/checklists"))
    new = _active(desk, "presale")
    assert new["version"] == before["version"] + 1
    assert WORD in new["lexicons"]["off_platform.txt"]
    assert f"presale@{new['version']}" in page.get_by_test_id("notice").inner_text()
    chat = {
        "id": "ui-checklist-edit-1",
        "order_status": "unpaid",
        "messages": [
            {"role": "customer", "text": "能便宜点吗"},
            {"role": "agent", "text": f"亲，下午{WORD}当天发"},
        ],
    }
    with desk.api("demo-lead") as api:
        scored = api.post("/v1/score", json=chat).json()
    assert scored["checklist"] == f"presale@{new['version']}"
    assert "off_platform" in [f["category"] for f in scored["flags"]]

    # Roll back in one action from the version history.
    page.goto("/ui/checklists/presale/versions")
    page.get_by_test_id(f"activate-{before['version']}").click()
    page.wait_for_load_state()
    assert "已设为当前版本" in page.get_by_test_id("notice").inner_text()
    assert _active(desk, "presale")["version"] == before["version"]
    with desk.api("demo-lead") as api:
        scored = api.post("/v1/score", json=chat).json()
    assert scored["checklist"] == f"presale@{before['version']}"
    assert "off_platform" not in [f["category"] for f in scored["flags"]]
    page.screenshot(path=str(shots / "checklist-versions.png"))


def test_a_broken_draft_is_refused_on_the_page(desk, open_as):
    page = open_as("demo-lead")
    page.goto("/ui/checklists/default/edit")
    source = page.get_by_test_id("source")
    source.fill(source.input_value().replace("checker: phrase.rude", "checker: phrase.nope"))
    page.get_by_test_id("deploy-button").click()
    page.wait_for_load_state()
    assert "未通过校验" in page.get_by_test_id("error").inner_text()
    assert "phrase.nope" in page.get_by_test_id("problems").inner_text()
    assert "phrase.nope" in page.get_by_test_id("source").input_value()  # the edit is kept
    with desk.api("demo-lead") as api:
        assert "phrase.nope" not in api.get("/v1/checklists/default").json()["source"]


def test_the_editor_and_versions_fit_800_px(desk, open_as):
    page = open_as("demo-lead")
    page.set_viewport_size({"width": 800, "height": 900})
    for path in ("/ui/checklists/aftersale/edit", "/ui/checklists/aftersale/versions"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 800, (path, width)
    page.keyboard.press("u")  # back to the checklists, by keyboard
    page.wait_for_url(re.compile(r"/ui/checklists"))


def test_specialists_see_versions_but_cannot_edit(desk, open_as):
    page = open_as("demo-specialist")
    page.goto("/ui/checklists")
    assert page.get_by_test_id("edit-link").count() == 0
    page.get_by_test_id("versions-link").first.click()
    assert page.get_by_test_id("versions").count() == 1
    assert page.locator('[data-testid^="activate-"]').count() == 0
    answer = page.goto("/ui/checklists/presale/edit")
    assert answer is not None and answer.status == 403
    assert "质检组长" in page.get_by_test_id("error").inner_text()
