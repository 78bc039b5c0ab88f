"""An agent's scorecard (service/scorecard.py) over a small arranged data set, on SQLite and
PostgreSQL: the weeks (Asia/Shanghai, a chat without times by when it was stored), the
agent's deductions by category against the team's (every named agent's chats, a chat
without an agent is no one's), the appeals (the agent's own only, the latest per item), and
who may see a scorecard."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from qc_engine.db.models import Appeal, StoredFlag, StoredTranscript, User, WorkItem
from qc_engine.db.session import make_engine, session_factory
from qc_engine.service import scorecard
from qc_engine.service.auth import Principal
from qc_engine.service.errors import Forbidden, Invalid, NotFound
from qc_engine.weeks import IsoWeek

from ..databases import *  # noqa: F403 (the database fixtures)

W46, W47 = IsoWeek(2026, 46), IsoWeek(2026, 47)
XIAOMEI = Principal(user_id=101, name="demo-agent-小美", role="agent", agent_name="小美")
AJIE = Principal(user_id=102, name="demo-agent-阿杰", role="agent", agent_name="阿杰")
LEAD = Principal(user_id=1, name="lea", role="lead", agent_name=None)
SPECIALIST = Principal(user_id=2, name="spe", role="specialist", agent_name=None)


def at(week: IsoWeek, day: int = 0, hour: int = 10) -> datetime:
    """A moment of an ISO week (Asia/Shanghai): `day` 0 is the Monday."""
    return week.start + timedelta(days=day, hours=hour)


_ids = itertools.count(1)


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def _chat(session, ident, *, agent, score, passed, started=None, ingested=None):
    stored = ingested or started
    session.add(
        StoredTranscript(
            id=ident, channel="taobao", shop="甲店", agent=agent, content_hash="x",
            started_at=started, message_count=4, ingested_at=stored, updated_at=stored,
            checklist="default", checklist_version=1, pass_score=60, engine_score=score,
            score=score, passed=passed, inspected_at=stored,
        )
    )  # fmt: skip
    session.flush()


def _flag(session, chat, category, *, severity="deduct", counts=True):
    flag = StoredFlag(
        transcript_id=chat, fingerprint=f"fp-{next(_ids)}", category=category, message_index=1,
        evidence=f"{category} 的证据", severity=severity,
        points=0 if severity == "red_line" else 5, source="rule", rule=f"phrase.{category}",
        confidence=1.0, counts=counts,
    )  # fmt: skip
    session.add(flag)
    session.flush()
    return flag


def _item(session, flag, *, agent, status, decided=None):
    item = WorkItem(
        transcript_id=flag.transcript_id, flag_id=flag.id, kind="flag", status=status,
        category=flag.category, severity=flag.severity, points=flag.points, priority=1.0,
        agent=agent, shop="甲店", decided_at=decided, created_at=at(W47), updated_at=at(W47),
    )  # fmt: skip
    session.add(item)
    session.flush()
    return item


def _appeal(session, item, *, by, reason, created, decision=None, decider=None, note=None):
    session.add(
        Appeal(
            work_item_id=item.id, appellant_id=by.id, reason=reason, created_at=created,
            decision=decision, decided_by=decider.id if decider else None,
            decided_at=created + timedelta(hours=2) if decision else None, decision_note=note,
        )
    )  # fmt: skip
    session.flush()


@pytest.fixture
def arranged(db):
    """小美: two chats in W46, three in W47 (one without times, stored in W47), one a second
    before the window and one just after it. 阿杰 and 糖糖 make the team; a chat without an
    agent is no one's."""
    with db.begin() as s:
        first_week = W47.shifted(-3)  # the window of 4 weeks: W44 to W47
        _chat(s, "m1", agent="小美", score=100, passed=True, started=at(W46, 0, 9))
        _chat(s, "m2", agent="小美", score=60, passed=False, started=at(W46, 6, 23))
        _chat(s, "m3", agent="小美", score=90, passed=True, started=W47.start)
        _chat(s, "m4", agent="小美", score=0, passed=False, started=at(W47, 2))
        _chat(s, "m5", agent="小美", score=80, passed=True, ingested=at(W47, 4))
        _chat(s, "m-before", agent="小美", score=0, passed=False,
              started=first_week.start - timedelta(seconds=1))  # fmt: skip
        _chat(s, "m-after", agent="小美", score=0, passed=False, started=W47.end)
        _chat(s, "j1", agent="阿杰", score=70, passed=True, started=at(W46, 3))
        _chat(s, "j2", agent="阿杰", score=95, passed=True, started=at(W47, 1))
        _chat(s, "j3", agent="阿杰", score=85, passed=True, started=at(W47, 5))
        _chat(s, "t1", agent="糖糖", score=50, passed=False, started=at(W47, 6))
        _chat(s, "n1", agent=None, score=40, passed=False, started=at(W47, 3))

        lead = User(name="组长甲", role="lead", created_at=at(W46))
        agent_user = User(name="demo-agent-小美", role="agent", agent_name="小美",
                          created_at=at(W46))  # fmt: skip
        other_user = User(name="demo-agent-阿杰", role="agent", agent_name="阿杰",
                          created_at=at(W46))  # fmt: skip
        s.add_all([lead, agent_user, other_user])
        s.flush()

        # 小美's flags: what stands, what a review took away, and their appeals.
        perfunctory_2 = _flag(s, "m2", "perfunctory")
        _item(s, perfunctory_2, agent="小美", status="confirmed", decided=at(W47))
        dismissed = _flag(s, "m2", "impatient", counts=False)
        _item(s, dismissed, agent="小美", status="dismissed", decided=at(W47))
        red = _flag(s, "m4", "off_platform", severity="red_line")
        pending = _item(s, red, agent="小美", status="appealed", decided=at(W47, 2, 12))
        _appeal(s, pending, by=agent_user, reason="客户先提出加微信", created=at(W47, 3))
        perfunctory_4 = _flag(s, "m4", "perfunctory")
        upheld = _item(s, perfunctory_4, agent="小美", status="upheld", decided=at(W47, 2, 12))
        _appeal(s, upheld, by=agent_user, reason="已经回答了", created=at(W47, 3, 9),
                decision="upheld", decider=lead, note="回答过于简短")  # fmt: skip
        overturned = _flag(s, "m1", "ad_law_words", counts=False)
        won = _item(s, overturned, agent="小美", status="overturned", decided=at(W46, 1))
        _appeal(s, won, by=agent_user, reason="这是商品名称", created=at(W46, 1, 12),
                decision="overturned", decider=lead, note="属实，退回扣分")  # fmt: skip
        _flag(s, "m3", "customer_negative")  # the customer's side: not the agent's deduction
        _flag(s, "m-before", "perfunctory")
        _flag(s, "m-after", "rude", severity="red_line")

        # The team's.
        theirs = _flag(s, "j2", "perfunctory")
        appealed = _item(s, theirs, agent="阿杰", status="appealed", decided=at(W47, 1))
        _appeal(s, appealed, by=other_user, reason="阿杰的理由", created=at(W47, 2))
        _flag(s, "j3", "slow_first_response")
        _flag(s, "t1", "off_platform", severity="red_line")
        _flag(s, "t1", "ad_law_words")
        _flag(s, "n1", "perfunctory")  # no agent: not the team's
    return db


