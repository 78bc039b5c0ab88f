"""Checkers: one concern per module, registered by slug and code.

Importing this package imports every module in it, then the checkers other installed
distributions declare in the entry point group `qc_engine.checkers`, so the registry is
complete; a new checker is one new module with a `@register`ed class (here) or one entry
point naming its class (elsewhere; docs/checklists.md, "Checkers from other packages").
"""

from __future__ import annotations

import importlib
import pkgutil

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import (
    BY_CODE,
    REGISTRY,
    get_checker,
    load_entry_points,
    register,
)

_INFRASTRUCTURE = {"base", "registry", "examples", "phrase"}

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module.name not in _INFRASTRUCTURE and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
load_entry_points()

__all__ = [
    "BY_CODE",
    "REGISTRY",
    "Checker",
    "Example",
    "Hit",
    "Params",
    "get_checker",
    "load_entry_points",
    "register",
]
