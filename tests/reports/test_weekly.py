"""The weekly report's figures against the seeded data set, on SQLite and PostgreSQL. Every
expected value is computed here from the seed in plain Python, never from a report."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from statistics import mean
from typing import Any

import pytest

from qc_engine.service.links import chat_page_link
from qc_engine.service.weekly import ReportOptions, build_weekly
from qc_engine.taxonomy import CATEGORIES
from qc_engine.weeks import IsoWeek

from .seed import PREVIOUS, SHOPS, WEEK, SeedChat, SeedFlag

CONFIRMED = ("confirmed", "appealed", "upheld")
AGENT_CODES = {c.code for c in CATEGORIES.values() if c.who == "agent"}


def nearest_rank(values: list[float], p: int) -> float | None:
    """The smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * p / 100)) - 1]


def in_week(chats: list[SeedChat], week: IsoWeek, shop: str | None = None) -> list[SeedChat]:
    return [c for c in chats if c.week == week and (shop is None or c.shop == shop)]


def standing(chats: list[SeedChat], *, agent_only: bool = True) -> list[tuple[SeedChat, SeedFlag]]:
    return [
        (c, f)
        for c in chats
        for f in c.flags
        if f.counts and (not agent_only or f.category in AGENT_CODES)
    ]


def r4(value: float) -> float:
    return round(value, 4)


@pytest.fixture
def report(seeded: Any) -> dict[str, Any]:
    with seeded.begin() as session:
        return build_weekly(session, week=WEEK, base_url="http://qc.example")


def test_week_edges_in_shanghai_time(seed, report):
    ids = {c.id for c in in_week(seed, WEEK)}
    assert {"edge-w47-first", "edge-w47-last", "no-times"} <= ids
    assert not {"edge-w48-first", "edge-w46-last"} & ids
    assert report["period"] == {
        "start": "2026-11-16T00:00:00+08:00",
        "end": "2026-11-23T00:00:00+08:00",
        "timezone": "Asia/Shanghai",
        "label": "2026 年第 47 周（11月16日—11月22日）",
        "previous_week": "2026-W46",
    }
    assert report["coverage"]["chats"] == len(ids)
    assert not report["empty"] and report["notice"] is None


def test_coverage(seed, report):
    chats = in_week(seed, WEEK)
    items = [i for c in chats for i in c.items]
    statuses = Counter(i.status for i in items)
    scores = [c.score for c in chats]
    c = report["coverage"]
    assert c["chats"] == len(chats) == 135
    assert c["messages"] == sum(x.messages for x in chats)
    assert c["agents"] == len({x.agent for x in chats})
    assert c["shops"] == len({x.shop for x in chats}) == 2
    assert c["passed"] == sum(x.passed for x in chats)
    assert c["pass_rate"] == r4(c["passed"] / len(chats))
    assert c["mean_score"] == round(mean(scores), 2)
    assert c["median_score"] == nearest_rank(scores, 50)
    assert c["flags_raised"] == sum(len(x.flags) for x in chats)
    assert c["chats_with_flags"] == sum(1 for x in chats if x.flags)
    assert c["flags_standing"] == len(standing(chats, agent_only=False))
    assert c["problems"] == len(standing(chats))
    assert c["red_lines"] == sum(1 for _, f in standing(chats) if f.severity == "red_line")
    assert c["work_items"] == len(items)
    assert c["open"] == statuses["open"] + statuses["in_review"]
    assert c["confirmed"] == sum(
        statuses[s] for s in ("confirmed", "appealed", "upheld", "overturned")
    )
    assert c["dismissed"] == statuses["dismissed"]
    assert c["appealed"] == statuses["appealed"] + statuses["upheld"] + statuses["overturned"]
    assert c["overturned"] == statuses["overturned"]
    assert c["withdrawn"] == statuses["withdrawn"]
    assert c["reviewed"] == c["confirmed"] + c["dismissed"] + statuses["reviewed"]
    assert c["samples"] == sum(1 for x in chats if x.sample)
    before = in_week(seed, PREVIOUS)
    assert c["previous"]["chats"] == len(before) == 91
    assert c["previous"]["pass_rate"] == r4(sum(x.passed for x in before) / len(before))
    assert c["previous"]["red_lines"] == sum(
        1 for _, f in standing(before) if f.severity == "red_line"
    )
    # Every kind of state is in the week, or the checks above prove little.
    assert all(
        statuses[s]
        for s in (
            "open",
            "confirmed",
            "dismissed",
            "appealed",
            "upheld",
            "overturned",
            "withdrawn",
            "reviewed",
        )
    )


