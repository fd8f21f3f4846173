"""What does authorisation cost? The guarded ``/graphql`` against an unguarded twin, one process.

Usage (``./tavle`` creates the virtualenv on first use)::

    ./tavle test                # or any ./tavle command, once, to create .venv
    .venv/bin/python bench/authz_overhead.py                 # temporary SQLite file
    .venv/bin/python bench/authz_overhead.py --runs 50 --warmup 10
    .venv/bin/python bench/authz_overhead.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/tavle_bench
    .venv/bin/python bench/authz_overhead.py --profile      # then cProfile both endpoints

A PostgreSQL database given with ``--database-url`` should be empty (or made by an earlier run of
this script: the dataset is only added once). The script is a benchmark, not a test; it exits 1
when the ratio guarded/unguarded is above ``--target`` (default 1.3) so CI may run it if wanted.

The dataset
    The demo school (``gateway.demo.ensure_demo``: ``gateway/demo_data/roster`` plus its activity),
    then a generated OneRoster folder imported with ``roster.import_roster``: a copy of
    ``gateway/demo_data/roster`` plus one teacher (``bench.teacher``) at Bjølsen skole with 6
    courses x 30 students of their own. Assignments (5 per course) are created through the service
    layer (``resolvers.services.coursework.create_assignment`` acting as the teacher). Submissions
    (one per student per assignment: 900) and assessments (one FEEDBACK per submission: 900) are
    bulk inserted with SQLAlchemy Core into ``store.tables`` for speed; that bypasses the services'
    write rules and audit entries, which is acceptable for a benchmark dataset and nothing else.

What is measured
    The real ASGI application (``gateway.app.create_app`` with its lifespan: migration, SQL
    instrumentation) from one ``AppState``, with a second ``TavleGraphQL(state, bypass=True)``
    mounted at ``/graphql-unguarded``: the same schema without field guards and the same loaders
    without SQL row rules (and so without the relation computation per object). Both endpoints
    authenticate the same development token and load the same viewer. Requests go through
    ``httpx.ASGITransport``, so no sockets are involved. The teacher's gradebook query (courses →
    students → submissions(courseId:) → assessments) returns about 2,000 objects; both endpoints
    must return the same data without errors. After a warm-up, ``--runs`` requests of each are
    timed alternately; the script prints the object count, the SQL statements per request of
    each, median and p90 wall-clock time of each, the ratio of the medians guarded/unguarded, and
    the same ratio for this process's CPU time (steadier when other work shares the machine).
    ``--profile`` then runs cProfile over ``--profile-runs`` requests to each endpoint and prints
    self time per area (graphql-core, strawberry, SQLAlchemy, authz/, resolvers/ ...) and the top
    functions. cProfile inflates times about 2.5x; compare the areas, not the totals.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import csv
import gc
import io
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route

from config.ids import to_global_id
from config.settings import Settings
from gateway.app import create_app
from gateway.demo import ensure_demo
from gateway.graphql_app import TavleGraphQL
from gateway.state import AppState
from roster import DEMO_ROSTER_DIR, import_roster
from store import tables as t
from store.db import make_engine
from store.tables import AssessmentKind, CourseRole, DataSource, SubmissionStatus

TEACHER = "bench.teacher"
COURSES = 6
STUDENTS_PER_COURSE = 30
ASSIGNMENTS_PER_COURSE = 5
DEV_SECRET = "tavle-benchmark-development-secret-0123456789"
GRADES = ("1", "2", "3", "4", "5", "6")


# --- dataset ---------------------------------------------------------------------------------


def _append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = list(csv.DictReader(handle).fieldnames or [])
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writerows(rows)


def write_roster(folder: Path) -> None:
    """``gateway/demo_data/roster`` plus the benchmark teacher, their courses and their students."""
    shutil.copytree(DEMO_ROSTER_DIR, folder)
    users = [
        {
            "sourcedId": "u-bench-t",
            "enabledUser": "true",
            "username": TEACHER,
            "givenName": "Bente",
            "familyName": "Benk",
            "email": "bente.benk@bjolsen.example.no",
            "primaryOrgSourcedId": "org-bjs",
        }
    ]
    roles = [
        {
            "sourcedId": "r-bench-t",
            "userSourcedId": "u-bench-t",
            "roleType": "primary",
            "role": "teacher",
            "orgSourcedId": "org-bjs",
        }
    ]
    classes = []
    enrollments = []
    for c in range(COURSES):
        cls = f"c-bench-{c}"
        classes.append(
            {
                "sourcedId": cls,
                "title": f"Benkfag {c + 1}",
                "grades": "10",
                "classCode": f"BENK{c + 1}",
                "classType": "scheduled",
                "schoolSourcedId": "org-bjs",
            }
        )
        enrollments.append(
            {
                "sourcedId": f"e-{cls}-t",
                "classSourcedId": cls,
                "schoolSourcedId": "org-bjs",
                "userSourcedId": "u-bench-t",
                "role": "teacher",
                "primary": "true",
            }
        )
        for s in range(STUDENTS_PER_COURSE):
            user = f"u-bench-s-{c}-{s}"
            users.append(
                {
                    "sourcedId": user,
                    "enabledUser": "true",
                    "username": f"bench.elev.{c}.{s}",
                    "givenName": f"Elev{s}",
                    "familyName": f"Benk{c}",
                    "email": f"elev.{c}.{s}@elev.example.no",
                    "grades": "10",
                    "primaryOrgSourcedId": "org-bjs",
                }
            )
            roles.append(
                {
                    "sourcedId": f"r-bench-s-{c}-{s}",
                    "userSourcedId": user,
                    "roleType": "primary",
                    "role": "student",
                    "orgSourcedId": "org-bjs",
                }
            )
            enrollments.append(
                {
                    "sourcedId": f"e-{cls}-s-{s}",
                    "classSourcedId": cls,
                    "schoolSourcedId": "org-bjs",
                    "userSourcedId": user,
                    "role": "student",
                    "primary": "false",
                }
            )
    _append_csv(folder / "users.csv", users)
    _append_csv(folder / "roles.csv", roles)
    _append_csv(folder / "classes.csv", classes)
    _append_csv(folder / "enrollments.csv", enrollments)


async def _bench_courses(engine: AsyncEngine) -> list[int]:
    c = t.courses.c
    async with engine.connect() as conn:
        found = await conn.execute(
            select(c.id).where(c.sourced_id.like("c-bench-%")).order_by(c.sourced_id)
        )
        return list(found.scalars().all())


async def seed_coursework(engine: AsyncEngine, settings: Settings) -> None:
    """Assignments through the service layer; submissions and assessments by bulk insert."""
    from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy
    from resolvers.services.actor import Actor
    from resolvers.services.coursework import create_assignment
    from resolvers.viewer import find_person_id, load_viewer

    courses = await _bench_courses(engine)
    a, e = t.assignments.c, t.enrolments.c
    async with engine.connect() as conn:
        done = await conn.execute(
            select(func.count()).select_from(t.assignments).where(a.course_id.in_(courses))
        )
        if done.scalar_one():
            return  # an earlier run made the dataset
    teacher = await find_person_id(engine, TEACHER)
    assert teacher is not None, "the benchmark roster was not imported"
    actor = Actor(
        engine=engine,
        policy=Policy(DEFAULT_MODEL, settings.policy_file or DEFAULT_POLICY),
        viewer=await load_viewer(engine, teacher),
    )
    start = datetime.now(UTC) - timedelta(days=30)
    for course in courses:
        for n in range(ASSIGNMENTS_PER_COURSE):
            await create_assignment(
                actor,
                course,
                f"Oppgave {n + 1}",
                "Svar på oppgaven og lever innen fristen.",
                due_at=start + timedelta(days=5 * (n + 1)),
            )
    async with engine.begin() as conn:
        assignments = (
            await conn.execute(
                select(a.id, a.course_id, a.due_at).where(a.course_id.in_(courses)).order_by(a.id)
            )
        ).all()
        students: dict[int, list[int]] = {}
        for course_id, person_id in (
            await conn.execute(
                select(e.course_id, e.person_id)
                .where(e.course_id.in_(courses), e.role == CourseRole.STUDENT)
                .order_by(e.person_id)
            )
        ).all():
            students.setdefault(course_id, []).append(person_id)
        submission_rows = [
            {
                "assignment_id": assignment_id,
                "student_id": student,
                "status": SubmissionStatus.SUBMITTED if i % 7 else SubmissionStatus.LATE,
                "submitted_at": due - timedelta(hours=i % 48),
                "body": f"Svar {i} på oppgave {assignment_id}: " + "tekst " * 20,
                "source": DataSource.PERSON,
            }
            for assignment_id, course_id, due in assignments
            for i, student in enumerate(students[course_id])
        ]
        await conn.execute(t.submissions.insert(), submission_rows)
        s = t.submissions.c
        made = (
            await conn.execute(
                select(s.id, s.student_id, a.course_id)
                .join(t.assignments, a.id == s.assignment_id)
                .where(a.course_id.in_(courses))
            )
        ).all()
        now = datetime.now(UTC)
        c = t.courses.c
        snapshot = {
            row.id: row
            for row in await conn.execute(
                select(c.id, c.school_id, c.code, c.name).where(c.id.in_(courses))
            )
        }
        await conn.execute(
            t.assessments.insert(),
            [
                {
                    "student_id": student,
                    "course_id": course_id,
                    "school_id": snapshot[course_id].school_id,
                    "course_code": snapshot[course_id].code,
                    "course_name": snapshot[course_id].name,
                    "submission_id": submission_id,
                    "assessor_id": teacher,
                    "assessor_name": "Bente Benk",
                    "kind": AssessmentKind.FEEDBACK,
                    "grade": GRADES[submission_id % len(GRADES)],
                    "comment": "Godt arbeid, se kommentarene i margen.",
                    "published": bool(submission_id % 3),
                    "created_at": now,
                    "source": DataSource.REGISTRATION,
                }
                for submission_id, student, course_id in made
            ],
        )


async def build_dataset(settings: Settings, workdir: Path) -> list[int]:
    """The demo school plus the benchmark's volume; returns the benchmark course ids."""
    await ensure_demo(settings, DEMO_ROSTER_DIR)
    roster = workdir / "roster"
    shutil.rmtree(roster, ignore_errors=True)
    write_roster(roster)
    engine = make_engine(settings.resolved_database_url())
    try:
        await import_roster(engine, roster, identity_key=b"bench-identity-key-0123456789abcdef")
        await seed_coursework(engine, settings)
        return await _bench_courses(engine)
    finally:
        await engine.dispose()


