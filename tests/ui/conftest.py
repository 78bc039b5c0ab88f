"""The review desk under test: a real uvicorn server (in a thread) on a free loopback port,
over a temporary SQLite database with the demo data loaded, and headless Debian Chromium
driven by Playwright's Python API (nothing is downloaded: `playwright install` is never run).

Screenshots go to a temporary directory; set QC_UI_SCREENSHOTS=docs/screenshots to refresh
the ones in the documentation.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import CHECKLISTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Desk:
    """The running service: its address, the demo keys and the API as each role."""

    base: str
    keys: dict[str, str]
    state: Any

    @property
    def agent(self) -> str:
        return next(name for name in self.keys if name.startswith("demo-agent-"))

    def api(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, timeout=20.0, headers={"Authorization": f"Bearer {self.keys[who]}"}
        )

    def items(self, who: str = "demo-lead", **params: Any) -> list[dict[str, Any]]:
        with self.api(who) as api:
            answer = api.get("/v1/work-items", params={"limit": 500, **params})
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]  # type: ignore[no-any-return]

    def transcript(self, transcript_id: str) -> dict[str, Any]:
        with self.api("demo-lead") as api:
            answer = api.get(f"/v1/transcripts/{transcript_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]


@contextmanager
def running_desk(folder: Path) -> Iterator[Desk]:
    """Start the service with the demo data on a new SQLite file in `folder`."""
    import uvicorn

    from qc_engine.api.main import build_state, create_app
    from qc_engine.service.demo import demo_keys, load_demo
    from qc_engine.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{folder / 'desk.sqlite3'}", checklist_dir=CHECKLISTS
    )
    state = build_state(settings)
    with state.sessions.begin() as session:
        load_demo(session, engine=state.engines.get(), sampling=state.sampling)
        keys = demo_keys(session)
    app = create_app(settings, state=state)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="desk-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the desk's uvicorn server did not start")
        time.sleep(0.05)
    try:
        yield Desk(base=f"http://127.0.0.1:{port}", keys=keys, state=state)
    finally:
        server.should_exit = True
        thread.join(10)
        state.sessions.kw["bind"].dispose()


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """One server for the session; each test works on its own demo chats."""
    with running_desk(tmp_path_factory.mktemp("desk")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian chromium not installed: apt-get install chromium "
            "(the browser tests drive /usr/bin/chromium)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(browser: Any, desk: Desk, who: str) -> Any:
    """A page signed in as `who`, in a browser context of its own."""
    context = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=desk.base
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/ui/login")
    page.get_by_test_id("key").fill(desk.keys[who])
    page.get_by_test_id("login").click()
    page.wait_for_load_state()
    assert "/ui/login" not in page.url, page.content()[:2000]
    return page


@pytest.fixture
def open_as(desk: Desk, browser: Any) -> Iterator[Any]:
    """open_as("demo-specialist") -> a signed-in page in its own browser context."""
    pages: list[Any] = []

    def opened(who: str) -> Any:
        pages.append(sign_in(browser, desk, who))
        return pages[-1]

    yield opened
    for page in pages:
        page.context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go (docs/screenshots when QC_UI_SCREENSHOTS says so)."""
    chosen = os.environ.get("QC_UI_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
