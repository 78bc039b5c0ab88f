"""The real labelled set (models/data/real/): real JD and Taobao sessions labelled by hand,
twice, per GUIDELINES.md there. Sessions are split once into `validation` (thresholds and
design choices) and `test` (fixed, never trained on, never used to choose anything).

The labels live in `labels.jsonl`, one line per labelled item (agent message, customer
message, customer question, agent promise), each with its session, message index, split,
text, context, label, both labellers' answers and, where they differed, the resolution.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qc_engine.errors import Code, QCError
from qc_engine.ml.sources import DATA_DIR, read_jsonl, shared_data_dir

REAL_DIR = DATA_DIR / "real"
AGENT_REAL_LABELS = (
    "shirking",
    "impatient",
    "rude",
    "perfunctory",
    "risky_promise",
    "off_platform",
    "regulator_mention",
    "ad_law_words",
    "review_inducement",
)
CUSTOMER_LABELS = ("calm", "negative", "complaint_risk")
QUESTION_TYPES = (
    "时间",
    "价格",
    "数量",
    "是否",
    "地址",
    "单号",
    "图片/链接",
    "方式",
    "原因",
    "其他",
)
SOURCES = {"jddc": ("jddc", "jddc_sessions.jsonl"), "ecd": ("ecd", "ecd_sample_dialogues.jsonl")}


# JD anonymised its sessions: an order number, a number, an amount, a name... appear as
# [订单x], [数字x], [金额x]... Models and rules read real text, where these are digits,
# amounts and names, so the labelled set and the training replies are read with plausible
# stand-ins (fixed, so every run reads the same text). #E-s[数字x] is an emoticon code whose
# picture is unknown: dropped.
PLACEHOLDERS = {
    "#E-s[数字x]": "",
    "[订单x]": "订单号308512274619",
    "[数字x]": "3",
    "[金额x]": "59元",
    "[姓名x]": "小王",
    "[地址x]": "朝阳区建国路",
    "[日期x]": "12月3日",
    "[时间x]": "10点",
    "[站点x]": "朝阳站点",
    "[组织机构x]": "京东物流",
    "[电话x]": "电话号码",
    "[邮箱x]": "邮箱",
    "[链接x]": "链接",
    "[身份证号x]": "身份证号",
}
_PLACEHOLDER = re.compile(r"#E-s\[数字x\]|\[[^\[\]]{1,6}x\]")


def deanonymise(text: str) -> str:
    """`text` with JD's placeholders replaced by plausible stand-ins (any other `[...x]`
    placeholder by nothing)."""
    if "x]" not in text:
        return text
    return _PLACEHOLDER.sub(lambda m: PLACEHOLDERS.get(m.group(0), ""), text)


def split_of_session(session_id: str) -> str:
    """`validation` or `test`, fixed by a hash of the session id. The ECD chats were read
    while rules and written examples were made (docs/quality.md), so they can only
    validate; JD sessions split half and half."""
    if session_id.startswith("ecd"):
        return "validation"
    bucket = int(hashlib.sha256(f"real-v1|{session_id}".encode()).hexdigest()[:8], 16) % 2
    return "test" if bucket else "validation"


def session_fold(source: str, folds: int) -> int:
    """The fold of a real labelled item trained on, by its session (`source`
    "real:<session>"): every item of a session in one fold, so thresholds are chosen on
    predictions by models that never saw that session."""
    return int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % folds


def real_sessions() -> list[dict[str, Any]]:
    """The real sessions that are labelled, JD first, each sorted by id."""
    out: list[dict[str, Any]] = []
    for folder, name in SOURCES.values():
        path = shared_data_dir() / folder / name
        if not path.is_file():
            raise QCError(
                Code.E103, "the real sessions are missing (set QC_SHARED_DATA)", file=str(path)
            )
        rows = [row for _, row in read_jsonl(path)]
        out += sorted(rows, key=lambda row: row["id"])
    return out


@dataclass
class LabelledItem:
    """One labelled item of a real session."""

    session: str
    index: int
    kind: str  # agent, customer, question, promise
    split: str
    text: str
    context: str
    answer: Any  # agent: tuple of labels; customer: label; question/promise: index or None
    qtype: str | None = None
    why: str = ""
    passes: dict[str, Any] = field(default_factory=dict)


def labelled_items(path: Path | None = None) -> list[LabelledItem]:
    path = path or REAL_DIR / "labels.jsonl"
    if not path.is_file():
        raise QCError(Code.E103, "the real labelled set is missing", file=str(path))
    items = []
    for _, row in read_jsonl(path):
        answer = row["answer"]
        items.append(
            LabelledItem(
                session=row["s"],
                index=row["i"],
                kind=row["kind"],
                split=row["split"],
                text=row["text"],
                context=row.get("context", ""),
                answer=tuple(answer) if row["kind"] == "agent" else answer,
                qtype=row.get("type"),
                why=row.get("why", ""),
                passes=row.get("passes", {}),
            )
        )
    return items


def iter_sessions_by_split(split: str) -> Iterator[dict[str, Any]]:
    for session in real_sessions():
        if split_of_session(session["id"]) == split:
            yield session


def dump_jsonl(rows: list[dict[str, Any]], path: Path) -> None:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