def test_score_distribution(seed, report):
    scores = [c.score for c in in_week(seed, WEEK)]
    expected = Counter(10 if s == 100 else s // 10 for s in scores)
    assert [b["chats"] for b in report["score_distribution"]] == [expected[i] for i in range(11)]
    assert report["score_distribution"][-1]["bucket"] == "100"
    assert sum(b["chats"] for b in report["score_distribution"]) == len(scores)


def test_problems_by_category_with_change(seed, report):
    now, before = standing(in_week(seed, WEEK)), standing(in_week(seed, PREVIOUS))
    counts, previous = Counter(f.category for _, f in now), Counter(f.category for _, f in before)
    rows = {c["code"]: c for c in report["categories"]}
    assert set(rows) == set(counts) | set(previous)
    total = sum(counts.values())
    for code, row in rows.items():
        assert row["flags"] == counts[code], code
        assert row["previous_flags"] == previous[code], code
        assert row["change"] == counts[code] - previous[code]
        assert row["share"] == r4(counts[code] / total)
        assert row["chats"] == len({c.id for c, f in now if f.category == code})
        assert row["points_lost"] == sum(
            f.points for _, f in now if f.category == code and f.severity == "deduct"
        )
        assert row["confirmed"] == sum(
            1 for _, f in now if f.category == code and f.item and f.item.status in CONFIRMED
        )
        assert row["name"] == CATEGORIES[code].name_zh
    flags = [row["flags"] for row in report["categories"]]
    assert flags == sorted(flags, reverse=True)


def test_red_lines_listed_one_by_one_with_links(seed, report):
    expected = [
        (c.id, f.category) for c, f in standing(in_week(seed, WEEK)) if f.severity == "red_line"
    ]
    red = report["red_lines"]
    assert red["total"] == red["shown"] == len(expected) > 0
    assert sorted((i["transcript_id"], i["category"]) for i in red["items"]) == sorted(expected)
    for item in red["items"]:  # the desk's page of the chat, not the API's JSON
        assert item["link"] == f"http://qc.example/ui/chats/{item['transcript_id']}"
        assert item["evidence"] and item["category_name"] == CATEGORIES[item["category"]].name_zh
    times = [i["started_at"] for i in red["items"] if i["started_at"]]
    assert times == sorted(times)


def test_red_line_list_is_capped_but_counted(seeded, seed):
    with seeded.begin() as session:
        report = build_weekly(session, week=WEEK, options=ReportOptions(red_line_limit=2))
    assert report["red_lines"]["shown"] == 2
    assert report["red_lines"]["total"] == sum(
        1 for _, f in standing(in_week(seed, WEEK)) if f.severity == "red_line"
    )


def test_agents_ranked_with_the_bottom_marked_for_coaching(seed, report):
    chats = in_week(seed, WEEK)
    by_agent: dict[str, list[SeedChat]] = defaultdict(list)
    for chat in chats:
        by_agent[chat.agent].append(chat)
    before: dict[str, list[SeedChat]] = defaultdict(list)
    for chat in in_week(seed, PREVIOUS):
        before[chat.agent].append(chat)
    rows = {a["agent"]: a for a in report["agents"]}
    assert set(rows) == set(by_agent)
    for agent, own in by_agent.items():
        row = rows[agent]
        assert row["chats"] == len(own)
        assert row["mean_score"] == round(mean(c.score for c in own), 2)
        assert row["pass_rate"] == r4(sum(c.passed for c in own) / len(own))
        problems = Counter(f.category for _, f in standing(own))
        assert row["problems"] == dict(problems)
        assert row["problems_total"] == sum(problems.values())
        assert row["red_lines"] == sum(1 for _, f in standing(own) if f.severity == "red_line")
        assert row["confirmed"] == sum(
            1 for _, f in standing(own) if f.item and f.item.status in CONFIRMED
        )
        if before.get(agent):
            previous = round(mean(c.score for c in before[agent]), 2)
            assert row["previous_mean_score"] == previous
            assert row["score_change"] == round(row["mean_score"] - previous, 2)
    ranked = sorted(
        (a for a in by_agent if len(by_agent[a]) >= 3),
        key=lambda a: (-rows[a]["mean_score"], -rows[a]["pass_rate"], -rows[a]["chats"], a),
    )
    assert [a["agent"] for a in report["agents"] if a["rank"]] == ranked
    assert [rows[a]["rank"] for a in ranked] == list(range(1, len(ranked) + 1))
    assert rows["阿花"]["rank"] is None and not rows["阿花"]["coaching"]  # two chats only
    overall = mean(c.score for a in ranked for c in by_agent[a])
    bottom = ranked[-math.ceil(len(ranked) * 0.2) :]
    coached = [a for a in bottom if rows[a]["mean_score"] < overall]
    assert [a["agent"] for a in report["agents"] if a["coaching"]] == coached
    assert coached, "the seed should put someone below the mean"
    assert all(rows[a]["coaching_reason"] for a in coached)
    assert report["summary"]["coaching"] == coached


def test_customer_side(seed, report):
    chats = in_week(seed, WEEK)

    def group(selected: list[SeedChat]) -> dict[str, Any]:
        return {
            "chats": len(selected),
            "share": r4(len(selected) / len(chats)),
            "mean_score": round(mean(c.score for c in selected), 2) if selected else None,
            "pass_rate": r4(sum(c.passed for c in selected) / len(selected)) if selected else None,
        }

    def has(chat: SeedChat, *codes: str) -> bool:
        return any(f.category in codes for f in chat.flags)

    customers = report["customers"]
    assert customers["negative_emotion"] == group([c for c in chats if has(c, "customer_negative")])
    assert customers["complaint_risk"] == group([c for c in chats if has(c, "complaint_risk")])
    signals = [c for c in chats if has(c, "customer_negative", "complaint_risk")]
    assert customers["any_signal"] == group(signals)
    assert customers["no_signal"] == group([c for c in chats if c not in signals])
    assert customers["negative_emotion"]["chats"] > 0 and customers["complaint_risk"]["chats"] > 0


def _response(chats: list[SeedChat]) -> dict[str, Any]:
    first = [c.first_response for c in chats if c.first_response is not None]
    waited = [c for c in chats if c.waits]
    per_chat = [sum(c.waits) / len(c.waits) for c in waited]
    waits = sum(len(c.waits) for c in waited)

    def r1(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "first_response": {
            "chats": len(first),
            "mean": r1(mean(first)) if first else None,
            "median": r1(nearest_rank(first, 50)),
            "p90": r1(nearest_rank(first, 90)),
            "over_standard": sum(1 for v in first if v > 30),
            "over_standard_share": r4(sum(1 for v in first if v > 30) / len(first))
            if first
            else None,
        },
        "reply_wait": {
            "chats": len(waited),
            "waits": waits,
            "mean": r1(sum(sum(c.waits) for c in waited) / waits) if waits else None,
            "median": r1(nearest_rank(per_chat, 50)),
            "p90": r1(nearest_rank(per_chat, 90)),
            "chats_over_standard": sum(1 for c in waited if max(c.waits) > 180),
            "chats_over_standard_share": r4(
                sum(1 for c in waited if max(c.waits) > 180) / len(waited)
            )
            if waited
            else None,
        },
    }


def test_response_standards_overall_and_per_agent(seed, report):
    chats = in_week(seed, WEEK)
    response = report["response"]
    assert response["standards"] == {"first_response_seconds": 30.0, "reply_wait_seconds": 180.0}
    assert response["overall"] == _response(chats)
    rows = {a["agent"]: a for a in response["agents"]}
    for agent in {c.agent for c in chats}:
        expected = _response([c for c in chats if c.agent == agent])
        assert {k: rows[agent][k] for k in expected} == expected, agent


def test_qc_system_precision_per_rule_and_model(seed, report):
    chats = in_week(seed, WEEK)
    groups: dict[tuple[str, str, str], list[SeedFlag]] = defaultdict(list)
    for chat in chats:
        for flag in chat.flags:
            groups[(flag.source, flag.rule, flag.category)].append(flag)
    rows = {(r["source"], r["rule"], r["category"]): r for r in report["qc_system"]["rules"]}
    assert set(rows) == set(groups)
    for key, flags in groups.items():
        states = Counter(f.item.status for f in flags if f.item)
        confirmed = sum(states[s] for s in CONFIRMED)
        decided = confirmed + states["dismissed"] + states["overturned"]
        row = rows[key]
        assert row["flags"] == len(flags)
        assert row["standing"] == sum(f.counts for f in flags)
        assert row["work_items"] == sum(1 for f in flags if f.item)
        assert (row["confirmed"], row["dismissed"], row["overturned"]) == (
            confirmed,
            states["dismissed"],
            states["overturned"],
        )
        assert row["pending"] == states["open"] + states["in_review"]
        assert row["decided"] == decided
        assert row["precision"] == (r4(confirmed / decided) if decided else None)
        assert row["below_target"] == (decided > 0 and confirmed / decided < 0.7)
    assert ("model", "model.agent_speech", "impatient") in rows  # models are there too


def test_reviewer_throughput_counts_decisions_made_in_the_week(seed, report):
    items = [
        i
        for c in seed
        for i in c.items
        if i.decided_at is not None and WEEK.start <= i.decided_at < WEEK.end
    ]
    rows = {r["reviewer"]: r for r in report["qc_system"]["reviewers"]}
    for name in {i.reviewer for i in items}:
        own = [i for i in items if i.reviewer == name]
        row = rows[name]
        assert row["decided"] == len(own)
        assert row["confirmed"] == sum(1 for i in own if i.status in (*CONFIRMED, "overturned"))
        assert row["dismissed"] == sum(1 for i in own if i.status == "dismissed")
        assert row["samples_reviewed"] == sum(1 for i in own if i.status == "reviewed")
        assert row["later_overturned"] == sum(1 for i in own if i.status == "overturned")
    appeals = [
        i
        for c in seed
        for i in c.items
        if i.appeal_decided_at is not None and WEEK.start <= i.appeal_decided_at < WEEK.end
    ]
    lead = rows["主管-陈静"]
    assert lead["appeals_decided"] == len(appeals) > 0
    assert lead["appeals_overturned"] == sum(1 for i in appeals if i.status == "overturned")
    # Decisions on last week's chats count in this week's throughput.
    assert any(c.week == PREVIOUS for c in seed for i in c.items if i in items)
    samples = [i for i in items if i.status == "reviewed"]
    assert report["qc_system"]["samples"] == {
        "reviewed": len(samples),
        "with_missed_problem": sum(1 for i in samples if i.missed),
        "miss_rate": r4(sum(1 for i in samples if i.missed) / len(samples)),
    }


def test_teaching_cases(seed, report):
    cases = [
        (c, f) for c in in_week(seed, WEEK) for f in c.flags if f.item and f.item.teaching_case
    ]
    ordered = sorted(
        enumerate(cases), key=lambda p: (p[1][1].severity != "red_line", -p[1][1].points, p[0])
    )
    expected = [c.id for _, (c, _f) in ordered][:5]
    got = report["teaching_cases"]
    assert [t["transcript_id"] for t in got] == expected and expected
    for case in got:
        assert case["note"].startswith("典型案例") and case["reviewer"]
        assert case["message"]
        assert case["link"] == f"http://qc.example/ui/chats/{case['transcript_id']}"


def test_a_chat_link_quotes_the_id():
    assert (
        chat_page_link("http://qc.example/", "T 1/#?中")
        == "http://qc.example/ui/chats/T%201%2F%23%3F%E4%B8%AD"
    )


def test_trend_of_eight_weeks(seed, report):
    trend = report["trend"]
    assert [w["week"] for w in trend] == [str(WEEK.shifted(i)) for i in range(-7, 1)]
    for week in trend:
        chats = in_week(seed, IsoWeek.parse(week["week"]))
        assert week["chats"] == len(chats)
        assert week["problems"] == len(standing(chats))
        if chats:
            assert week["mean_score"] == round(mean(c.score for c in chats), 2)
            assert week["pass_rate"] == r4(sum(c.passed for c in chats) / len(chats))
        else:
            assert week["mean_score"] is None and week["pass_rate"] is None


def test_one_shop(seeded, seed):
    shop = SHOPS[0]
    with seeded.begin() as session:
        report = build_weekly(session, week=WEEK, shop=shop)
    chats = in_week(seed, WEEK, shop)
    assert report["shop"] == shop
    assert report["coverage"]["chats"] == len(chats) < len(in_week(seed, WEEK))
    assert report["coverage"]["shops"] == 1
    assert report["coverage"]["previous"]["chats"] == len(in_week(seed, PREVIOUS, shop))
    assert report["coverage"]["red_lines"] == sum(
        1 for _, f in standing(chats) if f.severity == "red_line"
    )
    assert {a["agent"] for a in report["agents"]} == {c.agent for c in chats}
    assert report["response"]["overall"] == _response(chats)
    assert "shop=" in report["links"]["html"]


def test_a_week_without_data_says_so(seeded):
    with seeded.begin() as session:
        report = build_weekly(session, week="2026-W30")
    assert report["empty"] is True
    assert "没有质检数据" in report["notice"]
    assert report["coverage"]["chats"] == 0 and report["coverage"]["pass_rate"] is None
    assert report["categories"] == [] and report["agents"] == []
    assert report["red_lines"] == {"total": 0, "shown": 0, "items": []}
    assert report["response"]["overall"]["first_response"]["median"] is None
    assert report["summary"]["chats"] == 0


def test_an_empty_database(sessions):
    with sessions.begin() as session:
        report = build_weekly(session, week=WEEK)
    assert report["empty"] and report["trend"][-1]["chats"] == 0
