"""Tavle against PostGraphile 4 over loopback HTTP, on the same PostgreSQL database.

Usage (``./tavle bench-postgraphile`` runs this file with the virtualenv's Python)::

    ./tavle bench-postgraphile                          # 30 runs each after 5 warm-up runs
    ./tavle bench-postgraphile --runs 50 --warmup 10 --json results.json
    ./tavle bench-postgraphile --postgres-server postgresql+asyncpg://postgres@127.0.0.1:5432

What it does
    1. Installs PostGraphile (``bench/postgraphile/package.json`` pins ``postgraphile`` 4.14.1,
       ``package-lock.json`` pins the rest) with ``npm ci`` into ``bench/postgraphile/
       node_modules`` (git-ignored), unless it is there already.
    2. Creates a database ``tavle_bench_pg_<random>`` on ``--postgres-server`` and builds the
       benchmark dataset in it (``gradebook.py``: the demo school plus the teacher's six
       courses of thirty students, 900 submissions, 900 assessments).
    3. Adds one SQL function to it, ``people_submissions_in_course(people, in_course)``: a
       PostGraphile "computed column" (``Person.submissionsInCourse(inCourse:)``), because its
       generated connections filter only on a table's own columns and a submission's course is
       its assignment's. Nothing else is added: no row-level security, no smart comments.
    4. Starts PostGraphile (``postgraphile --connection ... --schema public``: the whole public
       schema, default inflection and options, GraphiQL and the query log off) and
       ``tavle serve`` (real uvicorn, one process, ``TAVLE_DATABASE_URL`` on the same database,
       the production configuration but for development login, which the benchmark needs to
       sign the teacher's token; as ``bench/load.py``'s server; no ``TAVLE_*`` variable of the
       calling shell reaches it, ``--server-env KEY=VALUE`` sets one), each on a free loopback
       port.
    5. Sends each its gradebook query once and checks both answer without errors and with the
       same number of objects (nodes with an ``id``: courses, students, submissions,
       assessments). PostGraphile's query is the same nesting in its schema: ``courseById`` ->
       ``enrolmentsByCourseId(condition: {role: "STUDENT", endedAt: null})`` ->
       ``personByPersonId`` -> ``submissionsInCourse(inCourse:)`` ->
       ``assessmentsBySubmissionId``, each connection with ``first: 100`` and ``totalCount``.
       (Tavle also leaves out restricted people; the dataset has none.)
    6. ``--warmup`` untimed requests to each, then ``--runs`` timed requests to each, alternating
       (the first of each pair swaps every round), with one keep-alive httpx client per server.
       Per request: the client's wall time, and the CPU time the server's processes used
       (``/proc``; PostgreSQL's own processes not included).
    7. Prints median and p90 wall time, median server CPU per request, and the ratio Tavle /
       PostGraphile of the medians; then stops both servers and drops the database
       (``--keep`` keeps the database and the servers' logs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from gradebook import DEV_SECRET, TEACHER, build_dataset, count_objects, gradebook_query
from load_server import ServerProcess, free_port, sample
from pydantic import SecretStr
from timing import percentile

from config.settings import Settings
from gateway.auth import Authenticator

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "postgraphile"
POSTGRAPHILE = NODE_DIR / "node_modules" / ".bin" / "postgraphile"

#: Person.submissionsInCourse(inCourse:): the student's submissions to the course's assignments.
SUBMISSIONS_IN_COURSE = """
CREATE OR REPLACE FUNCTION people_submissions_in_course(person people, in_course integer)
RETURNS SETOF submissions LANGUAGE sql STABLE AS $$
  SELECT s.* FROM submissions s JOIN assignments a ON a.id = s.assignment_id
  WHERE s.student_id = person.id AND a.course_id = in_course
  ORDER BY s.id
