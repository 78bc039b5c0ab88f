"""The central table of checkers, by slug and by code: this package's own, and those other
distributions declare in the entry point group `qc_engine.checkers`."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TypeVar

from qc_engine.checkers.base import Checker
from qc_engine.taxonomy import CATEGORIES

REGISTRY: dict[str, type[Checker]] = {}
BY_CODE: dict[str, type[Checker]] = {}
ENTRY_POINT_GROUP = "qc_engine.checkers"

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


def load_entry_points() -> list[type[Checker]]:
    """Register the checkers of other installed distributions: each entry point of the
    group `qc_engine.checkers` names a Checker class (`name = package.module:Class`), which
    is registered like ours (unless its module already did). Returns those classes. A
    broken entry point is an error naming it and its distribution."""
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        where = f"checker entry point {entry.name} = {entry.value}" + (
            f" of {entry.dist.name} {entry.dist.version}" if entry.dist else ""
        )
        try:
            cls = entry.load()
            if not (isinstance(cls, type) and issubclass(cls, Checker)):
                raise TypeError(f"{cls!r} is not a Checker class")
            if REGISTRY.get(getattr(cls, "slug", "")) is not cls:
                register(cls)
        except Exception as exc:  # re-raised naming the entry point
            raise TypeError(f"{where}: {exc}") from exc
        found.append(cls)
    return found


def get_checker(name: str) -> type[Checker] | None:
    return REGISTRY.get(name) or BY_CODE.get(name.upper())
