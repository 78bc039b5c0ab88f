"""Checkers of other distributions: an entry point of the group `qc_engine.checkers` names a
Checker class; the registry loads it when it is built, its examples run like ours, and a
checklist item uses it like a built-in checker. The distribution here is the example of
docs/checklists.md and a dist-info folder in a temporary folder on sys.path (no install, no
network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from qc_engine.checkers import BY_CODE, REGISTRY, load_entry_points
from qc_engine.cli import checkers_markdown, explain

from .conftest import LEXICONS, ROOT
from .test_checker_examples import check_example, check_examples_and_docs


def documented_checker() -> str:
    """The example checker of docs/checklists.md ("Checkers from other packages")."""
    text = (ROOT / "docs" / "checklists.md").read_text(encoding="utf-8")
    section = text.split("## Checkers from other packages", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def make_distribution(folder, entry="shouting = acme_qc.shouting:Shouting"):
    (folder / "acme_qc").mkdir()
    (folder / "acme_qc" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "acme_qc" / "shouting.py").write_text(documented_checker(), encoding="utf-8")
    info = folder / "acme_qc-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-qc\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[qc_engine.checkers]\n{entry}\n", encoding="utf-8")


@pytest.fixture
def on_path(tmp_path, monkeypatch):
    """A folder on sys.path; the registry and the plugin module as they were, after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    registry, by_code = dict(REGISTRY), dict(BY_CODE)
    yield tmp_path
    REGISTRY.clear()
    REGISTRY.update(registry)
    BY_CODE.clear()
    BY_CODE.update(by_code)
    for name in ("acme_qc", "acme_qc.shouting"):
        sys.modules.pop(name, None)


def test_a_third_party_checker_is_registered_and_its_examples_run(on_path, normalizer):
    make_distribution(on_path)
    (cls,) = load_entry_points()
    assert REGISTRY["acme.shouting"] is cls and BY_CODE["ACME1"] is cls
    assert load_entry_points() == [cls]  # loading again registers nothing twice
    assert "acme.shouting" in explain("acme.shouting")
    assert "acme.shouting" not in checkers_markdown()  # docs/checkers.md: the bundled ones
    check_examples_and_docs(cls)
    flag, clean = cls.examples()
    for example in flag:
        check_example(cls, example, True, normalizer)
    for example in clean:
        check_example(cls, example, False, normalizer)


def test_a_broken_entry_point_is_an_error_naming_it(on_path):
    make_distribution(on_path, entry="broken = acme_qc.shouting:Nothing")
    with pytest.raises(TypeError, match=r"checker entry point broken = .* of acme-qc 1.0"):
        load_entry_points()


def test_a_checklist_uses_it_when_the_registry_is_built(tmp_path):
    make_distribution(tmp_path)
    checklist = tmp_path / "acme.yaml"
    checklist.write_text(
        "name: acme\nversion: 1\nitems:\n  - id: shouting\n    checker: acme.shouting\n",
        encoding="utf-8",
    )
    chats = tmp_path / "chats.jsonl"
    chat = {"id": "A-1", "messages": [{"role": "agent", "text": "等着!!!"}]}
    chats.write_text(json.dumps(chat, ensure_ascii=False) + "\n", encoding="utf-8")
    env = os.environ | {"PYTHONPATH": str(tmp_path)}
    command = ["checklist", "test", checklist, chats, "--lexicons", LEXICONS, "--format", "jsonl"]
    run = subprocess.run(
        [sys.executable, "-m", "qc_engine.cli", *command],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    (flag,) = json.loads(run.stdout)["flags"]
    assert (flag["rule"], flag["category"], flag["evidence"]) == (
        "acme.shouting",
        "impatient",
        "「!!!」连续感叹号",
    )
