"""Retention: chats older than N days go with their messages, flags and work items; the
audit log keeps its entries without their notes; stored reports of older weeks keep their
figures without the texts they quoted; on SQLite and PostgreSQL, and from `qc purge`."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from qc_engine.db.models import (
    AuditEntry,
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    WorkItem,
)
from qc_engine.service.common import audit
from qc_engine.service.report_store import save_report
from qc_engine.service.retention import purge
from qc_engine.service.weekly import build_weekly

from .seed import PREVIOUS, WEEK


def _count(session: Any, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_purge_takes_old_chats_and_keeps_what_is_not_theirs(seeded):
    age = func.coalesce(StoredTranscript.started_at, StoredTranscript.ingested_at)
    now = WEEK.start + timedelta(days=1)  # a one-day retention cuts at WEEK's Monday
    with seeded.begin() as session:
        for week in (PREVIOUS, WEEK):
            save_report(session, build_weekly(session, week=week), generated_by="test")
        old_ids = set(session.scalars(select(StoredTranscript.id).where(age < WEEK.start)))
        kept = _count(session, StoredTranscript) - len(old_ids)
        old_item = session.scalar(select(WorkItem).where(WorkItem.transcript_id.in_(old_ids)))
        audit(
            session,
            actor="test",
            entity="work_item",
            entity_id=old_item.id,
            action="confirm",
            note="客服说「加我微信」",
        )
        assert old_ids and kept
    with seeded.begin() as session:
        counted = purge(session, days=1, actor="test", now=now, dry_run=True)
        assert counted.transcripts == len(old_ids) and counted.work_items > 0
        assert counted.audit_notes >= 1 and counted.reports_scrubbed == 1
    with seeded.begin() as session:
        assert _count(session, StoredTranscript) == len(old_ids) + kept  # dry run
        done = purge(session, days=1, actor="test", now=now)
        assert done.transcripts == len(old_ids)
    with seeded.begin() as session:
        assert _count(session, StoredTranscript) == kept
        for model in (StoredMessage, StoredFlag, WorkItem):
            assert _count(session, model, model.transcript_id.in_(old_ids)) == 0
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity == "work_item",
                AuditEntry.entity_id == str(old_item.id),
                AuditEntry.action == "confirm",
                AuditEntry.actor == "test",
            )
        )
        assert entry is not None and entry.note is None  # kept, without the text
        assert _count(session, AuditEntry, AuditEntry.entity == "retention") == 1
        from qc_engine.db.models import StoredReport

        reports = {r.period: r for r in session.scalars(select(StoredReport))}
        old, current = reports[str(PREVIOUS)].payload, reports[str(WEEK)].payload
        assert old["coverage"]["chats"] > 0  # the figures stay
        assert all(i["evidence"] is None for i in old["red_lines"]["items"])
        assert all(c["message"] is None and c["note"] is None for c in old["teaching_cases"])
        assert any(i["evidence"] for i in current["red_lines"]["items"])  # a kept week


def test_qc_purge_on_a_file(tmp_path):
    from qc_engine.db.session import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'qc.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {"QC_DATABASE_URL": url}
    import os

    run = subprocess.run(
        [sys.executable, "-m", "qc_engine.cli", "purge", "--older-than-days", "90", "--dry-run"],
        capture_output=True,
        text=True,
        env=os.environ | env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("would purge 0 chats older than ")
    bad = subprocess.run(
        [sys.executable, "-m", "qc_engine.cli", "purge", "--older-than-days", "-3"],
        capture_output=True,
        text=True,
        env=os.environ | env,
        timeout=120,
    )
    assert bad.returncode == 2 and "above 0" in bad.stderr
