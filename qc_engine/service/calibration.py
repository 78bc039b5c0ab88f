"""Calibration sessions (校准, "grading the graders"): a lead picks chats and reviewers;
each reviewer rates the same chats blind (per agent-side category: is the problem there;
then pass or fail and a note), seeing neither the others' answers nor the engine's; once
they submit, they see where they disagree with each other and with the engine, with
agreement measured per category; the lead records the final answer per chat and category,
and a final "present" can become a teaching case.

Who sees what (enforced here, the desk only shows it):
- leads and admins see every session; a specialist only the sessions they take part in
  (404 for the others, as for a session that does not exist); agents and service accounts
  none (403);
- a participant sees the others' answers, the engine's flags and the agreement only after
  submitting their own answers, and can no longer change them then; a lead who takes part
  is a participant like any other until they submit;
- final answers and teaching cases are the leads', once the answers are theirs to see.

Nothing is lost when people act at once: every participant's answers are their own rows,
a participant's row is changed only by a guarded UPDATE (`... AND submitted_at IS NULL`),
and a chat's final answer carries a version (two leads: the second gets a 409).

Agreement is Fleiss' kappa across the raters who submitted and Cohen's kappa of each rater
against the engine (and against the final answer), with the formulas written out below;
computed with exact fractions, so a figure is the same on every machine.

One file (over 600 lines) for one domain, as workitems.py is for a work item's life: the
rule of who sees what is read by every function below, and the figures cannot be split
from the answers they are computed from without giving that rule a second home. The
formulas alone (fleiss_kappa, cohen_kappa) need no storage and are tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from qc_engine.db.models import (
    CalibrationChat,
    CalibrationParticipant,
    CalibrationRating,
    CalibrationSession,
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    User,
    WorkItem,
)
from qc_engine.errors import Code
from qc_engine.service import workitems
from qc_engine.service.auth import Principal
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Conflict, Forbidden, Invalid, NotFound, Problem
from qc_engine.service.ingest import new_work_item
from qc_engine.service.limits import UNSTORABLE
from qc_engine.service.review import CONFIRMED, LEADS, REVIEWERS, HeldBySomeoneElse, Status
from qc_engine.taxonomy import CATEGORIES

AGENT_CATEGORIES: tuple[str, ...] = tuple(c.code for c in CATEGORIES.values() if c.who == "agent")
"""What raters judge: the agent's problems (customer signals are not the agent's doing)."""
TITLE_MAX = 100
MAX_CHATS = 30
MIN_RATERS = 2  # Fleiss' kappa needs two raters
MAX_RATERS = 20
NOTE_MAX = 4000
ENTITY = "calibration"


# Agreement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """Agreement on a set of subjects: the observed share P_o, the share chance alone would
    give P_e, and kappa = (P_o - P_e) / (1 - P_e): 1 is full agreement, 0 what chance gives,
    below 0 worse than chance. Undefined (None) when P_e = 1: every answer was the same one,
    so there is nothing chance could not explain."""

    observed: Fraction
    expected: Fraction
    subjects: int

    @property
    def kappa(self) -> Fraction | None:
        if self.expected == 1:
            return None
        return (self.observed - self.expected) / (1 - self.expected)


def fleiss_kappa(table: Sequence[Sequence[int]]) -> Agreement | None:
    """Fleiss' kappa of N subjects each rated by the same n >= 2 raters into k answers;
    table[i][j] = n_ij, how many raters gave subject i answer j (each row sums to n):

        p_j  = sum_i n_ij / (N * n)                        share of all answers that are j
        P_i  = (sum_j n_ij^2 - n) / (n * (n - 1))          agreeing rater pairs on subject i
        P_o  = sum_i P_i / N                               (Fleiss' P-bar)
        P_e  = sum_j p_j^2                                 (Fleiss' P-bar-e)
        kappa = (P_o - P_e) / (1 - P_e)

    None without subjects or with fewer than two raters."""
    if not table:
        return None
    n = sum(table[0])
    if any(sum(row) != n for row in table):
        raise ValueError("every subject needs the same number of raters")
    if n < 2:
        return None
    subjects = len(table)
    answers = len(table[0])
    p = [Fraction(sum(row[j] for row in table), subjects * n) for j in range(answers)]
    agreeing = [Fraction(sum(c * c for c in row) - n, n * (n - 1)) for row in table]
    return Agreement(
        observed=sum(agreeing, Fraction(0)) / subjects,
        expected=sum((pj * pj for pj in p), Fraction(0)),
        subjects=subjects,
    )


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> Agreement | None:
    """Cohen's kappa of two raters A and B over N subjects, pairs[i] = (A's answer, B's):

        P_o = (subjects where A and B agree) / N
        P_e = sum over answers c of (share of A's answers that are c) * (B's share of c)
        kappa = (P_o - P_e) / (1 - P_e)

    None without subjects."""
    if not pairs:
        return None
    total = len(pairs)
    answers = {a for a, _ in pairs} | {b for _, b in pairs}
    agree = sum(1 for a, b in pairs if a == b)
    expected = sum(
        (
            Fraction(sum(1 for a, _ in pairs if a == c), total)
            * Fraction(sum(1 for _, b in pairs if b == c), total)
            for c in answers
        ),
        Fraction(0),
    )
    return Agreement(observed=Fraction(agree, total), expected=expected, subjects=total)


def _fleiss_yes_no(votes: Sequence[Sequence[bool]]) -> Agreement | None:
    """Fleiss over yes/no answers: votes[i] holds every rater's answer on subject i."""
    return fleiss_kappa([[sum(v), len(v) - sum(v)] for v in votes])


# Refusals the desk words in Chinese ------------------------------------------------------


class FormProblems(Invalid):
    """Everything wrong with a form at once (422)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(Code.E422, "; ".join(map(str, problems)), field=problems[0].field)


class Refused(Conflict):
    """A change the session's state does not allow now (409)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(Code.E409, str(problem), field=problem.field)


def _forbidden(principal: Principal, allowed: Sequence[str]) -> Forbidden:
    return Forbidden(
        Code.E403, f"role {principal.role!r} may not do this; allowed: {', '.join(allowed)}"
    )


def _check_note(note: str | None, field: str) -> tuple[str | None, Problem | None]:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        return None, Problem(field, "too_long", (str(NOTE_MAX), str(len(text))))
    if UNSTORABLE.search(text):
        return None, Problem(field, "unstorable")
    return text or None, None


# Creating a session ----------------------------------------------------------------------


def parse_ids(text: str | None) -> list[str]:
    """Chat ids as typed or pasted: one per line, or separated by spaces, commas or 、；,
    each once, in the order given."""
    seen: dict[str, None] = {}
    for part in re.split(r"[\s,，、;；]+", text or ""):
        if part:
            seen.setdefault(part, None)
    return list(seen)


def candidates(session: Session, principal: Principal) -> list[User]:
    """Who may take part: every enabled user with a reviewer role, leads first."""
    if principal.role not in LEADS:
        raise _forbidden(principal, LEADS)
    users = session.scalars(
        select(User).where(User.role.in_(REVIEWERS), User.disabled.is_(False)).order_by(User.name)
    )
    order = {role: n for n, role in enumerate(("admin", "lead", "specialist"))}
    return sorted(users, key=lambda u: order.get(u.role, 9))


def create(
    session: Session,
    *,
    principal: Principal,
    title: str | None,
    transcript_ids: Sequence[str],
    participant_ids: Sequence[int],
) -> CalibrationSession:
    """A new session of these chats (rated in the order given) and these reviewers; every
    problem with the form is reported at once (FormProblems)."""
    if principal.role not in LEADS:
        raise _forbidden(principal, LEADS)
    problems: list[Problem] = []
    name = (title or "").strip()
    if not name:
        problems.append(Problem("title", "missing"))
    elif len(name) > TITLE_MAX:
        problems.append(Problem("title", "too_long", (str(TITLE_MAX), str(len(name)))))
    elif UNSTORABLE.search(name):
        problems.append(Problem("title", "unstorable"))
    ids = list(dict.fromkeys(t.strip() for t in transcript_ids if t.strip()))
    if not ids:
        problems.append(Problem("chats", "missing"))
    elif len(ids) > MAX_CHATS:
        problems.append(Problem("chats", "too_many", (str(MAX_CHATS), str(len(ids)))))
    else:
        found = set(
            session.scalars(select(StoredTranscript.id).where(StoredTranscript.id.in_(ids)))
        )
        unknown = [t for t in ids if t not in found]
        if unknown:
            problems.append(Problem("chats", "unknown", tuple(unknown)))
    people = list(dict.fromkeys(participant_ids))
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_(people), User.role.in_(REVIEWERS), User.disabled.is_(False)
            )
        )
    }
    refused = [str(p) for p in people if p not in users]
    if refused:
        problems.append(Problem("participants", "unknown", tuple(refused)))
    elif len(people) < MIN_RATERS:
        problems.append(Problem("participants", "too_few", (str(MIN_RATERS), str(len(people)))))
    elif len(people) > MAX_RATERS:
        problems.append(Problem("participants", "too_many", (str(MAX_RATERS), str(len(people)))))
    if problems:
        raise FormProblems(problems)
    now = utcnow()
    row = CalibrationSession(title=name, created_by=principal.user_id, created_at=now)
    row.chats = [CalibrationChat(transcript_id=t, position=n) for n, t in enumerate(ids, start=1)]
    row.participants = [CalibrationParticipant(user_id=u) for u in people]
    session.add(row)
    session.flush()
    audit(
        session, actor=principal.name, entity=ENTITY, entity_id=row.id, action="create",
        to_state="open",
        note=f"{len(ids)} chats; raters: {', '.join(users[u].name for u in people)}",
        at=now,
    )  # fmt: skip
    return row


