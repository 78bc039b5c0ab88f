from __future__ import annotations

import json

from ..conftest import ROOT


def test_health_needs_no_key(api):
    response = api.client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_store_then_read_back(api):
    line = (
        (ROOT / "qc_engine" / "examples" / "chats.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()[1]
    )
    stored = api.client.post(
        "/v1/transcripts",
        content=line.encode(),
        headers=api.as_("service") | {"content-type": "application/json"},
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["status"] == "created"
    chat = api.client.get(f"/v1/transcripts/{json.loads(line)['id']}", headers=api.as_("lead"))
    assert chat.status_code == 200
    assert chat.json()["passed"] is False and chat.json()["flags"]
