"""An agent's scorecard (the desk's agent page, /ui/agents/<name>): their quality by ISO
week (mean chat score, pass rate, chats inspected), their deductions by category against
the team's per 100 chats (so that agents with different volumes compare), and their
appeals, open and decided.

The figures are the weekly report's (service/weekly.py: the same weeks, the same chats, the
same queries) over one agent's chats; the team is every chat an agent is named on, and is
only ever shown as an aggregate. An agent sees their own scorecard and no one else's
(another agent's is refused whether or not that agent exists, so the refusal says nothing
about who works here); leads and admins see any agent's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from qc_engine.db.models import Appeal, StoredTranscript, User, WorkItem
from qc_engine.errors import Code
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, Invalid, NotFound
from qc_engine.service.review import LEADS, Status
from qc_engine.service.weekly import DateRange, agent_categories, agent_trend
from qc_engine.taxonomy import CATEGORIES
from qc_engine.weeks import IsoWeek

WEEK_CHOICES = (4, 8, 12, 26)
DEFAULT_WEEKS = 8
DECIDED_SHOWN = 30
"""Decided appeals listed (newest first); the counts cover them all."""


def may_see(principal: Principal, agent: str) -> None:
    """Refuse (Forbidden) anyone but the agent themselves, a lead or an admin."""
    if principal.role == "agent":
        if principal.agent_name is None or principal.agent_name != agent:
            raise Forbidden(Code.E403, "an agent sees their own scorecard only")
        return
    if principal.role not in LEADS:
        raise Forbidden(Code.E403, f"role {principal.role!r} may not see agents' scorecards")


def _rate(part: int, chats: int) -> float | None:
    return part * 100 / chats if chats else None


@dataclass(frozen=True)
class Quality:
    """Chats inspected, their mean score and pass rate (None without chats)."""

    chats: int
    mean_score: float | None
    pass_rate: float | None
    """0 to 1."""
    problems: int = 0
    red_lines: int = 0

    @property
    def problems_per_100(self) -> float | None:
        return _rate(self.problems, self.chats)


@dataclass(frozen=True)
class WeekRow:
    week: IsoWeek
    agent: Quality
    team: Quality
    current: bool
    """The week in progress: its figures will still grow."""


@dataclass(frozen=True)
class CategoryRow:
    """One agent category: the agent's deductions that still count, and the team's."""

    code: str
    name: str
    severity: str
    flags: int
    """The agent's flags still standing (not dismissed, not overturned)."""
    chats: int
    """The agent's chats with one."""
    points_lost: int
    red_lines: int
    confirmed: int
    """Of the agent's flags, those a reviewer confirmed (an appeal may be pending)."""
    rejected: int
    """The agent's flags a reviewer dismissed or an appeal overturned: they no longer count."""
    team_flags: int
    agent_chats: int
    team_chats: int

    @property
    def per_100(self) -> float | None:
        return _rate(self.flags, self.agent_chats)

    @property
    def team_per_100(self) -> float | None:
        return _rate(self.team_flags, self.team_chats)

    @property
    def above_team(self) -> bool:
        """More of it per chat than the team (and at least two of them, not one slip)."""
        mine, team = self.per_100, self.team_per_100
        return self.flags >= 2 and mine is not None and (team is None or mine > team)


@dataclass(frozen=True)
class AppealRow:
    item_id: int
    transcript_id: str
    category: str | None
    severity: str | None
    points: int
    evidence: str | None
    status: str
    reason: str
    appealed_at: datetime
    decision: str | None
    """upheld (the deduction stays) or overturned (the points come back); None: pending."""
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


@dataclass(frozen=True)
class Scorecard:
    agent: str
    first_week: IsoWeek
    last_week: IsoWeek
    weeks: list[WeekRow]
    overall: Quality
    team: Quality
    team_agents: int
    """Agents in the team over the weeks (the team's figures are their chats together)."""
    categories: list[CategoryRow]
    """Categories where the agent or the team has a deduction, the agent's most first."""
    appealable: int
    """Confirmed deductions the agent can still appeal."""
    open_appeals: list[AppealRow]
    decided_appeals: list[AppealRow]
    upheld: int
    overturned: int

    @property
    def period(self) -> DateRange:
        return weeks_period(self.first_week, self.last_week)


def weeks_period(first: IsoWeek, last: IsoWeek) -> DateRange:
    return DateRange.of(first.monday, last.monday + timedelta(days=6))


def _quality(row: dict[str, Any]) -> Quality:
    return Quality(
        chats=row["chats"],
        mean_score=row["mean_score"],
        pass_rate=row["pass_rate"],
        problems=row.get("problems", 0),
        red_lines=row.get("red_lines", 0),
    )


def _categories(
    mine: dict[str, dict[str, int]], team: dict[str, dict[str, int]], chats: int, team_chats: int
) -> list[CategoryRow]:
    rows = []
    for code, category in CATEGORIES.items():
        own, all_ = mine.get(code, {}), team.get(code, {})
        if not own.get("flags") and not all_.get("flags"):
            continue
        rows.append(
            CategoryRow(
                code=code,
                name=category.name_zh,
                severity=category.severity,
                flags=own.get("flags", 0),
                chats=own.get("chats", 0),
                points_lost=own.get("points_lost", 0),
                red_lines=own.get("red_lines", 0),
                confirmed=own.get("confirmed", 0),
                rejected=own.get("rejected", 0),
                team_flags=all_.get("flags", 0),
                agent_chats=chats,
                team_chats=team_chats,
            )
        )
    rows.sort(key=lambda r: (-r.flags, -(r.team_per_100 or 0), r.code))
    return rows


