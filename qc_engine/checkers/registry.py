"""The central table of checkers, by slug and by code."""

from __future__ import annotations

from typing import TypeVar

from qc_engine.checkers.base import Checker
from qc_engine.taxonomy import CATEGORIES

REGISTRY: dict[str, type[Checker]] = {}
BY_CODE: dict[str, type[Checker]] = {}

C = TypeVar("C", bound=type[Checker])


def register(cls: C) -> C:
    """Class decorator: add a checker to the registry (slug and code must be unique)."""
    for attr in ("code", "slug", "category"):
        if not getattr(cls, attr, None):
            raise TypeError(f"{cls.__name__} must define {attr}")
    if cls.category not in CATEGORIES:
        raise TypeError(f"{cls.__name__}: unknown category {cls.category!r}")
    if cls.slug in REGISTRY or cls.code in BY_CODE:
        raise TypeError(f"{cls.__name__}: slug {cls.slug} or code {cls.code} already taken")
    if not cls.__doc__:
        raise TypeError(f"{cls.__name__} must have a docstring")
    REGISTRY[cls.slug] = cls
    BY_CODE[cls.code] = cls
    return cls


def get_checker(name: str) -> type[Checker] | None:
    return REGISTRY.get(name) or BY_CODE.get(name.upper())