# --- the query -------------------------------------------------------------------------------

COURSE_SELECTION = """
    id code name
    students(first: 100) {
      totalCount
      edges { node {
        id displayName firstName lastName email
        submissions(courseId: "%(course)s", first: 100) {
          totalCount
          edges { node {
            id status submittedAt body lastOpenedAt
            assessments { id kind grade comment published createdAt assessorName }
          } }
        }
      } }
    }
"""


def gradebook_query(course_ids: list[int]) -> str:
    """One aliased ``course(id:)`` per course: ``submissions(courseId:)`` needs the id inline."""
    parts = []
    for n, pk in enumerate(course_ids):
        gid = to_global_id("Course", pk)
        selection = COURSE_SELECTION % {"course": gid}
        parts.append(f'  c{n}: course(id: "{gid}") {{{selection}  }}')
    return "query Gradebook {\n" + "\n".join(parts) + "\n}"


def count_objects(value: Any) -> int:
    """GraphQL objects with an ``id`` in the response (courses, users, submissions, ...)."""
    if isinstance(value, dict):
        return int("id" in value) + sum(count_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_objects(v) for v in value)
    return 0


# --- timing ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@contextlib.asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AppState]]:
    """The gateway app, plus the unguarded twin, with its lifespan running, over ASGITransport."""
    state = AppState.create(settings)
    app = create_app(settings, state=state)
    app.router.routes.append(
        Route("/graphql-unguarded", TavleGraphQL(state, bypass=True), methods=["POST"])
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client, state


async def post(client: httpx.AsyncClient, path: str, query: str, token: str) -> dict[str, Any]:
    response = await client.post(
        path, json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def count_statements(
    state: AppState, client: httpx.AsyncClient, path: str, query: str, token: str
) -> int:
    """SQL statements the server runs for one request to ``path``."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(state.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        await post(client, path, query, token)
    finally:
        event.remove(state.engine.sync_engine, "before_cursor_execute", on_execute)
    return len(seen)


#: Where the time goes, by the file a function lives in (first match wins).
BUCKETS = (
    ("authz/ (field guards, relations, policy)", ("/authz/",)),
    ("resolvers/builders.py (objects + relations)", ("/resolvers/builders.py",)),
    ("resolvers/ (loaders, scopes, fetch)", ("/resolvers/",)),
    ("schema/ (resolvers on types)", ("/schema/",)),
    ("graphql-core (execution)", ("/graphql/",)),
    ("strawberry", ("/strawberry/",)),
    ("SQLAlchemy + driver", ("/sqlalchemy/", "aiosqlite", "asyncpg", "sqlite3")),
    ("asyncio + threads", ("asyncio", "threading", "queue", "select.epoll")),
    ("json", ("/json/", "json.")),
    ("starlette + httpx", ("/starlette/", "/httpx/", "/anyio/")),
)


def _bucket(filename: str, name: str) -> str:
    where = filename if filename != "~" else name
    for label, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return label
    return "other"


@contextlib.contextmanager
def profiled(label: str, requests: int) -> Iterator[None]:
    """cProfile the block; print self time per bucket and the top functions (per request).

    Cumulative times are not printed: with coroutines cProfile counts every resumption as a
    call and attributes awaited time oddly; self time ("tottime") is reliable.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        stats = pstats.Stats(profiler)
        raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        buckets: dict[str, float] = {}
        total = 0.0
        for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
            bucket = _bucket(filename, name)
            buckets[bucket] = buckets.get(bucket, 0.0) + tottime
            total += tottime
        print(
            f"\n--- cProfile: {label}: self time per request "
            f"(profiled total {total / requests * 1000:.0f} ms) ---"
        )
        for bucket, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
            share = 100 * seconds / total
            print(f"  {seconds / requests * 1000:8.1f} ms  {share:5.1f} %  {bucket}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())


async def measure(args: argparse.Namespace, settings: Settings, course_ids: list[int]) -> float:
    query = gradebook_query(course_ids)
    async with client_for(settings) as (client, state):
        token = state.authenticator.mint_development_token(TEACHER)
        # A teacher reading answers stamps lastOpenedAt once (re-reads within minutes write
        # nothing): let the first read stamp them, so both runs below see the same data.
        await post(client, "/graphql", query, token)
        guarded = await post(client, "/graphql", query, token)
        unguarded = await post(client, "/graphql-unguarded", query, token)
        for label, body in (("guarded", guarded), ("unguarded", unguarded)):
            if body.get("errors"):
                raise SystemExit(f"{label} query failed: {body['errors'][:3]}")
        if guarded["data"] != unguarded["data"]:
            raise SystemExit("guarded and unguarded answers differ for the teacher")
        objects = count_objects(guarded["data"])
        size = len(httpx.Response(200, json=guarded).content)
        statements = {
            path: await count_statements(state, client, path, query, token)
            for path in ("/graphql", "/graphql-unguarded")
        }
        for _ in range(args.warmup):
            await post(client, "/graphql", query, token)
            await post(client, "/graphql-unguarded", query, token)

        times: dict[str, list[float]] = {"/graphql": [], "/graphql-unguarded": []}
        cpu: dict[str, list[float]] = {"/graphql": [], "/graphql-unguarded": []}
        for n in range(args.runs):
            order = ("/graphql", "/graphql-unguarded")
            for path in order if n % 2 == 0 else order[::-1]:
                gc.collect()
                start, cpu_start = time.perf_counter(), time.process_time()
                await post(client, path, query, token)
                times[path].append(time.perf_counter() - start)
                cpu[path].append(time.process_time() - cpu_start)

        if args.profile:
            for path in ("/graphql", "/graphql-unguarded"):
                gc.collect()
                with profiled(path, args.profile_runs):
                    for _ in range(args.profile_runs):
                        await post(client, path, query, token)

    g, u = times["/graphql"], times["/graphql-unguarded"]
    ratio = statistics.median(g) / statistics.median(u)
    backend = settings.resolved_database_url().split(":", 1)[0]
    print(f"backend:    {backend}")
    print(
        f"query:      gradebook of {TEACHER}: {len(course_ids)} courses -> students -> "
        f"submissions(courseId:) -> assessments"
    )
    print(f"objects:    {objects} (response {size / 1024:.0f} KiB)")
    print(
        f"SQL:        {statements['/graphql']} statements per guarded request, "
        f"{statements['/graphql-unguarded']} per unguarded request"
    )
    print(f"runs:       {args.runs} each, alternating, after {args.warmup} warm-up runs each")
    print(
        f"guarded:    median {statistics.median(g) * 1000:7.1f} ms   p90 "
        f"{percentile(g, 0.9) * 1000:7.1f} ms"
    )
    print(
        f"unguarded:  median {statistics.median(u) * 1000:7.1f} ms   p90 "
        f"{percentile(u, 0.9) * 1000:7.1f} ms"
    )
    print(f"ratio:      {ratio:.2f} guarded/unguarded (medians; target <= {args.target})")
    gc_, uc = statistics.median(cpu["/graphql"]), statistics.median(cpu["/graphql-unguarded"])
    print(
        f"CPU time:   median guarded {gc_ * 1000:.1f} ms, unguarded {uc * 1000:.1f} ms, "
        f"ratio {gc_ / uc:.2f} (this process's CPU, less sensitive to a busy machine)"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database instead of a temporary SQLite")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs of each first")
    parser.add_argument("--target", type=float, default=1.3, help="largest acceptable ratio")
    parser.add_argument("--profile", action="store_true", help="cProfile both endpoints")
    parser.add_argument("--profile-runs", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tavle-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=args.database_url,
            dev_secret=SecretStr(DEV_SECRET),
            dev_auth=True,
            jwks_url=None,
            jwks_file=None,
            graphiql=False,
        )
        started = time.perf_counter()
        course_ids = asyncio.run(build_dataset(settings, Path(tmp)))
        print(f"dataset:    ready in {time.perf_counter() - started:.1f} s")
        ratio = asyncio.run(measure(args, settings, course_ids))
    return 0 if ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