$$
"""

#: One course of PostGraphile's gradebook (a template: it is completed per course).
POSTGRAPHILE_COURSE = """
  c%(n)d: courseById(id: %(course)d) {
    id code name
    enrolmentsByCourseId(first: 100, condition: {role: "STUDENT", endedAt: null}) {
      totalCount
      edges { node { personByPersonId {
        id givenName familyName email
        submissionsInCourse(inCourse: %(course)d, first: 100) {
          totalCount
          edges { node {
            id status submittedAt body lastOpenedAt
            assessmentsBySubmissionId { nodes {
              id kind grade comment published createdAt assessorName
            } }
          } }
        }
      } } }
    }
  }"""


def postgraphile_query(course_ids: list[int]) -> str:
    parts = [POSTGRAPHILE_COURSE % {"n": n, "course": pk} for n, pk in enumerate(course_ids)]
    return "query Gradebook {" + "".join(parts) + "\n}"


# --- setup -------------------------------------------------------------------------------------


def install_postgraphile() -> None:
    """``npm ci`` in ``bench/postgraphile`` unless PostGraphile is installed there already."""
    if POSTGRAPHILE.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to install PostGraphile (Node 18 or later)")
    print("postgraphile: npm ci in bench/postgraphile ...", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)


async def _admin(server: str, *statements: str, database: str = "postgres") -> None:
    import asyncpg

    dsn = server.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(f"{dsn}/{database}", timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as node-postgres wants it."""
    return url.replace("postgresql+asyncpg://", "postgres://", 1)


