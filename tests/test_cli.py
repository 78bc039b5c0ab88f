"""The `qc` command as a QC lead uses it: real files in, exit codes and output checked."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import unicodedata

import pytest

from .conftest import CHECKLISTS, ROOT

EXAMPLES = ROOT / "qc_engine" / "examples" / "chats.jsonl"


def qc(*args, stdin=None, env=None):
    """`qc ARGS` in a subprocess; `env`: variables set on top of this process's."""
    return subprocess.run(
        [sys.executable, "-m", "qc_engine.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_serve_refuses_a_bad_setting_before_starting():
    run = qc("serve", "--port", "9", env={"QC_SAMPLE_RATE": "abc"})
    assert run.returncode == 2
    assert (
        run.stderr.strip()
        == "error: QC_SAMPLE_RATE: expected a number from 0 to 1, not 'abc' [E630]"
    )
    assert "Traceback" not in run.stderr


def test_serve_refuses_a_taken_port_in_one_line_before_starting(tmp_path):
    database = tmp_path / "qc.sqlite3"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        run = qc(
            "serve", "--demo", "--port", port, env={"QC_DATABASE_URL": f"sqlite:///{database}"}
        )
    assert run.returncode == 2
    assert run.stderr == (
        f"error: cannot serve on 127.0.0.1:{port}: the port is already in use "
        "(another qc serve, or another program) [E650]\n"
    )
    assert run.stdout == ""  # no "serving on", no demo keys
    assert not database.exists()  # nothing was started: no database made


def test_the_files_of_the_default_database_are_not_committed(tmp_path):
    """qc.sqlite3 in WAL mode has two files beside it while it is open (-wal, -shm)."""
    from sqlalchemy import text

    from qc_engine.db.session import make_engine

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    engine = make_engine(f"sqlite:///{tmp_path / 'qc.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect():
        files = sorted(path.name for path in tmp_path.iterdir())
    engine.dispose()
    assert files == ["qc.sqlite3", "qc.sqlite3-shm", "qc.sqlite3-wal"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(ignored.stdout.split()) == files


def _width(text: str) -> int:
    """Terminal columns, counted apart from the code under test: East Asian wide and
    full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _starts(line: str, match: re.Match[str]) -> list[int]:
    """The terminal column at which each group of `match` starts."""
    return [_width(line[: match.start(group)]) for group in range(1, len(match.groups()) + 1)]


def test_keys_list_lines_up_chinese_names(tmp_path):
    env = {"QC_DATABASE_URL": f"sqlite:///{tmp_path / 'qc.sqlite3'}"}
    for role, name in (("specialist", "李质检"), ("admin", "bob"), ("lead", "王组长" * 8)):
        assert qc("keys", "create", "--role", role, "--name", name, env=env).returncode == 0
    run = qc("keys", "list", env=env)
    assert run.returncode == 0, run.stderr
    row = re.compile(
        r"^(\S+) +(.+?) +(role|specialist|admin|lead) +"
        r"(created \(UTC\+8\)|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) +(\S.*)$"
    )
    lines = run.stdout.splitlines()
    matches = [row.match(line) for line in lines]
    assert len(lines) == 4 and all(matches), run.stdout
    starts = {tuple(_starts(line, m)) for line, m in zip(lines, matches, strict=True) if m}
    assert len(starts) == 1, run.stdout  # every column starts at the same place on every line


def test_a_bad_database_url_is_an_error_naming_it(tmp_path):
    run = qc("keys", "list", env={"QC_DATABASE_URL": "mysql://x@y/z"})
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip() == (
        "error: QC_DATABASE_URL: cannot use 'mysql://x@y/z' as a database URL: expected "
        "sqlite:///FILE or postgresql://USER@HOST:PORT/DATABASE [E640]"
    )
    run = qc("serve", "--port", "0", env={"QC_DATABASE_URL": "foo"})
    assert run.returncode == 2 and "QC_DATABASE_URL: cannot use 'foo'" in run.stderr
    # Nothing listens on port 1: refused at once. The password is never printed.
    run = qc("keys", "list", env={"QC_DATABASE_URL": "postgresql://qc:s3cret@127.0.0.1:1/qc"})
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith(
        "error: cannot open the database postgresql+psycopg://qc:***@127.0.0.1:1/qc: "
    )
    assert "s3cret" not in run.stderr and run.stderr.rstrip().endswith("[E641]")
    missing = tmp_path / "no" / "such" / "qc.sqlite3"
    run = qc("report", "weekly", "--database", f"sqlite:///{missing}", "--out", tmp_path, env={})
    assert run.returncode == 2 and "cannot open the database sqlite:///" in run.stderr


def test_score_prints_one_result_per_transcript():
    run = qc("score", EXAMPLES)
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == sum(1 for _ in EXAMPLES.open(encoding="utf-8"))
    for result in results:
        assert list(result) == ["id", "score", "passed", "checklist", "flags"]
        for flag in result["flags"]:
            assert list(flag) == [
                "category",
                "message_index",
                "span",
                "evidence",
                "severity",
                "points",
                "source",
                "rule",
                "confidence",
            ]
    by_id = {r["id"]: r for r in results}
    assert by_id["demo-presale-001"]["passed"] is True
    bad = by_id["demo-presale-002"]
    assert bad["passed"] is False and bad["score"] == 0
    assert "off_platform" in {f["category"] for f in bad["flags"]}


def test_bad_lines_are_reported_and_the_rest_scored(tmp_path):
    good = EXAMPLES.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [good, '{"id": "x", "messages": [{"role": "buyer", "text": "hi"}]}', "{oops", good]
        )
        + "\n",
        encoding="utf-8",
    )
    run = qc("score", path)
    assert run.returncode == 1
    assert len(run.stdout.splitlines()) == 2
    assert (
        f"{path}: line 2: messages[0].role: expected one of customer, agent, bot, system, "
        "got 'buyer' [E101]" in run.stderr
    )
    assert f"{path}: line 3: not valid JSON" in run.stderr
    assert "2 transcript(s) rejected, 2 scored" in run.stderr


def test_a_line_that_is_not_utf8_is_one_bad_line(tmp_path):
    """A file with a line in another encoding: that line is an error naming it, the
    others are scored (it used to lose the whole file), from a file and from stdin."""
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()[:3]
    data = (
        (lines[0] + "\n").encode() + lines[1].encode("gbk") + b"\n" + (lines[2] + "\r\n").encode()
    )
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(data)
    for run, name in ((qc("score", path), str(path)), (_qc_bytes(data), "<stdin>")):
        assert run.returncode == 1
        assert len(run.stdout.splitlines()) == 2
        assert f"{name}: line 2: not UTF-8 text: byte 0x" in run.stderr, run.stderr
        assert "1 transcript(s) rejected, 2 scored" in run.stderr
    whole = tmp_path / "whole.json"  # one JSON document: read whole, the line named
    whole.write_bytes(b"[\n" + lines[1].encode("gbk") + b"\n]\n")
    run = qc("score", whole)
    assert run.returncode == 1 and f"{whole}: line 2: not UTF-8 text" in run.stderr


def _qc_bytes(data: bytes):
    run = subprocess.run(
        [sys.executable, "-m", "qc_engine.cli", "score", "-"],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        env=dict(os.environ),
    )
    return subprocess.CompletedProcess(
        run.args, run.returncode, run.stdout.decode(), run.stderr.decode()
    )


def test_stdin_and_table_format():
    line = EXAMPLES.read_text(encoding="utf-8").splitlines()[1]
    run = qc("score", "-", "--format", "table", stdin=line + "\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("demo-presale-002  score 0  FAIL")
    assert "引导站外" in run.stdout and "RED LINE" in run.stdout


def test_table_format_lines_up_chinese_and_shows_signals_as_signals():
    chat = {
        "id": "t-table",
        "channel": "tmall",
        "messages": [
            {"role": "customer", "text": "你们这什么破东西，我要投诉你们，差评！"},
            {"role": "agent", "text": "亲，加我微信 abc123 我们私下处理"},
        ],
    }
    line = json.dumps(chat, ensure_ascii=False) + "\n"
    flags = json.loads(qc("score", "-", stdin=line).stdout)["flags"]
    run = qc("score", "-", "--format", "table", stdin=line)
    assert run.returncode == 0, run.stderr
    row = re.compile(r"^  (#\d+) +(\S+) +(\S+) +(\S+) +(RED LINE|信号|0|-[1-9]\d*) +(\S.*)$")
    lines = [text for text in run.stdout.splitlines() if text.startswith("  #")]
    matches = [row.match(text) for text in lines]
    assert len(lines) == len(flags) >= 3 and all(matches), run.stdout
    # A customer's signal costs nothing: it says 信号, never "-0".
    costs = {m.group(3): m.group(5) for m in matches if m}
    assert costs["customer_negative"] == costs["complaint_risk"] == "信号"
    assert "-0 " not in run.stdout
    # Chinese category names are two columns a character: every column still lines up.
    starts = {tuple(_starts(text, m)) for text, m in zip(lines, matches, strict=True) if m}
    assert len(starts) == 1, run.stdout


def test_forced_checklist_and_unknown_checklist():
    run = qc("score", EXAMPLES, "--checklist", "default")
    assert all(
        json.loads(line)["checklist"].startswith("default@") for line in run.stdout.splitlines()
    )
    run = qc("score", EXAMPLES, "--checklist", "nope")
    assert run.returncode == 2 and "no checklist named 'nope'" in run.stderr


def test_checklist_check_accepts_bundled_and_rejects_broken(tmp_path):
    run = qc("checklist", "check", *sorted(CHECKLISTS.glob("*.yaml")))
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(": OK") == len(list(CHECKLISTS.glob("*.yaml")))
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "name: b\nversion: 1\nitems:\n  - id: a\n    checker: nope\n", encoding="utf-8"
    )
    run = qc("checklist", "check", broken, "--lexicons", CHECKLISTS / "lexicons")
    assert run.returncode == 2
    assert "items[0] (a).checker: unknown checker 'nope'" in run.stderr


def test_checklist_test_shows_what_an_edited_checklist_would_flag(tmp_path):
    edited = tmp_path / "trial.yaml"
    edited.write_text(
        "name: trial\nversion: 1\nitems:\n"
        "  - id: thanks_missing\n    checker: rule\n    category: missing_closing\n"
        "    params:\n      evidence: 没有感谢语\n"
        "      when: {role: agent, keyword: {any: [核实]}}\n",
        encoding="utf-8",
    )
    run = qc("checklist", "test", edited, EXAMPLES, "--lexicons", CHECKLISTS / "lexicons")
    assert run.returncode == 0, run.stderr
    assert "demo-aftersale-002" in run.stdout and "没有感谢语" in run.stdout
    assert "trial@1: 6 transcripts scored" in run.stdout
    assert "rule.thanks_missing -> missing_closing" in run.stdout


def test_explain_category_checker_and_unknown():
    run = qc("explain", "off_platform")
    assert run.returncode == 0 and "引导站外" in run.stdout and "phrase.off_platform" in run.stdout
    run = qc("explain", "QC107")
    assert "What it does:" in run.stdout and "Must flag:" in run.stdout
    run = qc("explain", "nonsense")
    assert run.returncode == 2 and "E300" in run.stderr and "'nonsense'" in run.stderr


def test_checker_docs_are_current():
    run = qc("explain", "--markdown")
    current = (ROOT / "docs" / "checkers.md").read_text(encoding="utf-8")
    assert run.stdout == current, (
        "docs/checkers.md is stale: run `qc explain --markdown > docs/checkers.md`"
    )


def test_explain_an_error_code_and_the_nearest_to_an_unknown_one():
    run = qc("explain", "E641")
    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        "E641  the database cannot be opened (not reachable, refused, or not a database)\n\n"
        "What to do: check QC_DATABASE_URL, that the server runs and accepts the user and "
        "password, or that the SQLite file's folder exists\n"
    )
    assert qc("explain", "e422").stdout.startswith("E422  a query parameter")
    run = qc("explain", "E642")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (
        "error: no error code 'E642'; the nearest: E641, E640, E650 "
        "(try `qc explain --list`) [E300]\n"
    )
    run = qc("explain", "--list")
    assert run.returncode == 0 and "  E610  QC_WEBHOOKS is not valid\n" in run.stdout


def test_error_docs_are_current():
    """docs/errors.md is the one place the codes are documented: generated from the
    catalogue, so a code added, removed or reworded there makes this fail until it is
    regenerated."""
    run = qc("explain", "--markdown", "errors")
    current = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert run.stdout == current, (
        "docs/errors.md is stale: run `qc explain --markdown errors > docs/errors.md`"
    )


def test_a_transcript_the_engine_fails_on_is_reported_and_the_batch_goes_on(
    tmp_path, monkeypatch, capsys
):
    """A bug in a checker on one chat costs that chat (E500), not the batch around it."""
    from qc_engine.checkers.greeting import Greeting
    from qc_engine.cli import main as qc_main

    real = Greeting.check

    def broken(self, chat):
        if chat.transcript.id == "boom":
            raise ZeroDivisionError("division by zero")
        return real(self, chat)

    monkeypatch.setattr(Greeting, "check", broken)
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()[:3]
    boom = json.loads(lines[1])
    boom["id"] = "boom"
    lines[1] = json.dumps(boom, ensure_ascii=False)
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = qc_main(["--checklists", str(CHECKLISTS), "score", str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == [
        json.loads(lines[0])["id"],
        json.loads(lines[2])["id"],
    ]
    assert (
        "internal error scoring transcript 'boom': ZeroDivisionError: division by zero" in err
        and "[E500]" in err
        and "1 transcript(s) rejected, 2 scored" in err
    )


def test_an_input_of_one_batch_is_scored_without_starting_workers(tmp_path):
    """A chat or a few: starting workers would cost more than it saves; the summary says
    how many processes scored."""
    from qc_engine.chatgen import generate

    path = tmp_path / "few.jsonl"
    path.write_text(
        "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in generate(3, seed=2)),
        encoding="utf-8",
    )
    one, two = qc("score", path, "--jobs", 1), qc("score", path, "--jobs", 2)
    assert one.stdout == two.stdout and one.stdout.count("\n") == 3
    assert "3 scored in " in two.stderr and "1 job(s))" in two.stderr


def test_score_on_several_processes_writes_the_same_bytes_in_input_order(tmp_path):
    """`qc score --jobs N`: the same output, byte for byte, as one process, whatever N; bad
    lines are rejected either way; one summary line on stderr (also when redirected)."""
    from qc_engine.chatgen import generate

    path = tmp_path / "mix.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for number, chat in enumerate(generate(400, seed=5)):
            handle.write(json.dumps(chat.to_dict(), ensure_ascii=False) + "\n")
            if number % 97 == 3:
                handle.write("{not json\n")
    runs = {jobs: qc("score", path, "--jobs", jobs) for jobs in (1, 2, 3)}
    for jobs, run in runs.items():
        assert run.returncode == 1, run.stderr
        assert "5 transcript(s) rejected, 400 scored in " in run.stderr
        assert f"{jobs} job(s))" in run.stderr
        assert run.stderr.count("not valid JSON") == 5
    assert runs[1].stdout == runs[2].stdout == runs[3].stdout
    ids = [json.loads(line)["id"] for line in runs[2].stdout.splitlines()]
    assert ids == [chat.id for chat in generate(400, seed=5)]  # input order
    table = [qc("score", EXAMPLES, "--format", "table", "--jobs", j).stdout for j in (1, 2)]
    assert table[0] == table[1] and "score" in table[0]
    refused = qc("score", EXAMPLES, "--jobs", "0")
    assert refused.returncode == 2 and "at least 1" in refused.stderr
