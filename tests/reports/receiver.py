"""A local HTTP receiver on 127.0.0.1 standing in for the group robots: it records what it
gets and answers as each platform does (DingTalk and WeCom `errcode`, Feishu `code`), or
fails on purpose."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ANSWERS: dict[str, tuple[int, dict[str, Any] | str]] = {
    "/generic": (200, "ok"),
    "/dingtalk": (200, {"errcode": 0, "errmsg": "ok"}),
    "/dingtalk-refuses": (200, {"errcode": 310000, "errmsg": "keywords not in content"}),
    "/wecom": (200, {"errcode": 0, "errmsg": "ok"}),
    "/feishu": (200, {"code": 0, "msg": "success"}),
    "/down": (500, "internal error"),
}


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw.decode("utf-8"))  # type: ignore[no-any-return]


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    flaky_failures: int = 0
    """How many more times /flaky answers 503 before it answers 200."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


def start() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            with receiver.lock:
                receiver.received.append(
                    Received(parts.path, parse_qs(parts.query), dict(self.headers.items()), raw)
                )
                if parts.path == "/flaky":
                    failing = receiver.flaky_failures > 0
                    receiver.flaky_failures -= 1
                    status, answer = (503, "busy") if failing else (200, "ok")
                else:
                    status, answer = ANSWERS.get(parts.path, (404, "no such robot"))
            payload = (json.dumps(answer) if isinstance(answer, dict) else answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
