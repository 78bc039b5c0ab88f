"""A real `qc serve --demo` (uvicorn) on a free loopback port and a temporary SQLite file:
it starts, answers /healthz, serves the demo queue to a demo key it printed, and stops."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@pytest.fixture
def server(tmp_path):
    with _serve(tmp_path, f"sqlite:///{tmp_path / 'serve.sqlite3'}") as running:
        yield running


@contextmanager
def _serve(tmp_path: Path, database_url: str) -> Iterator[tuple[str, dict[str, str], list[str]]]:
    """`qc serve --demo` on `database_url` until /healthz answers: (address, the demo keys
    it printed, its output so far); stopped on leaving."""
    port = _free_port()
    qc = Path(sys.executable).with_name("qc")
    env = os.environ | {"QC_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(qc), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )
    output: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, output), daemon=True).start()
    seen: list[str] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        keys: dict[str, str] = {}
        while time.monotonic() < deadline:
            try:
                line = output.get(timeout=0.2)
            except queue.Empty:
                line = ""
            if line is None:
                pytest.fail("qc serve exited:\n" + "".join(seen))
            if line:
                seen.append(line)
                parts = line.split()
                if len(parts) == 2 and parts[0].startswith("demo-") and parts[1].startswith("qck_"):
                    keys[parts[0]] = parts[1]
            if "serving on" in "".join(seen) and _healthy(base):
                break
        else:
            pytest.fail(
                f"qc serve did not answer /healthz in {START_TIMEOUT:.0f} s:\n" + "".join(seen)
            )
        yield base, keys, seen
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(STOP_TIMEOUT)


def _width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def test_qc_serve_demo(server):
    base, keys, seen = server
    output = "".join(seen)
    assert "demo data: " in output and "chats loaded" in output
    assert {"demo-admin", "demo-lead", "demo-specialist", "demo-service"} <= set(keys)
    assert any(name.startswith("demo-agent-") for name in keys)
    # The keys line up in a terminal, the demo agent's Chinese name (two columns a
    # character) included.
    key_lines = [line for line in seen if line.split()[-1:] and line.split()[-1] in keys.values()]
    assert len(key_lines) == len(keys)
    assert any(_width(line) > len(line) for line in key_lines)
    assert len({_width(line[: line.index("qck_")]) for line in key_lines}) == 1, key_lines

    health = httpx.get(f"{base}/healthz", timeout=5.0).json()
    assert health["status"] == "ok" and health["checklists"]

    lead = {"Authorization": f"Bearer {keys['demo-lead']}"}
    queue_page = httpx.get(f"{base}/v1/work-items", params={"limit": 5}, headers=lead, timeout=10.0)
    assert queue_page.status_code == 200, queue_page.text
    items = queue_page.json()["items"]
    assert items and items[0]["severity"] == "red_line"  # the demo queue starts with red lines

    score = httpx.post(
        f"{base}/v1/score",
        headers={"Authorization": f"Bearer {keys['demo-service']}"},
        timeout=10.0,
        json={
            "id": "smoke-1",
            "messages": [
                {"role": "customer", "text": "能便宜点吗"},
                {"role": "agent", "text": "亲，加我微信，私下给您便宜"},
            ],
        },
    )
    assert score.status_code == 200, score.text
    assert score.json()["passed"] is False

    refused = httpx.get(f"{base}/v1/work-items", timeout=5.0)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "E401"


@pytest.mark.skipif(
    not os.environ.get("QC_TEST_POSTGRES_URL"),
    reason="QC_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped "
    "(.ci/run sets it to the local server)",
)
def test_qc_serve_does_not_print_the_database_password(tmp_path):
    """The startup lines name the database without its password (it was printed in clear).
    The test server trusts local connections, so any password connects."""
    import uuid

    import psycopg

    admin = os.environ["QC_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
    name = f"qc_test_serve_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{admin.rsplit('/', 1)[0]}/{name}"
        with_password = url.replace("://postgres@", "://postgres:s3cret-pw@", 1)
        assert "s3cret-pw" in with_password
        with _serve(tmp_path, with_password) as (_, _, seen):
            output = "".join(seen)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert "database: postgresql+psycopg://postgres:***@" in output, output
    assert "s3cret-pw" not in output
