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
