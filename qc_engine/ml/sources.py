"""Where the training and evaluation data are: the repository's labelled data (DATA_DIR)
and the shared real data (QC_SHARED_DATA), and reading their JSON Lines files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from qc_engine.errors import Code, QCError
from qc_engine.settings import get_settings, package_path

DATA_DIR = package_path().parent / "models" / "data"
"""The labelled training data and the real labelled set: repository data (a checkout's
models/data/), not part of the package, read by `qc train` and `qc eval`."""


def shared_data_dir() -> Path:
    """The configured shared data folder (QC_SHARED_DATA, else ../shared/data beside the
    checkout)."""
    return get_settings().shared_data_dir


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise QCError(
                    Code.E100, f"not valid JSON ({exc.msg})", file=str(path), line=number
                ) from None