# Reading ---------------------------------------------------------------------------------


def _open(
    session: Session, principal: Principal, session_id: int
) -> tuple[CalibrationSession, CalibrationParticipant | None]:
    """The session and the caller's place in it, if they may see it at all."""
    if principal.role not in REVIEWERS:
        raise _forbidden(principal, REVIEWERS)
    row = session.get(
        CalibrationSession,
        session_id,
        options=[
            selectinload(CalibrationSession.chats),
            selectinload(CalibrationSession.participants).joinedload(CalibrationParticipant.user),
        ],
    )
    if row is None:
        raise NotFound(Code.E404, f"calibration session {session_id} not found")
    me = next((p for p in row.participants if p.user_id == principal.user_id), None)
    if me is None and principal.role not in LEADS:
        raise NotFound(Code.E404, f"calibration session {session_id} not found")
    return row, me


def answers_visible(principal: Principal, me: CalibrationParticipant | None) -> bool:
    """Whether the caller may see the others' answers and the engine's: a lead who does not
    rate, or a participant who has submitted."""
    if me is None:
        return principal.role in LEADS
    return me.submitted_at is not None


def _chat_at(row: CalibrationSession, position: int) -> CalibrationChat:
    chat = next((c for c in row.chats if c.position == position), None)
    if chat is None:
        raise NotFound(Code.E404, f"calibration session {row.id} has no chat {position}")
    return chat


