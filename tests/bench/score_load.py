"""Load test of `POST /v1/score` with wrk against a real `qc serve`.

    . .venv/bin/activate
    python tests/bench/score_load.py              # 32 connections, 10 s warm-up, 30 s run

Starts `qc serve --workers 2 --no-access-log` on a free 127.0.0.1 port with a temporary
SQLite file, creates a service key (`qc keys create --role service --name bench`), and
drives it with wrk (installed with apt-get if missing): a Lua script POSTs realistic
~20-message transcripts from `qc_engine.chatgen.generate`, rotating several bodies. Prints
requests/s, wrk's latency percentiles (client side, loopback included) and the server time:
the p50/p90/p99 estimated from the Prometheus histogram `qc_http_request_seconds` of route
/v1/score (the difference of /metrics before and after the run, summed over the workers),
which the outermost middleware observes from the first byte of the request to the last of
the answer. The server is stopped at the end whatever happens.

wrk runs on the same machine (2 threads), so it takes CPU from the server; the report says
how much, and how much other processes took.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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

ROUTE = "/v1/score"
_BUCKET = re.compile(r"^qc_http_request_seconds_bucket\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    install = [*sudo, "apt-get", "install", "-y", "-q", "wrk"]
    print("wrk not found: installing it with apt-get", file=sys.stderr)
    if subprocess.run(install, check=False).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-q"], check=True)
        subprocess.run(install, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is still missing after apt-get install wrk")
    return found


def bodies(count: int, seed: int) -> list[bytes]:
    """`count` transcripts of 18-22 messages from the benchmark mix, one pre-sale or
    after-sale scenario after another as they come."""
    chosen = [t for t in generate(40 * count, seed) if 18 <= len(t.messages) <= 22][:count]
    return [json.dumps(t.to_dict(), ensure_ascii=False).encode("utf-8") for t in chosen]


def lua_script(payloads: list[bytes], key: str) -> str:
    def long_string(body: str) -> str:
        level = 1
        while f"]{'=' * level}]" in body:
            level += 1
        return f"[{'=' * level}[{body}]{'=' * level}]"

    listed = ",\n".join(long_string(p.decode("utf-8")) for p in payloads)
    return f"""-- POST {ROUTE} with rotating transcript bodies (written by score_load.py)
local bodies = {{
{listed}
}}
local requests = {{}}
local next_one = 0

