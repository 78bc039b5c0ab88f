"""Ingest checks what it stores for every caller (not only the API): a transcript over a
limit or that the database cannot hold is an IngestFailure naming the field; the rest of
the batch is stored."""

from __future__ import annotations

from sqlalchemy import func, select

from qc_engine.db.models import StoredTranscript
from qc_engine.db.session import make_engine, session_factory
from qc_engine.service.ingest import IngestFailure, IngestOutcome, Sampling, ingest
from qc_engine.settings import Settings
from qc_engine.transcript import transcript_from_dict

from ..databases import *  # noqa: F403 (the database fixtures)


def _chat(ident: str, **fields):
    return transcript_from_dict(
        {"id": ident, "messages": [{"role": "customer", "text": "在吗"},
                                   {"role": "agent", "text": "您好，在的"}], **fields}
    )  # fmt: skip


def test_ingest_refuses_what_it_cannot_store_and_keeps_the_rest(database_url, engine):
    sessions = session_factory(make_engine(database_url))
    batch = [_chat("ok-1"), _chat("wide", shop="店" * 201), _chat("ok-2")]
    many = transcript_from_dict(
        {"id": "long", "messages": [{"role": "customer", "text": "在吗"}] * 6}
    )
    with sessions.begin() as session:
        outcomes = ingest(
            session, [*batch, many], engine=engine, sampling=Sampling(rate=0), actor="test",
            limits=Settings(max_messages=5),
        )  # fmt: skip
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["IngestOutcome", "IngestFailure", "IngestOutcome", "IngestFailure"]
    wide, long = outcomes[1], outcomes[3]
    assert isinstance(wide, IngestFailure) and wide.id == "wide"
    assert (wide.error.code, wide.error.field) == ("E101", "shop")
    assert isinstance(long, IngestFailure) and long.error.field == "messages"
    assert all(isinstance(o, IngestOutcome) for o in (outcomes[0], outcomes[2]))
    with sessions() as session:
        stored = session.scalars(select(StoredTranscript.id).order_by(StoredTranscript.id))
        assert list(stored) == ["ok-1", "ok-2"]
        assert session.scalar(select(func.count()).select_from(StoredTranscript)) == 2
