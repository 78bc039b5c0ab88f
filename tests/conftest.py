from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKLISTS = ROOT / "qc_engine" / "checklists"
LEXICONS = CHECKLISTS / "lexicons"
SHARED = Path(os.environ.get("QC_SHARED", ROOT.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def normalizer():
    from qc_engine.normalize import load_normalizer

    return load_normalizer(LEXICONS)


@pytest.fixture(scope="session")
def engine():
    from qc_engine.engine import Engine

    return Engine.from_dir(CHECKLISTS)
