"""A seeded data set for the report tests, written straight into the tables (not through
ingest), and kept as plain Python so the tests compute every expected figure themselves.

Four weeks of chats (2026-W45 to W48) in two shops with six agents; agent and customer flags
from rules and models; work items in every state with reviewers, decision times (some in the
week after), appeals, sampled chats with missed problems, teaching cases; response times;
and chats on the week's edges: Monday 00:00 +08:00 (still Sunday in UTC), Sunday 23:59:59,
the next Monday 00:00, and a chat without any message time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random

from sqlalchemy.orm import Session

from qc_engine.db.models import (
    Appeal,
    MissedFinding,
    StoredFlag,
    StoredMessage,
    StoredTranscript,
    User,
    WorkItem,
)
from qc_engine.transcript import SHANGHAI
from qc_engine.weeks import IsoWeek

WEEK = IsoWeek(2026, 47)
PREVIOUS = IsoWeek(2026, 46)
SHOPS = ("Q女家旗舰店", "暖居家纺旗舰店")
AGENTS = ("小美", "阿杰", "糖糖", "伟霆", "小雅")
RARE_AGENT = "阿花"  # two chats in the week: listed, not ranked
REVIEWERS = ("质检-王芳", "质检-李雷")
LEAD = "主管-陈静"
# (category, rule, source, severity, points, weight)
AGENT_FLAGS = (
    ("off_platform", "phrase.off_platform", "rule", "red_line", 0, 2),
    ("rude", "model.agent_speech", "model", "red_line", 0, 1),
    ("impatient", "model.agent_speech", "model", "deduct", 5, 5),
    ("ad_law_words", "phrase.ad_law_words", "rule", "deduct", 5, 5),
    ("slow_first_response", "response.first_response", "rule", "deduct", 5, 6),
    ("slow_response", "response.reply_wait", "rule", "deduct", 3, 6),
    ("missing_closing", "structure.closing", "rule", "deduct", 1, 6),
)
CUSTOMER_FLAGS = (
    ("customer_negative", "model.customer", "model"),
    ("complaint_risk", "phrase.complaint_threat", "rule"),
)
MESSAGES = {
    "off_platform": ("agent", "亲，加我微信，私下给您便宜哦"),
    "rude": ("agent", "你是不是听不懂啊？我说了多少遍了"),
    "impatient": ("agent", "我都说了几遍了，自己看详情页"),
    "ad_law_words": ("agent", "亲，我们家是全网最低价哦~"),
    "slow_first_response": ("agent", "您好，在的哦~ 请问有什么可以帮您"),
    "slow_response": ("agent", "亲，今天下午四点前发出哦"),
    "missing_closing": ("agent", "好的"),
    "customer_negative": ("customer", "怎么还没发货，太失望了"),
    "complaint_risk": ("customer", "再不处理我就投诉你们"),
}
ITEM_STATES = (
    "open",
    "in_review",
    "confirmed",
    "confirmed",
    "dismissed",
    "appealed",
    "upheld",
    "overturned",
    "withdrawn",
)
EVIDENCE = {
    "off_platform": "「加我微信」命中词条「加我微信」",
    "rude": "「你是不是听不懂」模型判为辱骂/讽刺 (0.93)",
    "impatient": "「我都说了几遍了」模型判为不耐烦 (0.81)",
    "ad_law_words": "「全网最低价」命中广告法极限词「最低价」",
    "slow_first_response": "首次响应 48 秒 (标准 30 秒)",
    "slow_response": "客户「这个什么时候发货」等待 4 分 30 秒才得到客服回复 (标准 3 分钟)",
    "missing_closing": "会话结束前客服没有结束语",
}


@dataclass
class SeedItem:
    status: str
    category: str | None = None  # withdrawn items: their flag is gone
    reviewer: str | None = None
    decided_at: datetime | None = None
    teaching_case: bool = False
    note: str | None = None
    appeal_decided_by: str | None = None
    appeal_decided_at: datetime | None = None
    missed: int = 0  # sample items: problems the specialist found that the engine missed


@dataclass
class SeedFlag:
    category: str
    rule: str
    source: str
    severity: str
    points: int
    message_index: int
    item: SeedItem | None = None

    @property
    def counts(self) -> bool:
        return self.item is None or self.item.status not in ("dismissed", "overturned")


@dataclass
class SeedChat:
    id: str
    started_at: datetime | None
    ingested_at: datetime
    shop: str
    agent: str
    messages: int
    flags: list[SeedFlag] = field(default_factory=list)
    first_response: float | None = None
    waits: list[float] = field(default_factory=list)
    sample: SeedItem | None = None
    withdrawn: list[SeedItem] = field(default_factory=list)
    """Items whose flag disappeared when the chat was stored again (no flag row)."""

    @property
    def week(self) -> IsoWeek:
        return IsoWeek.of(self.started_at or self.ingested_at)

    @property
    def score(self) -> int:
        standing = [f for f in self.flags if f.counts]
        if any(f.severity == "red_line" for f in standing):
            return 0
        return max(0, 100 - sum(f.points for f in standing))

    @property
    def passed(self) -> bool:
        return self.score >= 60

    @property
    def items(self) -> list[SeedItem]:
        return (
            [f.item for f in self.flags if f.item]
            + self.withdrawn
            + ([self.sample] if self.sample else [])
        )


def _moment(rng: Random, week: IsoWeek) -> datetime:
    return week.start + timedelta(days=rng.randint(0, 6), seconds=rng.randint(8 * 3600, 23 * 3600))


def _item(rng: Random, week: IsoWeek, severity: str) -> SeedItem:
    status = rng.choice(ITEM_STATES)
    if status in ("open", "withdrawn"):
        return SeedItem(status)
    reviewer = rng.choice(REVIEWERS)
    # Most decisions fall in the chat's week, some in the week after.
    decided = _moment(rng, week if rng.random() < 0.75 else week.shifted(1))
    if status == "in_review":
        return SeedItem(status, reviewer=reviewer)
    item = SeedItem(status, reviewer=reviewer, decided_at=decided)
    if status in ("upheld", "overturned"):
        item.appeal_decided_by = LEAD
        item.appeal_decided_at = decided + timedelta(hours=rng.randint(1, 30))
    if status in ("confirmed", "upheld") and rng.random() < 0.25:
        item.teaching_case = True
        item.note = "典型案例：" + ("红线，全员学习" if severity == "red_line" else "注意话术")
    return item


def build(seed: int = 47) -> list[SeedChat]:
    rng = Random(seed)
    chats: list[SeedChat] = []
    plan = [(IsoWeek(2026, 45), 40), (PREVIOUS, 90), (WEEK, 130), (IsoWeek(2026, 48), 12)]
    number = 0
    for week, count in plan:
        for _ in range(count):
            number += 1
            agent = AGENTS[number % len(AGENTS)]
            started = _moment(rng, week)
            chats.append(
                SeedChat(
                    id=f"seed-{number:04d}",
                    started_at=started,
                    ingested_at=started + timedelta(minutes=30),
                    shop=SHOPS[number % 3 % 2],
                    agent=agent,
                    messages=rng.randint(6, 30),
                )
            )
    edges = [
        ("edge-w47-first", WEEK.start),  # Sunday 16:00 UTC
        ("edge-w47-last", WEEK.end - timedelta(seconds=1)),  # Sunday 23:59:59
        ("edge-w48-first", WEEK.end),  # the next week
        ("edge-w46-last", WEEK.start - timedelta(seconds=1)),  # the week before
    ]
    for ident, moment in edges:
        chats.append(
            SeedChat(
                id=ident,
                started_at=moment,
                ingested_at=moment,
                shop=SHOPS[0],
                agent="小美",
                messages=10,
            )
        )
    chats.append(
        SeedChat(
            id="no-times",
            started_at=None,
            ingested_at=WEEK.start + timedelta(days=2, hours=3),
            shop=SHOPS[1],
            agent="阿杰",
            messages=4,
        )
    )
    for k in range(2):
        moment = WEEK.start + timedelta(days=3 + k, hours=10)
        chats.append(
            SeedChat(
                id=f"rare-{k}",
                started_at=moment,
                ingested_at=moment,
                shop=SHOPS[1],
                agent=RARE_AGENT,
                messages=12,
            )
        )

    weights = [w for *_, w in AGENT_FLAGS]
    for chat in chats:
        week = chat.week
        if rng.random() < 0.45:
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                category, rule, source, severity, points, _w = rng.choices(AGENT_FLAGS, weights)[0]
                flag = SeedFlag(
                    category,
                    rule,
                    source,
                    severity,
                    points,
                    message_index=rng.randint(0, chat.messages - 1),
                )
                if severity == "red_line" or points >= 5:
                    flag.item = _item(rng, week, severity)
                    if flag.item.status == "withdrawn":
                        flag.item.category = category
                        chat.withdrawn.append(flag.item)
                        continue
                chat.flags.append(flag)
        for category, rule, source in CUSTOMER_FLAGS:
            if rng.random() < (0.12 if category == "customer_negative" else 0.06):
                chat.flags.append(SeedFlag(category, rule, source, "deduct", 0, message_index=0))
        if not chat.flags and rng.random() < 0.15:
            status = rng.choice(("open", "reviewed", "reviewed"))
            sample = SeedItem(status)
            if status == "reviewed":
                sample.reviewer = rng.choice(REVIEWERS)
                sample.decided_at = _moment(rng, week)
                sample.missed = rng.choice((0, 0, 1, 2))
            chat.sample = sample
        if chat.id != "no-times" and rng.random() < 0.9:
            slow = rng.random() < 0.15
            chat.first_response = float(rng.randint(31, 300) if slow else rng.randint(2, 30))
        if chat.id != "no-times":
            chat.waits = [
                float(rng.randint(120, 420) if rng.random() < 0.06 else rng.randint(3, 60))
                for _ in range(rng.randint(0, 8))
            ]
    # The rare agent: one red line, so the coaching rule is not about red lines.
    chats[-1].flags.append(
        SeedFlag("off_platform", "phrase.off_platform", "rule", "red_line", 0, 1, SeedItem("open"))
    )
    return chats


def insert(session: Session, chats: list[SeedChat]) -> None:
    """Write the seed into the tables (the caller commits)."""
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    users = {
        name: User(name=name, role="specialist" if name in REVIEWERS else "lead", created_at=now)
        for name in (*REVIEWERS, LEAD)
    }
    users["appellant"] = User(
        name="agent-appellant", role="agent", agent_name="小美", created_at=now
    )
    session.add_all(users.values())
    session.flush()
    for chat in chats:
        waits = chat.waits
        row = StoredTranscript(
            id=chat.id,
            channel="taobao",
            shop=chat.shop,
            agent=chat.agent,
            order_status="none",
            extra={},
            content_hash="0" * 64,
            started_at=chat.started_at,
            message_count=chat.messages,
            ingested_at=chat.ingested_at,
            updated_at=chat.ingested_at,
            checklist="default",
            checklist_version=1,
            pass_score=60,
            engine_score=chat.score,
            score=chat.score,
            passed=chat.passed,
            flag_count=len(chat.flags),
            customer_risk=sum(
                1 for f in chat.flags if f.category in ("customer_negative", "complaint_risk")
            ),
            inspected_at=chat.ingested_at,
            first_response_seconds=chat.first_response,
            reply_waits=len(waits),
            reply_wait_total_seconds=sum(waits) if waits else None,
            reply_wait_max_seconds=max(waits) if waits else None,
        )
        session.add(row)
        first_at: dict[int, str] = {}
        for flag in chat.flags:
            first_at.setdefault(flag.message_index, flag.category)
        for index, category in sorted(first_at.items()):
            role, text = MESSAGES[category]
            row.messages.append(
                StoredMessage(
                    idx=index,
                    role=role,
                    ts=chat.started_at,
                    sender=chat.agent if role == "agent" else None,
                    text=text,
                    extra={},
                )
            )
        for flag in chat.flags:
            flag_row = StoredFlag(
                fingerprint=f"{chat.id}-{len(row.flags)}",
                category=flag.category,
                message_index=flag.message_index,
                span_start=None,
                span_end=None,
                evidence=EVIDENCE.get(flag.category, "买家情绪"),
                severity=flag.severity,
                points=flag.points,
                source=flag.source,
                rule=flag.rule,
                confidence=0.9,
                counts=flag.counts,
            )
            row.flags.append(flag_row)
            if flag.item is not None:
                _item_row(session, users, row, chat, flag, flag_row, now)
        if chat.sample is not None:
            _item_row(session, users, row, chat, None, None, now)
        for gone in chat.withdrawn:
            _item_row(session, users, row, chat, None, None, now, gone)
    session.flush()


def _item_row(
    session: Session,
    users: dict[str, User],
    row: StoredTranscript,
    chat: SeedChat,
    flag: SeedFlag | None,
    flag_row: StoredFlag | None,
    now: datetime,
    withdrawn: SeedItem | None = None,
) -> None:
    item = flag.item if flag is not None else (withdrawn or chat.sample)
    assert item is not None
    kind = "flag" if flag is not None or withdrawn is not None else "sample"
    category = flag.category if flag else item.category
    work_item = WorkItem(
        transcript=row,
        flag=flag_row,
        kind=kind,
        status=item.status,
        category=category,
        severity=flag.severity if flag else None,
        points=flag.points if flag else 0,
        confidence=0.9,
        priority=1.0,
        agent=chat.agent,
        shop=chat.shop,
        channel="taobao",
        reviewer=users[item.reviewer] if item.reviewer else None,
        decided_at=item.decided_at,
        note=item.note,
        teaching_case=item.teaching_case,
        created_at=chat.ingested_at,
        updated_at=now,
    )
    session.add(work_item)
    session.flush()
    if item.appeal_decided_by or item.status == "appealed":
        session.add(
            Appeal(
                work_item_id=work_item.id,
                appellant_id=users["appellant"].id,
                reason="我没有这样说",
                created_at=item.decided_at or now,
                decision=None if item.status == "appealed" else item.status,
                decided_by=users[item.appeal_decided_by].id if item.appeal_decided_by else None,
                decided_at=item.appeal_decided_at,
            )
        )
    for k in range(item.missed):
        session.add(
            MissedFinding(
                work_item_id=work_item.id,
                category="perfunctory",
                message_index=k,
                note="漏检",
                created_by=users[item.reviewer or REVIEWERS[0]].id,
                created_at=now,
            )
        )


def as_shanghai(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)
