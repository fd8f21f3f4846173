"""Load benchmark: the gateway as a real server under 50 concurrent clients of all six roles.

Usage (``./tavle bench-load`` runs this file with the virtualenv's Python)::

    ./tavle bench-load                                   # SQLite, 50 clients, 300 s
    ./tavle bench-load --backend postgresql              # PostgreSQL, 2 server workers
    ./tavle bench-load --duration 30 --clients 20        # a short shake-out run
    ./tavle bench-load --attack                          # plus one attacker
    ./tavle bench-load --compare                         # a quiet run, then an attack run

The server
    ``tavle serve`` in its own process (``load_server.py``) on a fresh database with the demo
    school: an embedded SQLite file in a temporary data folder (one process), or a new database
    on the PostgreSQL server of ``--postgres-server`` (``--workers``, default 2). The
    configuration is production's apart from development login, which the benchmark needs to
    sign its clients' tokens (it gives the server its own ``TAVLE_DEV_SECRET``); GraphiQL is off,
    the job worker on, and no ``TAVLE_*`` variable of the calling shell reaches the server
    (``--server-env KEY=VALUE`` sets one). The server's log is scanned for errors afterwards.

The clients (``load_workload.py``, ``load_clients.py``)
    ``--clients`` demo people (50: 1 system administrator, 1 superuser, 2 school leaders,
    7 teachers, 10 guardians, 29 students), each with its own connection over real HTTP (httpx),
    from its own loopback address (127.0.1.x) unless ``--same-address``. Each loads its role's
    screens and writes (comments, posts, messages, answers, assessments, exports) in a closed
    loop with ``--think`` seconds of mean think time (default 0: the next request as soon as the
    answer is in); the clients start spread over ``--ramp-up`` seconds. Every client's choices
    come from its own generator seeded from ``--seed``, so runs repeat; only a choice that depends
    on what other clients wrote meanwhile (the recent post a comment goes to) follows the timing.
    Before the run, each teacher gets one fresh assignment per course, which the students answer
    again and again (never assessed, so never a CONFLICT).

What is an error
    A response other than HTTP 200, a body that is not a GraphQL response, a transport error or
    timeout (``--timeout``), or any GraphQL error (none of the documents asks for a field its role
    may not read, so no FORBIDDEN is expected either). Errors are counted over the whole run.

What is reported
    Throughput and latency (p50/p95/p99/max) overall and per operation, after ``--warmup``
    seconds; errors by operation; the server's resident memory (all its processes, from /proc)
    every ``--sample-every`` seconds and whether it stays flat after the warm-up (the median of
    the last minute against the median of the first minute after warm-up, within
    ``--memory-tolerance``); the server's CPU milliseconds per request (the median, over the
    sampling intervals after warm-up, of the CPU time the server's processes used in the
    interval divided by the requests completed in it; and the mean over the whole window; the
    probes' requests are not counted, PostgreSQL's own CPU is not included) and the throughput
    per server process; the server's and the load generator's CPU share, and how late the load
    generator's event loop ran (if it is busy, latencies are inflated: add
    ``--client-processes``). A probe sends ``/healthz`` and ``{ __typename }`` every second.
    The server's own request log gives the time spent inside the gateway, its outcomes, and
    its warnings (refusals). Required: zero errors, flat memory, p99 <= 10 x p50, no error in the
    server's log; the script prints PASS/FAIL for each and exits 1 when one fails (and then keeps
    the server's log and database for inspection).

Attack mode
    ``--attack`` adds one more client, a pupil (its own person and address) that sends the
    documents of ``attack_documents.py`` in a loop: exponential fragments, thousands of aliases,
    deep nesting, huge bodies, token floods, many mutations, batches, malformed bodies, floods.
    The report lists what each attack got back. ``--compare`` runs a quiet run and an attack run
    on fresh servers one after the other and requires the normal clients' p99 under attack to
    stay within 2 x the quiet p99 (and the probes to answer within a second).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from load_clients import (
    AttackerSpec,
    AttackRecord,
    SampleRow,
    WorkerChannels,
    WorkerResult,
    WorkerSpec,
    worker_main,
)
from load_server import (
    RequestLog,
    ServerProcess,
    create_database,
    drop_database,
    machine_busy,
    sample,
)
from load_server import Sample as MemorySample
from load_workload import (
    CREATE_ASSIGNMENT,
    ROLES,
    TEACHER_COURSES,
    WRITE_OPERATIONS,
    ClientSpec,
    demo_people,
    plan_clients,
)
from pydantic import SecretStr

from config.settings import Settings
from gateway.auth import Authenticator
from store.tables import Role

REPO = Path(__file__).resolve().parent.parent
DEV_SECRET = "tavle-load-benchmark-development-secret-0123456789"
MIB = 1024 * 1024


# --- configuration ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench-load", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-server",
        default=os.environ.get(
            "TAVLE_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
        help="PostgreSQL server (without a database) to create the benchmark's database on",
    )
    parser.add_argument(
        "--workers", type=int, help="server processes (default: 1 on SQLite, 2 on PostgreSQL)"
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument(
        "--warmup",
        type=float,
        help="seconds at the start left out of latency and throughput (default: a fifth of the "
        "duration, at most 60)",
    )
    parser.add_argument(
        "--ramp-up",
        type=float,
        help="seconds over which the clients start, evenly spread (default: half the warm-up, "
        "at most 10)",
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean think time between requests, s (default 0)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices")
    parser.add_argument(
        "--client-processes", type=int, default=1, help="load-generator processes (default 1)"
    )
    parser.add_argument(
        "--same-address",
        action="store_true",
        help="all normal clients from 127.0.0.1 (default: one loopback address per client)",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, s")
    parser.add_argument("--sample-every", type=float, default=5.0, help="memory sampling, s")
    parser.add_argument(
        "--memory-tolerance",
        type=float,
        default=0.10,
        help="largest growth of the resident memory after warm-up, a fraction (default 0.10)",
    )
    parser.add_argument(
        "--max-server-memory",
        type=float,
        default=6.0,
        help="stop the run when the server's resident memory passes this many GiB (default 6)",
    )
    parser.add_argument("--attack", action="store_true", help="add the attacker")
    parser.add_argument(
        "--compare", action="store_true", help="a quiet run, then an attack run; compare p99"
    )
    parser.add_argument(
        "--attacks", help="comma-separated attack names (default: all of attack_documents.py)"
    )
    parser.add_argument(
        "--attack-levels",
        type=int,
        default=8,
        help="levels of the exponential document (default 8)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra environment variable for the server (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder, log and PostgreSQL database"
    )
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.backend == "postgresql" else 1
    if args.warmup is None:
        args.warmup = min(60.0, args.duration / 5)
    if args.ramp_up is None:
        args.ramp_up = min(10.0, args.warmup / 2)
    if args.ramp_up > args.warmup:
        parser.error("--ramp-up must not be longer than --warmup")
    if args.warmup >= args.duration:
        parser.error("--warmup must be shorter than --duration")
    if args.backend == "sqlite" and args.workers != 1:
        parser.error("SQLite runs one server process; --workers is for PostgreSQL")
    for item in args.server_env:
        if "=" not in item:
            parser.error(f"--server-env needs KEY=VALUE, not {item!r}")
    return args


def git_commit() -> str:
    def git(*command: str) -> str:
        return subprocess.run(
            ["git", *command], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git("status", "--porcelain") else "")


def addresses(count: int, same: bool) -> list[str | None]:
    """Loopback source addresses for the normal clients: 127.0.1.1, 127.0.1.2, ..."""
    if same:
        return [None]
    return [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(count)]


# --- statistics ---------------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, int(-(-q * len(ordered) // 1)))  # ceil(q * n)
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Latency:
    count: int
    p50: float
    p95: float
    p99: float
    maximum: float

    @classmethod
    def of(cls, durations: list[float]) -> Latency:
        ordered = sorted(durations)
        return cls(
            len(ordered),
            percentile(ordered, 0.50),
            percentile(ordered, 0.95),
            percentile(ordered, 0.99),
            ordered[-1] if ordered else float("nan"),
        )


@dataclass
class RunResult:
    """Everything one run measured."""

    label: str
    config: dict[str, Any]
    measured_seconds: float
    requests: int
    throughput: float
    overall: Latency
    by_operation: dict[str, Latency]
    by_role: dict[str, float]
    errors: Counter[tuple[str, str]]
    error_first_seen: dict[tuple[str, str], float]
    error_count: int
    memory: list[MemorySample]
    memory_baseline: float
    memory_final: float
    memory_slope_mib_per_min: float
    server_cpu_percent: float
    #: the server's CPU ms per request: median over the sampling intervals after warm-up, and
    #: the mean over the whole window (see ``cpu_per_request``)
    cpu_ms_per_request: float
    cpu_ms_per_request_mean: float
    #: requests/s divided by the server processes
    throughput_per_process: float
    machine_busy_percent: float
    generator: list[tuple[int, float, tuple[float, float, float]]]
    probes: dict[str, Latency]
    attacks: dict[str, AttackRecord]
    log_problem_count: int
    log_problems: list[str]
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    server_log: RequestLog = field(default_factory=RequestLog)

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


# --- one run ----------------------------------------------------------------------------------


def mint_tokens(data_dir: Path) -> Authenticator:
    settings = Settings(
        data_dir=data_dir,
        dev_auth=True,
        dev_secret=SecretStr(DEV_SECRET),
        jwks_url=None,
        jwks_file=None,
    )
    return Authenticator.from_settings(settings)


def create_bench_assignments(
    base_url: str, tokens: Authenticator, teachers: list[str]
) -> dict[str, str]:
    """One fresh assignment per course and teacher (course global id -> assignment global id),
    made through the API as the course's teachers before the run."""
    made: dict[str, str] = {}
    due = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    with httpx.Client(base_url=base_url, timeout=60) as http:

        def gql(username: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
            token = tokens.mint_development_token(username)
            response = http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            body: dict[str, Any] = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise RuntimeError(f"setup as {username} failed: {response.status_code} {body}")
            data: dict[str, Any] = body["data"]
            return data

        for teacher in teachers:
            viewer = gql(teacher, TEACHER_COURSES, {})["viewer"]
            for edge in viewer["courses"]["edges"]:
                course = edge["node"]
                if course["id"] in made or viewer["id"] not in {
                    t["id"] for t in course["teachers"]
                }:
                    continue
                answer = {
                    "courseId": course["id"],
                    "title": "Ukeoppgave (lasttest)",
                    "instructions": "Skriv et kort svar. Du kan levere på nytt til fristen.",
                    "dueAt": due,
                }
                made[course["id"]] = gql(teacher, CREATE_ASSIGNMENT, {"input": answer})[
                    "createAssignment"
                ]["id"]
    return made


async def _watch(
    server: ServerProcess,
    started_at: float,
    until: float,
    every: float,
    max_rss: float,
    abort: Any,
    memory: list[MemorySample],
    probes: dict[str, list[float]],
) -> tuple[float, float]:
    """Sample the server's memory and CPU, and probe it every second, until ``until``.

    Returns the machine's busy share and the server's CPU share (of one core) over the run."""
    busy_before, total_before = machine_busy()
    first = sample(server.pid, 0.0)
    memory.append(first)
    next_sample = started_at + every
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.3")
    async with httpx.AsyncClient(base_url=server.url, transport=transport, timeout=30) as http:
        while time.time() < until:
            for name, call in (
                ("GET /healthz", http.get("/healthz")),
                ("{ __typename }", http.post("/graphql", json={"query": "{ __typename }"})),
            ):
                start = time.perf_counter()
                with contextlib.suppress(httpx.HTTPError):
                    await call
                probes[name].append(time.perf_counter() - start)
            now = time.time()
            if now >= next_sample:
                current = sample(server.pid, now - started_at)
                memory.append(current)
                next_sample += every
                if current.rss > max_rss:
                    abort.set()
                    print(
                        f"!! the server's memory passed {max_rss / 2**30:.1f} GiB: run stopped",
                        file=sys.stderr,
                    )
                    break
            await asyncio.sleep(max(0.0, min(1.0, until - time.time())))
    last = sample(server.pid, time.time() - started_at)
    memory.append(last)
    busy_after, total_after = machine_busy()
    busy = (busy_after - busy_before) / max(1.0, total_after - total_before)
    elapsed = max(1e-9, last.at - first.at)
    return busy * 100, (last.cpu_seconds - first.cpu_seconds) / elapsed * 100


def run_once(args: argparse.Namespace, label: str, attack: bool) -> RunResult:
    people = demo_people()
    workdir = Path(tempfile.mkdtemp(prefix="tavle-load-"))
    database_url = create_database(args.postgres_server) if args.backend == "postgresql" else None
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    server = ServerProcess(workdir, DEV_SECRET, database_url, args.workers, extra_env)
    tokens = mint_tokens(workdir)
    # the attacker is a pupil none of the normal clients plays (the last one in the roster)
    attacker_name = people[Role.STUDENT][-1]
    reserved = frozenset({attacker_name}) if attack else frozenset()
    plan = plan_clients(
        args.clients,
        args.seed,
        tokens.mint_development_token,
        addresses(args.clients, args.same_address),
        people,
        reserved,
    )
    config = {
        "label": label,
        "backend": args.backend,
        "server processes": args.workers,
        "clients": args.clients,
        "roles": dict(Counter(c.role for c in plan)),
        "distinct people": len({c.username for c in plan}),
        "duration s": args.duration,
        "warm-up s": args.warmup,
        "ramp-up s": args.ramp_up,
        "think time s": args.think,
        "sample every s": args.sample_every,
        "seed": args.seed,
        "client processes": args.client_processes,
        "source addresses": "127.0.0.1" if args.same_address else f"{args.clients} (127.0.1.x)",
        "attacker": f"{attacker_name} from 127.0.0.2" if attack else "none",
        "commit": git_commit(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "server command": " ".join(server.command()[1:]),
        "server env": sorted(extra_env),
    }
    print_config(config)
    result: RunResult | None = None
    try:
        print(f"[{label}] starting the server (demo school on a fresh database) ...", flush=True)
        server.start()
        assignments = create_bench_assignments(server.url, tokens, people[Role.TEACHER])
        print(
            f"[{label}] server ready on {server.url}; {len(assignments)} benchmark assignments; "
            f"starting {len(plan)} clients",
            flush=True,
        )
        result = drive(
            args, label, attack, server, tokens, plan, assignments, attacker_name, config
        )
        return result
    finally:
        code = server.stop()
        if code not in (0, None):
            print(f"[{label}] the server exited with {code}", file=sys.stderr)
        if args.keep or result is None or not result.passed:
            print(
                f"[{label}] kept {server.log_path} and "
                f"{database_url or workdir / 'tavle.sqlite3'} for inspection"
            )
        else:
            if database_url is not None:
                drop_database(database_url)
            shutil.rmtree(workdir, ignore_errors=True)


def drive(
    args: argparse.Namespace,
    label: str,
    attack: bool,
    server: ServerProcess,
    tokens: Authenticator,
    plan: list[ClientSpec],
    assignments: dict[str, str],
    attacker_name: str,
    config: dict[str, Any],
) -> RunResult:
    context = multiprocessing.get_context("spawn")
    ready: Any = context.Queue()
    results: Any = context.Queue()
    go = context.Event()
    abort = context.Event()
    start_at: Any = context.Value("d", 0.0)
    channels = WorkerChannels(ready, go, abort, start_at, results)
    specs = [
        WorkerSpec(
            index=n,
            base_url=server.url,
            clients=tuple(plan[n :: args.client_processes]),
            assignments=assignments,
            think=args.think,
            timeout=args.timeout,
            ramp_up=args.ramp_up,
            total_clients=len(plan),
        )
        for n in range(args.client_processes)
    ]
    if attack:
        specs.append(
            WorkerSpec(
                index=len(specs),
                base_url=server.url,
                clients=(),
                assignments={},
                think=0.0,
                timeout=30.0,
                attacker=AttackerSpec(
                    username=attacker_name,
                    token=tokens.mint_development_token(attacker_name),
                    source_address="127.0.0.2",
                    levels=args.attack_levels,
                    names=tuple(args.attacks.split(",")) if args.attacks else (),
                ),
            )
        )
    processes = [
        context.Process(
            target=worker_main,
            args=(spec, channels, args.duration),
            name=f"load-{spec.index}",
        )
        for spec in specs
    ]
    for process in processes:
        process.start()
    worker_results: list[WorkerResult] = []
    try:
        for _ in specs:
            index, problem = ready.get(timeout=300)
            if problem is not None:
                raise SystemExit(f"[{label}] load generator {index}: {problem}")
        started_at = time.time() + 1.0
        start_at.value = started_at
        go.set()
        memory: list[MemorySample] = []
        probes: dict[str, list[float]] = {"GET /healthz": [], "{ __typename }": []}
        busy, server_cpu = asyncio.run(
            _watch(
                server,
                started_at,
                started_at + args.duration,
                args.sample_every,
                args.max_server_memory * 2**30,
                abort,
                memory,
                probes,
            )
        )
        for _ in specs:
            worker_results.append(results.get(timeout=args.timeout + 120))
    finally:
        abort.set()
        go.set()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    fatal = [r.fatal for r in worker_results if r.fatal]
    if fatal:
        raise SystemExit(f"[{label}] load generator failed: {fatal}")
    count, problems = server.log_problems()
    result = summarise(
        args, label, config, worker_results, memory, probes, busy, server_cpu, count, problems
    )
    result.server_log = server.request_log()
    return result


def cpu_per_request(
    memory: list[MemorySample], rows: list[SampleRow], warmup: float
) -> tuple[float, float]:
    """The server's CPU milliseconds per request: (median over the sampling intervals that
    start after ``warmup``, mean over all of them together).

    Each interval's figure is the CPU time the server's processes used between two samples
    divided by the clients' requests that completed between them (a request's end is its start
    plus its duration); intervals in which none completed are left out. The probes' requests
    are not counted: they are cheap, and would only lower the figure. PostgreSQL's processes
    are not the server's: their CPU is not included.
    """
    ends = sorted(row[2] + row[3] for row in rows)
    per_interval: list[float] = []
    cpu_total, done_total = 0.0, 0
    for before, after in itertools.pairwise(memory):
        if before.at < warmup:
            continue
        done = bisect.bisect_left(ends, after.at) - bisect.bisect_left(ends, before.at)
        used = after.cpu_seconds - before.cpu_seconds
        if done:
            per_interval.append(used / done * 1000)
            cpu_total, done_total = cpu_total + used, done_total + done
    if not per_interval:
        return float("nan"), float("nan")
    return statistics.median(per_interval), cpu_total / done_total * 1000


def summarise(
    args: argparse.Namespace,
    label: str,
    config: dict[str, Any],
    workers: list[WorkerResult],
    memory: list[MemorySample],
    probes: dict[str, list[float]],
    busy: float,
    server_cpu: float,
    log_count: int,
    log_problems: list[str],
) -> RunResult:
    rows: list[SampleRow] = [row for w in workers for row in w.samples]
    measured = [row for row in rows if args.warmup <= row[2] < args.duration]
    window = args.duration - args.warmup
    by_op: dict[str, list[float]] = {}
    by_role: Counter[str] = Counter()
    for operation, role, _start, duration, _ok in measured:
        by_op.setdefault(operation, []).append(duration)
        by_role[role] += 1
    errors: Counter[tuple[str, str]] = Counter()
    first_seen: dict[tuple[str, str], float] = {}
    for worker in workers:
        errors.update(worker.errors)
        for key, at in worker.first_seen.items():
            first_seen[key] = min(at, first_seen.get(key, at))
    attacks: dict[str, AttackRecord] = {}
    for worker in workers:
        attacks.update(worker.attacks)

    after = [s for s in memory if s.at >= args.warmup]
    span = min(60.0, max(args.sample_every, (args.duration - args.warmup) / 3))
    first = [s.rss for s in after if s.at < args.warmup + span] or [after[0].rss if after else 0]
    last = [s.rss for s in after if s.at >= args.duration - span] or [memory[-1].rss]
    baseline, final = statistics.median(first), statistics.median(last)
    slope = 0.0
    if len(after) >= 2:
        xs, ys = [s.at for s in after], [s.rss / MIB for s in after]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        var = sum((x - mean_x) ** 2 for x in xs)
        if var > 0:
            slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var * 60

    cpu_median, cpu_mean = cpu_per_request(memory, rows, args.warmup)
    result = RunResult(
        label=label,
        config=config,
        measured_seconds=window,
        requests=len(measured),
        throughput=len(measured) / window,
        overall=Latency.of([row[3] for row in measured]),
        by_operation={op: Latency.of(d) for op, d in sorted(by_op.items())},
        by_role={role: by_role[role] / window for role in ROLES if by_role[role]},
        errors=errors,
        error_first_seen=first_seen,
        error_count=sum(errors.values()),
        memory=memory,
        memory_baseline=baseline,
        memory_final=final,
        memory_slope_mib_per_min=slope,
        server_cpu_percent=server_cpu,
        cpu_ms_per_request=cpu_median,
        cpu_ms_per_request_mean=cpu_mean,
        throughput_per_process=len(measured) / window / args.workers,
        machine_busy_percent=busy,
        generator=[
            (w.index, w.cpu_seconds / w.wall_seconds * 100 if w.wall_seconds else 0.0, w.loop_lag)
            for w in workers
        ],
        probes={name: Latency.of(values) for name, values in probes.items()},
        attacks=attacks,
        log_problem_count=log_count,
        log_problems=log_problems,
    )
    result.checks.append(
        (
            "no errors",
            result.error_count == 0,
            f"{result.error_count} errors in {len(rows)} requests",
        )
    )
    grew = (final - baseline) / baseline if baseline else 0.0
    result.checks.append(
        (
            "memory flat after warm-up",
            grew <= args.memory_tolerance,
            f"median RSS {baseline / MIB:.0f} MiB in the first {span:.0f} s after warm-up, "
            f"{final / MIB:.0f} MiB in the last {span:.0f} s ({grew:+.1%}; allowed "
            f"+{args.memory_tolerance:.0%}); trend {slope:+.1f} MiB/min",
        )
    )
    ratio = result.overall.p99 / result.overall.p50 if result.overall.p50 else float("inf")
    result.checks.append(
        (
            "p99 <= 10 x p50",
            ratio <= 10,
            f"p99 {ms(result.overall.p99)} = {ratio:.1f} x p50 {ms(result.overall.p50)}",
        )
    )
    result.checks.append(
        (
            "no server errors in the log",
            log_count == 0,
            f"{log_count} error lines in the server log",
        )
    )
    if attacks:
        server_errors = sum(r.outcomes.get("server error", 0) for r in attacks.values())
        result.checks.append(
            (
                "no attack caused a server error",
                server_errors == 0,
                f"{server_errors} answers 5xx / INTERNAL_SERVER_ERROR",
            )
        )
        slowest = max(p.maximum for p in result.probes.values())
        result.checks.append(
            (
                "/healthz and { __typename } within a second",
                slowest <= 1.0,
                f"slowest probe {ms(slowest)}",
            )
        )
    return result


# --- printing -----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def print_config(config: dict[str, Any]) -> None:
    print("\n=== Tavle load benchmark: configuration ===")
    for key, value in config.items():
        if key == "roles":
            value = ", ".join(f"{n} {role}" for role, n in value.items())
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        print(f"  {key:<18} {value}")
    sys.stdout.flush()


def print_result(result: RunResult) -> None:
    print(f"\n=== Results: {result.label} ===")
    o = result.overall
    print(
        f"throughput   {result.throughput:.1f} requests/s "
        f"({result.requests} requests in the {result.measured_seconds:.0f} s after warm-up); "
        f"{result.throughput_per_process:.1f} requests/s per server process "
        f"({result.config['server processes']})"
    )
    print(
        f"CPU/request  server {result.cpu_ms_per_request:.1f} ms (median over the "
        f"{result.config['sample every s']:g} s samples after warm-up; mean "
        f"{result.cpu_ms_per_request_mean:.1f} ms; PostgreSQL's CPU not included)"
    )
    print(f"latency      p50 {ms(o.p50)}   p95 {ms(o.p95)}   p99 {ms(o.p99)}   max {ms(o.maximum)}")
    print("by role      " + ", ".join(f"{r} {v:.1f}/s" for r, v in result.by_role.items()))
    writes = sum(lat.count for op, lat in result.by_operation.items() if op in WRITE_OPERATIONS)
    if result.requests:
        print(f"mix          {writes / result.requests:.0%} writes, the rest reads")
    print(
        f"\n{'operation':<24}{'count':>8}{'share':>7}{'p50':>11}{'p95':>11}{'p99':>11}{'max':>11}"
    )
    for op, lat in result.by_operation.items():
        share = lat.count / result.requests if result.requests else 0.0
        print(
            f"{op:<24}{lat.count:>8}{share:>7.1%}{ms(lat.p50):>11}{ms(lat.p95):>11}"
            f"{ms(lat.p99):>11}{ms(lat.maximum):>11}"
        )
    print(f"\nerrors       {result.error_count}")
    for (op, description), count in result.errors.most_common(15):
        seen = result.error_first_seen.get((op, description))
        when = f" (first at {seen:.1f} s)" if seen is not None else ""
        print(f"  {count:>6} x {op}: {description}{when}")
    print("\nserver memory (resident, all server processes)")
    for s in result.memory:
        parts = " + ".join(f"{p.rss / MIB:.0f}" for p in s.processes if p.rss > 8 * MIB)
        print(f"  {s.at:7.1f} s  {s.rss / MIB:8.1f} MiB  ({parts})")
    print(
        f"CPU          server {result.server_cpu_percent:.0f} % of one core; whole machine busy "
        f"{result.machine_busy_percent:.0f} % ({os.cpu_count()} cores)"
    )
    if len(result.memory) >= 2:
        first, last = result.memory[0], result.memory[-1]
        before = {p.pid: p.cpu_seconds for p in first.processes}
        elapsed = max(1e-9, last.at - first.at)
        print(
            "  per server process: "
            + ", ".join(
                f"pid {p.pid} {(p.cpu_seconds - before.get(p.pid, 0.0)) / elapsed:.0%}"
                for p in last.processes
            )
        )
    for index, cpu, (lag50, lag99, lagmax) in result.generator:
        role = "attacker" if index >= result.config["client processes"] else "clients"
        print(
            f"load gen {index}   {role}: {cpu:.0f} % of one core; event-loop lag p50 {ms(lag50)}, "
            f"p99 {ms(lag99)}, max {ms(lagmax)}"
            + ("   <- busy: latencies include client time" if cpu > 80 else "")
        )
    for name, lat in result.probes.items():
        print(f"probe        {name}: p50 {ms(lat.p50)}, p99 {ms(lat.p99)}, max {ms(lat.maximum)}")
    if result.attacks:
        print("\nattacks (what the attacker got back)")
        print(f"  {'attack':<22}{'sent':>6}{'median':>11}{'max':>11}  outcomes / answers")
        for name, record in result.attacks.items():
            ordered = sorted(record.durations)
            outcomes = ", ".join(f"{k} {v}" for k, v in record.outcomes.most_common())
            answers = ", ".join(f"{k} x{v}" for k, v in record.answers.most_common(3))
            print(
                f"  {name:<22}{record.sent:>6}{ms(statistics.median(ordered)):>11}"
                f"{ms(ordered[-1]):>11}  {outcomes}  [{answers}]"
            )
    log = result.server_log
    if log.durations_ms:
        inside = sorted(log.durations_ms)
        print(
            f"server log   POST /graphql inside the gateway (whole run): p50 "
            f"{percentile(inside, 0.5):.1f} ms, p99 {percentile(inside, 0.99):.1f} ms; "
            + ", ".join(f"{k} x{v}" for k, v in log.outcomes.most_common())
        )
    for message, count in log.warnings.most_common(10):
        print(f"  {count:>6} x {message}")
    if result.log_problem_count:
        print(f"\nserver log: {result.log_problem_count} error lines, the first:")
        for line in result.log_problems:
            print(f"  {line}")
    print("\nchecks")
    for name, ok, detail in result.checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    sys.stdout.flush()


def compare(quiet: RunResult, attacked: RunResult) -> tuple[str, bool, str]:
    print("\n=== Quiet run vs attack run (normal clients only) ===")
    print(f"  {'':<14}{'quiet':>12}{'attack':>12}{'ratio':>8}")
    for name, q, a in (
        ("requests/s", quiet.throughput, attacked.throughput),
        ("CPU ms/request", quiet.cpu_ms_per_request, attacked.cpu_ms_per_request),
        ("p50 ms", quiet.overall.p50 * 1000, attacked.overall.p50 * 1000),
        ("p95 ms", quiet.overall.p95 * 1000, attacked.overall.p95 * 1000),
        ("p99 ms", quiet.overall.p99 * 1000, attacked.overall.p99 * 1000),
        ("errors", quiet.error_count, attacked.error_count),
    ):
        relative = f"{a / q:.2f}" if q else "-"
        print(f"  {name:<14}{q:>12.1f}{a:>12.1f}{relative:>8}")
    ratio = attacked.overall.p99 / quiet.overall.p99
    check = (
        "p99 under attack <= 2 x quiet p99",
        ratio <= 2,
        f"{ms(attacked.overall.p99)} = {ratio:.2f} x {ms(quiet.overall.p99)}",
    )
    print(f"  {'PASS' if check[1] else 'FAIL'}  {check[0]}: {check[2]}")
    return check


def as_json(result: RunResult) -> dict[str, Any]:
    def latency(lat: Latency) -> dict[str, float]:
        return {
            "count": lat.count,
            "p50": lat.p50,
            "p95": lat.p95,
            "p99": lat.p99,
            "max": lat.maximum,
        }

    return {
        "config": result.config,
        "throughput": result.throughput,
        "overall": latency(result.overall),
        "by_operation": {op: latency(lat) for op, lat in result.by_operation.items()},
        "errors": [
            {"operation": op, "error": d, "count": n} for (op, d), n in result.errors.items()
        ],
        "memory": [{"at": s.at, "rss": s.rss} for s in result.memory],
        "server_cpu_percent": result.server_cpu_percent,
        "server_cpu_ms_per_request": result.cpu_ms_per_request,
        "server_cpu_ms_per_request_mean": result.cpu_ms_per_request_mean,
        "throughput_per_process": result.throughput_per_process,
        "generator_cpu_percent": [cpu for _, cpu, _ in result.generator],
        "attacks": {
            name: {"sent": r.sent, "outcomes": dict(r.outcomes), "answers": dict(r.answers)}
            for name, r in result.attacks.items()
        },
        "checks": [{"name": n, "passed": ok, "detail": d} for n, ok, d in result.checks],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs: list[RunResult] = []
    if args.compare:
        runs.append(run_once(args, "quiet", attack=False))
        print_result(runs[-1])
        runs.append(run_once(args, "attack", attack=True))
        print_result(runs[-1])
        check = compare(runs[0], runs[1])
        runs[1].checks.append(check)
    else:
        label = "attack" if args.attack else "quiet"
        runs.append(run_once(args, label, attack=args.attack))
        print_result(runs[-1])
    if args.json:
        args.json.write_text(json.dumps([as_json(r) for r in runs], indent=2, default=str))
    passed = all(r.passed for r in runs)
    print(f"\n{'PASS' if passed else 'FAIL'}: " + "; ".join(f"{r.label} run" for r in runs))
    return 0 if passed else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
