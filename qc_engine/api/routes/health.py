from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from qc_engine.api.deps import State, require
from qc_engine.service.storage import check_writable

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(state: State) -> dict[str, object]:
    """Liveness: the process answers and its checklists are loaded (a database fault does
    not make it restart-worthy; /readyz says whether to send it traffic)."""
    return {"status": "ok", "checklists": _labels(state)}


@router.get(
    "/readyz",
    responses={
        503: {"description": "the database does not answer or does not accept writes (Retry-After)"}
    },
)
def readyz(state: State) -> dict[str, object]:
    """Readiness: the database answers and accepts a write (an UPDATE opened and rolled
    back); 503 with Retry-After otherwise."""
    with state.sessions() as session:
        check_writable(session)
    return {"status": "ready", "checklists": _labels(state)}


def _labels(state: State) -> list[str]:
    """The loaded checklists, as name@version."""
    return sorted(c.label for c in state.engines.get().checklists.values())


@router.get(
    "/metrics", include_in_schema=False, dependencies=[Depends(require("admin", "service"))]
)
def metrics() -> Response:
    """Prometheus metrics (all worker processes when PROMETHEUS_MULTIPROC_DIR is set); like
    every endpoint but /healthz it needs a key (admin or service: give Prometheus a service
    key as its bearer token)."""
    from qc_engine.api.metrics import render

    body, content_type = render()
    return Response(body, media_type=content_type)
