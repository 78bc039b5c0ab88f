"""Checklists over the API: list, get, PUT a new version after full validation, and
POST /v1/checklists/test (an unsaved checklist over given transcripts)."""

from __future__ import annotations

import json

import pytest

from .support import (
    CHECKLIST,
    CLEAN,
    DEDUCT_5,
    DEDUCT_10,
    RED_LINE,
    chat,
    checklist_yaml,
    prepared,
)

URL = f"/v1/checklists/{CHECKLIST}"


@pytest.fixture
def qc(api):
    return prepared(api)


def put(qc, source: str | bytes, *, name: str = CHECKLIST, role: str = "admin"):
    body = source.encode() if isinstance(source, str) else source
    return qc.client.put(
        f"/v1/checklists/{name}",
        content=body,
        headers=qc.auth(role) | {"content-type": "application/yaml"},
    )


def test_list_the_active_checklists(qc):
    response = qc.client.get("/v1/checklists", headers=qc.auth("agent"))
    assert response.status_code == 200
    listed = {c["name"]: c for c in response.json()["checklists"]}
    assert {"default", CHECKLIST} <= set(listed)
    ours = listed[CHECKLIST]
    assert (ours["version"], ours["active"], ours["pass_score"]) == (1, True, 60)
    assert ours["created_by"] == "test-admin" and ours["title"] == "API test checklist"
    assert [
        (i["id"], i["checker"], i["category"], i["severity"], i["points"]) for i in ours["items"]
    ] == [
        ("off_platform", "phrase.off_platform", "off_platform", "red_line", 0),
        ("ad_law", "phrase.ad_law_words", "ad_law_words", "deduct", 5),
        ("regulator", "phrase.regulator_mention", "regulator_mention", "deduct", 10),
        ("complaint", "phrase.complaint_threat", "complaint_risk", "deduct", 0),
    ]
    assert listed["default"]["created_by"] == "file:default.yaml"


