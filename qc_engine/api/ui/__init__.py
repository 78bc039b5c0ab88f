"""The review desk (质检复核台): server-rendered pages under /ui for QC specialists, leads
and agents, over the same service functions as the REST API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from qc_engine.api.ui.web import STATIC_DIR


def install(app: FastAPI) -> None:
    """Mount the desk's pages and its static files (CSS, a little JavaScript)."""
    from qc_engine.api.ui.router import router

    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
