"""Assignment and bulk decisions in the service layer, on SQLite and PostgreSQL: whose an
item is (a chat's assignee, else the reviewers whose queue rules take it), the order
claim-next hands work out in and what it holds back, the queue's 分配给我 and rule filters,
daily targets and today's count, the lead's overview, and confirming or dismissing one
rule's items in bulk (roles, states, claims, audit, scores, a repeat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import (
    AssignmentRule,
    AuditEntry,
    ChatAssignment,
    StoredFlag,
    StoredTranscript,
    User,
    WorkItem,
)
from qc_engine.db.session import make_engine, session_factory
from qc_engine.service import assignment, bulk, queue, workitems
from qc_engine.service.assignment import AssignmentInvalid
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, Invalid

from ..databases import *  # noqa: F403 (the database fixtures)

AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    yield sessions
    engine.dispose()


def _user(session, name: str, role: str) -> Principal:
    user = User(name=name, role=role, created_at=AN_HOUR_AGO)
    session.add(user)
    session.flush()
    return Principal(user_id=user.id, name=name, role=role, agent_name=None)


def _chat(
    session,
    ident: str,
    *,
    priority: float,
    shop: str = "店A",
    agent: str = "小美",
    channel: str = "taobao",
    flags: tuple[tuple[str, str, int], ...] = (("rude", "phrase.rude", 5),),
    kind: str = "flag",
) -> list[int]:
    """A stored chat with one work item per (category, rule, points) flag, its score the
    engine's (100 minus the points), highest priority first."""
    points = sum(p for _, _, p in flags) if kind == "flag" else 0
    session.add(
        StoredTranscript(
            id=ident, channel=channel, shop=shop, agent=agent, content_hash="x",
            message_count=2, ingested_at=AN_HOUR_AGO, updated_at=AN_HOUR_AGO,
            checklist="default", checklist_version=1, pass_score=60, engine_score=100 - points,
            score=100 - points, passed=True, inspected_at=AN_HOUR_AGO,
        )
    )  # fmt: skip
    session.flush()
    if kind == "sample":
        item = WorkItem(
            transcript_id=ident, kind="sample", status="open", priority=0.0, agent=agent,
            shop=shop, channel=channel, created_at=AN_HOUR_AGO, updated_at=AN_HOUR_AGO,
        )  # fmt: skip
        session.add(item)
        session.flush()
        return [item.id]
    ids = []
    for n, (category, rule, pts) in enumerate(flags):
        flag = StoredFlag(
            transcript_id=ident, fingerprint=f"{ident}-{n}", category=category, message_index=1,
            evidence="证据", severity="deduct", points=pts, source="rule", rule=rule,
            confidence=1.0,
        )  # fmt: skip
        session.add(flag)
        session.flush()
        item = WorkItem(
            transcript_id=ident, flag_id=flag.id, kind="flag", status="open", category=category,
            severity="deduct", points=pts, priority=priority - n, agent=agent, shop=shop,
            channel=channel, created_at=AN_HOUR_AGO, updated_at=AN_HOUR_AGO,
        )  # fmt: skip
        session.add(item)
        session.flush()
        ids.append(item.id)
    return ids


@pytest.fixture
def team(db):
    """A lead, two specialists, and five chats: C-free (the most urgent, nobody's), C-bo
    (given to bo), C-ana (given to ana, the least urgent), C-shopB (a shop ana's rule
    takes) and C-shopB-bo (that shop too, but the chat is given to bo)."""
    with db.begin() as session:
        lead = _user(session, "lea", "lead")
        ana = _user(session, "ana", "specialist")
        bo = _user(session, "bo", "specialist")
        chats = {
            "C-free": _chat(session, "C-free", priority=900),
            "C-bo": _chat(session, "C-bo", priority=800),
            "C-shopB": _chat(session, "C-shopB", priority=500, shop="店B"),
            "C-shopB-bo": _chat(session, "C-shopB-bo", priority=400, shop="店B"),
            "C-ana": _chat(session, "C-ana", priority=100),
        }
    with db.begin() as session:
        assignment.assign_chats(
            session, principal=lead, transcript_ids=["C-ana"], user_id=ana.user_id
        )
        assignment.assign_chats(
            session, principal=lead, transcript_ids=["C-bo", "C-shopB-bo"], user_id=bo.user_id
        )
        assignment.add_rule(session, principal=lead, user_id=ana.user_id, shop="店B")
    return lead, ana, bo, chats