init = function(args)
  local headers = {{["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer {key}"}}
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format("POST", "{ROUTE}", headers, body)
  end
  next_one = math.random(#requests) - 1
end

request = function()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
"""


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    out: dict[str, Any] = {"percentiles": {}}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            out["rps"] = float(parts[1])
        elif len(parts) == 2 and parts[0].endswith("%") and parts[0][:-1].isdigit():
            out["percentiles"][int(parts[0][:-1])] = _seconds(parts[1])
        elif "requests in" in line:
            out["requests"] = int(parts[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            out["non_2xx"] = int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            out["socket_errors"] = line.strip()
        elif line.strip().startswith("Latency") and len(parts) >= 4:
            out["mean"], out["stdev"], out["max"] = (
                _seconds(parts[1]),
                _seconds(parts[2]),
                _seconds(parts[3]),
            )
    return out


def histogram(base: str, route: str, key: str) -> dict[float, float]:
    """Cumulative bucket counts of `qc_http_request_seconds` for one route, from /metrics."""
    answer = httpx.get(f"{base}/metrics", timeout=30, headers={"Authorization": f"Bearer {key}"})
    if answer.status_code != 200:
        raise RuntimeError(f"/metrics answered {answer.status_code}: {answer.text[:300]}")
    text = answer.text
    counts: dict[float, float] = {}
    for line in text.splitlines():
        match = _BUCKET.match(line)
        if not match:
            continue
        labels = dict(_LABEL.findall(match.group("labels")))
        if labels.get("route") != route:
            continue
        bound = float(labels["le"])
        counts[bound] = counts.get(bound, 0.0) + float(match.group("value"))
    return counts


def quantile(q: float, cumulative: dict[float, float]) -> float | None:
    """Prometheus' histogram_quantile: linear interpolation inside the bucket."""
    bounds = sorted(cumulative)
    total = cumulative.get(float("inf"), 0.0)
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if bound == float("inf"):
                return lower  # beyond the last finite bucket: its bound is all we know
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return None


def share_within(limit: float, cumulative: dict[float, float]) -> float | None:
    total = cumulative.get(float("inf"), 0.0)
    if limit not in cumulative or total <= 0:
        return None
    return cumulative[limit] / total


def run_wrk(
    wrk: str,
    base: str,
    script: Path,
    *,
    threads: int,
    connections: int,
    duration: str,
    latency: bool,
) -> tuple[str, float]:
    """Run wrk; returns its output and the CPU seconds it used."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    if latency:
        command.append("--latency")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([*command, f"{base}{ROUTE}"], capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, cpu


def ms(value: float | None) -> str:
    return f"{value * 1000:.2f} ms" if value is not None else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", default="30s")
    parser.add_argument("--warmup", default="10s")
    parser.add_argument("--bodies", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before the measured run, wait up to this long for the machine "
        "to be idle (it is shared with other jobs)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    # SIGTERM and SIGHUP end the run through the `finally` below, like Ctrl-C does.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(130))

    payloads = bodies(args.bodies, args.seed)
    with tempfile.TemporaryDirectory(prefix="qc-score-load-") as tmp:
        workdir = Path(tmp)
        metrics_dir = workdir / "metrics"
        metrics_dir.mkdir()
        env = os.environ | {
            "QC_DATABASE_URL": f"sqlite:///{workdir / 'score.sqlite3'}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "PYTHONUNBUFFERED": "1",
        }
        key = create_service_key(env)
        script = workdir / "score.lua"
        script.write_text(lua_script(payloads, key), encoding="utf-8")
        server = Server(env, workers=args.workers, log=workdir / "serve.log")
        try:
            server.start()
            with httpx.Client(
                base_url=server.base,
                timeout=30,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            ) as http:
                for body in payloads:
                    answer = http.post(ROUTE, content=body)
                    if answer.status_code != 200:
                        raise RuntimeError(
                            f"{ROUTE} answered {answer.status_code}: {answer.text[:500]}"
                        )
            print(
                f"qc serve --workers {args.workers} on {server.base}; {len(payloads)} "
                f"bodies of {min(map(len, payloads)):,}-{max(map(len, payloads)):,} bytes; "
                f"wrk -t{args.threads} -c{args.connections}; warm-up {args.warmup}"
            )
            run_wrk(
                wrk,
                server.base,
                script,
                threads=args.threads,
                connections=args.connections,
                duration=args.warmup,
                latency=False,
            )
            if args.wait_quiet > 0:
                print(wait_for_quiet(args.wait_quiet))
            before = histogram(server.base, ROUTE, key)
            server_cpu = server.cpu_seconds()
            watch = MachineWatch(server.pid)
            output, wrk_cpu = run_wrk(
                wrk,
                server.base,
                script,
                threads=args.threads,
                connections=args.connections,
                duration=args.duration,
                latency=True,
            )
            machine = watch.stop(extra_own=wrk_cpu)
            server_cpu = server.cpu_seconds() - server_cpu
            after = histogram(server.base, ROUTE, key)
        finally:
            server.stop()
        log = (workdir / "serve.log").read_text(errors="replace")

    print(output.rstrip())
    figures = parse_wrk(output)
    window = {bound: after.get(bound, 0.0) - before.get(bound, 0.0) for bound in after}
    served = window.get(float("inf"), 0.0)
    server_q = {q: quantile(q / 100, window) for q in (50, 90, 99)}
    figures.update(
        server_quantiles=server_q,
        server_requests=served,
        within_5ms=share_within(0.005, window),
        within_20ms=share_within(0.02, window),
        buckets=window,
        server_cpu=server_cpu,
        wrk_cpu=wrk_cpu,
        machine=machine,
    )
    wall = machine["wall"]
    client = figures["percentiles"]
    print(
        f"\nthroughput      {figures.get('rps', 0):,.0f} requests/s "
        f"({figures.get('requests', 0):,} requests, non-2xx: {figures.get('non_2xx', 0)}"
        f"{'; ' + figures['socket_errors'] if 'socket_errors' in figures else ''})"
    )
    print(
        f"client latency  p50 {ms(client.get(50))}  p90 {ms(client.get(90))}  "
        f"p99 {ms(client.get(99))}  (wrk, includes queueing for a worker)"
    )
    print(
        f"server time     p50 {ms(server_q[50])}  p90 {ms(server_q[90])}  "
        f"p99 {ms(server_q[99])}  (histogram estimate over {served:,.0f} requests; "
        f"{(figures['within_5ms'] or 0):.1%} within 5 ms, "
        f"{(figures['within_20ms'] or 0):.1%} within 20 ms)"
    )
    print(
        f"CPU             server {server_cpu / wall:.2f} cores, wrk {wrk_cpu / wall:.2f} "
        f"cores, {server_cpu / max(served, 1) * 1e6:,.0f} µs of server CPU per request"
    )
    print(busy_line(machine))
    errors = [line for line in log.splitlines() if "Traceback" in line or "ERROR" in line]
    if errors:
        print(f"server log: {len(errors)} error lines, first: {errors[0]}")

    p50, p99 = server_q[50], server_q[99]
    print("\ntargets (server time, 32 connections, 2 workers)")
    print(
        f"  p50 under 5 ms      {ms(p50):>10}  "
        f"{'MET' if p50 is not None and p50 < 0.005 else 'NOT MET'}"
    )
    print(
        f"  p99 under 20 ms     {ms(p99):>10}  "
        f"{'MET' if p99 is not None and p99 < 0.02 else 'NOT MET'}"
    )
    rps = figures.get("rps", 0.0)
    print(f"  1,000 requests/s    {rps:>10,.0f}  {'MET' if rps >= 1000 else 'NOT MET'}")
    if figures.get("non_2xx"):
        print(f"  WARNING: {figures['non_2xx']} answers were not 2xx")
    if args.json:
        figures["buckets"] = {str(k): v for k, v in window.items()}
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