@dataclass
class SessionRow:
    """A session in the list: how far it is, and the caller's part in it."""

    session: CalibrationSession
    creator: str | None
    chats: int
    submitted: list[str]
    pending: list[str]
    finals: int
    me: CalibrationParticipant | None

    @property
    def status(self) -> str:
        if self.pending:
            return "rating"
        return "final" if self.finals == self.chats else "deciding"


def list_sessions(session: Session, *, principal: Principal, limit: int = 200) -> list[SessionRow]:
    """Sessions newest first: every one for a lead, a specialist's own ones."""
    if principal.role not in REVIEWERS:
        raise _forbidden(principal, REVIEWERS)
    query = (
        select(CalibrationSession)
        .options(
            selectinload(CalibrationSession.chats),
            selectinload(CalibrationSession.participants).joinedload(CalibrationParticipant.user),
        )
        .order_by(CalibrationSession.created_at.desc(), CalibrationSession.id.desc())
        .limit(limit)
    )
    if principal.role not in LEADS:
        query = query.where(
            CalibrationSession.id.in_(
                select(CalibrationParticipant.session_id).where(
                    CalibrationParticipant.user_id == principal.user_id
                )
            )
        )
    rows = list(session.scalars(query))
    creators = dict(
        session.execute(
            select(User.id, User.name).where(User.id.in_({r.created_by for r in rows}))
        ).all()
    )
    return [
        SessionRow(
            session=r,
            creator=creators.get(r.created_by),
            chats=len(r.chats),
            submitted=[p.user.name for p in r.participants if p.submitted_at is not None],
            pending=[p.user.name for p in r.participants if p.submitted_at is None],
            finals=sum(1 for c in r.chats if c.final_problems is not None),
            me=next((p for p in r.participants if p.user_id == principal.user_id), None),
        )
        for r in rows
    ]


