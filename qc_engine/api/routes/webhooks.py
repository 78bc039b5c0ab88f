"""Webhooks: the configured targets and the delivery queue, failures included."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query

from qc_engine.api.deps import Lead, SessionDep, State
from qc_engine.api.errors import ApiError
from qc_engine.errors import Code
from qc_engine.service import webhooks as service

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.get("")
def get_webhooks(session: SessionDep, state: State, _: Lead) -> dict[str, Any]:
    """The configured webhooks (URLs without their query, where robots keep the token) and
    how many deliveries are in each state."""
    targets = service.parse_targets(state.settings.webhooks)
    return {
        "webhooks": [
            {
                "name": t.name,
                "format": t.format,
                "url": t.redacted_url(),
                "signed": t.secret is not None,
                "events": list(t.events),
            }
            for t in targets
        ],
        "deliveries": service.delivery_counts(session),
    }


@router.get("/deliveries")
def get_deliveries(
    session: SessionDep,
    _: Lead,
    status: str | None = Query(
        None,
        max_length=60,
        pattern=r"^(pending|sending|delivered|failed)"
        r"(,(pending|sending|delivered|failed))*$",
        description="comma-separated: pending, sending, delivered, failed",
    ),
    event: Literal["red_line", "weekly_report"] | None = None,
    limit: int = Query(50, ge=1, le=500),
    before: int | None = Query(None, ge=1, le=2**31 - 1, description="page: ids below this one"),
) -> dict[str, Any]:
    """Deliveries, newest first, with attempts, the last HTTP status and the last error."""
    if status:
        unknown = [s for s in status.split(",") if s not in service.STATUSES]
        if unknown:
            raise ApiError(
                422,
                Code.E422,
                f"unknown status {unknown[0]!r}; known: {', '.join(service.STATUSES)}",
                field="status",
            )
    rows = service.list_deliveries(
        session, status=status, event=event, limit=limit, before_id=before
    )
    return {
        "deliveries": [service.delivery_json(d) for d in rows],
        "next_before": rows[-1].id if len(rows) == limit else None,
    }


@router.post("/deliveries/{delivery_id}/retry")
def retry_delivery(
    session: SessionDep, _: Lead, delivery_id: int = Path(ge=1, le=2**31 - 1)
) -> dict[str, Any]:
    """Send a failed delivery again at the next tick, with a fresh set of attempts."""
    delivery = service.retry(session, delivery_id)
    if delivery is None:
        raise ApiError(404, Code.E404, f"delivery {delivery_id} not found")
    session.commit()
    return service.delivery_json(delivery)
