"""Shared by the service benchmarks: a real `qc serve` on a free loopback port, a service
key, the CPU time of a process tree, and the machine's idle time (to tell a busy machine).

Not a test module (pytest collects only test_*.py): the benchmarks are scripts that print
figures.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx

REPO = Path(__file__).resolve().parents[2]
QC = Path(sys.executable).with_name("qc")
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def create_service_key(env: dict[str, str], name: str = "bench") -> str:
    """`qc keys create --role service` on the database of `env` (it upgrades an empty one)."""
    done = subprocess.run(
        [str(QC), "keys", "create", "--role", "service", "--name", name],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"qc keys create failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


class Server:
    """`qc serve --workers N --no-access-log` in its own process group; `stop()` ends the
    whole group (SIGINT, then SIGKILL) and is safe to call more than once."""

    def __init__(
        self, env: dict[str, str], *, workers: int, log: Path, start_timeout: float = 120.0
    ) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = log
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(QC),
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                    "--no-access-log",
                ],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qc serve exited:\n{self.log.read_text()}")
            if self._answers_on_every_worker():
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"qc serve did not answer in {self.start_timeout:.0f} s:\n{self.log.read_text()}"
        )

    def _answers_on_every_worker(self) -> bool:
        # uvicorn logs one "Application startup complete." per worker once its lifespan
        # (database upgrade, checklists, engine) is done.
        if (
            self.log.read_text(errors="replace").count("Application startup complete")
            < self.workers
        ):
            return False
        try:
            return httpx.get(f"{self.base}/healthz", timeout=30).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU of every process in the server's session (supervisor and
        workers) so far."""
        return tree_cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.pid, signal.SIGINT)
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(20)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return raw[raw.rindex(")") + 2 :].split()


def _session_pids(session: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[3]) == session:  # field 6: session id
                pids.append(int(entry))
    return pids


def tree_cpu_seconds(session: int) -> float:
    ticks = 0
    for pid in _session_pids(session):
        fields = _stat(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def machine_busy_seconds() -> tuple[float, float]:
    """(busy CPU seconds, total CPU seconds) of the whole machine since boot, all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def _processes_naming(word: str) -> dict[int, float]:
    """CPU seconds so far of every process whose command line contains `word` (PostgreSQL
    titles each backend with its database name)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if word.encode() in command:
            fields = _stat(int(entry))
            if fields is not None:
                found[int(entry)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


class MachineWatch:
    """Over a measured interval: CPU used by the whole machine and by what we ran (this
    process, the process trees of `ours`, and the PostgreSQL backends of database
    `database`), so the report can say how much other jobs took."""

    def __init__(self, *ours: int, database: str | None = None) -> None:
        self.ours = ours
        self.database = database
        self.start()

    def _backends(self) -> dict[int, float]:
        return _processes_naming(f" {self.database} ") if self.database else {}

    def start(self) -> None:
        self.wall = time.perf_counter()
        self.busy, self.total = machine_busy_seconds()
        self.own = sum(tree_cpu_seconds(pid) for pid in self.ours)
        self.backends = self._backends()
        self.self_cpu = time.process_time()

    def stop(self, *, extra_own: float = 0.0) -> dict[str, float]:
        busy, _ = machine_busy_seconds()
        own = sum(tree_cpu_seconds(pid) for pid in self.ours) - self.own
        own += time.process_time() - self.self_cpu + extra_own
        database = sum(cpu - self.backends.get(pid, 0.0) for pid, cpu in self._backends().items())
        own += database
        wall = time.perf_counter() - self.wall
        cores = os.cpu_count() or 1
        machine = busy - self.busy
        others = max(0.0, machine - own)
        return {
            "wall": wall,
            "machine_cpu": machine,
            "own_cpu": own,
            "others_cpu": others,
            "database_cpu": database,
            "others_cores": others / wall if wall else 0.0,
            "cores": cores,
            "load1": os.getloadavg()[0],
        }


def busy_line(watch: dict[str, float]) -> str:
    """One line saying whether other jobs used the machine during a measurement."""
    share = watch["others_cores"] / watch["cores"]
    state = "BUSY" if share > 0.10 else "quiet"
    ours = f"{watch['own_cpu'] / watch['wall']:.2f} cores"
    if watch.get("database_cpu"):
        ours += f" (PostgreSQL backends {watch['database_cpu'] / watch['wall']:.2f})"
    return (
        f"machine: {state}: other processes used {watch['others_cores']:.2f} of "
        f"{watch['cores']} cores ({share:.0%}) during the run; ours {ours}; load "
        f"average {watch['load1']:.2f}"
    )


def wait_for_quiet(max_seconds: float, *, share: float = 0.10, window: float = 2.0) -> str:
    """Wait (up to `max_seconds`) until the whole machine used at most `share` of its
    cores over `window` seconds, so a measurement starts while other jobs are idle. Call it
    while our own processes are idle. Returns a line saying what happened."""
    cores = os.cpu_count() or 1
    waited = 0.0
    used = 0.0
    while True:
        busy, _ = machine_busy_seconds()
        time.sleep(window)
        used = (machine_busy_seconds()[0] - busy) / window / cores
        if used <= share:
            return f"machine quiet ({used:.0%} busy) after waiting {waited:.0f} s"
        waited += window
        if waited >= max_seconds:
            return f"machine still {used:.0%} busy after waiting {waited:.0f} s: measuring anyway"