@dataclass
class Overview:
    """A session as the caller may see it before any answers: its chats, who has
    submitted, and the caller's own answers."""

    session: CalibrationSession
    me: CalibrationParticipant | None
    mine: dict[int, CalibrationRating]  # the caller's answers by chat id
    answers_visible: bool
    creator: str | None

    @property
    def rated_all(self) -> bool:
        return len(self.mine) == len(self.session.chats)

    def next_unrated(self) -> CalibrationChat | None:
        return next((c for c in self.session.chats if c.id not in self.mine), None)


def _mine(session: Session, me: CalibrationParticipant | None) -> dict[int, CalibrationRating]:
    if me is None:
        return {}
    rows = session.scalars(
        select(CalibrationRating).where(CalibrationRating.participant_id == me.id)
    )
    return {r.chat_id: r for r in rows}


def overview(session: Session, *, principal: Principal, session_id: int) -> Overview:
    row, me = _open(session, principal, session_id)
    creator = session.scalar(select(User.name).where(User.id == row.created_by))
    return Overview(row, me, _mine(session, me), answers_visible(principal, me), creator)


@dataclass
class RatingPage:
    """One chat to rate: the chat's words only (no flags, no score: a blind rating), the
    caller's answer so far, and where it stands among the session's chats."""

    session: CalibrationSession
    me: CalibrationParticipant
    chat: CalibrationChat
    transcript: StoredTranscript
    messages: list[StoredMessage]
    rating: CalibrationRating | None
    rated: set[int]  # positions the caller has answered

    @property
    def submitted(self) -> bool:
        return self.me.submitted_at is not None


def rating_page(
    session: Session, *, principal: Principal, session_id: int, position: int
) -> RatingPage:
    """A participant's view of one chat (read-only once they have submitted)."""
    row, me = _open(session, principal, session_id)
    if me is None:
        raise Refused(Problem("participant", "not_participant"))
    chat = _chat_at(row, position)
    transcript = session.get(StoredTranscript, chat.transcript_id)
    assert transcript is not None  # the chat row goes with its transcript (FK cascade)
    messages = list(
        session.scalars(
            select(StoredMessage)
            .where(StoredMessage.transcript_id == chat.transcript_id)
            .order_by(StoredMessage.idx)
        )
    )
    mine = _mine(session, me)
    rated = {c.position for c in row.chats if c.id in mine}
    return RatingPage(row, me, chat, transcript, messages, mine.get(chat.id), rated)


# A participant's answers -----------------------------------------------------------------


def _answer(
    problems: Iterable[str], passed: bool | None, note: str | None
) -> tuple[list[str], bool, str | None]:
    """An answer on one chat (a rater's or the final one) as stored: the categories in the
    taxonomy's order, the verdict, the note; every problem with it at once otherwise."""
    found = list(dict.fromkeys(problems))
    wrong: list[Problem] = []
    unknown = [p for p in found if p not in AGENT_CATEGORIES]
    if unknown:
        wrong.append(Problem("problems", "unknown", tuple(unknown)))
    if passed is None:
        wrong.append(Problem("passed", "missing"))
    text, bad_note = _check_note(note, "note")
    if bad_note:
        wrong.append(bad_note)
    if wrong or passed is None:
        raise FormProblems(wrong)
    return [c for c in AGENT_CATEGORIES if c in found], passed, text


