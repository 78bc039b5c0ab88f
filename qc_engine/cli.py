"""The `qc` command: score chats, check and try checklists, explain rules and error codes,
benchmark.

(About 700 lines in one file on purpose: the argument parser of every subcommand and its
handler side by side, so `qc --help` and the code read alike; each handler is thin and the
work is in the library: inputs, engine, evaluate, service, reports.)"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from qc_engine.errors import Code, QCError
from qc_engine.inputs import load_path
from qc_engine.result import Result
from qc_engine.service.review import ROLES as USER_ROLES
from qc_engine.transcript import Loaded, Transcript

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

EXIT_OK, EXIT_SOME_FAILED, EXIT_ERROR = 0, 1, 2


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _engine(args: argparse.Namespace):
    from qc_engine.engine import Engine

    return Engine.from_dir(args.checklists)


def _report_error(error: QCError, stream: TextIO) -> None:
    stream.write(f"error: {error}\n")


def _iter_inputs(paths: list[str], agents: list[str]) -> Iterator[Loaded]:
    for path in paths:
        yield from load_path(path, agents=agents)


def render_table(result: Result, transcript: Transcript) -> str:
    from qc_engine.taxonomy import CATEGORIES
    from qc_engine.terminal import columns

    verdict = "PASS" if result.passed else "FAIL"
    lines = [
        f"{result.id}  score {result.score}  {verdict}  checklist {result.checklist}  "
        f"({len(transcript.messages)} messages, {len(result.flags)} flags)"
    ]
    rows = []
    for flag in result.flags:
        category = CATEGORIES.get(flag.category)
        if flag.severity == "red_line":
            cost = "RED LINE"
        elif flag.points:
            cost = f"-{flag.points}"
        else:  # a customer's signal (or an item worth nothing) costs no points
            cost = "信号" if category is not None and category.who == "customer" else "0"
        rows.append(
            [
                f"#{flag.message_index}",
                transcript.messages[flag.message_index].role,
                flag.category,
                category.name_zh if category is not None else "",
                cost,
                f"{flag.evidence}  [{flag.rule}]",
            ]
        )
    return "\n".join([*lines, *columns(rows, indent="  ")])


SCORE_BATCH = 64


def _render_for(fmt: str) -> Callable[[Result, Transcript], str]:
    return render_table_block if fmt == "table" else render_json_line


def render_json_line(result: Result, _: Transcript) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"


def render_table_block(result: Result, transcript: Transcript) -> str:
    return render_table(result, transcript) + "\n\n"


def _total_of(paths: list[str]) -> int | None:
    """How many chats the input holds, when that is quick to know (JSON Lines files: their
    non-blank lines); None otherwise (stdin, JSON documents, Qianniu exports)."""
    total = 0
    for name in paths:
        path = Path(name)
        if name == "-" or path.suffix.lower() not in (".jsonl", ".ndjson") or not path.is_file():
            return None
        with open(path, "rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def cmd_score(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from qc_engine.parallel import available_cores, score_stream

    started = time.perf_counter()
    try:
        engine = _engine(args)
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    streaming = "-" in args.paths  # stdin: one at a time, each result as its line is read
    jobs = 1 if streaming else (args.jobs or available_cores())
    bar = tqdm(
        total=None if streaming else _total_of(args.paths),
        unit=" chats",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        dynamic_ncols=True,
    )
    out, scored, failed = sys.stdout, 0, 0
    used = {"jobs": jobs}
    outcomes = score_stream(
        _iter_inputs(args.paths, args.agent or []),
        engine=engine,
        checklist_dir=args.checklists,
        checklist=args.checklist,
        render=_render_for(args.format),
        jobs=jobs,
        batch_size=1 if streaming else SCORE_BATCH,
        used=used,
    )
    try:
        for outcome in outcomes:
            bar.update(1)
            if outcome.error is not None:
                failed += 1
                _report_error(outcome.error, sys.stderr)
                continue
            scored += 1
            out.write(outcome.text or "")
            if streaming:
                out.flush()
    except QCError as exc:
        bar.close()
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    bar.close()
    seconds = time.perf_counter() - started
    sys.stderr.write(
        f"{failed} transcript(s) rejected, {scored} scored in {seconds:.1f} s "
        f"({(scored + failed) / max(seconds, 1e-9):,.0f} chats/s, {used['jobs']} job(s))\n"
    )
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _load_checklist_file(path: Path, lexicon_dir: Path | None):
    from qc_engine.checklist import load_checklist
    from qc_engine.engine import default_checklist_dir
    from qc_engine.normalize import load_normalizer

    if lexicon_dir is None:
        local = path.parent / "lexicons"
        lexicon_dir = local if local.is_dir() else default_checklist_dir() / "lexicons"
    normalizer = load_normalizer(lexicon_dir)
    return load_checklist(path, lexicon_dir=lexicon_dir, normalizer=normalizer)


def cmd_checklist_check(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for name in args.files:
        try:
            checklist = _load_checklist_file(Path(name), args.lexicons)
        except QCError as exc:
            _report_error(exc, sys.stderr)
            status = EXIT_ERROR
            continue
        enabled = sum(1 for i in checklist.items if i.spec.enabled)
        print(
            f"{name}: OK  {checklist.label}, {len(checklist.items)} items ({enabled} enabled), "
            f"{len(checklist.resources.lexicons)} lexicons"
        )
    return status


def cmd_checklist_test(args: argparse.Namespace) -> int:
    from qc_engine.engine import inspect

    try:
        checklist = _load_checklist_file(Path(args.file), args.lexicons)
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    per_rule: Counter[str] = Counter()
    scored = failed = passed = 0
    for item in _iter_inputs(args.transcripts, args.agent or []):
        if item.error is not None:
            failed += 1
            _report_error(item.error, sys.stderr)
            continue
        assert item.transcript is not None
        result = inspect(item.transcript, checklist)
        scored += 1
        passed += result.passed
        for flag in result.flags:
            per_rule[f"{flag.rule} -> {flag.category}"] += 1
        if args.format == "jsonl":
            print(json.dumps(result.to_dict(), ensure_ascii=False))
        elif result.flags or args.all:
            print(render_table(result, item.transcript) + "\n")
    print(
        f"{checklist.label}: {scored} transcripts scored, {passed} passed, "
        f"{sum(per_rule.values())} flags",
        file=sys.stderr if args.format == "jsonl" else None,
    )
    for rule, count in per_rule.most_common():
        print(f"  {count:>6}  {rule}", file=sys.stderr if args.format == "jsonl" else None)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def explain(code: str) -> str | None:
    from qc_engine.checkers import REGISTRY, get_checker
    from qc_engine.taxonomy import CATEGORIES

    checker = get_checker(code)
    if checker is not None:
        flag, clean = checker.examples()
        parts = [
            f"{checker.code} {checker.slug}  category: {checker.category} "
            f"({CATEGORIES[checker.category].name_zh})  status: {checker.status}",
            "",
            checker.documentation(),
            "",
            "Parameters:",
        ]
        for name, field in checker.Params.model_fields.items():
            default = field.get_default(call_default_factory=True, validated_data={})
            parts.append(f"  {name} = {default!r}  {field.description or ''}".rstrip())
        parts.append("")
        parts.append("Must flag:")
        parts += ["  " + e.chat.replace("\n", "\n  ") + "\n" for e in flag]
        parts.append("Must not flag:")
        parts += ["  " + e.chat.replace("\n", "\n  ") + "\n" for e in clean]
        return "\n".join(parts).rstrip() + "\n"
    category = CATEGORIES.get(code)
    if category is not None:
        default = "red line" if category.severity == "red_line" else f"{category.points} points"
        checkers = [c for c in REGISTRY.values() if c.category == category.code]
        lines = [
            f"{category.code} {category.name_zh}  ({category.who}; default {default})",
            "",
            category.description,
            "",
            "Checkers raising it by default:",
        ]
        lines += [f"  {c.code} {c.slug}" for c in checkers] or [
            "  (none: a trained model or a composed rule)"
        ]
        return "\n".join(lines) + "\n"
    error = next((c for c in Code if c == code.upper()), None)
    if error is not None:
        return f"{error}  {error.meaning}\n\nWhat to do: {error.remedy}\n"
    return None


def unknown(name: str) -> str:
    """What `qc explain NAME` says of a name it does not know: for an error code, the
    nearest ones."""
    number = re.fullmatch(r"[Ee](\d+)", name)
    if number is None:
        return f"no category, checker or error code named {name!r} (try `qc explain --list`)"
    nearest = sorted(Code, key=lambda c: abs(int(c[1:]) - int(number[1])))[:3]
    return f"no error code {name!r}; the nearest: {', '.join(nearest)} (try `qc explain --list`)"


def checkers_markdown() -> str:
    """docs/checkers.md, generated from the registry so it cannot drift from the code."""
    from qc_engine.checkers import REGISTRY
    from qc_engine.taxonomy import CATEGORIES

    out = [
        "# Checkers",
        "",
        "Generated by `qc explain --markdown > docs/checkers.md`; a test fails when it is "
        "stale. Every checker's examples below are run by the test suite. Checkers of other "
        "installed packages (docs/checklists.md) are not listed here: `qc explain` shows them.",
        "",
        "| code | slug | category | default |",
        "|---|---|---|---|",
    ]
    own = [c for c in REGISTRY.values() if c.__module__.startswith("qc_engine.")]
    ordered = sorted(own, key=lambda c: c.code)
    for cls in ordered:
        cat = CATEGORIES[cls.category]
        default = "red line" if cat.severity == "red_line" else f"-{cat.points}"
        out.append(f"| {cls.code} | `{cls.slug}` | `{cls.category}` {cat.name_zh} | {default} |")
    for cls in ordered:
        flag, clean = cls.examples()
        out += [
            "",
            f"## {cls.code} `{cls.slug}`",
            "",
            f"Category `{cls.category}` ({CATEGORIES[cls.category].name_zh}), status {cls.status}.",
            "",
            "```text",
            cls.documentation(),
            "```",
            "",
            "Parameters:",
            "",
        ]
        for name, field in cls.Params.model_fields.items():
            default = field.get_default(call_default_factory=True, validated_data={})
            if hasattr(default, "model_dump"):
                default = default.model_dump()
            out.append(
                f"- `{name}` (default `{default!r}`)"
                + (f": {field.description}" if field.description else "")
            )
        if not cls.Params.model_fields:
            out.append("- none")
        out += ["", "Must flag:", ""]
        out += ["```text\n" + e.chat + "\n```" for e in flag]
        out += ["", "Must not flag:", ""]
        out += ["```text\n" + e.chat + "\n```" for e in clean]
    return "\n".join(out) + "\n"


def errors_markdown() -> str:
    """docs/errors.md, generated from the catalogue so it cannot drift from the code."""
    out = [
        "# Error codes",
        "",
        "Generated by `qc explain --markdown errors > docs/errors.md` from the catalogue, "
        "`Code` in qc_engine/errors.py; a test fails when it is stale. `qc explain CODE` "
        "prints one. Codes are stable: tools and tests match on them, people read the "
        "message. The CLI prints an error as `error: FILE: line N: FIELD: message [CODE]`; "
        "the API answers it as JSON with an HTTP status (docs/api.md, Errors), and an E4xx "
        "code is its status.",
        "",
        "| code | meaning | what to do |",
        "|---|---|---|",
    ]
    out += [f"| {error} | {error.meaning} | {error.remedy} |" for error in Code]
    return "\n".join(out) + "\n"


def cmd_explain(args: argparse.Namespace) -> int:
    from qc_engine.checkers import REGISTRY
    from qc_engine.taxonomy import CATEGORIES

    if args.markdown:
        sys.stdout.write(errors_markdown() if args.markdown == "errors" else checkers_markdown())
        return EXIT_OK
    if args.list or not args.code:
        print("Checkers:")
        for cls in sorted(REGISTRY.values(), key=lambda c: c.code):
            print(f"  {cls.code}  {cls.slug:<32} {cls.category}")
        print("Categories:")
        for category in CATEGORIES.values():
            print(f"  {category.code:<22} {category.name_zh}")
        print("Error codes:")
        for error in Code:
            print(f"  {error}  {error.meaning}")
        return EXIT_OK
    text = explain(args.code)
    if text is None:
        _report_error(QCError(Code.E300, unknown(args.code)), sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(text)
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from qc_engine.ml.train import main as train_main
    from qc_engine.settings import package_path

    try:
        summary = train_main(
            args.model, models_dir=args.models_dir, log=lambda line: print(line, file=sys.stderr)
        )
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    target = "agent_speech" if args.model == "agent" else "customer"
    print(json.dumps(summary, ensure_ascii=False, default=str, indent=2))
    print(
        f"model and card written to {(args.models_dir or package_path('models')) / target}",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from qc_engine.evaluate import evaluate, format_report

    try:
        report = evaluate(
            split=args.split,
            limit=args.limit,
            written=not args.limit,
            log=lambda line: print(line, file=sys.stderr),
        )
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, list_model_flags=not args.quiet))
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from qc_engine.bench import main as bench_main

    return bench_main(args)


def _check_address(host: str, port: int) -> None:
    """Raise E650 unless `host:port` can be bound now, bound the way uvicorn binds it (IPv6
    for an address with a colon, SO_REUSEADDR): a taken port fails in one line before the
    database is migrated and the demo loaded, not after."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OverflowError:
        reason = "a port is a number from 0 to 65535"
    except OSError as exc:
        reason = {
            errno.EADDRINUSE: "the port is already in use (another qc serve, or another program)",
            errno.EACCES: "not allowed (a port below 1024 needs root)",
            errno.EADDRNOTAVAIL: "the host is not an address of this machine",
        }.get(exc.errno or 0, exc.strerror or str(exc))
    else:
        return
    raise QCError(Code.E650, f"cannot serve on {host}:{port}: {reason}")