def _claim_all(db, principal) -> list[str]:
    """The chats claim-next hands this user, in order, until it has nothing more."""
    got = []
    for _ in range(10):
        with db.begin() as session:
            item = workitems.claim_next(session, principal=principal)
            if item is None:
                return got
            got.append(item.transcript_id)
            if item.kind == "sample":
                workitems.review_sample(
                    session, principal=principal, item_id=item.id, version=item.version, findings=[]
                )
            else:
                workitems.dismiss(
                    session, principal=principal, item_id=item.id, version=item.version
                )
    raise AssertionError("claim-next kept handing out items")


def test_claim_next_hands_a_reviewer_their_chats_then_their_rules_then_the_rest(db, team):
    _, ana, bo, _ = team
    # ana: her chat first (the least urgent of all), then her shop rule, then nobody's;
    # never bo's chats, though one of them is in her rule's shop
    assert _claim_all(db, ana) == ["C-ana", "C-shopB", "C-free"]
    # bo: his chats in the queue's order; nothing else is left that is his or nobody's
    assert _claim_all(db, bo) == ["C-bo", "C-shopB-bo"]


def test_work_assigned_to_someone_else_is_held_back_while_they_are_active(db, team):
    lead, ana, bo, chats = team
    # bo gets nobody's chat, and neither ana's chat nor the chat her rule takes
    assert _claim_all(db, bo) == ["C-bo", "C-shopB-bo", "C-free"]
    # a lead may still open and claim ana's chat by its id
    (item_id,) = chats["C-ana"]
    with db.begin() as session:
        item = workitems.claim(session, principal=lead, item_id=item_id, version=1)
        assert item.reviewer_id == lead.user_id
        workitems.release(session, principal=lead, item_id=item_id, version=item.version)
    # paused, ana's chat and her rule's items are anyone's
    with db.begin() as session:
        assignment.set_away(session, principal=lead, user_id=ana.user_id, away=True)
    assert _claim_all(db, bo) == ["C-shopB", "C-ana"]


def test_a_paused_reviewer_still_gets_their_own_work_first(db, team):
    lead, ana, _, _ = team
    with db.begin() as session:
        assignment.set_away(session, principal=lead, user_id=ana.user_id, away=True)
    assert _claim_all(db, ana)[:2] == ["C-ana", "C-shopB"]


def test_a_disabled_assignee_holds_nothing_back(db, team):
    _, ana, bo, _ = team
    with db.begin() as session:
        session.get(User, bo.user_id).disabled = True
    assert _claim_all(db, ana) == ["C-ana", "C-shopB", "C-shopB-bo", "C-free", "C-bo"]


def test_rules_match_every_value_they_name_and_sample_means_the_sampled_chats(db):
    with db.begin() as session:
        lead = _user(session, "lea", "lead")
        ana = _user(session, "ana", "specialist")
        bo = _user(session, "bo", "specialist")
        _chat(session, "JD-rude", priority=50, channel="jd")
        _chat(session, "JD-slow", priority=40, channel="jd",
              flags=(("slow_response", "response.reply", 3),))  # fmt: skip
        _chat(session, "TB-rude", priority=30)
        _chat(session, "S-1", priority=0, kind="sample")
        assignment.add_rule(
            session, principal=lead, user_id=ana.user_id, channel="jd", category="rude"
        )
        assignment.add_rule(session, principal=lead, user_id=bo.user_id, category="sample")
    assert _claim_all(db, ana) == ["JD-rude", "JD-slow", "TB-rude"]
    assert _claim_all(db, bo) == ["S-1"]