def _guard_unsubmitted(session: Session, me: CalibrationParticipant, now: datetime) -> None:
    """Touch the participant's row only while they have not submitted: a concurrent submit
    (or save) waits for this transaction, and a submitted participant changes nothing."""
    done = session.execute(
        update(CalibrationParticipant)
        .where(CalibrationParticipant.id == me.id, CalibrationParticipant.submitted_at.is_(None))
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused(Problem("submitted", "already_submitted"))


def save_rating(
    session: Session,
    *,
    principal: Principal,
    session_id: int,
    position: int,
    problems: Iterable[str],
    passed: bool | None,
    note: str | None,
) -> CalibrationRating:
    """Save (or change) the caller's answer on one chat, until they submit."""
    row, me = _open(session, principal, session_id)
    if me is None:
        raise Refused(Problem("participant", "not_participant"))
    chat = _chat_at(row, position)
    ordered, verdict, text = _answer(problems, passed, note)
    now = utcnow()
    _guard_unsubmitted(session, me, now)
    rating = session.scalar(
        select(CalibrationRating).where(
            CalibrationRating.participant_id == me.id, CalibrationRating.chat_id == chat.id
        )
    )
    if rating is None:
        rating = CalibrationRating(participant_id=me.id, chat_id=chat.id)
        session.add(rating)
    rating.problems, rating.passed, rating.note, rating.updated_at = ordered, verdict, text, now
    session.flush()
    audit(
        session, actor=principal.name, entity=ENTITY, entity_id=row.id, action="rate",
        to_state=f"chat {position}",
        note=f"{'pass' if verdict else 'fail'}; problems: {', '.join(ordered) or 'none'}",
        at=now,
    )  # fmt: skip
    return rating


def submit(session: Session, *, principal: Principal, session_id: int) -> CalibrationParticipant:
    """Make the caller's answers final: every chat must be answered. From now on they see
    the others' answers and the engine's, and change nothing."""
    row, me = _open(session, principal, session_id)
    if me is None:
        raise Refused(Problem("participant", "not_participant"))
    if me.submitted_at is not None:
        raise Refused(Problem("submitted", "already_submitted"))
    answered = set(
        session.scalars(
            select(CalibrationRating.chat_id).where(CalibrationRating.participant_id == me.id)
        )
    )
    missing = [str(c.position) for c in row.chats if c.id not in answered]
    if missing:
        raise FormProblems([Problem("ratings", "unrated", tuple(missing))])
    now = utcnow()
    done = session.execute(
        update(CalibrationParticipant)
        .where(CalibrationParticipant.id == me.id, CalibrationParticipant.submitted_at.is_(None))
        .values(submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused(Problem("submitted", "already_submitted"))
    session.expire(me)
    audit(
        session, actor=principal.name, entity=ENTITY, entity_id=row.id, action="submit",
        from_state="rating", to_state="submitted", at=now,
    )  # fmt: skip
    return me


# What they said, side by side ------------------------------------------------------------


@dataclass
class Line:
    """One category of one chat: each rater's answer, the engine's, the final one."""

    code: str
    votes: dict[int, bool]  # participant id -> found the problem
    engine: bool
    final: bool | None

    @property
    def raters_split(self) -> bool:
        return len(set(self.votes.values())) > 1

    @property
    def against_engine(self) -> bool:
        return any(v != self.engine for v in self.votes.values())


@dataclass
class ChatResult:
    chat: CalibrationChat
    transcript: StoredTranscript
    ratings: dict[int, CalibrationRating]  # submitted participant id -> answer
    lines: list[Line]  # the categories anyone (a rater, the engine, the final) found
    passed_votes: dict[int, bool]
    engine_passed: bool
    majority: list[str]  # categories more than half the raters found (the form's default)
    majority_passed: bool | None
    cases: dict[str, WorkItem]  # category -> this chat's teaching case of that category
    final_by: str | None

    @property
    def split(self) -> bool:
        return any(line.raters_split for line in self.lines) or (
            len(set(self.passed_votes.values())) > 1
        )


@dataclass
class Measure:
    """Agreement on one question (a category, all categories pooled, or pass/fail): among
    the raters (Fleiss), and of each rater with the engine and with the final answer
    (Cohen); `found` counts the raters' "present" answers and the engine's."""

    code: str
    raters: Agreement | None
    vs_engine: dict[int, Agreement | None]
    vs_final: dict[int, Agreement | None]
    found_by_raters: int = 0
    found_by_engine: int = 0

    @property
    def quiet(self) -> bool:
        """Nobody, the engine included, found this problem in any chat."""
        return self.found_by_raters == 0 and self.found_by_engine == 0


@dataclass
class Results:
    session: CalibrationSession
    me: CalibrationParticipant | None
    raters: list[CalibrationParticipant]  # those who submitted
    pending: list[CalibrationParticipant]
    chats: list[ChatResult]
    categories: list[Measure]  # every agent-side category, in the taxonomy's order
    overall: Measure  # every (chat, category) pair as one subject
    passing: Measure  # pass or fail
    can_decide: bool
    finals: int = 0


def _cohen_pairs(
    chats: list[ChatResult], pid: int, codes: Sequence[str], against: str
) -> Agreement | None:
    pairs: list[tuple[Hashable, Hashable]] = []
    for c in chats:
        rating = c.ratings.get(pid)
        if rating is None:
            continue
        if against == "final":
            if c.chat.final_problems is None:
                continue
            other = set(c.chat.final_problems)
        else:
            other = {line.code for line in c.lines if line.engine}
        pairs.extend((code in rating.problems, code in other) for code in codes)
    return cohen_kappa(pairs)


def _cohen_passed(chats: list[ChatResult], pid: int, against: str) -> Agreement | None:
    pairs: list[tuple[Hashable, Hashable]] = []
    for c in chats:
        if pid not in c.passed_votes:
            continue
        if against == "final":
            if c.chat.final_passed is None:
                continue
            pairs.append((c.passed_votes[pid], c.chat.final_passed))
        else:
            pairs.append((c.passed_votes[pid], c.engine_passed))
    return cohen_kappa(pairs)


def results(session: Session, *, principal: Principal, session_id: int) -> Results:
    """Everyone's answers side by side with the engine's, and the agreement; only for those
    who may see them (answers_visible)."""
    row, me = _open(session, principal, session_id)
    if not answers_visible(principal, me):
        raise Refused(Problem("submitted", "not_submitted"))
    raters = [p for p in row.participants if p.submitted_at is not None]
    pending = [p for p in row.participants if p.submitted_at is None]
    ids = [c.transcript_id for c in row.chats]
    transcripts = {
        t.id: t
        for t in session.scalars(select(StoredTranscript).where(StoredTranscript.id.in_(ids)))
    }
    engine: dict[str, set[str]] = {t: set() for t in ids}
    for transcript_id, category in session.execute(
        select(StoredFlag.transcript_id, StoredFlag.category).where(
            StoredFlag.transcript_id.in_(ids), StoredFlag.category.in_(AGENT_CATEGORIES)
        )
    ):
        engine[transcript_id].add(category)
    by_chat: dict[int, dict[int, CalibrationRating]] = {c.id: {} for c in row.chats}
    rater_ids = [p.id for p in raters]
    if rater_ids:
        for rating in session.scalars(
            select(CalibrationRating).where(CalibrationRating.participant_id.in_(rater_ids))
        ):
            by_chat[rating.chat_id][rating.participant_id] = rating
    cases: dict[str, dict[str, WorkItem]] = {t: {} for t in ids}
    for item in session.scalars(
        select(WorkItem)
        .where(WorkItem.transcript_id.in_(ids), WorkItem.teaching_case.is_(True))
        .order_by(WorkItem.id)
    ):
        if item.category is not None:
            cases[item.transcript_id].setdefault(item.category, item)
    deciders = dict(
        session.execute(
            select(User.id, User.name).where(
                User.id.in_({c.final_by for c in row.chats if c.final_by is not None})
            )
        ).all()
    )
    chats: list[ChatResult] = []
    half = len(raters) / 2
    for chat in row.chats:
        ratings = by_chat[chat.id]
        final = set(chat.final_problems) if chat.final_problems is not None else None
        found = set(engine[chat.transcript_id]) | (final or set())
        for rating in ratings.values():
            found |= set(rating.problems)
        lines = [
            Line(
                code,
                {pid: code in r.problems for pid, r in ratings.items()},
                code in engine[chat.transcript_id],
                None if final is None else code in final,
            )
            for code in AGENT_CATEGORIES
            if code in found
        ]
        votes = {pid: r.passed for pid, r in ratings.items()}
        passes = sum(votes.values())
        t = transcripts[chat.transcript_id]
        chats.append(
            ChatResult(
                chat=chat,
                transcript=t,
                ratings=ratings,
                lines=lines,
                passed_votes=votes,
                engine_passed=t.engine_score >= t.pass_score,
                majority=[
                    code
                    for code in AGENT_CATEGORIES
                    if sum(code in r.problems for r in ratings.values()) > half
                ],
                majority_passed=(
                    True if passes > half else False if len(votes) - passes > half else None
                ),
                cases=cases[chat.transcript_id],
                final_by=deciders.get(chat.final_by) if chat.final_by is not None else None,
            )
        )

    def measure(code: str, codes: Sequence[str]) -> Measure:
        votes = [
            [code_ in c.ratings[p.id].problems for p in raters]
            for c in chats
            for code_ in codes
            if all(p.id in c.ratings for p in raters)
        ]
        return Measure(
            code=code,
            raters=_fleiss_yes_no(votes) if len(raters) >= MIN_RATERS else None,
            vs_engine={p.id: _cohen_pairs(chats, p.id, codes, "engine") for p in raters},
            vs_final={p.id: _cohen_pairs(chats, p.id, codes, "final") for p in raters},
            found_by_raters=sum(sum(v) for v in votes),
            found_by_engine=sum(
                1 for c in chats for code_ in codes if code_ in engine[c.transcript.id]
            ),
        )

    passing_votes = [[c.passed_votes[p.id] for p in raters] for c in chats]
    passing = Measure(
        code="passed",
        raters=_fleiss_yes_no(passing_votes) if len(raters) >= MIN_RATERS else None,
        vs_engine={p.id: _cohen_passed(chats, p.id, "engine") for p in raters},
        vs_final={p.id: _cohen_passed(chats, p.id, "final") for p in raters},
        found_by_raters=sum(sum(not v for v in row_) for row_ in passing_votes),
        found_by_engine=sum(1 for c in chats if not c.engine_passed),
    )
    return Results(
        session=row,
        me=me,
        raters=raters,
        pending=pending,
        chats=chats,
        categories=[measure(code, (code,)) for code in AGENT_CATEGORIES],
        overall=measure("all", AGENT_CATEGORIES),
        passing=passing,
        can_decide=principal.role in LEADS,
        finals=sum(1 for c in row.chats if c.final_problems is not None),
    )


# The lead's final answer and teaching cases ----------------------------------------------


def _deciding(
    session: Session, principal: Principal, session_id: int, position: int
) -> tuple[CalibrationSession, CalibrationChat]:
    if principal.role not in LEADS:
        raise _forbidden(principal, LEADS)
    row, me = _open(session, principal, session_id)
    if not answers_visible(principal, me):
        raise Refused(Problem("submitted", "not_submitted"))
    return row, _chat_at(row, position)


def record_final(
    session: Session,
    *,
    principal: Principal,
    session_id: int,
    position: int,
    version: int,
    problems: Iterable[str],
    passed: bool | None,
    note: str | None,
) -> CalibrationChat:
    """The lead's final answer on one chat: the problems present, pass or fail, a note.
    `version` is the chat's version the lead saw (a stale one: 409, nothing overwritten)."""
    row, chat = _deciding(session, principal, session_id, position)
    ordered, verdict, text = _answer(problems, passed, note)
    if chat.version != version:
        raise Refused(Problem("version", "stale"))
    now = utcnow()
    before = "none" if chat.final_problems is None else "recorded"
    chat.final_problems, chat.final_passed, chat.final_note = ordered, verdict, text
    chat.final_by, chat.final_at = principal.user_id, now
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Refused(Problem("version", "stale")) from None
    audit(
        session, actor=principal.name, entity=ENTITY, entity_id=row.id, action="final",
        from_state=before, to_state="recorded",
        note=f"chat {position} ({chat.transcript_id}): {'pass' if verdict else 'fail'}; "
        f"problems: {', '.join(ordered) or 'none'}",
        at=now,
    )  # fmt: skip
    return chat


def make_teaching_case(
    session: Session, *, principal: Principal, session_id: int, position: int, category: str
) -> WorkItem:
    """Turn a final "present" into a teaching case, always as a confirmed work item of the
    chat marked through workitems.py (its transition table, its audit):

    - the chat's item for that category is confirmed (or appealed, upheld): it is marked;
    - it is still to review: the final answer confirms it (as a lead's decision in the
      queue would; refused while someone else holds it), then it is marked;
    - the engine flagged it but no item was made (a flag scored without review): an item
      is made for that flag, confirmed and marked;
    - the engine did not flag it: an item of that category without a flag (as a confirmed
      item whose flag a re-sent chat lost) is made, confirmed and marked. It costs the chat
      no points: the score stays the engine's (and the reviews');
    - the only items of that category were dismissed or overturned: refused (409), since
      a teaching case is a confirmed problem and a decision is not silently reversed.

    Asking again returns the case already made."""
    row, chat = _deciding(session, principal, session_id, position)
    if category not in AGENT_CATEGORIES:
        raise FormProblems([Problem("category", "unknown", (category,))])
    if chat.final_problems is None or category not in chat.final_problems:
        raise Refused(Problem("category", "not_final", (category,)))
    note = f"校准「{row.title}」定案" + (f"：{chat.final_note}" if chat.final_note else "")
    note = note[:NOTE_MAX]
    items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.transcript_id == chat.transcript_id, WorkItem.category == category)
            .order_by(WorkItem.id)
        )
    )
    existing = next((i for i in items if i.teaching_case), None)
    if existing is not None:
        return existing
    confirmed = next((i for i in items if i.status in CONFIRMED), None)
    if confirmed is None:
        waiting = next(
            (i for i in items if i.status in (Status.OPEN, Status.IN_REVIEW) and i.kind == "flag"),
            None,
        )
        if waiting is None:
            decided = [i for i in items if i.status in (Status.DISMISSED, Status.OVERTURNED)]
            if decided:
                raise Refused(Problem("category", "decided_otherwise", (decided[0].status,)))
            waiting = _new_item(session, principal, chat, category, row.id)
        try:
            confirmed = workitems.confirm(
                session,
                principal=principal,
                item_id=waiting.id,
                version=waiting.version,
                note=note,
            )
        except HeldBySomeoneElse as held:
            name = workitems.user_name(session, held.user_id) or ""
            until = f"{held.until:%H:%M}" if held.until is not None else ""
            raise Refused(Problem("category", "held", (name, until))) from None
    case = workitems.mark_teaching_case(
        session,
        principal=principal,
        item_id=confirmed.id,
        version=confirmed.version,
        value=True,
        note=note,
    )
    audit(
        session, actor=principal.name, entity=ENTITY, entity_id=row.id, action="teaching_case",
        to_state=f"work item {case.id}",
        note=f"chat {chat.transcript_id}: {category}",
    )  # fmt: skip
    return case


