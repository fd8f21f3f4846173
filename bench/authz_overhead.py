"""Tavle against its peers on the teacher's gradebook: what authorisation costs, side by side.

Usage (``./tavle bench`` runs this file with the virtualenv's Python)::

    ./tavle bench                                  # temporary SQLite file
    ./tavle bench --runs 50 --warmup 10 --enforce-runs 5
    ./tavle bench --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/tavle_bench
    ./tavle bench --profile                        # then cProfile Tavle and the plain peer
    ./tavle bench --json results.json              # also write the figures as JSON

A PostgreSQL database given with ``--database-url`` should be empty (or made by an earlier run of
this script: the dataset is only added once; ``gradebook.py`` describes it). The script is a
benchmark, not a test; it exits 1 when a peer's answer differs from Tavle's, and when the ratio
guarded/unguarded is above ``--target`` (default 1.05), so CI may run it if wanted.

The peers, in one process, on the same data (``bench/peers/``)
    guarded     Tavle: the real ASGI app (``gateway.app.create_app``, its lifespan running) with
                the shipped policy.
    unguarded   Tavle again, from a second ``AppState`` and engine, with a permissive policy the
                benchmark writes (``peers/tavle_apps.py``): row rules compile to ``WHERE true``
                and every field is allowed; relations and guards still run.
    plain       A small Strawberry schema over ``store.tables`` with DataLoaders and no
                authorisation (``peers/plain_strawberry.py``).
    enforce     The same schema with every field of every object asking
                ``casbin.Enforcer.enforce()`` (real model and policy, relations computed as the
                product does; ``peers/casbin_per_field.py``).
    floor       Four hand-written SQLAlchemy Core statements and orjson (``peers/floor.py``).
    Tavle authenticates a development token and loads the viewer; the plain peer and the floor
    have no authentication; the enforce peer loads the viewer for a person id it is given.
    Tavle's settings are the defaults but for what the benchmark sets (data folder, database,
    development login, no GraphiQL, no job worker); ``TAVLE_*`` variables of the environment
    apply to both Tavle apps (``TAVLE_COMPILED_EXECUTION=false ./tavle bench``) and are printed.

What is measured
    Every peer is an ASGI app reached through ``httpx.ASGITransport`` (no sockets) with the same
    client, request body and headers. Before timing, each peer's ``data`` must equal Tavle
    guarded's for the teacher, without errors (Tavle is read once first: a teacher reading
    answers stamps ``lastOpenedAt``); the SQL statements of that checked request are counted.
    Then ``--warmup`` untimed rounds and ``--runs`` timed rounds; a round requests every peer
    once, in an order that rotates from round to round. The enforce peer, which takes seconds a
    request, joins only ``--enforce-runs`` of the rounds, spread evenly (its check request warms
    it).
    Per request the client's wall-clock time and this process's CPU time (all threads: the
    SQLite driver's too, not the PostgreSQL server's) are recorded; the response is checked for
    status 200 and no ``"errors"`` but not decoded. The report gives per peer the median and
    p90 wall time, the median CPU time and the SQL statements per request, then the ratios the
    targets name, from the medians, wall and CPU: guarded/plain (target < 1), guarded/unguarded
    (target <= ``--target``), enforce/guarded (target >= 25) and guarded/floor (aim <= 3), each
    marked met or missed by wall and by CPU; and the enforce peer's ``enforce()`` calls per
    request. CPU ratios are steadier than wall ones when other work shares the machine; on SQLite
    a warning says so when Tavle got less than 85 % of a core.
    ``--profile`` then runs cProfile over ``--profile-runs`` requests to Tavle guarded, Tavle
    unguarded and the plain peer, and prints self time per area (graphql-core, strawberry,
    SQLAlchemy, authz/, resolvers/ ...) and the top functions. cProfile inflates times about
    2.5x; compare the areas, not the totals.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from gradebook import (  # re-exported: tests import the query from here
    DEV_SECRET,
    TEACHER,
    build_dataset,
    count_objects,
    gradebook_query,
)
from peers.casbin_per_field import casbin_app
from peers.floor import FloorApp
from peers.plain_strawberry import PlainGraphQL, plain_app
from peers.tavle_apps import running_app, write_permissive_policy
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from timing import Samples, counting_statements, profiled

from config.settings import Settings
from gateway.access_log import AccessLog
from resolvers.viewer import find_person_id
from store.db import make_engine

__all__ = ["gradebook_query", "main"]

ENFORCE_TARGET = 25.0


@dataclass
class Peer:
    key: str
    label: str
    client: httpx.AsyncClient
    engine: AsyncEngine
    samples: Samples = field(default_factory=Samples)
    statements: int = 0
    #: Tavle's staff access log (part of the product: on in both Tavle peers)
    access_log: AccessLog | None = None


@dataclass
class Report:
    backend: str
    objects: int
    response_bytes: int
    peers: list[Peer]
    enforce_calls: tuple[int, int]
    args: argparse.Namespace

    def peer(self, key: str) -> Peer:
        return next(p for p in self.peers if p.key == key)


# --- the peers -------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def asgi_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        yield client


@contextlib.asynccontextmanager
async def all_peers(
    settings: Settings, workdir: Path, course_ids: list[int]
) -> AsyncIterator[tuple[list[Peer], str, PlainGraphQL]]:
    """The five peers with their clients (Tavle's lifespans running); Tavle's token; the enforce
    peer's view (its last request's ``enforce()`` count)."""
    policy = workdir / "permissive-policy.csv"
    write_permissive_policy(policy)
    permissive = settings.model_copy(update={"policy_file": policy})
    engine = make_engine(settings.resolved_database_url())
    try:
        async with (
            running_app(settings) as (guarded_app, guarded_state),
            running_app(permissive) as (unguarded_app, unguarded_state),
        ):
            teacher = await find_person_id(engine, TEACHER)
            assert teacher is not None, "the benchmark roster was not imported"
            plain, _view = plain_app(engine)
            enforced, enforce_view = casbin_app(engine, teacher)
            token = guarded_state.authenticator.mint_development_token(TEACHER)
            async with (
                asgi_client(guarded_app) as guarded_client,
                asgi_client(unguarded_app) as unguarded_client,
                asgi_client(plain) as plain_client,
                asgi_client(enforced) as enforce_client,
                asgi_client(FloorApp(engine, course_ids)) as floor_client,
            ):
                peers = [
                    Peer(
                        "guarded",
                        "Tavle guarded",
                        guarded_client,
                        guarded_state.engine,
                        access_log=guarded_state.access_log,
                    ),
                    Peer(
                        "unguarded",
                        "Tavle unguarded (permissive policy)",
                        unguarded_client,
                        unguarded_state.engine,
                        access_log=unguarded_state.access_log,
                    ),
                    Peer("plain", "plain Strawberry + DataLoaders", plain_client, engine),
                    Peer("enforce", "per-field casbin enforce()", enforce_client, engine),
                    Peer("floor", "floor: 4 Core statements + orjson", floor_client, engine),
                ]
                yield peers, token, enforce_view
    finally:
        await engine.dispose()


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    body: bytes
    headers: dict[str, str]

    @classmethod
    def gradebook(cls, course_ids: list[int], token: str) -> Request:
        return cls(
            json.dumps({"query": gradebook_query(course_ids)}).encode(),
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )


async def send(peer: Peer, request: Request) -> httpx.Response:
    response = await peer.client.post("/graphql", content=request.body, headers=request.headers)
    if response.status_code != 200:
        raise SystemExit(f"{peer.label}: HTTP {response.status_code}: {response.text[:500]}")
    return response


async def answer(peer: Peer, request: Request) -> dict[str, Any]:
    body: dict[str, Any] = (await send(peer, request)).json()
    if body.get("errors"):
        raise SystemExit(f"{peer.label}: the query failed: {body['errors'][:3]}")
    return body


async def timed(peer: Peer, request: Request) -> None:
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    response = await send(peer, request)
    peer.samples.add(time.perf_counter() - start, time.process_time() - cpu_start)
    if b'"errors":' in response.content:
        raise SystemExit(f"{peer.label}: a timed request answered errors: {response.text[:500]}")


def enforce_rounds(runs: int, wanted: int) -> set[int]:
    """Which of ``runs`` rounds include the enforce peer: ``wanted`` of them, evenly spread."""
    wanted = max(0, min(wanted, runs))
    return {int(i * runs / wanted) for i in range(wanted)} if wanted else set()


async def measure(args: argparse.Namespace, settings: Settings, course_ids: list[int]) -> Report:
    with tempfile.TemporaryDirectory(prefix="tavle-bench-policy-") as scratch:
        async with all_peers(settings, Path(scratch), course_ids) as (peers, token, view):
            return await _measure(args, settings, course_ids, peers, token, view)


async def _measure(
    args: argparse.Namespace,
    settings: Settings,
    course_ids: list[int],
    peers: list[Peer],
    token: str,
    enforce_view: PlainGraphQL,
) -> Report:
    request = Request.gradebook(course_ids, token)
    by_key = {peer.key: peer for peer in peers}
    guarded = by_key["guarded"]
    await answer(guarded, request)  # stamps lastOpenedAt, so every peer below reads the same
    answers: dict[str, dict[str, Any]] = {}
    for peer in peers:  # each peer's check request is also the one its statements are counted in
        if peer.key == "enforce" and args.enforce_runs == 0:
            continue
        with counting_statements(peer.engine) as seen:
            answers[peer.key] = await answer(peer, request)
        peer.statements = len(seen)
        if answers[peer.key]["data"] != answers["guarded"]["data"]:
            raise SystemExit(f"{peer.label} answers other data than Tavle guarded")
    reference = answers["guarded"]
    context = enforce_view.last_context
    calls = (context.enforce_count.rows, context.enforce_count.fields) if context else (0, 0)
    objects = count_objects(reference["data"])
    size = len(json.dumps(reference).encode())
    print(f"checked:    every peer answers the same data as Tavle guarded ({objects} objects)")

    quick = [peer for peer in peers if peer.key != "enforce"]
    for _ in range(args.warmup):
        for peer in quick:
            await send(peer, request)
    with_enforce = enforce_rounds(args.runs, args.enforce_runs)
    started = time.perf_counter()
    for n in range(args.runs):
        shift = n % len(peers)
        for peer in peers[shift:] + peers[:shift]:
            if peer.key != "enforce" or n in with_enforce:
                await timed(peer, request)
        if n == 0:
            slow = sum(by_key["enforce"].samples.wall)
            left = (time.perf_counter() - started - slow) * (args.runs - 1) + slow * (
                len(with_enforce) - 1
            )
            print(f"timing:     {args.runs} rounds, about {left:.0f} s left", flush=True)

    if args.profile:
        for key in ("guarded", "unguarded", "plain"):
            gc.collect()
            with profiled(by_key[key].label, args.profile_runs):
                for _ in range(args.profile_runs):
                    await send(by_key[key], request)

    backend = settings.resolved_database_url().split(":", 1)[0]
    return Report(backend, objects, size, peers, calls, args)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    name: str
    target: str
    wall: float
    cpu: float
    met_wall: bool
    met_cpu: bool


def ratios(report: Report) -> list[Ratio]:
    """The ratios of the medians the targets name, wall and CPU, and whether each meets it."""
    wanted: list[tuple[str, str, str, str, Callable[[float], bool]]] = [
        ("guarded / plain Strawberry", "guarded", "plain", "< 1", lambda r: r < 1),
        (
            "guarded / unguarded",
            "guarded",
            "unguarded",
            f"<= {report.args.target}",
            lambda r: r <= report.args.target,
        ),
        (
            "per-field enforce() / guarded",
            "enforce",
            "guarded",
            f">= {ENFORCE_TARGET:g}",
            lambda r: r >= ENFORCE_TARGET,
        ),
        ("guarded / floor", "guarded", "floor", "aim <= 3", lambda r: r <= 3),
    ]
    found = []
    for name, top, bottom, target, met in wanted:
        a, b = report.peer(top).samples, report.peer(bottom).samples
        if not a.wall or not b.wall:
            continue
        wall, cpu = a.median / b.median, a.cpu_median / b.cpu_median
        found.append(Ratio(name, target, wall, cpu, met(wall), met(cpu)))
    return found


def busy_warning(report: Report) -> str | None:
    """On SQLite every peer is CPU-bound in this process: wall time well above CPU time means
    other work took the cores (on PostgreSQL the server's share is legitimately missing)."""
    if not report.backend.startswith("sqlite"):
        return None
    s = report.peer("guarded").samples
    share = s.cpu_median / s.median if s.wall else 1.0
    if share >= 0.85:
        return None
    return (
        f"warning:    Tavle guarded got {share:.0%} of a core (CPU median / wall median): the "
        f"machine was busy, trust the CPU columns more than the wall ones"
    )


def print_access_log(report: Report) -> None:
    """What the staff access log did for Tavle guarded: entries per request, and its batched
    writes (in the background task, beside the requests; noting the reads is inside each
    request's time, so in the medians above)."""
    log = report.peer("guarded").access_log
    if log is None or not log.writes:
        return
    args = report.args
    # the two check requests, the warm-up and the timed rounds (profiled runs not counted)
    requests = 2 + args.warmup + args.runs + (args.profile_runs if args.profile else 0)
    print(
        f"\naccess log (Tavle guarded): {log.written / requests:.0f} entries per request, "
        f"{log.written} written in {log.writes} batched INSERT(s), "
        f"{log.write_seconds / log.writes * 1000:.1f} ms wall each (waiting for a connection "
        f"included)"
    )


def print_report(report: Report) -> None:
    args = report.args
    print(f"backend:    {report.backend}")
    print(
        f"query:      gradebook of {TEACHER}: {args.courses} courses -> students -> "
        f"submissions(courseId:) -> assessments"
    )
    print(f"objects:    {report.objects} (response {report.response_bytes / 1024:.0f} KiB)")
    print(f"settings:   {tavle_environment() or 'defaults'} (Tavle, from the environment)")
    enforce_runs = min(args.enforce_runs, args.runs)
    print(
        f"runs:       {args.runs} rounds after {args.warmup} warm-up rounds; every peer once a "
        f"round, rotating order; the enforce() peer in {enforce_runs} of the rounds"
    )
    print(
        f"\n{'peer':<38}{'median':>11}{'p90':>11}{'CPU median':>13}{'SQL/request':>13}{'runs':>6}"
    )
    for peer in report.peers:
        s = peer.samples
        if not s.wall:
            print(f"{peer.label:<38}{'-':>11}{'-':>11}{'-':>13}{'-':>13}{0:>6}")
            continue
        print(
            f"{peer.label:<38}{s.median * 1000:>8.1f} ms{s.p90 * 1000:>8.1f} ms"
            f"{s.cpu_median * 1000:>10.1f} ms{peer.statements:>13}{len(s.wall):>6}"
        )
    print(f"\n{'ratio of medians':<34}{'wall':>7}{'CPU':>7}   target")
    for r in ratios(report):
        verdict = (
            f"wall {'met' if r.met_wall else 'missed'}, CPU {'met' if r.met_cpu else 'missed'}"
        )
        print(f"{r.name:<34}{r.wall:>7.2f}{r.cpu:>7.2f}   {r.target} ({verdict})")
    warning = busy_warning(report)
    if warning:
        print(warning)
    print_access_log(report)
    rows, fields = report.enforce_calls
    enforce, plain = report.peer("enforce").samples, report.peer("plain").samples
    if (rows or fields) and enforce.wall:
        each = (enforce.median - plain.median) / (rows + fields)
        print(
            f"\nenforce() calls per request of the per-field peer: {rows + fields} "
            f"({rows} row checks, {fields} field checks); about {each * 1e6:.0f} µs each "
            f"(its median minus the plain peer's, per call, relations included)"
        )


def tavle_environment() -> str:
    """The ``TAVLE_*`` variables Tavle's settings read here (the benchmark sets the data folder,
    database, development login, GraphiQL and the job worker itself)."""
    return ", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("TAVLE_"))


def as_json(report: Report) -> dict[str, Any]:
    return {
        "backend": report.backend,
        "environment": tavle_environment(),
        "objects": report.objects,
        "response_bytes": report.response_bytes,
        "runs": report.args.runs,
        "warmup": report.args.warmup,
        "enforce_runs": min(report.args.enforce_runs, report.args.runs),
        "peers": {
            peer.key: {
                "label": peer.label,
                "runs": len(peer.samples.wall),
                "median_ms": peer.samples.median * 1000,
                "p90_ms": peer.samples.p90 * 1000,
                "cpu_median_ms": peer.samples.cpu_median * 1000,
                "sql_statements": peer.statements,
                "wall_ms": [s * 1000 for s in peer.samples.wall],
                "cpu_ms": [s * 1000 for s in peer.samples.cpu],
            }
            for peer in report.peers
        },
        "ratios": [
            {
                "name": r.name,
                "target": r.target,
                "wall": r.wall,
                "cpu": r.cpu,
                "met_wall": r.met_wall,
                "met_cpu": r.met_cpu,
            }
            for r in ratios(report)
        ],
        "enforce_calls": {"rows": report.enforce_calls[0], "fields": report.enforce_calls[1]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="an empty database instead of a temporary SQLite")
    parser.add_argument("--runs", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first (default 5)")
    parser.add_argument(
        "--enforce-runs",
        type=int,
        default=3,
        help="rounds that include the slow per-field enforce() peer (default 3; 0: leave it out)",
    )
    parser.add_argument(
        "--target", type=float, default=1.05, help="largest acceptable guarded/unguarded ratio"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile Tavle and the plain peer")
    parser.add_argument("--profile-runs", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="tavle-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=args.database_url,
            dev_secret=SecretStr(DEV_SECRET),
            dev_auth=True,
            jwks_url=None,
            jwks_file=None,
            graphiql=False,
            # nothing is queued; a polling worker would only add noise and statements
            jobs_enabled=False,
        )
        started = time.perf_counter()
        course_ids = asyncio.run(build_dataset(settings, Path(tmp)))
        args.courses = len(course_ids)
        print(f"dataset:    ready in {time.perf_counter() - started:.1f} s")
        report = asyncio.run(measure(args, settings, course_ids))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(as_json(report), indent=2))
    ratio = report.peer("guarded").samples.median / report.peer("unguarded").samples.median
    return 0 if ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