def test_the_queue_filters_on_my_assignments_and_on_one_rule(db, team):
    _, ana, bo, _ = team
    with db.begin() as session:
        _chat(session, "C-two", priority=300,
              flags=(("rude", "phrase.rude", 5), ("shirking", "phrase.shirking", 0)))  # fmt: skip
    with db() as session:
        mine, _ = queue.list_items(session, principal=ana, filters={"assigned_to": ana.user_id})
        assert [i.transcript_id for i in mine] == ["C-shopB", "C-ana"]
        assert queue.assigned_counts(session, principal=ana, filters={}) == {"chat": 1, "rule": 1}
        assert queue.assigned_counts(session, principal=bo, filters={}) == {"chat": 2, "rule": 0}
        narrowed = {"shop": "店B", "status": "open,in_review"}
        assert queue.assigned_counts(session, principal=ana, filters=narrowed) == {
            "chat": 0,
            "rule": 1,
        }
        shirking, _ = queue.list_items(session, principal=ana, filters={"rule": "phrase.shirking"})
        assert [i.transcript_id for i in shirking] == ["C-two"]
        assert queue.counts(session, principal=ana, by="rule") == {
            "phrase.rude": 6,
            "phrase.shirking": 1,
        }
        by_rule = queue.counts(session, principal=ana, by="rule", filters={"shop": "店B"})
        assert by_rule == {"phrase.rude": 2}


def test_targets_and_todays_count_on_the_overview(db, team):
    lead, ana, bo, chats = team
    now = datetime(2026, 12, 8, 9, 30, tzinfo=SHANGHAI)
    midnight = datetime(2026, 12, 8, 0, 0, tzinfo=SHANGHAI)
    with db.begin() as session:
        assignment.set_target(session, principal=lead, user_id=ana.user_id, target=40)
        decided = {
            chats["C-free"][0]: midnight,  # today, the first second
            chats["C-bo"][0]: midnight - timedelta(seconds=1),  # yesterday
        }
        for item_id, at in decided.items():
            item = session.get(WorkItem, item_id)
            item.status, item.reviewer_id, item.decided_at = "dismissed", ana.user_id, at
    with db() as session:
        assert assignment.daily_target(session, ana.user_id) == 40
        assert assignment.done_today(session, [ana.user_id, bo.user_id], now=now) == {
            ana.user_id: 1,
            bo.user_id: 0,
        }
        rows = {r.user.name: r for r in assignment.overview(session, principal=lead, now=now)}
    assert list(rows) == ["ana", "bo", "lea"]  # specialists first, then leads
    ana_row, bo_row = rows["ana"], rows["bo"]
    assert (ana_row.done_today, ana_row.user.daily_target) == (1, 40)
    assert [c.transcript_id for c in ana_row.chats] == ["C-ana"]
    assert (ana_row.by_chat, ana_row.by_rule, ana_row.assigned_open) == (1, 1, 2)
    assert [(r.rule.shop, r.open_items) for r in ana_row.rules] == [("店B", 1)]
    # C-bo was decided: bo's chats list only the one with open items
    assert [c.transcript_id for c in bo_row.chats] == ["C-shopB-bo"]
    assert (bo_row.done_today, bo_row.user.daily_target, bo_row.assigned_open) == (0, None, 1)


def test_what_a_lead_may_change_and_what_is_refused(db, team):
    lead, ana, bo, chats = team
    with db() as session:
        for change in (
            lambda: assignment.set_target(session, principal=ana, user_id=ana.user_id, target=9),
            lambda: assignment.assign_chats(
                session, principal=ana, transcript_ids=["C-free"], user_id=ana.user_id
            ),
            lambda: assignment.add_rule(session, principal=bo, user_id=bo.user_id, shop="店A"),
            lambda: assignment.overview(session, principal=bo),
        ):
            with pytest.raises(Forbidden):
                change()

    def refused(change) -> tuple[str, str, tuple[str, ...]]:
        with db() as session, pytest.raises(AssignmentInvalid) as caught:
            change(session)
        problem = caught.value.problem
        return problem.field, problem.reason, problem.values

    def target(value):
        return lambda s: assignment.set_target(s, principal=lead, user_id=ana.user_id, target=value)

    assert refused(target(0)) == ("target", "out_of_range", ("1", "1000"))
    assert refused(target(1001))[1] == "out_of_range"

    def chats_to(ids, user_id=ana.user_id):
        return lambda s: assignment.assign_chats(
            s, principal=lead, transcript_ids=ids, user_id=user_id
        )

    assert refused(chats_to([" ", ""])) == ("chats", "missing", ())
    assert refused(chats_to(["C-free", "nope", "nada"])) == ("chats", "unknown", ("nope", "nada"))
    assert refused(chats_to(["C-free"], user_id=lead.user_id + 100))[:2] == ("user", "unknown")
    assert refused(chats_to([f"c{n}" for n in range(201)]))[:2] == ("chats", "too_many")

    def rule(**values):
        return lambda s: assignment.add_rule(s, principal=lead, user_id=bo.user_id, **values)

    assert refused(rule()) == ("rule", "empty", ())
    assert refused(rule(shop="  ")) == ("rule", "empty", ())
    assert refused(rule(category="nonsense")) == ("category", "unknown", ("nonsense",))
    assert refused(rule(shop="店" * 201)) == ("shop", "too_long", ("200", "201"))
    assert refused(rule(agent="a\x00b"))[:2] == ("agent", "unstorable")

    def her_rule_again(s):
        return assignment.add_rule(s, principal=lead, user_id=ana.user_id, shop=" 店B ")

    assert refused(her_rule_again)[:2] == ("rule", "duplicate")
    # a chat with nothing open cannot be given out; taking it back can be done
    with db.begin() as session:
        for item_id in chats["C-ana"]:
            workitems.dismiss(session, principal=lead, item_id=item_id, version=1)
    assert refused(chats_to(["C-ana"], user_id=bo.user_id)) == (
        "chats",
        "nothing_open",
        ("C-ana",),
    )
    with db.begin() as session:
        assignment.assign_chats(session, principal=lead, transcript_ids=["C-ana"], user_id=None)
    with db() as session:
        assert session.get(ChatAssignment, "C-ana") is None


