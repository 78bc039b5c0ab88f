"""Checkers: one concern per module, registered by slug and code.

Importing this package imports every module in it, so the registry is complete; a new
checker is one new module with a `@register`ed class.
"""

from __future__ import annotations

import importlib
import pkgutil

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import BY_CODE, REGISTRY, get_checker, register

_INFRASTRUCTURE = {"base", "registry", "examples", "phrase"}

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module.name not in _INFRASTRUCTURE and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["BY_CODE", "REGISTRY", "Checker", "Example", "Hit", "Params", "get_checker", "register"]