def _appeals(session: Session, agent: str) -> tuple[list[AppealRow], list[AppealRow]]:
    """The agent's appeals, the latest per work item: pending, and decided (newest first)."""
    latest: dict[int, tuple[Appeal, WorkItem]] = {}
    for appeal, item in session.execute(
        select(Appeal, WorkItem)
        .join(WorkItem, Appeal.work_item_id == WorkItem.id)
        .where(WorkItem.agent == agent)
        .options(joinedload(WorkItem.flag))
        .order_by(Appeal.id)
    ).unique():
        latest[item.id] = (appeal, item)
    deciders = {a.decided_by for a, _ in latest.values() if a.decided_by is not None}
    names: dict[int, str] = {}
    if deciders:
        query = select(User.id, User.name).where(User.id.in_(deciders))
        names = dict(session.execute(query).all())
    rows = [
        AppealRow(
            item_id=item.id,
            transcript_id=item.transcript_id,
            category=item.category,
            severity=item.severity,
            points=item.points,
            evidence=item.flag.evidence if item.flag is not None else None,
            status=item.status,
            reason=appeal.reason,
            appealed_at=appeal.created_at,
            decision=appeal.decision,
            decided_by=names.get(appeal.decided_by) if appeal.decided_by is not None else None,
            decided_at=appeal.decided_at,
            decision_note=appeal.decision_note,
        )
        for appeal, item in latest.values()
    ]
    pending = sorted(
        (r for r in rows if r.decision is None and r.status == Status.APPEALED),
        key=lambda r: (r.appealed_at, r.item_id),
    )
    decided = sorted(
        (r for r in rows if r.decision is not None),
        key=lambda r: (r.decided_at or r.appealed_at, r.item_id),
        reverse=True,
    )
    return pending, decided


def scorecard(
    session: Session,
    *,
    principal: Principal,
    agent: str,
    last: IsoWeek,
    weeks: int = DEFAULT_WEEKS,
    current: IsoWeek | None = None,
) -> Scorecard:
    """The scorecard of `agent` over `weeks` ISO weeks up to `last` (`current`, the week in
    progress, is marked as such). Forbidden to anyone but the agent, a lead or an admin; for
    a lead, an agent no chat names is a NotFound."""
    may_see(principal, agent)
    if weeks not in WEEK_CHOICES:
        raise Invalid(
            Code.E422, f"weeks is one of {', '.join(map(str, WEEK_CHOICES))}", field="weeks"
        )
    if principal.role != "agent" and not _has_chats(session, agent):
        raise NotFound(Code.E404, f"no chat names the agent {agent!r}")
    first = last.shifted(-(weeks - 1))
    period = weeks_period(first, last)
    mine_by_week = agent_trend(session, agent=agent, last=last, weeks=weeks)
    team_by_week = agent_trend(session, agent=None, last=last, weeks=weeks)
    headline, mine = agent_categories(session, agent=agent, span=period)
    team_headline, team = agent_categories(session, agent=None, span=period)
    rows = [
        WeekRow(
            IsoWeek.parse(own["week"]), _quality(own), _quality(all_), own["week"] == str(current)
        )
        for own, all_ in zip(mine_by_week, team_by_week, strict=True)
    ]
    pending, decided = _appeals(session, agent)
    appealable = session.scalar(
        select(func.count())
        .select_from(WorkItem)
        .where(WorkItem.agent == agent, WorkItem.status == Status.CONFIRMED)
    )
    return Scorecard(
        agent=agent,
        first_week=first,
        last_week=last,
        weeks=rows,
        overall=Quality(
            chats=headline["chats"],
            mean_score=headline["mean_score"],
            pass_rate=headline["pass_rate"],
            problems=sum(r["flags"] for r in mine.values()),
            red_lines=sum(r["red_lines"] for r in mine.values()),
        ),
        team=Quality(
            chats=team_headline["chats"],
            mean_score=team_headline["mean_score"],
            pass_rate=team_headline["pass_rate"],
            problems=sum(r["flags"] for r in team.values()),
            red_lines=sum(r["red_lines"] for r in team.values()),
        ),
        team_agents=team_headline["agents"],
        categories=_categories(mine, team, headline["chats"], team_headline["chats"]),
        appealable=int(appealable or 0),
        open_appeals=pending,
        decided_appeals=decided[:DECIDED_SHOWN],
        upheld=sum(1 for r in decided if r.decision == "upheld"),
        overturned=sum(1 for r in decided if r.decision == "overturned"),
    )


def _has_chats(session: Session, agent: str) -> bool:
    return (
        session.scalar(select(StoredTranscript.id).where(StoredTranscript.agent == agent).limit(1))
        is not None
    )


def agents(session: Session, *, principal: Principal) -> list[tuple[str, int]]:
    """Every agent named on a chat, with their chats stored, by name (code point order):
    whose scorecards a lead or an admin can open."""
    if principal.role not in LEADS:
        raise Forbidden(Code.E403, f"role {principal.role!r} may not list agents")
    rows = session.execute(
        select(StoredTranscript.agent, func.count())
        .where(StoredTranscript.agent.is_not(None))
        .group_by(StoredTranscript.agent)
    )
    # Sorted here: the databases' collations order Chinese differently.
    return sorted((str(name), int(n)) for name, n in rows)
