"""Flags and results: the output contract of ../shared/spec/transcript-format.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Flag:
    category: str
    message_index: int
    span: tuple[int, int] | None
    evidence: str
    severity: str
    points: int
    source: str
    rule: str
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "message_index": self.message_index,
            "span": list(self.span) if self.span is not None else None,
            "evidence": self.evidence,
            "severity": self.severity,
            "points": self.points,
            "source": self.source,
            "rule": self.rule,
            "confidence": round(self.confidence, 4),
        }


@dataclass(slots=True)
class Result:
    id: str
    score: int
    passed: bool
    checklist: str
    flags: list[Flag] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": self.score,
            "passed": self.passed,
            "checklist": self.checklist,
            "flags": [f.to_dict() for f in self.flags],
        }


def score_flags(flags: list[Flag], *, pass_score: int) -> tuple[int, bool]:
    """100 minus the points of the flags, never below 0; a red line makes it 0 and fails."""
    if any(f.severity == "red_line" for f in flags):
        return 0, False
    score = max(0, 100 - sum(f.points for f in flags))
    return score, score >= pass_score
