"""The API's documentation page renders in a real browser with no network: Swagger UI comes
from the package (fastapi-offline), and every request the page makes goes to the service
itself."""

from __future__ import annotations

from urllib.parse import urlsplit


def test_api_docs_render_offline(desk, browser, shots):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    try:
        page.goto(f"{desk.base}/docs")
        page.locator(".swagger-ui .info .title").wait_for(timeout=15_000)
        assert "qc-engine" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".opblock").count() >= 25  # every operation is listed
        page.screenshot(path=str(shots / "api-docs.png"))
    finally:
        context.close()
    assert hosts == {urlsplit(desk.base).netloc}, hosts
