"""Service errors carry the HTTP status the API answers with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qc_engine.errors import Code, QCError


@dataclass
class ServiceError(QCError):
    status: ClassVar[int] = 400


@dataclass
class NotFound(ServiceError):
    status: ClassVar[int] = 404


@dataclass
class Forbidden(ServiceError):
    status: ClassVar[int] = 403


@dataclass
class Conflict(ServiceError):
    status: ClassVar[int] = 409


@dataclass
class Invalid(ServiceError):
    status: ClassVar[int] = 422


def not_found(what: str, ident: object) -> NotFound:
    return NotFound(Code.E404, f"{what} {ident!r} not found")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, for a page to word in Chinese: the field, why (a
    fixed word) and the values concerned (unknown chat ids, a holder's name, a limit)."""

    field: str
    reason: str
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        values = f" ({', '.join(self.values)})" if self.values else ""
        return f"{self.field}: {self.reason}{values}"
