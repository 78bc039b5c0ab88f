"""The way into storage for the layers above the service: opening the database (brought to
the newest schema), the sessions the service functions take, the write check behind
/readyz, and telling a storage fault (503, retry) from a bug (500)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from qc_engine.db.session import (
    check_writable,
    database_url,
    make_engine,
    session_factory,
    shown_url,
    storage_fault,
    upgrade,
)

Sessions = sessionmaker[Session]


def open_storage(url: str | None) -> Sessions:
    """The database at `url` (the settings' default when None), upgraded, and its sessions."""
    engine = make_engine(url)
    upgrade(engine)
    return session_factory(engine)


__all__ = [
    "Session",
    "Sessions",
    "check_writable",
    "database_url",
    "open_storage",
    "shown_url",
    "storage_fault",
]
