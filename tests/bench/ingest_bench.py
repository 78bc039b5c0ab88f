"""Batch ingest benchmark: how many transcripts per second the service stores and inspects.

    . .venv/bin/activate
    QC_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python tests/bench/ingest_bench.py -n 10000

1. Service layer, in this process: `qc_engine.service.ingest.ingest` in batches of 500
   (one commit per batch) into a fresh SQLite file and into a fresh PostgreSQL database
   (created for the run and dropped after; URL from --postgres or $QC_TEST_POSTGRES_URL,
   skipped without one). Prints transcripts/s, messages/s and the split between scoring
   (Engine.select + inspect_batch) and storing (building rows, SQL, commit).
2. Over HTTP: a real `qc serve --workers 2` on a free loopback port, `POST /v1/transcripts`
   with JSON Lines batches of 500 from 2 client threads, on each database again.

The mix is `qc_engine.chatgen.generate(n, seed)`; one extra batch of other chats warms up
each path first (lazy loads, statement caches) and is not timed. Each run also says how much
CPU other processes used meanwhile: this machine is shared, so compare only quiet runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import queue
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import (
    MachineWatch,
    Server,
    busy_line,
    create_service_key,
    wait_for_quiet,
)

from qc_engine.chatgen import generate
from qc_engine.transcript import Transcript

PG_ENV = "QC_TEST_POSTGRES_URL"
WARMUP_SEED = 99


class TimedEngine:
    """The engine as `ingest` sees it, adding up the seconds spent choosing a checklist
    and scoring (`select`, and `inspect_batch`, which the benchmark puts in place of the
    ingest module's own), so the rest of an ingest is the database's share."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.seconds = 0.0

    def select(self, transcript: Transcript, name: str | None = None) -> Any:
        started = time.perf_counter()
        try:
            return self.engine.select(transcript, name)
        finally:
            self.seconds += time.perf_counter() - started

    def inspect_batch(self, transcripts: Any, checklists: Any) -> Any:
        from qc_engine.engine import inspect_batch

        started = time.perf_counter()
        try:
            return inspect_batch(transcripts, checklists)
        finally:
            self.seconds += time.perf_counter() - started


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of `admin_url`, dropped afterwards."""
    import psycopg

    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"qc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{conninfo.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _database_name(url: str) -> str | None:
    return url.rsplit("/", 1)[1] if url.startswith("postgresql") else None


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _stored_counts(sessions: Any) -> dict[str, int]:
    from sqlalchemy import text

    with sessions() as session:
        return {
            table: int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("transcripts", "messages", "flags", "work_items")
        }


def service_layer(
    url: str,
    mix: list[Transcript],
    warmup: list[Transcript],
    *,
    batch: int,
    wait_quiet: float = 0.0,
) -> dict[str, Any]:
    from qc_engine.api.main import build_state
    from qc_engine.service import ingest as ingest_module
    from qc_engine.service.ingest import ingest
    from qc_engine.settings import Settings

    state = build_state(Settings(database_url=url))
    engine = state.engines.get()
    try:
        with state.sessions() as session:  # warm-up: lazy loads and statement caches
            ingest(session, warmup, engine=engine, sampling=state.sampling, actor="bench")
            session.commit()
        timed = TimedEngine(engine)
        commit_seconds = 0.0
        chunks = _batches(mix, batch)
        gc.collect()
        if wait_quiet > 0:
            print(wait_for_quiet(wait_quiet))
        watch = MachineWatch(database=_database_name(url))
        cpu = time.process_time()
        started = time.perf_counter()
        for chunk in chunks:
            with (
                state.sessions() as session,
                mock.patch.object(ingest_module, "inspect_batch", timed.inspect_batch),
            ):
                ingest(session, chunk, engine=timed, sampling=state.sampling, actor="bench")
                before_commit = time.perf_counter()
                session.commit()
                commit_seconds += time.perf_counter() - before_commit
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        machine = watch.stop()
        counts = _stored_counts(state.sessions)
    finally:
        state.sessions.kw["bind"].dispose()
    messages = sum(len(t.messages) for t in mix)
    return {
        "transcripts": len(mix),
        "messages": messages,
        "batches": len(chunks),
        "wall": wall,
        "cpu": cpu,
        "scoring": timed.seconds,
        "storing": wall - timed.seconds,
        "commit": commit_seconds,
        "stored": counts,
        "machine": machine,
    }


def http_ingest(
    url: str,
    mix: list[Transcript],
    warmup: list[Transcript],
    *,
    batch: int,
    workers: int,
    clients: int,
    workdir: Path,
    wait_quiet: float = 0.0,
) -> dict[str, Any]:
    def jsonl(chunk: list[Transcript]) -> bytes:
        return (
            "\n".join(json.dumps(t.to_dict(), ensure_ascii=False) for t in chunk).encode("utf-8")
            + b"\n"
        )

    bodies = [jsonl(chunk) for chunk in _batches(mix, batch)]
    warm = [jsonl(chunk) for chunk in _batches(warmup, max(1, len(warmup) // (2 * workers)))]
    env = os.environ | {"QC_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    key = create_service_key(env)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    failures: list[str] = []

    def post_all(server: Server, work: list[bytes]) -> float:
        todo: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        for body in work:
            todo.put(body)

        def client() -> None:
            while True:
                try:
                    body = todo.get_nowait()
                except queue.Empty:
                    return
                # A new connection per batch: uvicorn's workers share the listening
                # socket and an idle one accepts it, where a kept-alive connection would
                # stay with whichever worker took it first, busy or not.
                answer = httpx.post(
                    f"{server.base}/v1/transcripts", content=body, headers=headers, timeout=600
                )
                lines = body.count(b"\n")
                if answer.status_code != 200 or answer.json()["counts"]["accepted"] != lines:
                    failures.append(f"{answer.status_code}: {answer.text[:300]}")

        threads = [threading.Thread(target=client) for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    with Server(env, workers=workers, log=workdir / "serve.log") as server:
        post_all(server, warm)
        if wait_quiet > 0:
            print(wait_for_quiet(wait_quiet))
        server_cpu = server.cpu_seconds()
        watch = MachineWatch(server.pid, database=_database_name(url))
        wall = post_all(server, bodies)
        machine = watch.stop()
        server_cpu = server.cpu_seconds() - server_cpu
    if failures:
        raise RuntimeError(f"{len(failures)} batches failed, first: {failures[0]}")
    return {
        "transcripts": len(mix),
        "messages": sum(len(t.messages) for t in mix),
        "batches": len(bodies),
        "bytes": sum(len(b) for b in bodies),
        "wall": wall,
        "server_cpu": server_cpu,
        "workers": workers,
        "clients": clients,
        "machine": machine,
    }


def _rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "-"


def report_service(name: str, r: dict[str, Any]) -> None:
    wall = r["wall"]
    print(
        f"\n[service layer] {name}: {r['transcripts']:,} transcripts, {r['messages']:,} "
        f"messages, {r['batches']} batches of up to {r['transcripts'] // r['batches']:,}"
    )
    print(
        f"  ingest        {_rate(r['transcripts'], wall)} transcripts/s, "
        f"{_rate(r['messages'], wall)} messages/s  ({wall:.2f} s wall, {r['cpu']:.2f} s "
        f"CPU in this process)"
    )
    print(
        f"  scoring       {r['scoring']:.2f} s ({r['scoring'] / wall:.0%}), "
        f"{r['scoring'] / r['transcripts'] * 1e6:,.0f} µs per transcript"
    )
    print(
        f"  storing       {r['storing']:.2f} s ({r['storing'] / wall:.0%}), "
        f"{r['storing'] / r['transcripts'] * 1e6:,.0f} µs per transcript, of which "
        f"commit {r['commit']:.2f} s"
    )
    stored = r["stored"]
    print(
        f"  stored        {stored['transcripts']:,} transcripts, {stored['messages']:,} "
        f"messages, {stored['flags']:,} flags, {stored['work_items']:,} work items "
        f"(warm-up batch included)"
    )
    print(f"  {busy_line(r['machine'])}")


def report_http(name: str, r: dict[str, Any]) -> None:
    wall = r["wall"]
    print(
        f"\n[HTTP] {name}: POST /v1/transcripts, {r['batches']} JSON Lines batches "
        f"({r['bytes'] / 1e6:.1f} MB), {r['clients']} clients, qc serve --workers "
        f"{r['workers']}"
    )
    print(
        f"  ingest        {_rate(r['transcripts'], wall)} transcripts/s, "
        f"{_rate(r['messages'], wall)} messages/s  ({wall:.2f} s wall; server CPU "
        f"{r['server_cpu']:.2f} s = {r['server_cpu'] / wall:.2f} cores)"
    )
    print(f"  {busy_line(r['machine'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--transcripts", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(PG_ENV),
        help=f"an admin URL of a PostgreSQL server (default ${PG_ENV}); a "
        "temporary database is created on it and dropped",
    )
    parser.add_argument(
        "--only",
        choices=("sqlite", "postgresql"),
        action="append",
        help="only this database (repeatable)",
    )
    parser.add_argument("--no-service", action="store_true", help="skip the service layer")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP runs")
    parser.add_argument("--workers", type=int, default=2, help="qc serve --workers")
    parser.add_argument("--clients", type=int, default=2, help="concurrent HTTP clients")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each measured run, wait up to this long for the machine "
        "to be idle (it is shared with other jobs)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    databases = args.only or ["sqlite", "postgresql"]
    if "postgresql" in databases and not args.postgres:
        print(f"PostgreSQL skipped: set ${PG_ENV} or --postgres", file=sys.stderr)
        databases = [d for d in databases if d != "postgresql"]

    started = time.perf_counter()
    mix = generate(args.transcripts, args.seed)
    warmup = generate(args.batch, WARMUP_SEED)
    gc.collect()
    gc.freeze()  # the mix is input, not the service's garbage: keep it out of every GC pass
    messages = sum(len(t.messages) for t in mix)
    print(
        f"mix: {len(mix):,} transcripts, {messages:,} messages ({messages / len(mix):.1f} "
        f"each), seed {args.seed}, generated in {time.perf_counter() - started:.1f} s; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )

    figures: dict[str, Any] = {
        "transcripts": len(mix),
        "messages": messages,
        "seed": args.seed,
        "batch": args.batch,
    }
    with tempfile.TemporaryDirectory(prefix="qc-ingest-bench-") as tmp:
        workdir = Path(tmp)

        @contextmanager
        def database(kind: str, label: str) -> Iterator[str]:
            if kind == "sqlite":
                yield f"sqlite:///{workdir / f'{label}.sqlite3'}"
            else:
                with postgres_database(args.postgres) as url:
                    yield url

        for kind in databases:
            if not args.no_service:
                with database(kind, "service") as url:
                    result = service_layer(
                        url, mix, warmup, batch=args.batch, wait_quiet=args.wait_quiet
                    )
                figures[f"service_{kind}"] = result
                report_service(kind, result)
            if not args.no_http:
                with database(kind, "http") as url:
                    result = http_ingest(
                        url,
                        mix,
                        warmup,
                        batch=args.batch,
                        workers=args.workers,
                        clients=args.clients,
                        workdir=workdir,
                        wait_quiet=args.wait_quiet,
                    )
                figures[f"http_{kind}"] = result
                report_http(kind, result)

    print("\ntarget: batch ingest at least 1,000 transcripts/s into SQLite and PostgreSQL")
    for name, result in figures.items():
        if isinstance(result, dict) and "wall" in result:
            rate = result["transcripts"] / result["wall"]
            print(
                f"  {name:<20} {rate:>8,.0f} transcripts/s  {'MET' if rate >= 1000 else 'NOT MET'}"
            )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
