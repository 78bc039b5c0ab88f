"""Database engines and sessions, and the migration to the newest schema."""

from __future__ import annotations

import re

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from qc_engine.errors import Code, QCError
from qc_engine.settings import get_settings, package_path

DEFAULT_URL = "sqlite:///qc.sqlite3"
MIGRATIONS = package_path("db", "migrations")


def database_url(url: str | None = None) -> str:
    """The URL given, else the configured one (QC_DATABASE_URL), else a SQLite file in the
    working directory. A plain postgresql:// URL uses the psycopg 3 driver."""
    chosen = url or get_settings().database_url or DEFAULT_URL
    if chosen.startswith(("postgresql://", "postgres://")):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def shown_url(url: str) -> str:
    """A database URL as it may be printed: without the password (by pattern, since a URL
    that is wrong may not parse)."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _source(url: str | None) -> str | None:
    """The field an error names: the environment variable, when the URL came from it."""
    configured = get_settings().database_url
    return "QC_DATABASE_URL" if configured and url in (None, "", configured) else None


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    resolved = database_url(url)
    try:
        usable = make_url(resolved).get_backend_name() in ("sqlite", "postgresql")
    except ArgumentError:
        usable = False
    if not usable:
        raise QCError(
            Code.E640,
            f"cannot use {shown_url(resolved)!r} as a database URL: expected "
            "sqlite:///FILE or postgresql://USER@HOST:PORT/DATABASE",
            field=_source(url),
        )
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, echo=echo, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(resolved, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine) -> None:
    """Bring a database (empty or older) to the newest schema with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        connection = engine.connect()
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise QCError(
            Code.E641,
            f"cannot open the database "
            f"{shown_url(engine.url.render_as_string(hide_password=False))}: "
            f"{reason}",
        ) from None
    with connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def check_writable(session: Session) -> None:
    """Raise unless the database answers and accepts a write: a SELECT, then an UPDATE that
    touches no row in a transaction rolled back (it still needs the database writable: a
    read-only SQLite file or PostgreSQL standby refuses it, a dropped connection fails it)."""
    from sqlalchemy import update

    from qc_engine.db.models import ApiKey

    session.execute(text("SELECT 1"))
    session.execute(update(ApiKey).where(ApiKey.id == -1).values(prefix=ApiKey.prefix))
    session.rollback()


# Which failures are the database's (a 503 with Retry-After), not a bug (a 500).
_SQLITE_FAULTS = (
    "locked",
    "busy",
    "disk",
    "readonly",
    "read-only",
    "full",
    "unable to open",
    "i/o",
)


def storage_fault(exc: BaseException) -> str | None:
    """A short, escaped description of `exc` if the database failed (not a bug in a
    statement): its driver error's class and first line. None otherwise."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

    inner: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    # SQLite says "no such table" and syntax errors with the same class: bugs, not faults.
    if isinstance(inner, sqlite3.OperationalError) and not any(
        word in str(inner).lower() for word in _SQLITE_FAULTS
    ):
        return None
    faults = (
        OperationalError,
        DisconnectionError,
        sqlite3.OperationalError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
        psycopg.errors.ReadOnlySqlTransaction,
    )
    if not isinstance(exc, faults) and not isinstance(inner, faults):
        return None
    first = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return f"{type(inner).__name__}: {first[:200]!r}"
