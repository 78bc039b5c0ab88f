"""Prometheus metrics: request counts and latency per route, and what the engine found."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from qc_engine.settings import get_settings

REQUESTS = Counter("qc_http_requests_total", "HTTP requests", ["method", "route", "status"])
# Fine buckets around the speed targets (p50 under 5 ms, p99 under 20 ms), so the
# percentiles estimated from them are close.
LATENCY = Histogram(
    "qc_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(
        0.0005,
        0.001,
        0.0015,
        0.002,
        0.0025,
        0.003,
        0.004,
        0.005,
        0.0075,
        0.01,
        0.015,
        0.02,
        0.03,
        0.05,
        0.1,
        0.25,
        1,
        5,
    ),
)
TRANSCRIPTS = Counter("qc_transcripts_inspected_total", "Transcripts inspected", ["endpoint"])
FLAGS = Counter("qc_flags_total", "Flags raised", ["category"])


def render() -> tuple[bytes, str]:
    if get_settings().prometheus_multiproc_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """A pure ASGI middleware (no per-request task overhead of BaseHTTPMiddleware)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            REQUESTS.labels(scope.get("method", ""), path, str(status_holder["status"])).inc()
            LATENCY.labels(path).observe(time.perf_counter() - started)


def record_result(endpoint: str, categories: list[str]) -> None:
    TRANSCRIPTS.labels(endpoint).inc()
    for category in categories:
        FLAGS.labels(category).inc()
