"""The gateway under test as a real server process, and what the benchmark reads about it.

:class:`ServerProcess` starts ``tavle serve`` (``python -m gateway.cli serve``) on a fresh
database (an embedded SQLite file in a temporary data folder, or a new PostgreSQL database) with a
production-like configuration: only development login stays on, so the benchmark can sign its
clients' tokens with the same ``TAVLE_DEV_SECRET``. Its output goes to a log file that the report
scans for server errors. :func:`process_tree` and :func:`sample` read the resident memory and CPU
time of the server and its worker processes from ``/proc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

#: settings the benchmark's server gets; every other TAVLE_*, DATABASE_URL and OTEL_* variable
#: of the calling environment is dropped, so a developer's shell does not change the result
BASE_ENVIRONMENT = {
    "TAVLE_DEV_AUTH": "true",
    "TAVLE_GRAPHIQL": "false",
    "TAVLE_JOBS_ENABLED": "true",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after its last ")"
        fields = stat[stat.rindex(")") + 2 :].split()
        found.setdefault(int(fields[1]), []).append(int(entry))
    return found


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants that are still running."""
    children = _children()
    tree, queue = [], [root]
    while queue:
        pid = queue.pop()
        tree.append(pid)
        queue.extend(children.get(pid, []))
    return tree


@dataclass(frozen=True)
class ProcessSample:
    pid: int
    name: str
    rss: int
    cpu_seconds: float


def read_process(pid: int) -> ProcessSample | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        statm = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return None
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[11], fields[12]: utime, stime (fields 14 and 15 of proc(5), counted from 1)
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return ProcessSample(pid, name, int(statm[1]) * PAGE_SIZE, cpu)


@dataclass(frozen=True)
class Sample:
    """The server's processes at one moment (``at``: seconds since the run's start)."""

    at: float
    processes: tuple[ProcessSample, ...]

    @property
    def rss(self) -> int:
        return sum(p.rss for p in self.processes)

    @property
    def cpu_seconds(self) -> float:
        return sum(p.cpu_seconds for p in self.processes)


def sample(root: int, at: float) -> Sample:
    found = (read_process(pid) for pid in process_tree(root))
    return Sample(at, tuple(p for p in found if p is not None))


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    values = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


async def _admin(server: str, statement: str) -> None:
    import asyncpg

    dsn = server.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(f"{dsn}/postgres", timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_database(server: str) -> str:
    """A new, empty PostgreSQL database on ``server``; its SQLAlchemy URL."""
    name = f"tavle_load_{secrets.token_hex(5)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    return f"{server}/{name}"


def drop_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class ServerProcess:
    """``tavle serve`` in a child process on a loopback port."""

    def __init__(
        self,
        data_dir: Path,
        dev_secret: str | None,
        database_url: str | None,
        workers: int,
        extra_env: dict[str, str],
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self.database_url = database_url
        self.workers = workers
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TAVLE_", "OTEL_")) and key != "DATABASE_URL"
        }
        env.update(BASE_ENVIRONMENT)
        env["TAVLE_DATA_DIR"] = str(data_dir)
        if dev_secret is not None:
            env["TAVLE_DEV_SECRET"] = dev_secret
        env.update(extra_env)
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "gateway.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        if self.database_url is not None:
            command += ["--database-url", self.database_url, "--demo"]
        if self.workers != 1:
            command += ["--workers", str(self.workers)]
        return command

    def start(self, timeout: float = 180.0) -> None:
        """Start the server and wait until ``/readyz`` answers 200 (the demo school is loaded
        before uvicorn starts)."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the server exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the server was not ready within {timeout:.0f} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL to whatever of the server's own tree is left after ``grace``."""
        if self.process is None:
            return None
        tree = process_tree(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                for pid in tree:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_problems(self, limit: int = 8) -> tuple[int, list[str]]:
        """Lines of the server log that report errors: tracebacks, ERROR and CRITICAL records
        (text or JSON lines), and requests answered with a 5xx status."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0, []
        found = [line for line in text.splitlines() if _is_problem(line)]
        return len(found), [line[:300] for line in found[:limit]]

    def request_log(self) -> RequestLog:
        """What the server's own log says about the run (JSON log lines only)."""
        found = RequestLog()
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return found
        for line in lines:
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            level = str(record.get("level", ""))
            if level in ("WARNING", "ERROR", "CRITICAL"):
                message = f"{level} {record.get('logger')}: {record.get('message')}"
                found.warnings[message[:160]] += 1
            if record.get("logger") == "tavle.request" and record.get("path") == "/graphql":
                found.outcomes[f"{record.get('status')} {record.get('outcome')}"] += 1
                duration = record.get("duration_ms")
                if isinstance(duration, int | float):
                    found.durations_ms.append(float(duration))
        return found


@dataclass
class RequestLog:
    """The server's request lines for POST /graphql (status and outcome, time spent inside the
    gateway) and its warnings and errors, by message."""

    outcomes: Counter[str] = field(default_factory=Counter)
    durations_ms: list[float] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)


_TEXT_PROBLEM = re.compile(r"Traceback|^(ERROR|CRITICAL)\b|\s(ERROR|CRITICAL)\s")


def _is_problem(line: str) -> bool:
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            return bool(_TEXT_PROBLEM.search(line))
        if not isinstance(record, dict):
            return False
        level = str(record.get("level", "")).upper()
        status = record.get("status")
        return level in ("ERROR", "CRITICAL") or (isinstance(status, int) and status >= 500)
    return bool(_TEXT_PROBLEM.search(line))
