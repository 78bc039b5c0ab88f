"""Calibration sessions (service/calibration.py): the two kappas against examples worked by
hand, then on SQLite and PostgreSQL a session arranged so that every figure is known (the
same hand-worked numbers, now out of stored answers), who may see and do what, the forms'
refusals, answers given at the same time, and final answers becoming teaching cases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from qc_engine.db.models import (
    AuditEntry,
    CalibrationParticipant,
    CalibrationRating,
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    User,
    WorkItem,
)
from qc_engine.db.session import make_engine, session_factory
from qc_engine.service import calibration as cal
from qc_engine.service import desk, workitems
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, NotFound
from qc_engine.service.ingest import new_work_item

from ..databases import *  # noqa: F403 (the database fixtures)

NOW = datetime.now(UTC) - timedelta(hours=2)


def approx(value: Fraction | None, expected: float) -> bool:
    return value is not None and float(value) == pytest.approx(expected, abs=1e-9)


# The formulas, by hand -------------------------------------------------------------------


def test_fleiss_kappa_of_a_small_example_worked_by_hand():
    """Five chats, three raters, one question (is the problem there?):

        chat   yes  no    P_i = (yes^2 + no^2 - 3) / (3 * 2)
        1      3    0     (9 + 0 - 3) / 6 = 1
        2      2    1     (4 + 1 - 3) / 6 = 1/3
        3      0    3     1
        4      1    2     1/3
        5      3    0     1

    p_yes = 9 / 15 = 3/5, p_no = 6 / 15 = 2/5, so P_e = 9/25 + 4/25 = 13/25;
    P_o = (1 + 1/3 + 1 + 1/3 + 1) / 5 = 11/15;
    kappa = (11/15 - 13/25) / (1 - 13/25) = (16/75) / (12/25) = 4/9 = 0.444..."""
    got = cal.fleiss_kappa([[3, 0], [2, 1], [0, 3], [1, 2], [3, 0]])
    assert got is not None and got.subjects == 5
    assert got.observed == Fraction(11, 15) and got.expected == Fraction(13, 25)
    assert approx(got.kappa, 4 / 9)


def test_fleiss_kappa_of_the_textbook_table():
    """The table of Fleiss' kappa's usual worked example (Wikipedia, "Fleiss' kappa"): 10
    subjects, 14 raters, 5 answers; p_j = 0.143, 0.200, 0.279, 0.150, 0.229, P-bar = 0.378,
    P-bar-e = 0.213, kappa = 0.210 (to three places)."""
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    got = cal.fleiss_kappa(table)
    assert got is not None and got.kappa is not None
    assert float(got.observed) == pytest.approx(0.378, abs=5e-4)
    assert float(got.expected) == pytest.approx(0.213, abs=5e-4)
    assert float(got.kappa) == pytest.approx(0.210, abs=5e-4)


def test_cohen_kappa_worked_by_hand():
    """A rater against the engine on ten questions: both yes 4, rater yes and engine no 1,
    rater no and engine yes 2, both no 3. P_o = 7/10; the rater says yes 5/10, the engine
    6/10, so P_e = 5/10 * 6/10 + 5/10 * 4/10 = 1/2; kappa = (7/10 - 1/2) / (1/2) = 2/5."""
    pairs = [(True, True)] * 4 + [(True, False)] + [(False, True)] * 2 + [(False, False)] * 3
    got = cal.cohen_kappa(pairs)
    assert got is not None and got.observed == Fraction(7, 10)
    assert got.expected == Fraction(1, 2)
    assert approx(got.kappa, 0.4)


def test_kappa_is_undefined_when_everyone_gives_the_one_same_answer():
    everyone_no = cal.fleiss_kappa([[0, 3], [0, 3]])
    assert everyone_no is not None and everyone_no.observed == 1 and everyone_no.kappa is None
    assert cal.cohen_kappa([(False, False)] * 4).kappa is None  # type: ignore[union-attr]
    assert cal.fleiss_kappa([]) is None and cal.cohen_kappa([]) is None
    assert cal.fleiss_kappa([[1, 0]]) is None  # one rater: nothing to agree with
    with pytest.raises(ValueError):
        cal.fleiss_kappa([[2, 1], [1, 1]])


def test_chat_ids_are_read_as_pasted():
    assert cal.parse_ids(" a-1\nb-2, c-3、a-1；d-4\t") == ["a-1", "b-2", "c-3", "d-4"]
    assert cal.parse_ids(None) == []


# Against a database ----------------------------------------------------------------------


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def _user(session, name: str, role: str) -> Principal:
    user = User(name=name, role=role, agent_name="小美" if role == "agent" else None,
                created_at=NOW)  # fmt: skip
    session.add(user)
    session.flush()
    return Principal(user_id=user.id, name=name, role=role, agent_name=user.agent_name)


def _chat(session, ident: str, flags: tuple[str, ...], engine_score: int) -> None:
    session.add(
        StoredTranscript(
            id=ident, channel="taobao", shop="店", agent="小美", content_hash="x",
            message_count=2, ingested_at=NOW, updated_at=NOW, checklist="default",
            checklist_version=1, pass_score=80, engine_score=engine_score, score=engine_score,
            passed=engine_score >= 80, inspected_at=NOW,
        )
    )  # fmt: skip
    session.add_all(
        [
            StoredMessage(transcript_id=ident, idx=0, role="customer", text="在吗", extra={}),
            StoredMessage(transcript_id=ident, idx=1, role="agent", text="自己看详情页", extra={}),
        ]
    )
    for n, category in enumerate(flags):
        severity = "red_line" if category == "rude" else "deduct"
        session.add(
            StoredFlag(
                transcript_id=ident, fingerprint=f"{ident}-{n}", category=category,
                message_index=1, span_start=0, span_end=2, evidence="自己看", severity=severity,
                points=0 if severity == "red_line" else 1, source="rule", rule=f"x.{category}",
                confidence=1.0,
            )
        )  # fmt: skip
    session.flush()


# Five chats: what the engine flagged (customer_negative is the customer's, never counted)
# and whether it passed them.
ENGINE = {
    "K-1": (("rude", "customer_negative"), 0),
    "K-2": (("rude",), 0),
    "K-3": ((), 100),
    "K-4": (("missing_greeting",), 99),
    "K-5": (("rude",), 0),
}
# Three raters' answers per chat: (problems found, passed).
ANSWERS = {
    "ana": [({"rude"}, False), ({"rude"}, False), ({"impatient"}, True), (set(), True),
            ({"rude"}, False)],
    "bo": [({"rude"}, False), (set(), True), ({"impatient"}, True), ({"rude"}, False),
           ({"rude"}, False)],
    "cy": [({"rude"}, False), ({"rude"}, False), (set(), True), (set(), True),
           ({"rude"}, False)],
}  # fmt: skip


@pytest.fixture
def arranged(db):
    """The five chats, a lead, the three raters (and people who must not see it), and a
    session of those chats whose three raters answered as ANSWERS says and submitted."""
    with db.begin() as session:
        people = {
            name: _user(session, name, role)
            for name, role in (
                ("lea", "lead"), ("ana", "specialist"), ("bo", "specialist"),
                ("cy", "specialist"), ("dee", "specialist"), ("小美", "agent"),
                ("robot", "service"), ("adm", "admin"),
            )
        }  # fmt: skip
        for ident, (flags, score) in ENGINE.items():
            _chat(session, ident, flags, score)
        made = cal.create(
            session,
            principal=people["lea"],
            title="十一月第二周校准",
            transcript_ids=list(ENGINE),
            participant_ids=[people[n].user_id for n in ANSWERS],
        )
        session_id = made.id
    for name, answers in ANSWERS.items():
        with db.begin() as session:
            for position, (found, passed) in enumerate(answers, start=1):
                cal.save_rating(
                    session, principal=people[name], session_id=session_id, position=position,
                    problems=found, passed=passed, note=None,
                )  # fmt: skip
    return people, session_id


def _submit_all(db, people, session_id) -> None:
    for name in ANSWERS:
        with db.begin() as session:
            cal.submit(session, principal=people[name], session_id=session_id)


def test_the_figures_of_an_arranged_session(db, arranged):
    """ANSWERS and ENGINE, worked by hand (19 agent-side categories, 5 chats):

    Raters among themselves (Fleiss):
    - rude: yes votes per chat 3, 2, 0, 1, 3: the hand example above, kappa = 4/9.
    - impatient: chat 3 has 2 yes of 3, the others none: p_yes = 2/15, P_e = (4 + 169)/225
      = 173/225; P_o = (4 * 1 + 1/3) / 5 = 13/15 = 195/225; kappa = 22/52 = 11/26.
    - pass/fail: passes per chat 0, 1, 3, 2, 0: p_pass = 6/15, P_e = 13/25, P_o = 11/15,
      kappa = 4/9 again.
    - all 95 (chat, category) pairs pooled: 11 yes of 285 answers, p_yes = 11/285,
      P_e = (121 + 274^2) / 285^2 = 75197/81225; the 3 split pairs (rude on chats 2 and 4,
      impatient on 3) have P_i = 1/3, the 92 others 1: P_o = 93/95 = 79515/81225;
      kappa = 4318 / 6028 = 2159/3014 = 0.7163...

    Each rater against the engine (Cohen), rude over the 5 chats: ana and cy say yes on
    1, 2, 5 as the engine: kappa 1. bo (1, 4, 5): agrees on 1, 3, 5, P_o = 3/5, both say
    yes 3/5 of the time, P_e = 9/25 + 4/25 = 13/25, kappa = (2/25) / (12/25) = 1/6.
    Pooled over the 95 pairs: the engine says yes 4 times (rude 1, 2, 5; missing_greeting
    4), ana 4 times (rude 1, 2, 5; impatient 3): 2 pairs differ, P_o = 93/95, P_e =
    (4^2 + 91^2) / 95^2 = 8297/9025, kappa = (8835 - 8297) / (9025 - 8297) = 269/364;
    bo differs on 4 pairs: P_o = 91/95, kappa = (8645 - 8297) / 728 = 87/182.
    Pass/fail: the engine fails chats 1, 2, 5: ana agrees everywhere (1), bo on 3 of 5 (1/6).
    """
    people, session_id = arranged
    _submit_all(db, people, session_id)
    with db() as session:
        got = cal.results(session, principal=people["lea"], session_id=session_id)
    ids = {p.user.name: p.id for p in got.raters}
    assert set(ids) == set(ANSWERS) and not got.pending
    by_code = {m.code: m for m in got.categories}
    assert set(by_code) == set(cal.AGENT_CATEGORIES) and len(cal.AGENT_CATEGORIES) == 19
    assert "customer_negative" not in by_code

    assert approx(by_code["rude"].raters.kappa, 4 / 9)
    assert approx(by_code["impatient"].raters.kappa, 11 / 26)
    assert approx(got.passing.raters.kappa, 4 / 9)
    assert approx(got.overall.raters.kappa, 2159 / 3014)
    assert got.overall.raters.subjects == 95
    assert by_code["shirking"].quiet and by_code["shirking"].raters.kappa is None

    rude = by_code["rude"].vs_engine
    assert approx(rude[ids["ana"]].kappa, 1) and approx(rude[ids["cy"]].kappa, 1)
    assert approx(rude[ids["bo"]].kappa, 1 / 6)
    assert approx(got.overall.vs_engine[ids["ana"]].kappa, 269 / 364)
    assert approx(got.overall.vs_engine[ids["bo"]].kappa, 87 / 182)
    assert approx(got.passing.vs_engine[ids["ana"]].kappa, 1)
    assert approx(got.passing.vs_engine[ids["bo"]].kappa, 1 / 6)
    assert by_code["missing_greeting"].found_by_engine == 1
    assert by_code["missing_greeting"].found_by_raters == 0
    assert all(v is None for v in got.overall.vs_final.values())  # no final answer yet

    # Where they disagree: chat 4, per line.
    chat4 = got.chats[3]
    lines = {line.code: line for line in chat4.lines}
    assert set(lines) == {"rude", "missing_greeting"}
    assert lines["rude"].raters_split and lines["rude"].against_engine
    assert not lines["missing_greeting"].raters_split
    assert lines["missing_greeting"].against_engine and lines["missing_greeting"].engine
    assert chat4.split and not got.chats[4].split  # chat 5: all say rude, all fail
    assert got.chats[1].majority == ["rude"] and got.chats[1].majority_passed is False
    assert got.chats[0].engine_passed is False and got.chats[2].engine_passed is True


def test_final_answers_grade_the_graders_and_are_version_checked(db, arranged):
    """With the final answers rude / rude / impatient / none / rude, ana matches them
    everywhere (kappa 1) and bo differs on rude in chats 2 and 4: the pooled figures of ana
    against the engine above, 269/364."""
    people, session_id = arranged
    _submit_all(db, people, session_id)
    finals = [({"rude"}, False), ({"rude"}, False), ({"impatient"}, True), (set(), True),
              ({"rude"}, False)]  # fmt: skip
    for position, (found, passed) in enumerate(finals, start=1):
        with db.begin() as session:
            cal.record_final(
                session, principal=people["lea"], session_id=session_id, position=position,
                version=1, problems=found, passed=passed, note="以组长意见为准",
            )  # fmt: skip
    with db() as session:
        got = cal.results(session, principal=people["lea"], session_id=session_id)
    ids = {p.user.name: p.id for p in got.raters}
    assert approx(got.overall.vs_final[ids["ana"]].kappa, 1)
    assert approx(got.overall.vs_final[ids["bo"]].kappa, 269 / 364)
    assert got.finals == 5 and got.chats[2].chat.final_problems == ["impatient"]
    assert got.chats[2].final_by == "lea"

    # Two leads on the same version: the second is refused, the first answer stays.
    with db.begin() as session:
        cal.record_final(
            session, principal=people["adm"], session_id=session_id, position=4, version=2,
            problems=["missing_greeting"], passed=True, note=None,
        )  # fmt: skip
    with db() as session, pytest.raises(cal.Refused) as stale:
        cal.record_final(
            session, principal=people["lea"], session_id=session_id, position=4, version=2,
            problems=[], passed=False, note=None,
        )  # fmt: skip
    assert stale.value.problem.reason == "stale" and stale.value.status == 409
    with db() as session:
        again = cal.results(session, principal=people["lea"], session_id=session_id)
        assert again.chats[3].chat.final_problems == ["missing_greeting"]
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "calibration")
        ).all()
    assert actions.count("create") == 1 and actions.count("rate") == 15
    assert actions.count("submit") == 3 and actions.count("final") == 6


def test_who_sees_what(db, arranged):
    people, session_id = arranged
    lea, ana, dee = people["lea"], people["ana"], people["dee"]
    with db() as session:
        # agents and service accounts: never
        for who in (people["小美"], people["robot"]):
            with pytest.raises(Forbidden):
                cal.list_sessions(session, principal=who)
            with pytest.raises(Forbidden):
                cal.overview(session, principal=who, session_id=session_id)
            with pytest.raises(Forbidden):
                cal.create(session, principal=who, title="x", transcript_ids=["K-1"],
                           participant_ids=[ana.user_id, dee.user_id])  # fmt: skip
        # a specialist who does not take part: not even that it exists
        assert cal.list_sessions(session, principal=dee) == []
        with pytest.raises(NotFound):
            cal.overview(session, principal=dee, session_id=session_id)
        with pytest.raises(Forbidden):  # and creates nothing
            cal.create(session, principal=ana, title="x", transcript_ids=["K-1"],
                       participant_ids=[ana.user_id, dee.user_id])  # fmt: skip
        # a participant before submitting: their own answers, nobody else's
        (row,) = cal.list_sessions(session, principal=ana)
        assert row.me is not None and row.status == "rating"
        seen = cal.overview(session, principal=ana, session_id=session_id)
        assert not seen.answers_visible and seen.rated_all
        assert {r.participant_id for r in seen.mine.values()} == {seen.me.id}
        with pytest.raises(cal.Refused):
            cal.results(session, principal=ana, session_id=session_id)
        # the lead, who does not rate, sees the answers at once, but only submitted ones
        early = cal.results(session, principal=lea, session_id=session_id)
        assert early.raters == [] and len(early.pending) == 3
        assert all(c.ratings == {} for c in early.chats)
        with pytest.raises(Forbidden):
            cal.record_final(session, principal=ana, session_id=session_id, position=1,
                             version=1, problems=[], passed=True, note=None)  # fmt: skip
        with pytest.raises(NotFound):
            cal.rating_page(session, principal=ana, session_id=session_id, position=6)
    with db.begin() as session:
        cal.submit(session, principal=ana, session_id=session_id)
    with db() as session:
        mine = cal.results(session, principal=ana, session_id=session_id)
        assert [p.user.name for p in mine.raters] == ["ana"] and not mine.can_decide
        page = cal.rating_page(session, principal=ana, session_id=session_id, position=1)
        assert page.submitted and page.rated == {1, 2, 3, 4, 5}
        assert [m.text for m in page.messages] == ["在吗", "自己看详情页"]
    with db() as session, pytest.raises(cal.Refused) as late:
        cal.save_rating(session, principal=ana, session_id=session_id, position=1,
                        problems=[], passed=True, note=None)  # fmt: skip
    assert late.value.problem.reason == "already_submitted"
    with db() as session, pytest.raises(cal.Refused):
        cal.submit(session, principal=ana, session_id=session_id)


def test_a_lead_who_rates_is_blind_until_submitting(db, arranged):
    people, _ = arranged
    lea, ana = people["lea"], people["ana"]
    with db.begin() as session:
        made = cal.create(session, principal=lea, title="组长也参加",
                          transcript_ids=["K-1", "K-2"],
                          participant_ids=[lea.user_id, ana.user_id])  # fmt: skip
        session_id = made.id
    with db.begin() as session:
        for position in (1, 2):
            cal.save_rating(session, principal=ana, session_id=session_id, position=position,
                            problems=["rude"], passed=False, note="太冲")  # fmt: skip
        cal.submit(session, principal=ana, session_id=session_id)
    with db() as session:
        with pytest.raises(cal.Refused):
            cal.results(session, principal=lea, session_id=session_id)
        with pytest.raises(cal.Refused):
            cal.record_final(session, principal=lea, session_id=session_id, position=1,
                             version=1, problems=[], passed=True, note=None)  # fmt: skip
        assert cal.overview(session, principal=lea, session_id=session_id).mine == {}
    with db.begin() as session:
        with pytest.raises(cal.FormProblems) as unrated:
            cal.submit(session, principal=lea, session_id=session_id)
        assert unrated.value.problems == [cal.Problem("ratings", "unrated", ("1", "2"))]


def test_forms_are_refused_with_every_problem_named(db, arranged):
    people, session_id = arranged
    lea = people["lea"]
    with db() as session:
        with pytest.raises(cal.FormProblems) as bad:
            cal.create(session, principal=lea, title="  ", transcript_ids=["K-1", "nope"],
                       participant_ids=[people["ana"].user_id])  # fmt: skip
        assert [(p.field, p.reason, p.values) for p in bad.value.problems] == [
            ("title", "missing", ()),
            ("chats", "unknown", ("nope",)),
            ("participants", "too_few", ("2", "1")),
        ]
        assert bad.value.status == 422
        with pytest.raises(cal.FormProblems) as bad:
            cal.create(session, principal=lea, title="x" * 101, transcript_ids=[],
                       participant_ids=[people["ana"].user_id, people["小美"].user_id])  # fmt: skip
        assert [(p.field, p.reason) for p in bad.value.problems] == [
            ("title", "too_long"), ("chats", "missing"), ("participants", "unknown"),
        ]  # fmt: skip
        assert bad.value.problems[2].values == (str(people["小美"].user_id),)
        with pytest.raises(cal.FormProblems) as bad:
            cal.save_rating(session, principal=people["ana"], session_id=session_id,
                            position=1, problems=["rude", "customer_negative", "bogus"],
                            passed=None, note="长" * 4001)  # fmt: skip
        assert [(p.field, p.reason) for p in bad.value.problems] == [
            ("problems", "unknown"), ("passed", "missing"), ("note", "too_long"),
        ]  # fmt: skip
        assert bad.value.problems[0].values == ("customer_negative", "bogus")
        assert [c.name for c in cal.candidates(session, lea)] == [
            "adm", "lea", "ana", "bo", "cy", "dee",
        ]  # fmt: skip


def test_two_raters_submitting_at_once_lose_nothing(db, arranged):
    """Both read the session before either writes; each submit touches only its own row."""
    people, session_id = arranged
    first, second = db(), db()
    try:
        for session in (first, second):
            cal.overview(session, principal=people["lea"], session_id=session_id)
        cal.submit(first, principal=people["ana"], session_id=session_id)
        first.commit()
        cal.submit(second, principal=people["bo"], session_id=session_id)
        second.commit()
    finally:
        first.close()
        second.close()
    # one rater submitting from two tabs at once, in two threads released together: one
    # submit counts, the other is refused (whichever comes first)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def rate_and_submit(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            with db.begin() as session:
                cal.submit(session, principal=people[name], session_id=session_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=rate_and_submit, args=(n,)) for n in ("cy", "cy")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(errors) == 1 and isinstance(errors[0], cal.Refused)  # cy submits once
    with db() as session:
        rows = session.scalars(select(CalibrationParticipant)).all()
        assert all(p.submitted_at is not None for p in rows) and len(rows) == 3
        assert len(session.scalars(select(CalibrationRating)).all()) == 15


def test_final_answers_become_teaching_cases(db, arranged):
    """Each way a final "present" becomes a confirmed, marked work item: an item still to
    review (confirmed by it, unless someone else holds it), a confirmed item, a flag scored
    without review, and a problem the engine missed; a dismissed flag is refused."""
    people, session_id = arranged
    lea, ana = people["lea"], people["ana"]
    _submit_all(db, people, session_id)
    with db.begin() as session:
        flags = {
            f.transcript_id: f for f in session.scalars(select(StoredFlag)) if f.category == "rude"
        }
        rows = session.scalars(select(StoredTranscript).where(StoredTranscript.id == "K-1"))
        transcript = rows.one()
        open_item = new_work_item(transcript, flags["K-1"], now=NOW)
        k2 = session.get(StoredTranscript, "K-2")
        desk_item = new_work_item(k2, flags["K-2"], now=NOW)
        desk_item.status = "confirmed"
        greeting = session.scalar(select(StoredFlag).where(StoredFlag.transcript_id == "K-4"))
        dismissed = new_work_item(session.get(StoredTranscript, "K-4"), greeting, now=NOW)
        dismissed.status = "dismissed"
        session.add_all([open_item, desk_item, dismissed])
        session.flush()
        open_id, confirmed_id = open_item.id, desk_item.id
        workitems.claim(session, principal=ana, item_id=open_id, version=1)
    finals = [({"rude"}, False), ({"rude"}, False), ({"impatient"}, True),
              ({"missing_greeting"}, True), ({"rude"}, False)]  # fmt: skip
    with db.begin() as session:
        for position, (found, passed) in enumerate(finals, start=1):
            cal.record_final(
                session, principal=lea, session_id=session_id, position=position, version=1,
                problems=found, passed=passed, note="培训用",
            )  # fmt: skip

    def case(position: int, category: str) -> WorkItem:
        with db.begin() as session:
            return cal.make_teaching_case(
                session, principal=lea, session_id=session_id, position=position,
                category=category,
            )  # fmt: skip

    with pytest.raises(cal.Refused) as held:
        case(1, "rude")
    assert held.value.problem.reason == "held" and held.value.problem.values[0] == "ana"
    with db.begin() as session:
        item = session.get(WorkItem, open_id)
        workitems.release(session, principal=ana, item_id=open_id, version=item.version)
    made = {
        1: case(1, "rude"),  # the open item, confirmed now
        2: case(2, "rude"),  # already confirmed
        3: case(3, "impatient"),  # the engine missed it
        5: case(5, "rude"),  # a flag scored without review
    }
    assert made[1].id == open_id and made[2].id == confirmed_id
    assert case(2, "rude").id == confirmed_id  # asking again adds nothing
    with pytest.raises(cal.Refused) as refused:
        case(4, "missing_greeting")
    assert refused.value.problem.reason == "decided_otherwise"
    with pytest.raises(cal.Refused) as refused:
        case(4, "rude")
    assert refused.value.problem.reason == "not_final"
    with pytest.raises(Forbidden), db() as session:
        cal.make_teaching_case(session, principal=ana, session_id=session_id, position=1,
                               category="rude")  # fmt: skip
    with db() as session:
        cases = desk.search_cases(session, principal=lea, category=None, text=None)
        assert {(c.transcript_id, c.category) for c in cases} == {
            ("K-1", "rude"), ("K-2", "rude"), ("K-3", "impatient"), ("K-5", "rude"),
        }  # fmt: skip
        for c in cases:
            assert c.status == "confirmed" and c.kind == "flag" and c.teaching_case
        missed = next(c for c in cases if c.transcript_id == "K-3")
        assert missed.flag_id is None and missed.points == 0 and missed.severity == "deduct"
        assert missed.note is not None and missed.note.startswith("校准「十一月第二周校准」定案")
        k3 = session.get(StoredTranscript, "K-3")
        assert k3.score == 100  # a missed problem costs nothing: the score stays the engine's
        got = cal.results(session, principal=lea, session_id=session_id)
        assert set(got.chats[0].cases) == {"rude"} and set(got.chats[2].cases) == {"impatient"}
        audited = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "calibration")
        ).all()
        assert audited.count("teaching_case") == 4
