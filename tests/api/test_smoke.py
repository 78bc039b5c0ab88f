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


def test_api_docs_are_served_from_the_package_not_a_cdn(api):
    """/docs works with no network: its script and style are the package's (no /redoc:
    ReDoc's page fetches its logo from a CDN)."""
    import re

    assert api.client.get("/redoc").status_code == 404
    for page, assets in (("/docs", 3),):
        html = api.client.get(page)
        assert html.status_code == 200, page
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html.text)
        assert len(urls) >= assets, (page, urls)
        assert not [u for u in urls if "//" in u], (page, urls)  # nothing from another host
        for url in urls:
            if url.startswith("/static-offline-docs/"):
                asset = api.client.get(url)
                assert asset.status_code == 200 and len(asset.content) > 1000, url
