"""Coded errors. Every error names what is wrong and where (file, line, field).

Codes are stable: tools and tests match on them, people read the message. `Code` is their
one catalogue, in the spirit of spaCy's `Errors`: every code a member, with what it means and
what to do. A member is its code string (`Code.E101 == "E101"`; JSON, `str()` and f-strings
give "E101"), so a raise site names a member and a mistyped code is an AttributeError (and a
mypy error; tests/test_errors.py finds any bare "E123" left and any member no one raises),
never a code no one can look up. docs/errors.md is generated from it
(`qc explain --markdown errors`) and `qc explain E641` prints one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Code(StrEnum):
    """Every error code: `Code.E101.meaning` says what is wrong, `.remedy` what to do."""

    _value_: str
    meaning: str
    remedy: str

    def __new__(cls, code: str, meaning: str, remedy: str) -> Code:
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        member.remedy = remedy
        return member

    # Input: transcripts and the files that hold them.
    E100 = (
        "E100",
        "input is not valid JSON (also NaN, huge numbers, nesting too deep, a line not UTF-8)",
        "fix the JSON at the line and column named; JSON Lines is one JSON object per line, "
        "in UTF-8",
    )
    E101 = (
        "E101",
        "a transcript field is missing, has the wrong type or value, or is over a limit",
        "fix the field named (docs/transcript-format.md); the limits are QC_MAX_MESSAGES and "
        "QC_MAX_MESSAGE_CHARS",
    )
    E102 = (
        "E102",
        "the Qianniu text export cannot be read (a bad header, text before any header, an "
        "empty chat)",
        "export the chat again as text from Qianniu, or fix the line named",
    )
    E103 = (
        "E103",
        "the input file or data set cannot be read (missing, not readable, not UTF-8)",
        "check the path and its permissions and convert the file to UTF-8; for `qc train` "
        "and `qc eval` set QC_SHARED_DATA",
    )
    # Checklists and their lexicons.
    E200 = (
        "E200",
        "a checklist file or folder cannot be read or parsed as YAML",
        "check the path (QC_CHECKLISTS, --checklists) and the YAML at the line named",
    )
    E201 = (
        "E201",
        "a checklist is not valid",
        "fix each problem listed (docs/checklists.md); `qc checklist check FILE` checks a file",
    )
    E202 = (
        "E202",
        "a lexicon file cannot be read or has a bad line",
        "fix the lexicon line named, or the lexicon's name (docs/checklists.md)",
    )
    E203 = (
        "E203",
        "a regular expression is not allowed",
        "write the pattern for RE2: no backreferences or lookaround",
    )
    E204 = (
        "E204",
        "no checklist with that name, or none that applies",
        "name an active checklist (GET /v1/checklists), or add a 'default' checklist",
    )
    # Rules and models.
    E300 = (
        "E300",
        "unknown category, checker or error code",
        "`qc explain --list` lists them",
    )
    E301 = (
        "E301",
        "a trained model file is missing or corrupt",
        "rebuild it with `qc train agent` or `qc train customer`, or reinstall the package",
    )
    # Requests to the API: the code is the HTTP status.
    E400 = (
        "E400",
        "the request cannot be read: a NUL character in the URL, a body cut short or not "
        "parseable at all",
        "send the whole request again, without NUL characters in the URL",
    )
    E401 = (
        "E401",
        "no API key or session, or one that is not valid, revoked or disabled",
        "send 'Authorization: Bearer <key>' with a live key (`qc keys list`, `qc keys create`)",
    )
    E403 = (
        "E403",
        "the caller's role may not do this, or a sign-in cookie write from another Origin",
        "use a key of a role that may (docs/api.md names the roles of each route)",
    )
    E404 = (
        "E404",
        "no such transcript, work item, checklist, key or route (or not the caller's to see)",
        "check the id and the path; an agent sees only their own chats",
    )
    E405 = (
        "E405",
        "the method is not allowed on that path",
        "use a method the route takes (the Allow header, /docs)",
    )
    E409 = (
        "E409",
        "a conflict: a stale version, an item held by someone else, a transition the status "
        "does not allow, a checklist version that is not newer",
        "reload, then try again with the current version",
    )
    E413 = (
        "E413",
        "the body, or the number of lines of a batch, is over the limit",
        "send smaller batches (QC_MAX_BODY_BYTES, QC_MAX_BATCH_LINES)",
    )
    E415 = (
        "E415",
        "a body of a media type the route does not take",
        "send application/json (one transcript) or application/x-ndjson (a batch)",
    )
    E422 = (
        "E422",
        "a query parameter or request body is not valid, or a query parameter is given twice",
        "fix the field named",
    )
    E429 = (
        "E429",
        "too many failed authentications from this address",
        "wait the seconds Retry-After names, then send a valid key",
    )
    # Faults.
    E500 = (
        "E500",
        "internal error: a bug stopped the scoring of one transcript (the others go on) or "
        "a request",
        "report it with the transcript or request and the logged traceback",
    )
    E503 = (
        "E503",
        "the database is unavailable (down, dropped, read-only, full or locked)",
        "try again after Retry-After; check that the database server runs and has space",
    )
    # Configuration.
    E600 = (
        "E600",
        "a week is not valid",
        "write an ISO week like 2026-W47 (week 53 only in years that have one)",
    )
    E610 = (
        "E610",
        "QC_WEBHOOKS is not valid",
        "set QC_WEBHOOKS as docs/reports.md shows: http(s) URLs, unique names",
    )
    E620 = (
        "E620",
        "the weekly report schedule (QC_REPORT_TIME, QC_REPORT_WEEKDAY) is not valid",
        "write QC_REPORT_TIME as HH:MM and QC_REPORT_WEEKDAY as 1 (Monday) to 7 (Sunday)",
    )
    E630 = (
        "E630",
        "a setting (QC_*, qc_engine/settings.py) is not valid (a number out of range...)",
        "fix the variable named (README.md and docs/api.md list the settings)",
    )
    E640 = (
        "E640",
        "the database URL (QC_DATABASE_URL) cannot be used",
        "write sqlite:///FILE or postgresql://USER@HOST:PORT/DATABASE",
    )
    E641 = (
        "E641",
        "the database cannot be opened (not reachable, refused, or not a database)",
        "check QC_DATABASE_URL, that the server runs and accepts the user and password, or "
        "that the SQLite file's folder exists",
    )
    E650 = (
        "E650",
        "`qc serve` cannot listen on its address: the port is taken by another program, is "
        "not allowed, or the host is not an address of this machine",
        "stop what holds the port (`ss -ltnp` shows it) or choose another with --port; "
        "--host must be an address of this machine",
    )


@dataclass
class QCError(Exception):
    """An error a QC lead can act on: a code, a message, and where it happened."""

    code: Code
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    details: list[QCError] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (a worker process of `qc score --jobs` sends it back to the parent)."""
        return (
            type(self),
            (self.code, self.message, self.file, self.line, self.field, self.details),
        )

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
        Code.E500,
        f"internal error scoring transcript {transcript_id!r}: "
        f"{type(exc).__name__}: {exc} (a bug: please report it with the transcript)",
    )
