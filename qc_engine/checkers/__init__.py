"""Checkers: one concern per module, registered by slug and code.

Importing this package imports every checker module, so the registry is complete.
"""
from __future__ import annotations

import importlib

from qc_engine.checkers.base import Checker, Example, Hit, Params
from qc_engine.checkers.registry import BY_CODE, REGISTRY, get_checker, register

# Every checker module, in code order. A new checker is added here once.
MODULES = (
    "off_platform",
)

for _name in MODULES:
    importlib.import_module(f"qc_engine.checkers.{_name}")

__all__ = ["BY_CODE", "REGISTRY", "Checker", "Example", "Hit", "Params", "get_checker",
           "register"]
