"""`qc report weekly`: write a week's report as JSON, HTML and Excel files."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from qc_engine.errors import QCError
from qc_engine.service.links import link_signer
from qc_engine.settings import get_settings

FORMATS = ("json", "html", "xlsx")


def add_parser(sub: Any) -> None:
    """Register `qc report weekly` on the main parser's subcommands."""
    report = sub.add_parser("report", help="QC reports ($QC_DATABASE_URL)")
    rsub = report.add_subparsers(dest="report_command", required=True)
    weekly = rsub.add_parser(
        "weekly",
        help="one ISO week's report as JSON, HTML and Excel",
        description="Build the weekly QC report of one ISO week (Asia/Shanghai) from the "
        "database ($QC_DATABASE_URL, default ./qc.sqlite3) and write "
        "weekly-<week>[-<shop>].json, .html and .xlsx into --out.",
    )
    weekly.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: last week)")
    weekly.add_argument("--shop", help="one shop (default: all shops)")
    weekly.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        help="folder to write into (default: ./reports)",
    )
    weekly.add_argument(
        "--format",
        action="append",
        choices=FORMATS,
        help="only these forms (repeatable; default: all three)",
    )
    weekly.add_argument("--database", help="database URL (default: $QC_DATABASE_URL)")
    weekly.add_argument(
        "--base-url",
        default=None,
        help="base of the links in the report (default: $QC_PUBLIC_URL or http://127.0.0.1:8000)",
    )
    weekly.add_argument(
        "--store",
        action="store_true",
        help="also store it in the database (replacing that week's report)",
    )
    weekly.add_argument(
        "--demo",
        action="store_true",
        help="first load the demo data set (as `qc serve --demo` does) if it is not there yet",
    )
    weekly.set_defaults(func=cmd_weekly)


def _file_stem(week: str, shop: str | None) -> str:
    if not shop:
        return f"weekly-{week}"
    safe = re.sub(r"[\\/:*?\"<>|\s]+", "_", shop).strip("._") or "shop"
    return f"weekly-{week}-{safe}"


def cmd_weekly(args: argparse.Namespace) -> int:
    from qc_engine.service.common import utcnow
    from qc_engine.service.report_store import save_report, weeks_with_data
    from qc_engine.service.storage import database_url, open_storage, shown_url
    from qc_engine.service.weekly import build_weekly
    from qc_engine.weeks import IsoWeek, last_week

    try:
        week = IsoWeek.parse(args.week) if args.week else last_week(utcnow())
        sessions = open_storage(args.database)
        if args.demo:
            _load_demo(sessions, args)
        settings = get_settings()
        base_url = args.base_url or settings.public_url
        with sessions.begin() as session:
            report = build_weekly(
                session,
                week=week,
                shop=args.shop,
                base_url=base_url,
                link_signer=link_signer(settings),
            )
            if args.store:
                save_report(session, report, generated_by="cli")
            span = weeks_with_data(session) if report["empty"] else None
    except QCError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    forms = args.format or list(FORMATS)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = _file_stem(str(week), args.shop)
    written = []
    if "json" in forms:
        path = args.out / f"{stem}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    if "html" in forms:
        from qc_engine.reports.html import render_html

        path = args.out / f"{stem}.html"
        path.write_text(render_html(report), encoding="utf-8")
        written.append(path)
    if "xlsx" in forms:
        from qc_engine.reports.excel import render_xlsx

        path = args.out / f"{stem}.xlsx"
        path.write_bytes(render_xlsx(report))
        written.append(path)
    summary = report["summary"]
    print(
        f"{report['period']['label']} {args.shop or '全部店铺'} "
        f"({shown_url(database_url(args.database))}): "
        + (
            "no chats in this week"
            if report["empty"]
            else f"{summary['chats']} chats, pass rate {summary['pass_rate'] * 100:.1f}%, "
            f"mean score {summary['mean_score']}, {summary['red_lines']} red lines"
        )
    )
    if report["empty"]:
        hint = (
            f"the database holds chats from {span[0]} to {span[1]}"
            if span
            else "the database holds no chats (try --demo)"
        )
        print(f"  note: {hint}", file=sys.stderr)
    for path in written:
        print(f"  {path}")
    return 0


def _load_demo(sessions: Any, args: argparse.Namespace) -> None:
    from qc_engine.engine import Engine, default_checklist_dir
    from qc_engine.service.demo import load_demo
    from qc_engine.service.ingest import Sampling

    engine = Engine.from_dir(args.checklists or default_checklist_dir())
    with sessions.begin() as session:
        added = load_demo(session, engine=engine, sampling=Sampling())
    print(
        f"demo data: {added} chats loaded" if added else "demo data: already loaded",
        file=sys.stderr,
    )
