"""The stored records the service hands out, named for the layers above it (the API's JSON
shapes, the desk's templates, the reports), which read them but never query storage:
every query and every change goes through a service function."""

from __future__ import annotations

from sqlalchemy.orm import Session

from qc_engine.db.models import (
    Appeal,
    MissedFinding,
    StoredChecklist,
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    User,
    WorkItem,
)

__all__ = [
    "Appeal",
    "MissedFinding",
    "Session",
    "StoredChecklist",
    "StoredFlag",
    "StoredMessage",
    "StoredTranscript",
    "User",
    "WorkItem",
]