def test_every_change_is_audited(db, team):
    lead, _, bo, _ = team
    with db.begin() as session:
        moved = assignment.assign_chats(
            session, principal=lead, transcript_ids=["C-ana", "C-free"], user_id=bo.user_id
        )
        assert moved.moved_from == {"C-ana": "ana"} and moved.open_items == 2
        assignment.set_target(session, principal=lead, user_id=bo.user_id, target=30)
        assignment.set_target(session, principal=lead, user_id=bo.user_id, target=30)  # no change
        (rule,) = session.scalars(select(AssignmentRule)).all()
        assignment.delete_rule(session, principal=lead, rule_id=rule.id)
    with db() as session:
        entries = session.execute(
            select(
                AuditEntry.entity, AuditEntry.entity_id, AuditEntry.action,
                AuditEntry.from_state, AuditEntry.to_state,
            ).order_by(AuditEntry.id)
        ).all()  # fmt: skip
    assert [tuple(e) for e in entries] == [
        ("chat", "C-ana", "assign", None, "ana"),
        ("chat", "C-bo", "assign", None, "bo"),
        ("chat", "C-shopB-bo", "assign", None, "bo"),
        ("assignment_rule", str(rule.id), "create", None, "ana"),
        ("chat", "C-ana", "assign", "ana", "bo"),
        ("chat", "C-free", "assign", None, "bo"),
        ("user", str(bo.user_id), "daily_target", None, "30"),
        ("assignment_rule", str(rule.id), "delete", "ana", None),
    ]


# Bulk decisions --------------------------------------------------------------------------


@pytest.fixture
def flagged(db):
    """Five chats each with one phrase.rude item (5 points) and C-3 also a shirking one;
    ana holds C-2, C-4's rude item is already confirmed."""
    with db.begin() as session:
        lead = _user(session, "lea", "lead")
        ana = _user(session, "ana", "specialist")
        ids = {}
        for n in range(1, 6):
            flags = (("rude", "phrase.rude", 5),)
            if n == 3:
                flags += (("shirking", "phrase.shirking", 10),)
            ids[f"C-{n}"] = _chat(session, f"C-{n}", priority=100 - n, flags=flags)
    with db.begin() as session:
        workitems.claim(session, principal=ana, item_id=ids["C-2"][0], version=1)
        workitems.confirm(session, principal=lead, item_id=ids["C-4"][0], version=1)
    return lead, ana, ids


def _audit(session, action: str) -> list[tuple[str, str | None, str | None]]:
    rows = session.execute(
        select(AuditEntry.entity_id, AuditEntry.from_state, AuditEntry.note)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )
    return [tuple(r) for r in rows]


