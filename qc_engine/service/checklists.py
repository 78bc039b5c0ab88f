"""Checklist versions stored in the database: seeded from the checklist folder's *.yaml
(QC_CHECKLISTS, else qc_engine/checklists/), replaced by validated new versions over the API;
results keep naming the version that produced them."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from qc_engine.checklist import Checklist, load_yaml, parse_checklist
from qc_engine.db.models import StoredChecklist
from qc_engine.engine import Engine, default_checklist_dir
from qc_engine.errors import Code, QCError
from qc_engine.normalize import Normalizer, load_normalizer
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Conflict, Invalid, not_found

log = logging.getLogger(__name__)


def sync_from_files(session: Session, *, directory: Path | None = None) -> list[str]:
    """Store every checklist file whose (name, version) is not stored yet, as the active
    version of its name. Returns the name@version labels added."""
    folder = directory or default_checklist_dir()
    added = []
    for path in sorted(folder.glob("*.yaml")):
        source = path.read_text(encoding="utf-8")
        data = load_yaml(source)
        name, version = data.get("name"), data.get("version")
        stored = session.scalar(
            select(StoredChecklist).where(
                StoredChecklist.name == name, StoredChecklist.version == version
            )
        )
        if stored is not None:
            if stored.source != source:
                log.warning(
                    "%s changed but kept version %s: raise the version to deploy it", path, version
                )
            continue
        latest = latest_version(session, name)
        if latest is not None and latest >= version:
            log.warning(
                "%s has version %s, older than the stored %s: not loaded", path, version, latest
            )
            continue
        _activate(session, name=name, version=version, source=source, actor=f"file:{path.name}")
        added.append(f"{name}@{version}")
    return added


def latest_version(session: Session, name: str) -> int | None:
    return session.scalar(
        select(func.max(StoredChecklist.version)).where(StoredChecklist.name == name)
    )


def _activate(session: Session, *, name: str, version: int, source: str, actor: str) -> None:
    for old in session.scalars(
        select(StoredChecklist).where(StoredChecklist.name == name, StoredChecklist.active)
    ):
        old.active = False
    session.add(
        StoredChecklist(
            name=name,
            version=version,
            source=source,
            active=True,
            created_at=utcnow(),
            created_by=actor,
        )
    )
    audit(
        session,
        actor=actor,
        entity="checklist",
        entity_id=name,
        action="activate",
        to_state=str(version),
    )


def parse_source(source: str, *, name: str, normalizer: Normalizer, lexicon_dir: Path) -> Checklist:
    try:
        # A stored or posted checklist names lexicons of the lexicon folder only.
        return parse_checklist(
            source,
            file=f"{name}.yaml",
            base_dir=None,
            lexicon_dir=lexicon_dir,
            normalizer=normalizer,
        )
    except RecursionError:
        raise QCError(
            Code.E200, "the checklist is nested too deeply", file=f"{name}.yaml"
        ) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits in the YAML
        raise QCError(
            Code.E200, f"the checklist cannot be read: {exc}", file=f"{name}.yaml"
        ) from None


def put_checklist(
    session: Session,
    *,
    name: str,
    source: str,
    actor: str,
    normalizer: Normalizer,
    lexicon_dir: Path,
) -> StoredChecklist:
    """Validate a new version completely, then store it as the active one."""
    try:
        checklist = parse_source(source, name=name, normalizer=normalizer, lexicon_dir=lexicon_dir)
    except QCError as exc:
        raise Invalid(
            exc.code,
            exc.message,
            file=exc.file,
            line=exc.line,
            field=exc.field,
            details=exc.details,
        ) from None
    if checklist.name != name:
        raise Invalid(
            Code.E422,
            f"the checklist says name {checklist.name!r} but was sent to {name!r}",
            field="name",
        )
    latest = latest_version(session, name)
    if latest is not None and checklist.spec.version <= latest:
        raise Conflict(
            Code.E409,
            f"version {checklist.spec.version} is not newer than the "
            f"stored version {latest}: use version {latest + 1}",
            field="version",
        )
    _activate(session, name=name, version=checklist.spec.version, source=source, actor=actor)
    session.flush()
    stored = session.scalar(
        select(StoredChecklist).where(
            StoredChecklist.name == name, StoredChecklist.version == checklist.spec.version
        )
    )
    assert stored is not None
    return stored


def active_checklists(session: Session) -> list[StoredChecklist]:
    """The active version of every checklist, by name."""
    return list(
        session.scalars(
            select(StoredChecklist).where(StoredChecklist.active).order_by(StoredChecklist.name)
        )
    )


def get_stored(session: Session, name: str, version: int | None = None) -> StoredChecklist:
    query = select(StoredChecklist).where(StoredChecklist.name == name)
    query = (
        query.where(StoredChecklist.version == version)
        if version
        else query.where(StoredChecklist.active)
    )
    found = session.scalar(query)
    if found is None:
        raise not_found("checklist", name if version is None else f"{name}@{version}")
    return found


class EngineHolder:
    """The engine built from the active stored checklists, rebuilt when they change (also
    when another process stored a new version: checked every `poll_seconds`)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        lexicon_dir: Path | None = None,
        poll_seconds: float = 5.0,
    ) -> None:
        self.session_factory = session_factory
        self.lexicon_dir = lexicon_dir or default_checklist_dir() / "lexicons"
        self.normalizer = load_normalizer(self.lexicon_dir)
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._generation: tuple[int, int] | None = None
        self._checked = 0.0
        self._parsed: dict[int, Checklist] = {}
        """Parsed checklists by stored row id (a stored version never changes), so a new
        version of one checklist does not re-parse all the others."""

    def _current_generation(self, session: Session) -> tuple[int, int]:
        row = session.execute(
            select(func.max(StoredChecklist.id), func.count(StoredChecklist.id))
        ).one()
        return (row[0] or 0, row[1] or 0)

    def get(self) -> Engine:
        now = time.monotonic()
        if self._engine is not None and now - self._checked < self.poll_seconds:
            return self._engine
        with self._lock:
            with self.session_factory() as session:
                generation = self._current_generation(session)
                if self._engine is None or generation != self._generation:
                    self._engine = self._build(session)
                    self._generation = generation
            self._checked = now
            return self._engine

    def invalidate(self) -> None:
        self._checked = 0.0
        self._generation = None

    def _build(self, session: Session) -> Engine:
        parsed = {
            row.id: self._parsed.get(row.id)
            or parse_source(
                row.source, name=row.name, normalizer=self.normalizer, lexicon_dir=self.lexicon_dir
            )
            for row in session.scalars(select(StoredChecklist).where(StoredChecklist.active))
        }
        self._parsed = parsed
        checklists = list(parsed.values())
        if not checklists:
            raise QCError(
                Code.E204,
                "no checklist is stored: run the service once with a checklist folder "
                "(QC_CHECKLISTS) that holds checklists",
            )
        return Engine(checklists, normalizer=self.normalizer)
