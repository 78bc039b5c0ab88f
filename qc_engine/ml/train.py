"""`qc train agent|customer`: rebuild a model from the data in the repo and ../shared/data,
reproducibly (fixed seeds and splits: the same data gives the same metrics), and rewrite its
card (qc_engine/models/<name>/card.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qc_engine.normalize import load_normalizer
from qc_engine.settings import get_settings, package_path


def main(which: str, *, models_dir: Path | None = None, log: Callable[[str], None] = print) -> dict:
    normalizer = load_normalizer(get_settings().checklist_dir / "lexicons")
    base = models_dir or package_path("models")
    if which == "agent":
        from qc_engine.ml.train_agent import train_agent

        return train_agent(out_dir=base / "agent_speech", normalizer=normalizer, log=log)
    if which == "customer":
        from qc_engine.ml.train_customer import train_customer

        return train_customer(out_dir=base / "customer", normalizer=normalizer, log=log)
    raise ValueError(which)