def cmd_serve(args: argparse.Namespace) -> int:
    import os
    import tempfile

    import uvicorn

    from qc_engine.api.main import build_state
    from qc_engine.settings import get_settings
    from qc_engine.terminal import columns

    try:
        settings = get_settings()  # with --checklists (main)
        if args.checklists is not None:  # for the worker processes
            os.environ["QC_CHECKLISTS"] = str(args.checklists)
        _check_address(args.host, args.port)
        state = build_state(settings)
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    from qc_engine.db.session import database_url, shown_url

    print(f"database: {shown_url(database_url(settings.database_url))}")
    if args.demo:
        from qc_engine.service.demo import demo_keys, load_demo

        with state.sessions.begin() as session:
            added = load_demo(session, engine=state.engines.get(), sampling=state.sampling)
            keys = demo_keys(session)
        print(f"demo data: {added} chats loaded" if added else "demo data: already loaded")
        print("demo API keys (shown once; new ones at every start):")
        for line in columns([[name, key] for name, key in keys.items()], indent="  "):
            print(line)
    print(f"serving on http://{args.host}:{args.port}  (API docs: /docs, review desk: /ui)")
    sys.stdout.flush()
    if args.workers > 1 and not settings.prometheus_multiproc_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="qc-metrics-")
    uvicorn.run(
        "qc_engine.api.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    return EXIT_OK


def _database() -> sessionmaker[Session]:
    """The sessions of $QC_DATABASE_URL's database, brought up to the current schema."""
    from qc_engine.db.session import make_engine, session_factory, upgrade

    engine = make_engine()
    upgrade(engine)
    return session_factory(engine)


def cmd_purge(args: argparse.Namespace) -> int:
    from qc_engine.service.retention import purge

    try:
        with _database().begin() as session:
            done = purge(session, days=args.older_than_days, actor="cli", dry_run=args.dry_run)
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {done.transcripts} chats older than {done.cutoff:%Y-%m-%d %H:%M} UTC with "
        f"{done.work_items} work items; {done.audit_notes} audit notes cleared, "
        f"{done.reports_scrubbed} stored reports' quoted texts removed, "
        f"{done.webhook_events} webhook events deleted"
    )
    return EXIT_OK


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not (0 < days < 100_000):
        raise argparse.ArgumentTypeError(f"expected a number of days above 0, not {value!r}")
    return days


