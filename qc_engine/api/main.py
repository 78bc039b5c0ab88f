"""The application factory: storage upgraded, checklists synced, routes mounted."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from qc_engine.api import background, errors
from qc_engine.api.body import STORABLE_PATTERN
from qc_engine.api.deps import AppState
from qc_engine.api.guard import RequestGuard
from qc_engine.api.metrics import MetricsMiddleware
from qc_engine.api.routes import (
    checklists,
    health,
    reports,
    score,
    stats,
    transcripts,
    webhooks,
    work_items,
)
from qc_engine.api.ui import install as install_ui
from qc_engine.service.auth import FailedAuthLimiter, KeyCache
from qc_engine.service.checklists import EngineHolder, sync_from_files
from qc_engine.service.ingest import Sampling
from qc_engine.service.storage import open_storage
from qc_engine.settings import Settings, get_settings

log = logging.getLogger("qc.api")


def build_state(settings: Settings) -> AppState:
    sessions = open_storage(settings.database_url)
    holder = EngineHolder(sessions, lexicon_dir=settings.checklist_dir / "lexicons")
    with sessions.begin() as session:
        added, parsed = sync_from_files(
            session,
            directory=settings.checklist_dir,
            normalizer=holder.normalizer,
            lexicon_dir=holder.lexicon_dir,
        )
    holder.adopt(parsed)
    if added:
        log.info("checklists loaded from files: %s", ", ".join(added))
    holder.get()
    return AppState(
        settings=settings,
        sessions=sessions,
        engines=holder,
        keys=KeyCache(),
        sampling=Sampling(rate=settings.sample_rate, seed=settings.sample_seed),
        auth_failures=FailedAuthLimiter(limit=settings.auth_failures_per_minute),
    )


def _no_nul(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
        schema["pattern"] = STORABLE_PATTERN
    for member in schema.get("anyOf", ()):
        _no_nul(member)


def _schema_says_urls_hold_no_nul(app: FastAPI) -> None:
    """RequestGuard answers a NUL anywhere in the URL with 400 before any route: every string
    parameter of the schema says so (a pattern), so a client knows it from the schema."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for path in default()["paths"].values():
                for operation in path.values():
                    for parameter in operation.get("parameters", ()):
                        _no_nul(parameter.get("schema", {}))
        assert app.openapi_schema is not None  # default() has just made it
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        if not hasattr(app.state, "qc"):
            app.state.qc = build_state(settings)
        async with background.running(app.state.qc):  # scheduled reports, webhooks
            yield

    # /docs: Swagger UI served from the package (fastapi-offline), not a CDN: the service
    # runs with no network. No /redoc: ReDoc's page still fetches its logo from
    # cdn.redoc.ly.
    app = FastAPIOffline(
        redoc_url=None,
        title="qc-engine",
        version="0.1.0",
        summary="Chat quality inspection (质检) for e-commerce customer service",
        description="Score transcripts, store them as QC work items, review and appeal. "
        "Every endpoint but /healthz and /readyz needs an API key as a bearer token.",
        lifespan=lifespan,
    )
    if state is not None:
        app.state.qc = state
    errors.install(app)
    app.add_middleware(RequestGuard)
    app.add_middleware(MetricsMiddleware)  # outermost: also counts what the guard refuses
    app.include_router(health.router)
    for module in (score, transcripts, work_items, checklists, stats, reports, webhooks):
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)
    install_ui(app)
    _schema_says_urls_hold_no_nul(app)
    return app