def _new_item(
    session: Session,
    principal: Principal,
    chat: CalibrationChat,
    category: str,
    session_id: int,
) -> WorkItem:
    """An open item of the chat for the category: for the engine's flag of it when there is
    one (scored without review), else one without a flag (the engine missed it)."""
    transcript = session.get(StoredTranscript, chat.transcript_id)
    assert transcript is not None
    flag = session.scalar(
        select(StoredFlag)
        .where(StoredFlag.transcript_id == chat.transcript_id, StoredFlag.category == category)
        .order_by(StoredFlag.message_index, StoredFlag.id)
    )
    now = utcnow()
    if flag is not None:
        item = new_work_item(transcript, flag, now=now)
    else:
        item = WorkItem(
            transcript_id=transcript.id, kind="flag", status=Status.OPEN, category=category,
            severity=CATEGORIES[category].severity, points=0, confidence=1.0, priority=0.0,
            agent=transcript.agent, shop=transcript.shop, channel=transcript.channel,
            created_at=now, updated_at=now,
        )  # fmt: skip
    session.add(item)
    session.flush()
    audit(
        session, actor=principal.name, entity="work_item", entity_id=item.id,
        action="calibration_case", from_state=None, to_state=Status.OPEN,
        note=f"calibration session {session_id}: "
        + ("the engine's flag, scored without review" if flag else "a problem the engine missed"),
    )  # fmt: skip
    return item


__all__ = [
    "AGENT_CATEGORIES",
    "Agreement",
    "ChatResult",
    "FormProblems",
    "Line",
    "Measure",
    "Overview",
    "Problem",
    "RatingPage",
    "Refused",
    "Results",
    "SessionRow",
    "answers_visible",
    "candidates",
    "cohen_kappa",
    "create",
    "fleiss_kappa",
    "list_sessions",
    "make_teaching_case",
    "overview",
    "parse_ids",
    "rating_page",
    "record_final",
    "results",
    "save_rating",
    "submit",
]
