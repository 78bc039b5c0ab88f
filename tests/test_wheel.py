"""`pip install .` (not editable) gives a `qc` that works anywhere: the wheel holds the
checklists, models, example chats, migrations and templates, and the package finds them
through importlib.resources, not beside a checkout.

The wheel is built from a copy of what the sdist holds (pyproject.toml, README.md,
qc_engine/) and installed, without its dependencies, into a fresh virtual environment that
borrows this interpreter's installed packages through a .pth file (no network: nothing is
downloaded but, when pip's build isolation needs it, the build backend). Takes about 15 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import ROOT

EXAMPLES = ROOT / "qc_engine" / "examples" / "chats.jsonl"
# pip's words when the build backend (setuptools, fetched for build isolation) cannot be had.
NO_BACKEND = ("No matching distribution found for setuptools", "Could not find a version")

DESK_CHECK = """
import sys
from fastapi.testclient import TestClient
from qc_engine.api.main import create_app
from qc_engine.settings import Settings

app = create_app(Settings(database_url=sys.argv[1], background=False))
with TestClient(app) as client:
    for path in ("/healthz", "/ui/login", "/ui/static/desk.css"):
        assert client.get(path).status_code == 200, path
"""


def run(*command: object, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "qc_engine",
        source / "qc_engine",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    built = run(
        sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", tmp / "dist", cwd=source
    )
    if built.returncode != 0:
        if any(reason in built.stderr for reason in NO_BACKEND):
            pytest.skip(
                f"cannot build a wheel here: the build backend cannot be installed\n{built.stderr}"
            )
        pytest.fail(f"pip wheel failed:\n{built.stdout}\n{built.stderr}")
    (wheel,) = (tmp / "dist").glob("qc_engine-*.whl")
    return wheel


def install(wheel: Path, tmp: Path) -> Path:
    """A new virtual environment with the wheel installed; its bin folder."""
    env = tmp / "env"
    made = run(sys.executable, "-m", "venv", "--without-pip", env, cwd=tmp)
    if made.returncode != 0:
        pytest.skip(f"cannot make a virtual environment here:\n{made.stderr}")
    python = env / "bin" / "python"
    installed = run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "-q",
        wheel,
        cwd=tmp,
    )
    assert installed.returncode == 0, installed.stderr
    # The dependencies: this interpreter's (a plain path entry, so an editable install of
    # qc_engine there is not loaded: its finder is in a .pth file that is not processed).
    site = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp
        ).stdout.strip()
    )
    paths = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "_qc_test_dependencies.pth").write_text("\n".join(paths) + "\n", encoding="utf-8")
    return env / "bin"


def test_the_installed_wheel_scores_chats_from_anywhere(tmp_path):
    bin_dir = install(build_wheel(tmp_path), tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "examples").mkdir(parents=True)
    shutil.copy(EXAMPLES, elsewhere / "examples" / "chats.jsonl")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QC_", "PYTHON", "VIRTUAL_ENV"))
    }

    where = run(
        bin_dir / "python",
        "-c",
        "import qc_engine.settings as s; print(s.package_path())",
        cwd=elsewhere,
        env=env,
    )
    package = Path(where.stdout.strip())
    assert package.is_relative_to(tmp_path / "env"), where
    # Every file of the package in the checkout is in the wheel (code and data alike).
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "qc_engine").rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and not (package / path.relative_to(ROOT / "qc_engine")).is_file()
    ]
    assert not missing, f"not in the wheel (pyproject.toml's package-data): {missing}"

    scored = run(bin_dir / "qc", "score", "examples/chats.jsonl", cwd=elsewhere, env=env)
    assert scored.returncode == 0, scored.stderr
    results = [json.loads(line) for line in scored.stdout.splitlines()]
    assert len(results) == len(EXAMPLES.read_text(encoding="utf-8").splitlines())
    sources = {flag["source"] for r in results for flag in r["flags"]}
    assert sources == {"rule", "model"}  # the checklists and the trained models are there
    checkout = run(sys.executable, "-m", "qc_engine.cli", "score", EXAMPLES, cwd=ROOT, env=env)
    assert scored.stdout == checkout.stdout  # and the same as in the checkout

    # The demo chats, the migrations and the report templates.
    database = {"QC_DATABASE_URL": f"sqlite:///{elsewhere / 'qc.sqlite3'}"}
    report = run(
        bin_dir / "qc",
        "report",
        "weekly",
        "--demo",
        "--week",
        "2026-W47",
        "--out",
        "reports",
        cwd=elsewhere,
        env=env | database,
    )
    assert report.returncode == 0, report.stderr
    assert re.search(r"demo data: \d+ chats loaded", report.stderr), report.stderr
    assert {p.suffix for p in (elsewhere / "reports").iterdir()} == {".json", ".html", ".xlsx"}

    # The review desk's templates and static files.
    desk = run(
        bin_dir / "python",
        "-c",
        DESK_CHECK,
        f"sqlite:///{elsewhere / 'desk.sqlite3'}",
        cwd=elsewhere,
        env=env,
    )
    assert desk.returncode == 0, desk.stderr
