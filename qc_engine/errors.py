"""Coded errors. Every error names what is wrong and where (file, line, field).

Codes are stable: tools and tests match on them, people read the message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Catalogue of error codes, in the spirit of spaCy's errors.py: one place to look them up.
ERROR_CODES: dict[str, str] = {
    "E100": "input is not valid JSON",
    "E101": "a transcript field is missing or has the wrong type or value",
    "E102": "the Qianniu text export cannot be read",
    "E103": "the input file cannot be read",
    "E200": "a checklist file cannot be read or parsed",
    "E201": "a checklist is not valid",
    "E202": "a lexicon file cannot be read or has a bad line",
    "E203": "a regular expression is not allowed",
    "E204": "no checklist with that name",
    "E300": "unknown category or checker code",
    "E500": "internal error: a bug stopped the scoring of one transcript (the others go on)",
    "E610": "QC_WEBHOOKS is not valid",
    "E620": "the weekly report schedule (QC_REPORT_TIME, QC_REPORT_WEEKDAY) is not valid",
    "E630": "a setting (QC_*, qc_engine/settings.py) is not valid (a number out of range...)",
    "E640": "the database URL (QC_DATABASE_URL) cannot be used",
    "E641": "the database cannot be opened (not reachable, refused, or not a database)",
}


@dataclass
class QCError(Exception):
    """An error a QC lead can act on: a code, a message, and where it happened."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    details: list[QCError] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        head = f"{where}: {self.message}" if where else self.message
        text = f"{head} [{self.code}]"
        for detail in self.details:
            text += "\n  - " + str(detail)
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.file:
            out["file"] = self.file
        if self.line is not None:
            out["line"] = self.line
        if self.field:
            out["field"] = self.field
        if self.details:
            out["details"] = [d.to_dict() for d in self.details]
        return out


def scoring_failed(transcript_id: str, exc: Exception) -> QCError:
    """E500: the engine failed on one transcript (a bug); the caller reports it and goes on
    with the others."""
    return QCError(
        "E500",
        f"internal error scoring transcript {transcript_id!r}: "
        f"{type(exc).__name__}: {exc} (a bug: please report it with the transcript)",
    )
