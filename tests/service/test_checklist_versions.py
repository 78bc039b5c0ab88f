"""Lexicons are versioned with their checklist: a stored version scores with the words it
was stored with, whatever happens to the lexicon files afterwards; a changed file deploys
only with a new version; versions stored before lexicons were versioned are given the
folder's words once (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlalchemy import delete

from qc_engine.db.models import ChecklistLexicon
from qc_engine.db.session import make_engine, session_factory
from qc_engine.engine import default_checklist_dir, inspect
from qc_engine.service.checklists import (
    EngineHolder,
    active_checklists,
    stored_lexicons,
    sync_from_files,
    with_version,
)
from qc_engine.transcript import transcript_from_dict

from ..databases import *  # noqa: F403 (the database fixtures)

CHECKLIST = """name: words
version: {version}
items:
  - {{id: off_platform, checker: phrase.off_platform}}
"""
WORD = "加我钉钉"


def _folder(tmp_path: Path, version: int) -> Path:
    folder = tmp_path / "checklists"
    if not folder.exists():  # the shipped lexicons (the normaliser reads some of them too)
        shutil.copytree(default_checklist_dir() / "lexicons", folder / "lexicons")
    (folder / "words.yaml").write_text(CHECKLIST.format(version=version), encoding="utf-8")
    return folder


def _flags(holder: EngineHolder) -> list[str]:
    chat = transcript_from_dict(
        {"id": "c", "messages": [{"role": "customer", "text": "在吗"},
                                 {"role": "agent", "text": f"亲，{WORD}聊"}]}
    )  # fmt: skip
    checklist = holder.get().checklists["words"]
    return [f"{checklist.label}:{f.category}" for f in inspect(chat, checklist).flags]


def _start(sessions, folder: Path) -> EngineHolder:
    """What `qc serve` does at start: sync the folder, then build the engine."""
    holder = EngineHolder(sessions, lexicon_dir=folder / "lexicons", poll_seconds=0)
    with sessions.begin() as session:
        _, parsed = sync_from_files(
            session, directory=folder, normalizer=holder.normalizer, lexicon_dir=holder.lexicon_dir
        )
    holder.adopt(parsed)
    return holder


def test_a_stored_version_keeps_its_words(database_url, tmp_path, caplog):
    sessions = session_factory(make_engine(database_url))
    folder = _folder(tmp_path, 1)
    assert _flags(_start(sessions, folder)) == []

    # The lexicon file changes, the version does not: nothing changes, and the log says why.
    lexicon = folder / "lexicons" / "off_platform.txt"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + f"\n{WORD}\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="qc_engine.service.checklists"):
        holder = _start(sessions, folder)
    assert _flags(holder) == []
    assert any("keeps the lexicon it was stored with" in r.message for r in caplog.records)

    # A new version deploys the new words, and stores them with it.
    _folder(tmp_path, 2)
    assert _flags(_start(sessions, folder)) == ["words@2:off_platform"]
    with sessions() as session:
        (row,) = [r for r in active_checklists(session) if r.name == "words"]
        assert WORD in stored_lexicons(session, row)["off_platform.txt"]


def test_versions_stored_before_lexicons_were_versioned_get_the_folders_once(
    database_url, tmp_path
):
    sessions = session_factory(make_engine(database_url))
    folder = _folder(tmp_path, 1)
    _start(sessions, folder)
    with sessions.begin() as session:
        session.execute(delete(ChecklistLexicon))  # as a database from before migration 0004
    holder = _start(sessions, folder)
    with sessions() as session:
        (row,) = [r for r in active_checklists(session) if r.name == "words"]
        assert set(stored_lexicons(session, row)) == {"off_platform.txt"}
    assert _flags(holder) == []


def test_with_version_sets_the_top_level_version_only():
    source = "name: a\nversion: 3\nitems:\n  - {id: x, checker: y, params: {version: 1}}\n"
    assert with_version(source, 4) == source.replace("version: 3", "version: 4")
    assert with_version("name: a\nitems: []\n", 2) == "version: 2\nname: a\nitems: []\n"
