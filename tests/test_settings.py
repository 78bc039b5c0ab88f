"""Settings: one typed class reads the environment, every variable is documented, and the
`qc` command's overrides reach every reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qc_engine.errors import QCError
from qc_engine.settings import Settings, get_settings, reset_settings

from .conftest import ROOT


@pytest.fixture
def fresh_settings():
    """The process's settings read anew in the test and forgotten after it."""
    reset_settings()
    yield
    reset_settings()


def test_the_environment_is_read_in_settings_only():
    reads = re.compile(
        r"os\.environ\.get|os\.environ\[[^]]+\](?!\s*=[^=])|getenv|os\.environ\b(?!\[)"
    )
    found = []
    for path in sorted((ROOT / "qc_engine").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "qc_engine":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if reads.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "read the environment in qc_engine/settings.py:\n" + "\n".join(found)


def test_every_variable_is_documented():
    documented = (ROOT / "docs" / "api.md").read_text(encoding="utf-8") + (
        ROOT / "docs" / "reports.md"
    ).read_text(encoding="utf-8")
    for name, variable in Settings.variables().items():
        assert f"| `{variable}` |" in documented, f"{variable} ({name}) is not in a settings table"


def test_a_zero_the_docs_offer_is_accepted(monkeypatch):
    """A settings table row that says what 0 does ("(0 switches sampling off)", "(0: no
    limit)") is a promise that 0 is a valid value."""
    rows = re.findall(
        r"^\| `(QC_\w+)` \|[^|\n]*\|([^\n]*)\|$",
        (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
        + (ROOT / "docs" / "reports.md").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    offered = sorted(variable for variable, text in rows if re.search(r"\(0[: ]", text))
    assert "QC_SAMPLE_RATE" in offered
    for variable in offered:
        monkeypatch.setenv(variable, "0")
    Settings()


def test_fields_take_their_name_or_their_variable(monkeypatch):
    monkeypatch.setenv("QC_WEBHOOK_BACKOFF", "5")
    monkeypatch.setenv("qc_claim_minutes", "5")  # variables are upper case, as everywhere
    settings = Settings(webhook_timeout_seconds=2, QC_MAX_MESSAGES=9)
    assert (
        settings.webhook_backoff_seconds,
        settings.webhook_timeout_seconds,
        settings.max_messages,
        settings.claim_minutes,
    ) == (5.0, 2.0, 9, 30)


@pytest.mark.parametrize(
    "value, expected", [("1", True), ("on", True), ("Off", False), (" no ", False), ("0", False)]
)
def test_switches(monkeypatch, value, expected):
    monkeypatch.setenv("QC_REDACT", value)
    assert Settings().redact is expected


def test_a_value_given_in_code_is_checked_too():
    with pytest.raises(QCError) as caught:
        Settings(claim_minutes=2.5)
    assert (caught.value.field, caught.value.message) == (
        "QC_CLAIM_MINUTES",
        "expected a whole number of at least 1, not 2.5",
    )
    assert Settings(retention_days=7).retention_days == 7.0


def test_the_process_reads_the_environment_once(monkeypatch, fresh_settings):
    monkeypatch.setenv("QC_MODELS", "/first")
    assert get_settings().model_dir == Path("/first")
    monkeypatch.setenv("QC_MODELS", "/second")
    assert get_settings().model_dir == Path("/first")
    reset_settings()
    assert get_settings().model_dir == Path("/second")


def test_the_checklists_option_reaches_every_reader(tmp_path, monkeypatch, fresh_settings):
    from qc_engine.cli import main
    from qc_engine.engine import default_checklist_dir

    monkeypatch.setenv("QC_CHECKLISTS", "/not/there")
    assert main(["--checklists", str(tmp_path), "score", "-"]) == 2  # an empty folder
    assert default_checklist_dir() == tmp_path
    assert main(["score", "-"]) == 2
    assert default_checklist_dir() == Path("/not/there")
