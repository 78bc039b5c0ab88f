"""The flag categories of ../shared/spec/taxonomy.md: the public contract of every flag.

Codes are never renamed; new ones are added at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["red_line", "deduct"]
Who = Literal["agent", "customer"]


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    who: Who
    severity: Severity
    points: int
    description: str


_TABLE: list[Category] = [
    Category(
        "shirking",
        "推诿",
        "agent",
        "red_line",
        0,
        "pushes the customer's problem away instead of owning it",
    ),
    Category(
        "broken_promise",
        "承诺未履行",
        "agent",
        "red_line",
        0,
        "a follow-up promised inside the chat never comes",
    ),
    Category(
        "risky_promise",
        "违规承诺",
        "agent",
        "deduct",
        10,
        "a guarantee outside policy that breeds disputes",
    ),
    Category("rude", "辱骂/讽刺", "agent", "red_line", 0, "insults, sarcasm, contempt"),
    Category(
        "impatient",
        "不耐烦",
        "agent",
        "deduct",
        5,
        "impatient or commanding tone, rhetorical questions",
    ),
    Category(
        "perfunctory",
        "敷衍",
        "agent",
        "deduct",
        5,
        "a substantive question answered with a brush-off",
    ),
    Category(
        "off_platform", "引导站外", "agent", "red_line", 0, "steers the customer off the platform"
    ),
    Category(
        "regulator_mention",
        "主动提及监管",
        "agent",
        "deduct",
        10,
        "the agent volunteers a regulator or escalation channel",
    ),
    Category(
        "ad_law_words",
        "广告法极限词",
        "agent",
        "deduct",
        5,
        "absolute or superlative claims banned by the Advertising Law",
    ),
    Category(
        "sensitive_info",
        "泄露隐私",
        "agent",
        "deduct",
        20,
        "a full phone number, ID number or address written out",
    ),
    Category(
        "emoji_misuse",
        "表情不当",
        "agent",
        "deduct",
        2,
        "emoji while the customer is upset, mocking emoji, or too many",
    ),
    Category(
        "apology_overuse",
        "致歉过多",
        "agent",
        "deduct",
        2,
        "more apologies in one chat than the checklist allows",
    ),
    Category(
        "slow_first_response",
        "首响超时",
        "agent",
        "deduct",
        5,
        "the first human reply comes too late",
    ),
    Category(
        "slow_response",
        "响应超时",
        "agent",
        "deduct",
        3,
        "a customer message waits too long for a reply",
    ),
    Category(
        "unanswered_question",
        "问题未回复",
        "agent",
        "deduct",
        10,
        "a customer question gets no answer before the chat ends",
    ),
    Category(
        "missing_greeting",
        "缺少欢迎语",
        "agent",
        "deduct",
        1,
        "the agent's first message has no greeting",
    ),
    Category(
        "missing_closing",
        "缺少结束语",
        "agent",
        "deduct",
        1,
        "the chat ends without a closing from the agent",
    ),
    Category(
        "canned_repetition", "机械重复", "agent", "deduct", 3, "the same reply sent again and again"
    ),
    Category(
        "review_inducement",
        "诱导好评",
        "agent",
        "red_line",
        0,
        "offers money or gifts in exchange for a good review",
    ),
    Category(
        "customer_negative",
        "买家负面情绪",
        "customer",
        "deduct",
        0,
        "the customer is angry or upset (a risk signal, not a violation)",
    ),
    Category(
        "complaint_risk",
        "投诉风险",
        "customer",
        "deduct",
        0,
        "the customer threatens a complaint, bad review or legal action",
    ),
]

CATEGORIES: dict[str, Category] = {c.code: c for c in _TABLE}


def get_category(code: str) -> Category:
    return CATEGORIES[code]