class NodeServer:
    """PostGraphile in a child process on a loopback port."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.database_url = database_url
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            str(POSTGRAPHILE),
            "--connection",
            libpq_url(self.database_url),
            "--schema",
            "public",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--disable-graphiql",
            "--disable-query-log",
        ]

    def start(self, timeout: float = 120.0) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=NODE_DIR, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"PostGraphile exited:\n{self.log_tail()}")
                try:
                    probe = client.post(f"{self.url}/graphql", json={"query": "{ __typename }"})
                    if probe.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        raise RuntimeError(f"PostGraphile was not ready within {timeout:.0f} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    client: httpx.Client
    body: bytes
    headers: dict[str, str]
    pid: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def answer(self) -> dict[str, Any]:
        response = self.client.post("/graphql", content=self.body, headers=self.headers)
        if response.status_code != 200:
            raise SystemExit(f"{self.label}: HTTP {response.status_code}: {response.text[:500]}")
        body: dict[str, Any] = response.json()
        if body.get("errors") or not body.get("data"):
            raise SystemExit(f"{self.label}: the query failed: {str(body)[:800]}")
        return body

    def timed(self) -> None:
        cpu_before = sample(self.pid, 0.0).cpu_seconds
        start = time.perf_counter()
        response = self.client.post("/graphql", content=self.body, headers=self.headers)
        self.wall.append(time.perf_counter() - start)
        self.cpu.append(sample(self.pid, 0.0).cpu_seconds - cpu_before)
        if response.status_code != 200 or b'"errors":' in response.content:
            raise SystemExit(f"{self.label}: a timed request failed: {response.text[:500]}")


def run_pair(args: argparse.Namespace, tavle: Target, postgraphile: Target) -> int:
    """Check both answers, warm up, time alternately; returns the object count."""
    tavle.answer()  # the first read stamps lastOpenedAt
    objects = {t.label: count_objects(t.answer()["data"]) for t in (tavle, postgraphile)}
    if len(set(objects.values())) != 1:
        raise SystemExit(f"the two answers differ in size: {objects}")
    count = objects[tavle.label]
    print(f"checked:    both answer without errors, {count} objects each", flush=True)
    for _ in range(args.warmup):
        tavle.answer()
        postgraphile.answer()
    for n in range(args.runs):
        for target in (tavle, postgraphile) if n % 2 == 0 else (postgraphile, tavle):
            target.timed()
    return count


def report(args: argparse.Namespace, tavle: Target, postgraphile: Target, objects: int) -> None:
    print(f"query:      gradebook of {TEACHER}: {args.courses} courses, {objects} objects")
    print(f"runs:       {args.runs} each, alternating, after {args.warmup} warm-up runs each")
    print(f"\n{'server':<32}{'median':>11}{'p90':>11}{'server CPU median':>20}")
    for t in (tavle, postgraphile):
        print(
            f"{t.label:<32}{statistics.median(t.wall) * 1000:>8.1f} ms"
            f"{percentile(t.wall, 0.9) * 1000:>8.1f} ms{statistics.median(t.cpu) * 1000:>17.1f} ms"
        )
    wall = statistics.median(tavle.wall) / statistics.median(postgraphile.wall)
    cpu = statistics.median(tavle.cpu) / max(1e-9, statistics.median(postgraphile.cpu))
    verdict = "met" if wall < 1 else "missed"
    print(
        f"\nratio Tavle / PostGraphile (medians): wall {wall:.2f}, server CPU {cpu:.2f}; "
        f"target < 1 ({verdict}, by wall time)"
    )
    print(
        "server CPU: the server's own processes (/proc, 10 ms ticks), not PostgreSQL's; "
        "PostGraphile hands most of the work to PostgreSQL in one statement"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "objects": objects,
                    "runs": args.runs,
                    "warmup": args.warmup,
                    "servers": {
                        t.label: {
                            "median_ms": statistics.median(t.wall) * 1000,
                            "p90_ms": percentile(t.wall, 0.9) * 1000,
                            "server_cpu_median_ms": statistics.median(t.cpu) * 1000,
                            "wall_ms": [w * 1000 for w in t.wall],
                            "server_cpu_ms": [c * 1000 for c in t.cpu],
                        }
                        for t in (tavle, postgraphile)
                    },
                    "ratio_wall": wall,
                    "ratio_server_cpu": cpu,
                },
                indent=2,
            )
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--postgres-server",
        default=os.environ.get(
            "TAVLE_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432"
        ),
        help="PostgreSQL server (without a database) to create the benchmark's database on",
    )
    parser.add_argument("--runs", type=int, default=30, help="timed requests to each (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests to each first")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra environment variable for tavle serve (repeatable)",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if any("=" not in item for item in args.server_env):
        parser.error("--server-env needs KEY=VALUE")
    server_env = dict(item.split("=", 1) for item in args.server_env)

    install_postgraphile()
    name = f"tavle_bench_pg_{secrets.token_hex(5)}"
    database_url = f"{args.postgres_server}/{name}"
    workdir = Path(tempfile.mkdtemp(prefix="tavle-bench-pg-"))
    asyncio.run(_admin(args.postgres_server, f'CREATE DATABASE "{name}"'))
    servers: list[ServerProcess | NodeServer] = []
    try:
        settings = Settings(
            data_dir=workdir,
            database_url=database_url,
            dev_secret=SecretStr(DEV_SECRET),
            dev_auth=True,
            jwks_url=None,
            jwks_file=None,
        )
        started = time.perf_counter()
        course_ids = asyncio.run(build_dataset(settings, workdir))
        args.courses = len(course_ids)
        asyncio.run(_admin(args.postgres_server, SUBMISSIONS_IN_COURSE, database=name))
        print(f"dataset:    {name} ready in {time.perf_counter() - started:.1f} s", flush=True)

        node = NodeServer(database_url, workdir / "postgraphile.log")
        servers.append(node)
        node.start()
        environment = {**server_env, "TAVLE_DATABASE_URL": database_url}
        tavle = ServerProcess(workdir, DEV_SECRET, None, 1, environment)
        servers.append(tavle)
        tavle.start()
        print(f"servers:    PostGraphile on {node.url}, tavle serve on {tavle.url}", flush=True)
        if server_env:
            print(f"tavle env:  {', '.join(sorted(server_env))}", flush=True)

        token = Authenticator.from_settings(settings).mint_development_token(TEACHER)
        tavle_body = json.dumps({"query": gradebook_query(course_ids)}).encode()
        graphile_body = json.dumps({"query": postgraphile_query(course_ids)}).encode()
        headers = {"Content-Type": "application/json"}
        limits = httpx.Limits(max_keepalive_connections=1, max_connections=1)
        with (
            httpx.Client(base_url=tavle.url, timeout=60, limits=limits) as tavle_http,
            httpx.Client(base_url=node.url, timeout=60, limits=limits) as graphile_http,
        ):
            tavle_target = Target(
                "tavle serve",
                tavle_http,
                tavle_body,
                {**headers, "Authorization": f"Bearer {token}"},
                tavle.pid,
            )
            graphile_target = Target(
                "PostGraphile 4.14.1", graphile_http, graphile_body, headers, node.pid
            )
            objects = run_pair(args, tavle_target, graphile_target)
        report(args, tavle_target, graphile_target, objects)
        return 0
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            print(f"kept:       database {name}, logs in {workdir}")
        else:
            asyncio.run(
                _admin(args.postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
