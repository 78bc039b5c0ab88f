"""Checklist versions stored in the database: seeded from the checklist folder's *.yaml
(QC_CHECKLISTS, else qc_engine/checklists/), replaced by validated new versions over the API;
results keep naming the version that produced them."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from qc_engine.checklist import Checklist, load_yaml, parse_checklist
from qc_engine.db.models import ChecklistLexicon, StoredChecklist, StoredTranscript
from qc_engine.engine import Engine, default_checklist_dir, inspect
from qc_engine.errors import Code, QCError
from qc_engine.lexicon import read_lexicon_text
from qc_engine.normalize import Normalizer, load_normalizer
from qc_engine.resources import check_lexicon_name
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Conflict, Invalid, NotFound, not_found
from qc_engine.service.transcripts import as_transcript

log = logging.getLogger(__name__)
VERSION_LINE = re.compile(r"^version:[ \t]*\S*[ \t]*$", re.MULTILINE)


def sync_from_files(
    session: Session,
    *,
    directory: Path | None = None,
    normalizer: Normalizer,
    lexicon_dir: Path | None = None,
) -> tuple[list[str], dict[int, Checklist]]:
    """Store every checklist file whose (name, version) is not stored yet, as the active
    version of its name, with the lexicons it reads; give a stored version that carries no
    lexicons yet (stored before lexicons were versioned) those of the folder. Returns the
    name@version labels added and what was parsed, by stored row id."""
    folder = directory or default_checklist_dir()
    lexicons = lexicon_dir or folder / "lexicons"
    added: list[str] = []
    parsed: dict[int, Checklist] = {}
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
            else:
                _warn_changed_lexicons(session, stored, path, lexicons)
            continue
        latest = latest_version(session, name)
        if latest is not None and latest >= version:
            log.warning(
                "%s has version %s, older than the stored %s: not loaded", path, version, latest
            )
            continue
        checklist = parse_checklist(
            source,
            file=path.name,
            base_dir=path.parent,
            lexicon_dir=lexicons,
            normalizer=normalizer,
        )
        row = _activate(
            session,
            name=name,
            version=version,
            source=source,
            actor=f"file:{path.name}",
            lexicons=checklist.resources.read_texts,
        )
        parsed[row.id] = checklist
        added.append(f"{name}@{version}")
    for row in session.scalars(
        select(StoredChecklist).where(
            ~exists().where(ChecklistLexicon.checklist_id == StoredChecklist.id)
        )
    ):
        checklist = parse_source(
            row.source, name=row.name, normalizer=normalizer, lexicon_dir=lexicons
        )
        for lexicon, text in checklist.resources.read_texts.items():
            session.add(ChecklistLexicon(checklist_id=row.id, name=lexicon, content=text))
        parsed[row.id] = checklist
    return added, parsed


def _warn_changed_lexicons(
    session: Session, stored: StoredChecklist, path: Path, lexicon_dir: Path
) -> None:
    """A lexicon file edited while its checklist kept its version changes nothing: the
    stored version reads its own copy. Say so, as for an edited checklist file."""
    for name, text in stored_lexicons(session, stored).items():
        for base in (path.parent, lexicon_dir):
            candidate = base / name
            if candidate.is_file():
                if read_lexicon_text(candidate) != text:
                    log.warning(
                        "%s changed but %s@%s keeps the lexicon it was stored with: raise the "
                        "checklist's version to deploy it",
                        candidate,
                        stored.name,
                        stored.version,
                    )
                break


def latest_version(session: Session, name: str) -> int | None:
    return session.scalar(
        select(func.max(StoredChecklist.version)).where(StoredChecklist.name == name)
    )


def stored_lexicons(session: Session, row: StoredChecklist) -> dict[str, str]:
    """The lexicons a stored version carries, by file name (empty for a version stored
    before lexicons were versioned, until the next start gives it the folder's)."""
    return {
        lexicon.name: lexicon.content
        for lexicon in session.scalars(
            select(ChecklistLexicon)
            .where(ChecklistLexicon.checklist_id == row.id)
            .order_by(ChecklistLexicon.name)
        )
    }


def _activate(
    session: Session,
    *,
    name: str,
    version: int,
    source: str,
    actor: str,
    lexicons: Mapping[str, str],
) -> StoredChecklist:
    for old in session.scalars(
        select(StoredChecklist).where(StoredChecklist.name == name, StoredChecklist.active)
    ):
        old.active = False
    row = StoredChecklist(
        name=name,
        version=version,
        source=source,
        active=True,
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    for lexicon, text in sorted(lexicons.items()):
        session.add(ChecklistLexicon(checklist_id=row.id, name=lexicon, content=text))
    audit(
        session,
        actor=actor,
        entity="checklist",
        entity_id=name,
        action="activate",
        to_state=str(version),
    )
    return row


def parse_source(
    source: str,
    *,
    name: str,
    normalizer: Normalizer,
    lexicon_dir: Path,
    lexicons: Mapping[str, str] | None = None,
    lexicons_only: bool = False,
) -> Checklist:
    """Parse a stored or posted checklist. Its lexicons come from `lexicons` (name ->
    text) and, unless `lexicons_only`, from the lexicon folder (never another folder)."""
    try:
        return parse_checklist(
            source,
            file=f"{name}.yaml",
            base_dir=None,
            lexicon_dir=lexicon_dir,
            normalizer=normalizer,
            lexicons=lexicons,
            lexicons_only=lexicons_only,
        )
    except RecursionError:
        raise QCError(
            Code.E200, "the checklist is nested too deeply", file=f"{name}.yaml"
        ) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits in the YAML
        raise QCError(
            Code.E200, f"the checklist cannot be read: {exc}", file=f"{name}.yaml"
        ) from None


def parse_stored(
    session: Session, row: StoredChecklist, *, normalizer: Normalizer, lexicon_dir: Path
) -> Checklist:
    """A stored version as it scores: with the lexicons it carries and no others."""
    carried = stored_lexicons(session, row)
    return parse_source(
        row.source,
        name=row.name,
        normalizer=normalizer,
        lexicon_dir=lexicon_dir,
        lexicons=carried,
        lexicons_only=bool(carried),
    )


def _invalid(exc: QCError) -> Invalid:
    return Invalid(
        exc.code, exc.message, file=exc.file, line=exc.line, field=exc.field, details=exc.details
    )


def draft(
    session: Session,
    *,
    name: str,
    source: str,
    normalizer: Normalizer,
    lexicon_dir: Path,
    lexicons: Mapping[str, str] | None = None,
) -> Checklist:
    """A candidate new version of `name`, validated completely but not stored: its
    lexicons are those given, else those the active version carries, else the folder's.
    A lexicon given that the checklist does not read is an error (it would be lost)."""
    given = dict(lexicons or {})
    for lexicon in given:
        try:
            check_lexicon_name(lexicon)
        except QCError as exc:
            raise Invalid(exc.code, exc.message, field=f"lexicons.{lexicon}") from None
    try:
        base = stored_lexicons(session, get_stored(session, name))
    except NotFound:
        base = {}
    try:
        checklist = parse_source(
            source,
            name=name,
            normalizer=normalizer,
            lexicon_dir=lexicon_dir,
            lexicons={**base, **given},
        )
    except QCError as exc:
        raise _invalid(exc) from None
    if checklist.name != name:
        raise Invalid(
            Code.E422,
            f"the checklist says name {checklist.name!r} but was sent to {name!r}",
            field="name",
        )
    unread = sorted(set(given) - set(checklist.resources.read_texts))
    if unread:
        raise Invalid(
            Code.E422,
            f"the checklist reads no lexicon named {', '.join(unread)}",
            field=f"lexicons.{unread[0]}",
        )
    return checklist


def put_checklist(
    session: Session,
    *,
    name: str,
    source: str,
    actor: str,
    normalizer: Normalizer,
    lexicon_dir: Path,
    lexicons: Mapping[str, str] | None = None,
) -> tuple[StoredChecklist, Checklist]:
    """Validate a new version completely (with `draft`), then store it as the active one
    with every lexicon it reads."""
    checklist = draft(
        session,
        name=name,
        source=source,
        normalizer=normalizer,
        lexicon_dir=lexicon_dir,
        lexicons=lexicons,
    )
    latest = latest_version(session, name)
    if latest is not None and checklist.spec.version <= latest:
        raise Conflict(
            Code.E409,
            f"version {checklist.spec.version} is not newer than the "
            f"stored version {latest}: use version {latest + 1}",
            field="version",
        )
    row = _activate(
        session,
        name=name,
        version=checklist.spec.version,
        source=source,
        actor=actor,
        lexicons=checklist.resources.read_texts,
    )
    return row, checklist


def activate_version(session: Session, *, name: str, version: int, actor: str) -> StoredChecklist:
    """Make a stored version the active one again (a rollback, or forward again): one
    action; new chats are scored by it and name it."""
    row = get_stored(session, name, version)
    was = get_stored(session, name)
    if was.id == row.id:
        return row
    was.active = False
    session.flush()
    row.active = True
    audit(
        session,
        actor=actor,
        entity="checklist",
        entity_id=name,
        action="activate",
        from_state=str(was.version),
        to_state=str(version),
    )
    session.flush()
    return row


def versions(session: Session, name: str) -> list[StoredChecklist]:
    """Every stored version of a checklist, newest first."""
    rows = list(
        session.scalars(
            select(StoredChecklist)
            .where(StoredChecklist.name == name)
            .order_by(StoredChecklist.version.desc())
        )
    )
    if not rows:
        raise not_found("checklist", name)
    return rows


def with_version(source: str, version: int) -> str:
    """The checklist YAML `source` with its top-level `version:` set to `version` (the
    desk deploys an edit as the next version without asking anyone to count)."""
    line = f"version: {version}"
    if VERSION_LINE.search(source):
        return VERSION_LINE.sub(line, source, count=1)
    return line + "\n" + source


@dataclass
class FlagChange:
    """A flag a draft adds to a stored chat, or no longer raises."""

    transcript_id: str
    message_index: int
    category: str
    rule: str
    evidence: str
    message: str


@dataclass
class Preview:
    """What a draft checklist would change on the latest stored chats scored by the
    checklist of its name (`qc checklist test`, on stored chats, before deploying)."""

    label: str
    chats: int
    added: list[FlagChange] = field(default_factory=list)
    removed: list[FlagChange] = field(default_factory=list)
    newly_failed: list[str] = field(default_factory=list)
    newly_passed: list[str] = field(default_factory=list)

    def by_category(self) -> dict[str, tuple[int, int]]:
        """Category -> (flags added, flags gone)."""
        counts: dict[str, list[int]] = {}
        for change, column in [(c, 0) for c in self.added] + [(c, 1) for c in self.removed]:
            counts.setdefault(change.category, [0, 0])[column] += 1
        return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def preview(session: Session, draft_checklist: Checklist, *, limit: int = 200) -> Preview:
    """Score the `limit` chats last stored under the draft's checklist name again with the
    draft, and compare with their stored flags (a flag is its category on its message)."""
    rows = session.scalars(
        select(StoredTranscript)
        .where(StoredTranscript.checklist == draft_checklist.name)
        .order_by(StoredTranscript.ingested_at.desc(), StoredTranscript.id)
        .limit(limit)
        .options(selectinload(StoredTranscript.messages), selectinload(StoredTranscript.flags))
    )
    out = Preview(label=draft_checklist.label, chats=0)
    for row in rows:
        out.chats += 1
        result = inspect(as_transcript(row), draft_checklist)
        texts = [m.text for m in row.messages]
        before = {(f.category, f.message_index): f for f in row.flags}
        after = {(f.category, f.message_index): f for f in result.flags}
        for key in sorted(after.keys() - before.keys(), key=lambda k: (k[1], k[0])):
            flag = after[key]
            out.added.append(
                FlagChange(row.id, flag.message_index, flag.category, flag.rule, flag.evidence,
                           texts[flag.message_index])
            )  # fmt: skip
        for key in sorted(before.keys() - after.keys(), key=lambda k: (k[1], k[0])):
            gone = before[key]
            out.removed.append(
                FlagChange(row.id, gone.message_index, gone.category, gone.rule, gone.evidence,
                           texts[gone.message_index])
            )  # fmt: skip
        if row.passed and not result.passed:
            out.newly_failed.append(row.id)
        elif result.passed and not row.passed:
            out.newly_passed.append(row.id)
    return out


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

    def adopt(self, parsed: Mapping[int, Checklist]) -> None:
        """Checklists already parsed from stored rows (by row id), so the next build does
        not parse them again."""
        with self._lock:
            self._parsed.update(parsed)

    def parse(self, session: Session, row: StoredChecklist) -> Checklist:
        """A stored version (active or not) as it scores."""
        return self._parsed.get(row.id) or parse_stored(
            session, row, normalizer=self.normalizer, lexicon_dir=self.lexicon_dir
        )

    def _build(self, session: Session) -> Engine:
        parsed = {
            row.id: self.parse(session, row)
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
