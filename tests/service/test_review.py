"""The review domain in the service layer, without HTTP: the transition table and its
roles, the one claim rule (per chat, through every door), and the desk's read of what a
user may do being exactly what the service accepts. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from sqlalchemy import select

from qc_engine.db.models import AuditEntry, StoredTranscript, User, WorkItem
from qc_engine.db.session import make_engine, session_factory
from qc_engine.service import workitems
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Conflict, Forbidden, Invalid, ServiceError
from qc_engine.service.review import (
    ROLES,
    STATUS_ZH,
    STATUSES,
    TRANSITIONS,
    Status,
    holder,
    refusal,
)

from ..databases import *  # noqa: F403 (the database fixtures)

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


class Item:
    """What the rules read of an item."""

    def __init__(self, *, kind="flag", status="open", reviewer_id=None, expires=None):
        self.id, self.kind, self.status = 7, kind, status
        self.reviewer_id, self.claim_expires_at = reviewer_id, expires


def test_every_status_has_one_chinese_label_and_the_table_names_only_real_states():
    assert set(STATUS_ZH) == set(STATUSES) == {s.value for s in Status}
    assert len(set(STATUS_ZH.values())) == len(STATUS_ZH)
    for rule in TRANSITIONS.values():
        assert set(rule.sources) <= set(STATUSES)
        assert rule.target is None or rule.target in STATUSES
        assert set(rule.roles) <= set(ROLES) and rule.roles


def test_the_table_decides_role_kind_status_and_claims():
    held = Item(status="in_review", reviewer_id=2, expires=NOW + timedelta(minutes=5))
    expired = Item(status="in_review", reviewer_id=2, expires=NOW - timedelta(minutes=5))
    cases = [
        ("confirm", "specialist", Item(), None),
        ("confirm", "agent", Item(), Forbidden),
        ("confirm", "service", Item(), Forbidden),
        ("confirm", "specialist", Item(kind="sample"), Invalid),
        ("review", "specialist", Item(), Invalid),
        ("review", "specialist", Item(kind="sample"), None),
        ("confirm", "specialist", held, Conflict),  # someone else's live claim
        ("confirm", "specialist", expired, None),  # a claim that ran out holds nothing
        ("confirm", "specialist", Item(status="confirmed"), Conflict),
        ("appeal", "agent", Item(status="confirmed"), None),
        ("appeal", "lead", Item(status="confirmed"), Forbidden),
        ("appeal", "agent", Item(status="dismissed"), Conflict),
        ("decide_appeal", "lead", Item(status="appealed"), None),
        ("decide_appeal", "specialist", Item(status="appealed"), Forbidden),
        ("teaching_case", "specialist", Item(status="upheld"), None),
        ("teaching_case", "specialist", Item(status="overturned"), Conflict),
        ("release", "specialist", held, Forbidden),  # not the holder, not a lead
        ("release", "lead", held, None),
        ("release", "specialist", Item(), Conflict),  # nothing to release
    ]
    for action, role, item, expected in cases:
        got = refusal(action, role=role, user_id=1, item=item, now=NOW)
        if expected is None:
            assert got is None, (action, role, got)
        else:
            assert type(got) is expected or isinstance(got, expected), (action, role, got)
    assert holder(held, NOW) == 2 and holder(expired, NOW) is None


# Against a database ----------------------------------------------------------------------


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    yield sessions
    engine.dispose()


def _user(session, name: str, role: str) -> Principal:
    user = User(name=name, role=role, agent_name="小美" if role == "agent" else None,
                created_at=NOW)  # fmt: skip
    session.add(user)
    session.flush()
    return Principal(user_id=user.id, name=name, role=role, agent_name=user.agent_name)


def _chat(session, ident: str, *, items: int = 3, kind: str = "flag") -> list[int]:
    at = datetime.now(UTC) - timedelta(hours=1)
    session.add(
        StoredTranscript(
            id=ident, channel="taobao", shop="店", agent="小美", content_hash="x",
            message_count=2, ingested_at=at, updated_at=at, checklist="default",
            checklist_version=1, pass_score=80, engine_score=90, score=90, passed=True,
            inspected_at=at,
        )
    )  # fmt: skip
    rows = [
        WorkItem(transcript_id=ident, kind=kind, status="open", category="rude",
                 severity="deduct", points=5, priority=10.0 - n, agent="小美", shop="店",
                 created_at=at, updated_at=at)
        for n in range(items)
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def _item(session, ident: int) -> WorkItem:
    session.expire_all()
    item = session.get(WorkItem, ident)
    assert item is not None
    return item


def test_a_claim_is_per_chat_through_every_door(db):
    with db.begin() as session:
        ana = _user(session, "ana", "specialist")
        bo = _user(session, "bo", "specialist")
        first, second, third = _chat(session, "C-1")
        (other,) = _chat(session, "C-2", items=1)
    # claiming one item holds its whole chat, and nothing of another chat
    with db.begin() as session:
        workitems.claim(session, principal=ana, item_id=second, version=1)
    with db() as session:
        for ident in (first, second, third):
            item = _item(session, ident)
            assert (item.status, item.reviewer_id) == ("in_review", ana.user_id)
        assert _item(session, other).status == "open"
        notes = session.scalars(select(AuditEntry.note).where(AuditEntry.action == "claim"))
        assert sorted(n or "" for n in notes) == ["", f"with #{second} (same chat)",
                                                  f"with #{second} (same chat)"]  # fmt: skip
    # so the next reviewer's claim-next skips the held chat and gets the other one
    with db.begin() as session:
        got = workitems.claim_next(session, principal=bo)
        assert got is not None and got.transcript_id == "C-2"
    # and bo may not decide ana's items
    with db() as session, pytest.raises(Conflict, match="being reviewed by ana"):
        workitems.confirm(session, principal=bo, item_id=first,
                          version=_item(session, first).version)  # fmt: skip
    # releasing one item gives the whole chat back
    with db.begin() as session:
        item, others = workitems.release_chat(
            session, principal=ana, item_id=first, version=_item(session, first).version
        )
        assert others == 2
    with db() as session:
        assert {_item(session, i).status for i in (first, second, third)} == {"open"}


def test_a_sibling_someone_else_decided_meanwhile_is_left_alone(db):
    with db.begin() as session:
        ana = _user(session, "ana", "specialist")
        lead = _user(session, "lea", "lead")
        first, second = _chat(session, "C-1", items=2)
    with db.begin() as session:
        workitems.dismiss(session, principal=lead, item_id=second, version=1)
    with db.begin() as session:
        workitems.claim(session, principal=ana, item_id=first, version=1)
    with db() as session:
        assert _item(session, second).status == "dismissed"
        assert _item(session, second).reviewer_id == lead.user_id


def test_skipping_a_chat_gives_it_back_and_claims_the_next(db):
    with db.begin() as session:
        ana = _user(session, "ana", "specialist")
        first, _ = _chat(session, "C-1", items=2)
        (other,) = _chat(session, "C-2", items=1)
        workitems.claim(session, principal=ana, item_id=first, version=1)
    with db.begin() as session:
        skipped, nxt = workitems.skip_chat(session, principal=ana, item_id=first)
        assert skipped.transcript_id == "C-1" and nxt is not None and nxt.id == other
    with db() as session:
        assert _item(session, first).status == "open"
    with db.begin() as session:
        _, nxt = workitems.skip_chat(session, principal=ana, item_id=other)
        assert nxt is not None and nxt.transcript_id == "C-1"  # the only other chat


def test_what_the_desk_offers_is_what_the_service_accepts(db):
    """For every role and every state of an item, `may` (the desk's buttons) and the
    service's answer agree."""
    actions = {
        "confirm": lambda s, p, i, v: workitems.confirm(s, principal=p, item_id=i, version=v),
        "appeal": lambda s, p, i, v: workitems.appeal(
            s, principal=p, item_id=i, version=v, reason="不是我的问题"
        ),
        "decide_appeal": lambda s, p, i, v: workitems.decide_appeal(
            s, principal=p, item_id=i, version=v, decision="upheld"
        ),
        "teaching_case": lambda s, p, i, v: workitems.mark_teaching_case(
            s, principal=p, item_id=i, version=v
        ),
    }
    with db.begin() as session:
        people = {role: _user(session, f"u-{role}", role) for role in
                  ("admin", "lead", "specialist", "agent", "service")}  # fmt: skip
        ids = _chat(session, "C-1", items=len(STATUSES))
        for ident, status in zip(ids, STATUSES, strict=True):
            _item(session, ident).status = status
    checked = 0
    for (role, principal), ident, action in product(people.items(), ids, actions):
        with db() as session:
            item = workitems.get_item(session, people["lead"], ident)
            offered = workitems.may(action, principal, item, datetime.now(UTC))
            try:
                actions[action](session, principal, ident, item.version)
                accepted = True
            except ServiceError:
                accepted = False
            session.rollback()
        assert offered == accepted, (role, item.status, action)
        checked += 1
    assert checked == 5 * len(STATUSES) * len(actions)