def test_get_one_with_its_source(qc):
    got = qc.client.get(URL, headers=qc.auth("specialist")).json()
    assert got["source"] == checklist_yaml(1)
    assert got["name"] == CHECKLIST and got["version"] == 1 and got["active"] is True
    missing = qc.client.get("/v1/checklists/nope", headers=qc.auth("lead"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "E404"
    assert qc.client.get(URL, params={"version": 7}, headers=qc.auth("lead")).status_code == 404


def test_put_a_new_version(qc):
    response = put(qc, checklist_yaml(2, points={"ad_law": 8}))
    assert response.status_code == 200, response.text
    stored = response.json()
    assert (stored["version"], stored["active"]) == (2, True)
    assert {i["id"]: i["points"] for i in stored["items"]}["ad_law"] == 8
    assert qc.client.get(URL, headers=qc.auth("lead")).json()["version"] == 2
    old = qc.client.get(URL, params={"version": 1}, headers=qc.auth("lead")).json()
    assert (old["version"], old["active"], old["source"]) == (1, False, checklist_yaml(1))
    # The new version is used at once.
    assert qc.score(chat("CL-1", DEDUCT_5)).json()["score"] == 92
    (activation,) = [
        a for a in qc.audit(entity="checklist", entity_id=CHECKLIST) if a.to_state == "2"
    ]
    assert (activation.actor, activation.action) == ("test-admin", "activate")


def test_old_results_keep_naming_their_version(qc):
    qc.stored(chat("CL-2", DEDUCT_5))
    put(qc, checklist_yaml(2, pass_score=96))
    qc.stored(chat("CL-3", DEDUCT_5))
    old, new = qc.transcript("CL-2"), qc.transcript("CL-3")
    assert (old["checklist"], old["passed"]) == (f"{CHECKLIST}@1", True)
    assert (new["checklist"], new["passed"]) == (f"{CHECKLIST}@2", False)
    # ... and so does each flag
    assert {f["checklist"] for f in old["flags"]} == {f"{CHECKLIST}@1"}
    assert {f["checklist"] for f in new["flags"]} == {f"{CHECKLIST}@2"}
    assert qc.score(chat("CL-2", DEDUCT_5)).json()["checklist"] == f"{CHECKLIST}@2"
    # Sent again, a chat is inspected again under the active version.
    again = qc.stored(chat("CL-2", DEDUCT_5))
    assert again["status"] == "updated" and again["checklist"] == f"{CHECKLIST}@2"
    assert len(qc.items(transcript_id="CL-2")) == 1


@pytest.mark.parametrize(
    ("source", "code", "where"),
    [
        ("name: [apitest\n", "E200", {"line": 2}),
        ("", "E200", {}),
        ("- just\n- a list\n", "E200", {}),
        (
            checklist_yaml(2).replace("phrase.ad_law_words", "phrase.nope"),
            "E201",
            {"detail_field": "items[1] (ad_law).checker"},
        ),
        (
            checklist_yaml(2) + "    params: {max_seconds: soon}\n",
            "E201",
            {"detail_field": "items[3] (complaint).params"},
        ),
        (
            checklist_yaml(2).replace("pass_score: 60", "pass_score: 160"),
            "E201",
            {"detail_field": "pass_score"},
        ),
        (checklist_yaml(2) + "colour: red\n", "E201", {"detail_field": "colour"}),
        (checklist_yaml(2).replace("items:\n", "items: []\nx:\n"), "E201", {}),
        (checklist_yaml(2) + "  - id: ad_law\n    checker: phrase.ad_law_words\n", "E201", {}),
    ],
)
def test_put_validates_everything(qc, source, code, where):
    response = put(qc, source)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if "line" in where:
        assert error["line"] == where["line"]
    if "detail_field" in where:
        fields = [d.get("field", "") for d in error.get("details", [])]
        assert any(f.startswith(where["detail_field"]) for f in fields), error
    assert qc.client.get(URL, headers=qc.auth("lead")).json()["version"] == 1


def test_put_a_bad_lexicon_reference(qc):
    extra = "  - id: mine\n    checker: phrase.off_platform\n    params: {lexicons: [nope.txt]}\n"
    response = put(qc, checklist_yaml(2, extra=extra))
    assert response.status_code == 422
    assert "nope.txt" in response.text


def test_put_refuses_a_version_that_is_not_newer(qc):
    put(qc, checklist_yaml(3))
    for version in (1, 2, 3):
        response = put(qc, checklist_yaml(version))
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "E409" and error["field"] == "version"
        assert "use version 4" in error["message"]


def test_put_under_another_name_is_refused(qc):
    response = put(qc, checklist_yaml(2), name="other")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "name"


def test_put_a_new_checklist_name(qc):
    source = checklist_yaml(1).replace(f"name: {CHECKLIST}", "name: newcomer")
    response = put(qc, source, name="newcomer")
    assert response.status_code == 200 and response.json()["version"] == 1
    listed = qc.client.get("/v1/checklists", headers=qc.auth("lead")).json()
    assert "newcomer" in {c["name"] for c in listed["checklists"]}


def test_put_needs_utf8(qc):
    response = put(
        qc, checklist_yaml(2).encode("gb18030").replace(b"API", "标准".encode("gb18030"))
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "E200"


def test_put_is_for_leads_and_admins(qc):
    for role in ("specialist", "agent", "service"):
        assert put(qc, checklist_yaml(2), role=role).status_code == 403
    assert qc.client.get(URL, headers=qc.auth("lead")).json()["version"] == 1
    assert put(qc, checklist_yaml(2), role="lead").status_code == 200


NEW_WORD = "亲，加我钉钉聊"  # not in the shipped off_platform.txt


def put_json(qc, source: str, lexicons: dict[str, str] | None = None, role: str = "lead"):
    return qc.client.put(URL, json={"source": source, "lexicons": lexicons}, headers=qc.auth(role))


def test_lexicons_are_versioned_with_their_checklist_and_rolled_back_in_one_action(qc):
    v1 = qc.client.get(URL, headers=qc.auth("specialist")).json()
    assert "off_platform.txt" in v1["lexicons"]  # the words version 1 reads, carried with it
    assert qc.score(chat("LX-0", NEW_WORD)).json()["flags"] == []

    # A lexicon change deploys as a new version, with the JSON body.
    words = v1["lexicons"]["off_platform.txt"] + "\n加我钉钉\n"
    answer = put_json(qc, checklist_yaml(2), {"off_platform.txt": words})
    assert answer.status_code == 200, answer.text
    result = qc.score(chat("LX-1", NEW_WORD)).json()
    assert result["checklist"] == f"{CHECKLIST}@2"
    assert [f["category"] for f in result["flags"]] == ["off_platform"]
    v2 = qc.client.get(URL, headers=qc.auth("lead")).json()
    assert v2["lexicons"]["off_platform.txt"] == words
    # Version 1 keeps its own words; the other lexicons come along unchanged.
    old = qc.client.get(URL, params={"version": 1}, headers=qc.auth("lead")).json()
    assert old["lexicons"] == v1["lexicons"]
    assert set(v2["lexicons"]) == set(v1["lexicons"])

    # Rolling back is one action: version 1 scores (and is named) again.
    back = qc.client.post(f"{URL}/activate", json={"version": 1}, headers=qc.auth("lead"))
    assert back.status_code == 200, back.text
    assert (back.json()["version"], back.json()["active"]) == (1, True)
    result = qc.score(chat("LX-2", NEW_WORD)).json()
    assert (result["checklist"], result["flags"]) == (f"{CHECKLIST}@1", [])
    (rollback,) = [
        a
        for a in qc.audit(entity="checklist", entity_id=CHECKLIST)
        if (a.from_state, a.to_state) == ("2", "1")
    ]
    assert rollback.actor == "test-lead"
    # ... and forward again; a new version must still be newer than every stored one.
    qc.client.post(f"{URL}/activate", json={"version": 2}, headers=qc.auth("lead"))
    assert [f["category"] for f in qc.score(chat("LX-3", NEW_WORD)).json()["flags"]] == [
        "off_platform"
    ]
    assert put_json(qc, checklist_yaml(2)).status_code == 409


def test_lexicon_edits_that_would_be_lost_or_break_are_refused(qc):
    unread = put_json(qc, checklist_yaml(2), {"greeting.txt": "您好\n"})
    assert unread.status_code == 422
    assert unread.json()["error"]["field"] == "lexicons.greeting.txt"
    bad_name = put_json(qc, checklist_yaml(2), {"../off_platform.txt": "x\n"})
    assert bad_name.status_code == 422 and bad_name.json()["error"]["code"] == "E202"
    broken = put_json(qc, checklist_yaml(2), {"off_platform.txt": "微信 | bogus: x\n"})
    assert broken.status_code == 422
    assert "off_platform.txt" in json.dumps(broken.json())
    missing = qc.client.post(f"{URL}/activate", json={"version": 9}, headers=qc.auth("lead"))
    assert missing.status_code == 404
    refused = qc.client.post(f"{URL}/activate", json={"version": 1}, headers=qc.auth("specialist"))
    assert refused.status_code == 403
    assert qc.client.get(URL, headers=qc.auth("lead")).json()["version"] == 1


def trial(qc, source, transcripts, role="lead"):
    return qc.client.post(
        "/v1/checklists/test",
        json={"checklist": source, "transcripts": transcripts},
        headers=qc.auth(role),
    )


def test_try_an_unsaved_checklist(qc):
    source = checklist_yaml(9).replace(f"name: {CHECKLIST}", "name: draft")
    transcripts = [
        chat("TR-1", RED_LINE),
        {"id": "TR-bad", "messages": "hello"},
        chat("TR-2", DEDUCT_5, DEDUCT_10),
        chat("TR-3", CLEAN),
    ]
    response = trial(qc, source, transcripts)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["checklist"] == "draft@9"
    assert (out["scored"], out["passed"]) == (3, 2)
    assert [r["id"] for r in out["results"]] == ["TR-1", "TR-2", "TR-3"]
    assert out["results"][1]["score"] == 85
    assert out["flags_per_rule"] == {
        "phrase.off_platform": 1,
        "phrase.ad_law_words": 1,
        "phrase.regulator_mention": 1,
    }
    (rejected,) = out["rejected"]
    assert rejected["index"] == 1 and rejected["error"]["field"] == "transcripts[1].messages"
    # Nothing was saved.
    assert qc.client.get("/v1/checklists/draft", headers=qc.auth("lead")).status_code == 404
    assert qc.items() == []


def test_try_an_invalid_checklist(qc):
    response = trial(qc, "name: draft\nversion: 1\nitems: []\n", [chat("TR-4")])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "E201"
    response = trial(qc, checklist_yaml(1), [])
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "transcripts"


def test_trying_is_for_leads(qc):
    assert trial(qc, checklist_yaml(1), [chat("TR-5")], role="admin").status_code == 200
    for role in ("specialist", "agent", "service"):
        assert trial(qc, checklist_yaml(1), [chat("TR-5")], role=role).status_code == 403


LEXICON_ESCAPES = [
    "/etc/passwd",
    "../../../../etc/passwd",
    "/proc/self/environ",
    "/dev/zero",
    "../lexicons/off_platform.txt",
    "lexicons/off_platform.txt",
    "..\\off_platform.txt",
    ".hidden.txt",
    "off_platform",
    "nope.txt",
    "aftersale.yaml",
    "off_platform.txt\x00.txt",
]


@pytest.mark.parametrize("name", LEXICON_ESCAPES)
def test_a_lexicon_is_named_not_pathed(qc, name):
    """A checklist names lexicons of the lexicon folder; a path, or a name of nothing
    there, is a 422 naming the field, and the answer says nothing of the server's files."""
    item = {"id": "mine", "checker": "phrase.off_platform", "params": {"lexicons": [name]}}
    source = f"name: draft\nversion: 1\nitems: [{json.dumps(item)}]\n"
    for response in (
        trial(qc, source, [chat("TR-6", "root:x:0:0")]),
        put(qc, source, name="draft"),
    ):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        (detail,) = error["details"]
        assert detail["field"] == "items[0] (mine).params.lexicons[0]"
        assert detail["code"] == "E202"
        text = response.text
        for leak in (
            "root:",
            "/etc",
            "/proc",
            "/work",
            "checklists/lexicons",
            "No such file",
            "Permission",
        ):
            assert leak not in text.replace(json.dumps(name)[1:-1], ""), (leak, text)


def test_a_named_lexicon_of_the_folder_is_read(qc):
    item = (
        "  - id: mine\n    checker: phrase.regulator_mention\n"
        "    params: {lexicons: [off_platform.txt]}\n"
    )
    response = trial(qc, f"name: draft\nversion: 1\nitems:\n{item}", [chat("TR-7", "加我微信聊")])
    assert response.status_code == 200, response.text
    assert response.json()["flags_per_rule"] == {"phrase.regulator_mention": 1}