def cmd_keys_create(args: argparse.Namespace) -> int:
    from qc_engine.service.auth import create_key

    try:
        with _database().begin() as session:
            user, key = create_key(
                session, name=args.name, role=args.role, agent_name=args.agent_name, actor="cli"
            )
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    print(key)
    print(f"key for {user.name} (role {user.role}); it is shown only this once", file=sys.stderr)
    return EXIT_OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    from qc_engine.service.auth import list_keys
    from qc_engine.terminal import columns

    try:
        with _database()() as session:
            rows = list_keys(session)
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    # Times as the database layer gives them back: Asia/Shanghai, like the rest of the UI.
    table = [["prefix", "user", "role", "created (UTC+8)", "revoked (UTC+8)"]]
    for row in rows:
        revoked = f"{row['revoked_at']:%Y-%m-%d %H:%M:%S}" if row["revoked_at"] else "-"
        user = str(row["name"]) + (" (disabled)" if row["disabled"] else "")
        table.append(
            [
                str(row["prefix"]),
                user,
                str(row["role"]),
                f"{row['created_at']:%Y-%m-%d %H:%M:%S}",
                revoked,
            ]
        )
    for line in columns(table):
        print(line)
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from qc_engine.service.auth import revoke_keys

    try:
        with _database().begin() as session:
            count = revoke_keys(session, prefix=args.prefix, name=args.name, actor="cli")
    except QCError as exc:
        _report_error(exc, sys.stderr)
        return EXIT_ERROR
    print(
        f"revoked {count} key{'s' if count != 1 else ''}; a running server stops accepting "
        "it within 10 seconds",
        file=sys.stderr,
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qc", description="Chat quality inspection (质检).")
    parser.add_argument(
        "--checklists",
        type=Path,
        default=None,
        help="checklist folder (default: $QC_CHECKLISTS, else the package's own)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser("score", help="score transcripts; one JSON result per line")
    score.add_argument("paths", nargs="+", help="JSON, JSON Lines or Qianniu text files, or -")
    score.add_argument("--checklist", help="use this checklist for every transcript")
    score.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    score.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help="worker processes (default: the cores available; stdin is read with one); the "
        "output is the same bytes, in input order, whatever N",
    )
    score.add_argument(
        "--agent", action="append", help="Qianniu exports: a sender that is an agent (repeatable)"
    )
    score.set_defaults(func=cmd_score)

    checklist = sub.add_parser("checklist", help="validate or try a checklist")
    csub = checklist.add_subparsers(dest="checklist_command", required=True)
    check = csub.add_parser("check", help="validate checklist files")
    check.add_argument("files", nargs="+")
    check.add_argument(
        "--lexicons",
        type=Path,
        default=None,
        help="lexicon folder (default: lexicons/ beside the file)",
    )
    check.set_defaults(func=cmd_checklist_check)
    test = csub.add_parser("test", help="run an unsaved checklist over sample chats")
    test.add_argument("file")
    test.add_argument("transcripts", nargs="+")
    test.add_argument("--lexicons", type=Path, default=None)
    test.add_argument("--format", choices=("table", "jsonl"), default="table")
    test.add_argument("--all", action="store_true", help="also show chats with no flag")
    test.add_argument("--agent", action="append")
    test.set_defaults(func=cmd_checklist_test)

    exp = sub.add_parser("explain", help="documentation of a category, checker or error code")
    exp.add_argument(
        "code", nargs="?", help="category code, checker slug or checker code, or error code"
    )
    exp.add_argument("--list", action="store_true")
    exp.add_argument(
        "--markdown",
        nargs="?",
        const="checkers",
        choices=("checkers", "errors"),
        help="print the documentation of every checker (docs/checkers.md) or, with `errors`, "
        "of every error code (docs/errors.md)",
    )
    exp.set_defaults(func=cmd_explain)

    serve = sub.add_parser("serve", help="run the REST API and review desk (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--demo", action="store_true", help="load a demo data set and print demo API keys"
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.set_defaults(func=cmd_serve)

    keys = sub.add_parser("keys", help="manage API keys ($QC_DATABASE_URL)")
    ksub = keys.add_subparsers(dest="keys_command", required=True)
    kcreate = ksub.add_parser("create", help="create a key (printed once)")
    kcreate.add_argument("--role", required=True, choices=USER_ROLES)
    kcreate.add_argument("--name", required=True)
    kcreate.add_argument("--agent-name", help="for --role agent: the agent name in chats")
    kcreate.set_defaults(func=cmd_keys_create)
    klist = ksub.add_parser("list", help="list keys (their first characters, never the key)")
    klist.set_defaults(func=cmd_keys_list)
    krevoke = ksub.add_parser("revoke", help="revoke a key, or every key of a user")
    which = krevoke.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "prefix", nargs="?", help="the key's first characters (qc keys list) or the whole key"
    )
    which.add_argument("--name", help="revoke every live key of this user")
    krevoke.set_defaults(func=cmd_keys_revoke)

    purge = sub.add_parser("purge", help="delete chats older than N days ($QC_DATABASE_URL)")
    purge.add_argument(
        "--older-than-days",
        type=_days,
        required=True,
        metavar="N",
        help="chats whose first message (else storing) is older than this",
    )
    purge.add_argument("--dry-run", action="store_true", help="count, change nothing")
    purge.set_defaults(func=cmd_purge)

    train = sub.add_parser("train", help="rebuild a trained model and its card")
    train.add_argument("model", choices=("agent", "customer"))
    train.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="where to write (default: the package's models, qc_engine/models/)",
    )
    train.set_defaults(func=cmd_train)

    evaluation = sub.add_parser("eval", help="every accuracy figure on the real labelled set")
    evaluation.add_argument(
        "--split",
        choices=("validation", "test"),
        default="validation",
        help="validation (default; for choices) or test (held out)",
    )
    evaluation.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="only the first N labelled sessions (and no written split)",
    )
    evaluation.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluation.add_argument("--quiet", action="store_true", help="do not list the model-only flags")
    evaluation.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="benchmark the pipeline on a generated mix")
    bench.add_argument("-n", "--transcripts", type=int, default=20000)
    bench.add_argument("--seed", type=int, default=7)
    bench.add_argument("--repeat", type=int, default=3)
    bench.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the figures to this file as JSON",
    )
    bench.set_defaults(func=cmd_bench)

    from qc_engine.reports.cli import add_parser as add_report_parser

    add_report_parser(sub)  # qc report weekly
    return parser


def main(argv: Iterable[str] | None = None) -> int:
    from qc_engine.settings import reset_settings

    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    reset_settings(checklist_dir=args.checklists)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
