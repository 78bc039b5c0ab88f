from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy import text

from api.deps import State, require

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(state: State) -> dict[str, object]:
    """Liveness and readiness: the database answers and the checklists are loaded."""
    with state.sessions() as session:
        session.execute(text("SELECT 1"))
    engine = state.engines.get()
    return {"status": "ok", "checklists": sorted(c.label for c in engine.checklists.values())}


@router.get("/metrics", include_in_schema=False,
            dependencies=[Depends(require("admin", "service"))])
def metrics() -> Response:
    """Prometheus metrics (all worker processes when PROMETHEUS_MULTIPROC_DIR is set); like
    every endpoint but /healthz it needs a key (admin or service: give Prometheus a service
    key as its bearer token)."""
    from api.metrics import render

    body, content_type = render()
    return Response(body, media_type=content_type)