def _card(db, principal=XIAOMEI, agent="小美", weeks=4, **options):
    with db() as session:
        return scorecard.scorecard(
            session, principal=principal, agent=agent, last=W47, weeks=weeks, **options
        )


def test_the_weeks_of_one_agent_and_of_the_team(arranged):
    card = _card(arranged, current=W47)
    assert [str(w.week) for w in card.weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    assert (card.first_week, card.last_week) == (IsoWeek(2026, 44), W47)
    assert [w.current for w in card.weeks] == [False, False, False, True]
    mine = [(w.agent.chats, w.agent.mean_score, w.agent.pass_rate) for w in card.weeks]
    assert mine == [(0, None, None), (0, None, None), (2, 80.0, 0.5), (3, 56.67, 0.6667)]
    assert [(w.agent.problems, w.agent.red_lines) for w in card.weeks] == [
        (0, 0), (0, 0), (1, 0), (2, 1),
    ]  # fmt: skip
    team = [(w.team.chats, w.team.mean_score, w.team.pass_rate) for w in card.weeks]
    assert team == [(0, None, None), (0, None, None), (3, 76.67, 0.6667), (6, 66.67, 0.6667)]
    assert [(w.team.problems, w.team.red_lines) for w in card.weeks][2:] == [(1, 0), (6, 2)]

    assert (card.overall.chats, card.overall.mean_score, card.overall.pass_rate) == (5, 66.0, 0.6)
    assert (card.overall.problems, card.overall.red_lines) == (3, 1)
    assert card.overall.problems_per_100 == 60.0
    assert (card.team.chats, card.team.mean_score, card.team.pass_rate) == (9, 70.0, 0.6667)
    assert (card.team.problems, card.team.red_lines, card.team_agents) == (7, 2, 3)


def test_deductions_by_category_against_the_team_per_100_chats(arranged):
    card = _card(arranged)
    rows = {r.code: r for r in card.categories}
    assert list(rows) == ["perfunctory", "off_platform", "ad_law_words", "slow_first_response"]
    perfunctory = rows["perfunctory"]
    assert (perfunctory.flags, perfunctory.chats, perfunctory.points_lost) == (2, 2, 10)
    assert (perfunctory.confirmed, perfunctory.rejected, perfunctory.team_flags) == (2, 0, 3)
    assert perfunctory.per_100 == 40.0  # 2 of 5 chats
    assert perfunctory.team_per_100 == pytest.approx(300 / 9)  # 3 of 9 chats
    assert perfunctory.above_team
    red = rows["off_platform"]
    assert (red.flags, red.red_lines, red.points_lost, red.confirmed, red.team_flags) == (
        1, 1, 0, 1, 2,
    )  # fmt: skip
    assert not red.above_team  # a single one is not a pattern
    ad = rows["ad_law_words"]  # overturned on appeal: no longer 小美's, still the team's
    assert (ad.flags, ad.rejected, ad.team_flags, ad.per_100) == (0, 1, 1, 0.0)
    assert rows["slow_first_response"].flags == 0 and rows["slow_first_response"].team_flags == 1
    # A category dismissed everywhere, and the customer's signals, are not listed.
    assert "impatient" not in rows and "customer_negative" not in rows


def test_the_agents_appeals_open_and_decided(arranged):
    card = _card(arranged)
    (pending,) = card.open_appeals
    assert (pending.category, pending.reason, pending.decision) == (
        "off_platform", "客户先提出加微信", None,
    )  # fmt: skip
    assert pending.transcript_id == "m4" and pending.evidence == "off_platform 的证据"
    decided = [
        (r.category, r.decision, r.decided_by, r.decision_note) for r in card.decided_appeals
    ]
    assert decided == [
        ("perfunctory", "upheld", "组长甲", "回答过于简短"),
        ("ad_law_words", "overturned", "组长甲", "属实，退回扣分"),
    ]
    assert (card.upheld, card.overturned, card.appealable) == (1, 1, 1)
    # 阿杰's appeal is his: not on 小美's card, on his.
    assert "阿杰的理由" not in {r.reason for r in card.open_appeals + card.decided_appeals}
    theirs = _card(arranged, principal=LEAD, agent="阿杰")
    assert [r.reason for r in theirs.open_appeals] == ["阿杰的理由"]
    assert theirs.appealable == 0 and theirs.overall.chats == 3


def test_who_may_see_a_scorecard(arranged):
    assert _card(arranged, principal=LEAD).agent == "小美"
    assert _card(arranged, principal=Principal(3, "adm", "admin", None)).overall.chats == 5
    for principal, agent in (
        (AJIE, "小美"),  # another agent's
        (AJIE, "无此人"),  # refused the same way, existing or not
        (SPECIALIST, "小美"),
        (Principal(104, "demo-agent-x", "agent", None), "小美"),  # an agent with no name
    ):
        with pytest.raises(Forbidden):
            _card(arranged, principal=principal, agent=agent)
    with pytest.raises(NotFound):
        _card(arranged, principal=LEAD, agent="无此人")
    with pytest.raises(Invalid):
        _card(arranged, weeks=5)
    # An agent with no chats yet sees an empty card of their own, not a refusal.
    newcomer = Principal(105, "demo-agent-新人", "agent", "新人")
    card = _card(arranged, principal=newcomer, agent="新人")
    assert card.overall.chats == 0 and card.overall.mean_score is None
    assert card.team.chats == 9 and not card.open_appeals


def test_leads_list_the_agents_named_on_chats(arranged):
    with arranged() as session:
        assert scorecard.agents(session, principal=LEAD) == [
            ("小美", 7), ("糖糖", 1), ("阿杰", 3),
        ]  # fmt: skip
        with pytest.raises(Forbidden):
            scorecard.agents(session, principal=XIAOMEI)
