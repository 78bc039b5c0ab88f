from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from qc_engine.api.deps import Reviewer, SessionDep
from qc_engine.service.queue import miss_rate

router = APIRouter(prefix="/v1/stats", tags=["stats"])


@router.get("/miss-rate")
def get_miss_rate(session: SessionDep, _: Reviewer) -> dict[str, Any]:
    """The engine's measured miss rate per category, from reviewed sample items."""
    return miss_rate(session)