def test_a_lead_dismisses_one_rules_items_and_each_goes_the_one_by_one_way(db, flagged):
    lead, _, ids = flagged
    with db() as session:
        result = bulk.decide_committed(
            session, principal=lead, rule="phrase.rude", decision="dismiss",
            note="  词表误报：「滚」出现在商品名里  ",
        )  # fmt: skip
    note = "词表误报：「滚」出现在商品名里"
    assert result.done == [ids["C-1"][0], ids["C-3"][0], ids["C-5"][0]]
    assert result.already == []
    # the chat ana holds is left to her; the one already confirmed keeps its decision
    assert [(s.item_id, s.reason, s.holder) for s in result.skipped] == [
        (ids["C-2"][0], "held", "ana")
    ]
    assert result.remaining == 1  # ana's
    with db() as session:
        for chat in ("C-1", "C-5"):
            item = session.get(WorkItem, ids[chat][0])
            assert (item.status, item.note, item.reviewer_id) == ("dismissed", note, lead.user_id)
            transcript = session.get(StoredTranscript, chat)
            assert (transcript.score, transcript.engine_score) == (100, 95)  # rescored
        assert session.get(StoredTranscript, "C-3").score == 90  # shirking still counts
        assert session.get(WorkItem, ids["C-3"][1]).status == "open"
        assert session.get(WorkItem, ids["C-4"][0]).status == "confirmed"
        assert session.get(WorkItem, ids["C-2"][0]).status == "in_review"
        dismissed = [i for c in ("C-1", "C-3", "C-5") for i in ids[c][:1]]
        assert _audit(session, "dismiss") == [(str(i), "open", note) for i in dismissed]
        assert _audit(session, "bulk_dismiss") == [("phrase.rude", None, note)]


def test_bulk_over_given_items_skips_those_of_another_rule_or_in_another_state(db, flagged):
    lead, _, ids = flagged
    given = [ids["C-1"][0], ids["C-3"][1], ids["C-4"][0], ids["C-5"][0], 999_999]
    with db() as session:
        result = bulk.decide_committed(
            session, principal=lead, rule="phrase.rude", decision="dismiss", note="误报",
            item_ids=given,
        )  # fmt: skip
    assert result.done == [ids["C-1"][0], ids["C-5"][0]]
    assert [(s.item_id, s.reason, s.status) for s in result.skipped] == [
        (ids["C-3"][1], "other_rule", "open"),
        (ids["C-4"][0], "status", "confirmed"),
        (999_999, "not_found", None),
    ]


def test_a_repeated_bulk_decision_changes_nothing_more(db, flagged):
    lead, _, ids = flagged

    def confirm_all():
        with db() as session:
            return bulk.decide_committed(
                session, principal=lead, rule="phrase.rude", decision="confirm", note="确认",
                item_ids=[ids[f"C-{n}"][0] for n in (1, 3, 4, 5)],
            )  # fmt: skip

    first = confirm_all()
    assert first.done == [ids["C-1"][0], ids["C-3"][0], ids["C-5"][0]]
    assert first.already == [ids["C-4"][0]]  # confirmed before, one by one
    with db() as session:
        audited = len(_audit(session, "confirm"))
    again = confirm_all()
    assert (again.done, again.skipped) == ([], [])
    assert again.already == [ids[f"C-{n}"][0] for n in (1, 3, 4, 5)]
    with db() as session:
        assert len(_audit(session, "confirm")) == audited
        assert len(_audit(session, "bulk_confirm")) == 1


def test_only_leads_decide_in_bulk_and_a_note_is_required(db, flagged):
    lead, ana, ids = flagged
    with db() as session:
        with pytest.raises(Forbidden):
            bulk.decide_committed(
                session, principal=ana, rule="phrase.rude", decision="dismiss", note="误报"
            )
        for note in (None, "", " \n "):
            with pytest.raises(Invalid) as refused:
                bulk.decide_committed(
                    session, principal=lead, rule="phrase.rude", decision="dismiss", note=note
                )
            assert refused.value.field == "note"
        with pytest.raises(Invalid) as refused:
            bulk.decide_committed(
                session, principal=lead, rule="phrase.rude", decision="appeal", note="x"
            )
        assert refused.value.field == "decision"
        assert bulk.candidates(session, principal=ana, rule="phrase.rude") == []
        assert bulk.candidates(session, principal=lead, rule="phrase.rude") == [
            ids[f"C-{n}"][0] for n in (1, 2, 3, 5)
        ]
    with db() as session:
        assert (
            session.scalars(select(WorkItem.status).where(WorkItem.status == "dismissed")).all()
            == []
        )
