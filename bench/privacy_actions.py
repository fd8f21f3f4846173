"""How long do an XML export and an erasure take for a teacher with a lot of data, and does the
export's memory stay flat as the subject grows?

Usage (``./tavle`` creates the virtualenv on first use)::

    .venv/bin/python bench/privacy_actions.py                        # temporary SQLite file
    .venv/bin/python bench/privacy_actions.py --sizes 10000 40000 80000
    .venv/bin/python bench/privacy_actions.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/tavle_bench
    .venv/bin/python bench/privacy_actions.py --keep /tmp/tavle-bench   # keep the XML files
    .venv/bin/python bench/privacy_actions.py --repeat 5                # median of 5 exports
    .venv/bin/python bench/privacy_actions.py --school-sizes 500 4000   # school exports too

A PostgreSQL database given with ``--database-url`` should be empty or made by an earlier run of
this script: the demo school is only added once, and every run adds new subjects of its own (with
a random tag in their usernames and course codes), since the erasure consumes them. The script is
a benchmark, not a test; it exits 1 when a subject of at most 10,000 rows takes longer than
``--target`` seconds (default 5) to export or to erase, so CI may run it if wanted.

The dataset
    The demo school (``gateway.demo.ensure_demo``: ``gateway/demo_data/roster`` plus its activity),
    then, per size in ``--sizes`` (default 10,000 and 40,000), one teacher
    ``bench.privacy.<tag>.<size>`` at the demo's first school with ``size`` rows of their own, in
    these shares per 10,000: 2,000 course posts, 2,000 comments, 2,000 messages in 200 conversations
    (each with a demo person, who also replies once: that reply is not the subject's and stays out
    of the export), 1,000 assignments, 1,000 documents (400 private), 1,800 assessments given to
    demo students in the teacher's 10 courses and 200 calendar events (half personal). Everything of
    the benchmark (the teacher's person, role and enrolment rows, courses, content) is bulk inserted
    with SQLAlchemy Core into ``store.tables`` for speed; that bypasses the services' write rules
    and audit entries, which is acceptable for a benchmark dataset and nothing else.

What is measured
    Each subject is measured in a fresh child process (this script with ``--measure``), so the
    process peak (``ru_maxrss``) belongs to that subject alone and not to the seeding:

    * export: ``store.privacy.export.write_export`` in XML to a file, wall time (median of
      ``--repeat`` runs, default 3); the items and the file size; the RSS peak right after the
      runs;
    * export peak: the same export again under ``tracemalloc``, its peak of Python allocations
      (lxml's C buffers are not traced; the RSS column covers them). Flat as the subject grows =
      streaming works;
    * validation: ``store.privacy.schema_check.validate_xml`` on the file, timed separately and
      not part of the export time;
    * erasure: ``request_erasure`` (the preview) by ``admin`` then ``confirm_erasure`` by
      ``admin2`` through ``resolvers.services.privacy``, with ``erasure_background_rows`` large so
      it runs inline, in one transaction; wall time of each and the RSS peak after it.

The school export
    With ``--school-sizes`` (default 2,000 students), the demo school Bjølsen and, per size, a
    generated school ``bench-school-<tag>-<size>`` are exported with
    ``store.privacy.school_export.write_school_export`` (XML, to a zip file) in a child process
    each: wall time, archive size, people and entries, ``ru_maxrss`` after the run (minus the
    child's RSS before it: the export's own growth) and a tracemalloc peak of a second run. A
    generated school has ``size`` students, one guardian per two students, a teacher and a course
    per 25 students (each student in one course), and per course 10 posts with 2 comments each,
    5 assignments with an answer from every student, and 3 shared documents. Flat RSS and peak
    as the school grows = the archive is streamed. ``--school-sizes`` with no value measures the
    demo school only.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy
from config.settings import Settings
from gateway.demo import ensure_demo
from resolvers.services.actor import Actor
from resolvers.services.privacy import confirm_erasure, request_erasure
from resolvers.viewer import find_person_id, load_viewer
from roster import DEMO_ROSTER_DIR
from store import tables as t
from store.db import make_engine
from store.privacy.export import write_export
from store.privacy.schema_check import validate_xml
from store.privacy.school_export import write_school_export
from store.tables import (
    AssessmentKind,
    CourseRole,
    DataSource,
    PrivacyRequestStatus,
    ProcessingState,
    Role,
    SubmissionStatus,
)

DEV_SECRET = "tavle-benchmark-development-secret-0123456789"
#: Rows of each kind per 10,000 rows of the subject (they add up to 10,000).
SHARES = {
    "posts": 2000,
    "comments": 2000,
    "messages": 2000,
    "assignments": 1000,
    "documents": 1000,
    "assessments": 1800,
    "calendar_events": 200,
}
MESSAGES_PER_CONVERSATION = 10
COURSES = 10
STUDENTS_PER_COURSE = 25
CHUNK = 2000
GRADES = ("1", "2", "3", "4", "5", "6")
KINDS = (AssessmentKind.FEEDBACK, AssessmentKind.GOAL_ACHIEVEMENT, AssessmentKind.REMARK)
TEXT = (
    "Husk at innleveringen skal inneholde en kort refleksjon over hva du har lært, og at "
    "kildene skal oppgis etter malen vi gikk gjennom i timen. Spør meg gjerne om noe er uklart. "
)
WHY = "Benchmark: the employee has left and the controller decided on erasure"


def settings_for(data_dir: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        dev_secret=SecretStr(DEV_SECRET),
        erasure_background_rows=10**9,  # inline: the erasure is what is timed
    )


def rss_mib() -> float:
    """This process's peak resident set size so far (``ru_maxrss`` is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --- dataset ---------------------------------------------------------------------------------


def share(size: int, kind: str) -> int:
    return max(1, round(SHARES[kind] * size / 10_000))


async def _insert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(table.insert(), list(rows[start : start + CHUNK]))


async def _ids(conn: AsyncConnection, stmt: Any) -> list[int]:
    return [int(x) for x in (await conn.execute(stmt)).scalars()]


async def add_subject(engine: AsyncEngine, size: int, tag: str) -> tuple[str, dict[str, int]]:
    """A teacher with ``size`` rows of their own; returns the username and rows per table."""
    username = f"bench.privacy.{tag}.{size}"
    now = datetime.now(UTC)
    p, ra, c = t.people.c, t.role_assignments.c, t.courses.c
    async with engine.begin() as conn:
        school = (
            (await conn.execute(select(t.schools.c.id).where(t.schools.c.org_type == "school")))
            .scalars()
            .first()
        )
        assert school is not None, "the demo school has no school"
        students = await _ids(
            conn,
            select(ra.person_id).where(ra.role == Role.STUDENT).distinct().order_by(ra.person_id),
        )
        others = await _ids(  # demo people only: not the other benchmark subjects
            conn,
            select(ra.person_id)
            .join(t.people, p.id == ra.person_id)
            .where(
                ra.role.in_([Role.STUDENT, Role.GUARDIAN, Role.TEACHER]),
                ~p.sourced_id.like("bench-%"),
            )
            .distinct()
            .order_by(ra.person_id),
        )
        teacher = int(
            (
                await conn.execute(
                    t.people.insert()
                    .values(
                        sourced_id=f"bench-{tag}-{size}",
                        username=username,
                        given_name="Bente",
                        family_name=f"Benk {size}",
                        email=f"{username}@bjolsen.example.no",
                        national_id=f"{secrets.randbelow(10**11):011d}",
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(p.id)
                )
            ).scalar_one()
        )
        await conn.execute(
            t.role_assignments.insert().values(
                person_id=teacher, role=Role.TEACHER, school_id=school
            )
        )
        await _insert(
            conn,
            t.courses,
            [
                {
                    "sourced_id": f"bench-{tag}-{size}-c{n}",
                    "school_id": school,
                    "code": f"BP{size // 1000}K-{n + 1}",
                    "name": f"Benkfag {n + 1}",
                    "is_homeroom": False,
                }
                for n in range(COURSES)
            ],
        )
        courses = await _ids(
            conn, select(c.id).where(c.sourced_id.like(f"bench-{tag}-{size}-c%")).order_by(c.id)
        )
        members: dict[int, list[int]] = {}
        enrolments: list[dict[str, Any]] = []
        for n, course in enumerate(courses):
            enrolments.append(
                {"course_id": course, "person_id": teacher, "role": CourseRole.TEACHER}
            )
            picked = [students[(n * 7 + k) % len(students)] for k in range(STUDENTS_PER_COURSE)]
            members[course] = sorted(set(picked))
            enrolments += [
                {"course_id": course, "person_id": s, "role": CourseRole.STUDENT}
                for s in members[course]
            ]
        await _insert(conn, t.enrolments, enrolments)

        def at(n: int) -> datetime:
            return now - timedelta(minutes=7 * n)

        def course_of(n: int) -> int:
            return courses[n % len(courses)]

        made: dict[str, int] = {}
        rows = [
            {
                "course_id": course_of(n),
                "author_id": teacher,
                "body": f"Beskjed {n}: {TEXT}",
                "created_at": at(n),
                "source": DataSource.PERSON,
            }
            for n in range(share(size, "posts"))
        ]
        await _insert(conn, t.posts, rows)
        made["posts"] = len(rows)
        posts = await _ids(conn, select(t.posts.c.id).where(t.posts.c.author_id == teacher))
        rows = [
            {
                "post_id": posts[n % len(posts)],
                "author_id": teacher,
                "body": f"Tillegg {n}: husk fristen på fredag.",
                "created_at": at(n),
                "source": DataSource.PERSON,
            }
            for n in range(share(size, "comments"))
        ]
        await _insert(conn, t.comments, rows)
        made["comments"] = len(rows)

        conversations = -(-share(size, "messages") // MESSAGES_PER_CONVERSATION)
        first = (
            await conn.execute(select(t.conversations.c.id).order_by(t.conversations.c.id.desc()))
        ).scalars().first() or 0
        await _insert(conn, t.conversations, [{"created_at": at(n)} for n in range(conversations)])
        cv = t.conversations.c
        talks = await _ids(conn, select(cv.id).where(cv.id > first).order_by(cv.id))
        assert len(talks) == conversations
        partners = [others[n % len(others)] for n in range(conversations)]
        await _insert(
            conn,
            t.conversation_participants,
            [{"conversation_id": k, "person_id": teacher} for k in talks]
            + [
                {"conversation_id": k, "person_id": w} for k, w in zip(talks, partners, strict=True)
            ],
        )
        rows = [
            {
                "conversation_id": talks[n // MESSAGES_PER_CONVERSATION],
                "author_id": teacher,
                "body": f"Melding {n}: {TEXT[:120]}",
                "sent_at": at(n),
                "source": DataSource.PERSON,
            }
            for n in range(share(size, "messages"))
        ]
        replies = [
            {
                "conversation_id": k,
                "author_id": w,
                "body": "Takk for beskjed!",
                "sent_at": now,
                "source": DataSource.PERSON,
            }
            for k, w in zip(talks, partners, strict=True)
        ]
        await _insert(conn, t.messages, rows + replies)
        made["messages"] = len(rows)

        rows = [
            {
                "course_id": course_of(n),
                "author_id": teacher,
                "title": f"Oppgave {n + 1}",
                "instructions": TEXT,
                "due_at": now + timedelta(days=n % 60),
                "created_at": at(n),
                "source": DataSource.PERSON,
            }
            for n in range(share(size, "assignments"))
        ]
        await _insert(conn, t.assignments, rows)
        made["assignments"] = len(rows)
        rows = [
            {
                "owner_id": teacher,
                "course_id": None if n % 5 < 2 else course_of(n),  # 40 % private
                "title": f"Notat {n + 1}",
                "body": TEXT * 4,
                "created_at": at(n),
                "source": DataSource.PERSON,
            }
            for n in range(share(size, "documents"))
        ]
        await _insert(conn, t.documents, rows)
        made["documents"] = len(rows)
        rows = []
        for n in range(share(size, "assessments")):
            course = course_of(n)
            rows.append(
                {
                    "student_id": members[course][n % len(members[course])],
                    "course_id": course,
                    "assessor_id": teacher,
                    "assessor_name": f"Bente Benk {size}",
                    "kind": KINDS[n % len(KINDS)],
                    "grade": GRADES[n % len(GRADES)],
                    "comment": "Godt arbeid; se kommentarene i margen.",
                    "published": bool(n % 3),
                    "created_at": at(n),
                    "source": DataSource.REGISTRATION,
                }
            )
        await _insert(conn, t.assessments, rows)
        made["assessments"] = len(rows)
        rows = [
            {
                "owner_id": teacher,
                "course_id": None if n % 2 else course_of(n),
                "title": f"Avtale {n + 1}",
                "starts_at": now + timedelta(hours=n),
                "ends_at": now + timedelta(hours=n, minutes=45),
                "source": DataSource.PERSON,
            }
            for n in range(share(size, "calendar_events"))
        ]
        await _insert(conn, t.calendar_events, rows)
        made["calendar_events"] = len(rows)
    return username, made


async def build_dataset(settings: Settings, sizes: Sequence[int], tag: str) -> list[Subject]:
    await ensure_demo(settings, DEMO_ROSTER_DIR)
    engine = make_engine(settings.resolved_database_url())
    try:
        subjects = []
        for size in sizes:
            username, made = await add_subject(engine, size, tag)
            subjects.append(Subject(size, username, made))
        return subjects
    finally:
        await engine.dispose()


# --- the school export ------------------------------------------------------------------------

STUDENTS_PER_SCHOOL_COURSE = 25


async def add_school(engine: AsyncEngine, students: int, tag: str) -> str:
    """A generated school of ``students`` students (see the module docstring); its sourcedId."""
    sourced = f"bench-school-{tag}-{students}"
    now = datetime.now(UTC)
    p, c, a = t.people.c, t.courses.c, t.assignments.c
    async with engine.begin() as conn:
        school = int(
            (
                await conn.execute(
                    t.schools.insert()
                    .values(sourced_id=sourced, name=f"Benk skole {students}", org_type="school")
                    .returning(t.schools.c.id)
                )
            ).scalar_one()
        )

        async def people(kind: str, n: int, role: Role) -> list[int]:
            await _insert(
                conn,
                t.people,
                [
                    {
                        "sourced_id": f"{sourced}-{kind}-{k}",
                        "username": f"{sourced}.{kind}.{k}",
                        "given_name": "Kari" if k % 2 else "Ola",
                        "family_name": f"Benk {k}",
                        "email": f"{kind}{k}@{sourced}.example.no",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for k in range(n)
                ],
            )
            ids = await _ids(
                conn, select(p.id).where(p.sourced_id.like(f"{sourced}-{kind}-%")).order_by(p.id)
            )
            await _insert(
                conn,
                t.role_assignments,
                [{"person_id": i, "role": role, "school_id": school} for i in ids],
            )
            return ids

        pupils = await people("s", students, Role.STUDENT)
        guardians = await people("g", -(-students // 2), Role.GUARDIAN)
        await _insert(
            conn,
            t.guardianships,
            [{"guardian_id": guardians[k // 2], "student_id": s} for k, s in enumerate(pupils)],
        )
        n_courses = -(-students // STUDENTS_PER_SCHOOL_COURSE)
        teachers = await people("t", n_courses, Role.TEACHER)
        await _insert(
            conn,
            t.courses,
            [
                {
                    "sourced_id": f"{sourced}-c{n}",
                    "school_id": school,
                    "code": f"BS{n}",
                    "name": f"Benkfag {n}",
                    "is_homeroom": False,
                }
                for n in range(n_courses)
            ],
        )
        courses = await _ids(conn, select(c.id).where(c.school_id == school).order_by(c.id))
        size = STUDENTS_PER_SCHOOL_COURSE
        members = {course: pupils[n * size : (n + 1) * size] for n, course in enumerate(courses)}
        await _insert(
            conn,
            t.enrolments,
            [
                {"course_id": course, "person_id": teachers[n], "role": CourseRole.TEACHER}
                for n, course in enumerate(courses)
            ]
            + [
                {"course_id": course, "person_id": s, "role": CourseRole.STUDENT}
                for course, students_of in members.items()
                for s in students_of
            ],
        )
        for n, course in enumerate(courses):
            teacher = teachers[n]
            await _insert(
                conn,
                t.posts,
                [
                    {"course_id": course, "author_id": teacher, "body": TEXT, "created_at": now}
                    for _ in range(10)
                ],
            )
            posts = await _ids(conn, select(t.posts.c.id).where(t.posts.c.course_id == course))
            await _insert(
                conn,
                t.comments,
                [
                    {
                        "post_id": post,
                        "author_id": members[course][k],
                        "body": "Takk!",
                        "created_at": now,
                    }
                    for post in posts
                    for k in range(min(2, len(members[course])))
                ],
            )
            await _insert(
                conn,
                t.assignments,
                [
                    {
                        "course_id": course,
                        "author_id": teacher,
                        "title": f"Oppgave {k}",
                        "instructions": TEXT,
                        "created_at": now,
                    }
                    for k in range(5)
                ],
            )
            tasks = await _ids(conn, select(a.id).where(a.course_id == course))
            await _insert(
                conn,
                t.submissions,
                [
                    {
                        "assignment_id": task,
                        "student_id": s,
                        "status": SubmissionStatus.SUBMITTED,
                        "submitted_at": now,
                        "body": TEXT * 3,
                    }
                    for task in tasks
                    for s in members[course]
                ],
            )
            await _insert(
                conn,
                t.documents,
                [
                    {
                        "owner_id": teacher,
                        "course_id": course,
                        "title": f"Notat {k}",
                        "body": TEXT * 4,
                        "created_at": now,
                    }
                    for k in range(3)
                ],
            )
    return sourced


async def measure_school(settings: Settings, sourced: str, folder: Path) -> dict[str, Any]:
    engine = make_engine(settings.resolved_database_url())
    target = folder / f"{sourced}.zip"
    try:
        async with engine.connect() as conn:
            school = (
                await conn.execute(select(t.schools.c.id).where(t.schools.c.sourced_id == sourced))
            ).scalar_one()

        async def run() -> Any:
            async with engine.connect() as conn:
                with target.open("w+b") as out:
                    return await write_school_export(
                        conn,
                        school,
                        "XML",
                        out,
                        settings.privacy_notices(),
                        datetime.now(UTC),
                        1,
                        storage=None,
                        spool_dir=folder,
                    )

        figures: dict[str, Any] = {"rss_start_mib": rss_mib()}
        gc.collect()
        started = time.perf_counter()
        result = await run()
        figures["export_s"] = time.perf_counter() - started
        figures["rss_mib"] = rss_mib()
        figures["people"] = result.people
        figures["entries"] = result.entries
        figures["archive_mib"] = target.stat().st_size / 2**20
        gc.collect()
        tracemalloc.start()
        try:
            await run()
            figures["py_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
        return figures
    finally:
        target.unlink(missing_ok=True)
        await engine.dispose()


def run_school_child(sourced: str, database_url: str, folder: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure-school",
        sourced,
        "--database-url",
        database_url,
        "--data-dir",
        str(folder),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"measuring the school export of {sourced} failed")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def report_schools(results: Sequence[tuple[str, dict[str, Any]]]) -> None:
    print()
    print("school export (XML zip, no file storage), one child process per school:")
    print(
        f"{'school':>28} {'people':>7} {'entries':>8} {'zip MiB':>8} {'export s':>9} "
        f"{'rss MiB':>8} {'rss +MiB':>9} {'py peak MiB':>12}"
    )
    for sourced, r in results:
        print(
            f"{sourced:>28} {r['people']:>7,} {r['entries']:>8,} {r['archive_mib']:>8.1f} "
            f"{r['export_s']:>9.2f} {r['rss_mib']:>8.0f} "
            f"{r['rss_mib'] - r['rss_start_mib']:>9.1f} {r['py_peak_mib']:>12.2f}"
        )
    print(
        "rss: the child's ru_maxrss after the export; rss +: its growth during the export;\n"
        "py peak: tracemalloc peak of a second run (Python allocations only)."
    )


@dataclass(frozen=True)
class Subject:
    size: int
    username: str
    rows: dict[str, int]


# --- one subject, in a child process -------------------------------------------------------------


async def _actor(engine: AsyncEngine, policy: Policy, username: str) -> Actor:
    person = await find_person_id(engine, username)
    if person is None:
        raise SystemExit(f"no active person {username!r}")
    return Actor(engine, policy, await load_viewer(engine, person))


async def _export(engine: AsyncEngine, subject: int, path: Path, settings: Settings) -> int:
    async with engine.connect() as conn:
        with path.open("wb") as out:
            effects = await write_export(
                conn, subject, "XML", out, settings.privacy_notices(), datetime.now(UTC), 1
            )
    return sum(e.count for e in effects)


async def measure_subject(
    settings: Settings, username: str, folder: Path, repeat: int
) -> dict[str, Any]:
    engine = make_engine(settings.resolved_database_url())
    try:
        subject = await find_person_id(engine, username)
        if subject is None:
            raise SystemExit(f"no active person {username!r}")
        policy = Policy(DEFAULT_MODEL, settings.policy_file or DEFAULT_POLICY)
        admin = await _actor(engine, policy, "admin")
        admin2 = await _actor(engine, policy, "admin2")
        target = folder / f"export-{username}.xml"
        result: dict[str, Any] = {"rss_start_mib": rss_mib()}

        times = []
        for _ in range(repeat):
            gc.collect()
            started = time.perf_counter()
            result["items"] = await _export(engine, subject, target, settings)
            times.append(time.perf_counter() - started)
        result["export_s"] = statistics.median(times)
        result["export_all_s"] = times
        result["rss_export_mib"] = rss_mib()
        result["file_bytes"] = target.stat().st_size

        gc.collect()
        tracemalloc.start()
        try:
            started = time.perf_counter()
            await _export(engine, subject, target, settings)
            result["traced_export_s"] = time.perf_counter() - started
            result["export_peak_mib"] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        finally:
            tracemalloc.stop()

        started = time.perf_counter()
        validate_xml(target)
        result["validate_s"] = time.perf_counter() - started

        gc.collect()
        started = time.perf_counter()
        request_id = await request_erasure(admin, subject, WHY)
        result["request_s"] = time.perf_counter() - started
        started = time.perf_counter()
        outcome = await confirm_erasure(
            admin2, request_id, settings, identity_key=b"bench-identity-key-0123456789abcdef"
        )
        result["confirm_s"] = time.perf_counter() - started
        result["rss_erasure_mib"] = rss_mib()
        if outcome.background:
            raise SystemExit("the erasure was queued: erasure_background_rows is too small")
        r, p = t.privacy_requests.c, t.people.c
        async with engine.connect() as conn:
            row = (await conn.execute(select(r.status, r.effects).where(r.id == request_id))).one()
            state = (
                await conn.execute(select(p.processing_state).where(p.id == subject))
            ).scalar_one()
        if row.status != PrivacyRequestStatus.COMPLETED or state != ProcessingState.ERASED:
            raise SystemExit(f"the erasure did not complete: {row.status}, {state}")
        outcomes: dict[str, int] = {}
        for effect in json.loads(row.effects):
            outcomes[effect["outcome"]] = outcomes.get(effect["outcome"], 0) + int(effect["count"])
        result["erasure_outcomes"] = outcomes
        return result
    finally:
        await engine.dispose()


def run_child(subject: Subject, database_url: str, folder: Path, repeat: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        subject.username,
        "--database-url",
        database_url,
        "--data-dir",
        str(folder),
        "--repeat",
        str(repeat),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"measuring {subject.username} failed (exit {done.returncode})")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# --- report ----------------------------------------------------------------------------------


def _banner(title: str, width: int) -> str:
    """``---- title ----`` over columns ``width`` characters wide."""
    dashes = width - len(title) - 2
    return f"{'-' * (dashes // 2)} {title} {'-' * (dashes - dashes // 2)}"


def report(backend: str, subjects: Sequence[Subject], results: Sequence[dict[str, Any]]) -> None:
    print(f"backend: {backend}")
    for subject in subjects:
        parts = ", ".join(f"{k} {v:,}" for k, v in subject.rows.items())
        print(f"subject {subject.username}: {sum(subject.rows.values()):,} rows ({parts})")
    print()
    header = (
        f"{'rows':>7} {'items':>7} {'XML MiB':>8} {'export s':>9} {'py peak MiB':>12} "
        f"{'rss MiB':>8} {'validate s':>11} {'preview s':>10} {'erase s':>8} "
        f"{'erasure s':>10} {'rss MiB':>8}"
    )
    print(f"{'':>7} {_banner('export', 48)} {'':>11} {_banner('erasure', 39)}")
    print(header)
    for subject, r in zip(subjects, results, strict=True):
        print(
            f"{sum(subject.rows.values()):>7,} {r['items']:>7,} "
            f"{r['file_bytes'] / 2**20:>8.1f} {r['export_s']:>9.2f} "
            f"{r['export_peak_mib']:>12.2f} {r['rss_export_mib']:>8.0f} "
            f"{r['validate_s']:>11.2f} {r['request_s']:>10.2f} {r['confirm_s']:>8.2f} "
            f"{r['request_s'] + r['confirm_s']:>10.2f} {r['rss_erasure_mib']:>8.0f}"
        )
    print()
    for subject, r in zip(subjects, results, strict=True):
        runs = ", ".join(f"{x:.2f}" for x in r["export_all_s"])
        done = ", ".join(f"{k.lower()} {v:,}" for k, v in r["erasure_outcomes"].items())
        print(
            f"{sum(subject.rows.values()):>7,} rows: export runs {runs} s "
            f"(traced run {r['traced_export_s']:.2f} s); erasure effects: {done}"
        )
    print()
    print(
        "rows: the subject's own rows; items: exported items; export s: median of the runs;\n"
        "py peak: tracemalloc peak of one more export (Python allocations only); rss: the\n"
        "child process's ru_maxrss after the exports / after the erasure (it was about "
        f"{results[0]['rss_start_mib']:.0f} MiB\nbefore the first export: interpreter, imports, "
        "engine); erasure s = preview (requestErasure)\n+ erase (confirmErasure, inline, one "
        "transaction)."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database instead of a temporary SQLite")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 40_000], help="rows per subject"
    )
    parser.add_argument("--target", type=float, default=5.0, help="seconds, for <= 10k rows")
    parser.add_argument("--repeat", type=int, default=3, help="timed exports per subject")
    parser.add_argument("--keep", type=Path, help="write the export files here and keep them")
    parser.add_argument(
        "--school-sizes",
        type=int,
        nargs="*",
        default=[2000],
        help="students per generated school for the school export (none: the demo school only)",
    )
    parser.add_argument("--measure-school", metavar="SOURCED_ID", help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="USERNAME", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure_school:  # the child process: one school export
        settings = settings_for(args.data_dir, args.database_url)
        print(json.dumps(asyncio.run(measure_school(settings, args.measure_school, args.data_dir))))
        return 0

    if args.measure:  # the child process: one subject
        settings = settings_for(args.data_dir, args.database_url)
        figures = asyncio.run(
            measure_subject(settings, args.measure, args.data_dir, max(1, args.repeat))
        )
        print(json.dumps(figures))
        return 0

    with tempfile.TemporaryDirectory(prefix="tavle-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        settings = settings_for(Path(tmp), args.database_url)
        started = time.perf_counter()
        tag = secrets.token_hex(3)
        subjects = asyncio.run(build_dataset(settings, args.sizes, tag))
        schools = ["org-bjs"] + [asyncio.run(_school(settings, n, tag)) for n in args.school_sizes]
        print(f"dataset: ready in {time.perf_counter() - started:.1f} s")
        url = settings.resolved_database_url()
        # Schools first: the erasures below remove the subjects (not the schools' people).
        school_results = [(s, run_school_child(s, url, folder)) for s in schools]
        results = [run_child(subject, url, folder, args.repeat) for subject in subjects]
        report(url.split(":", 1)[0], subjects, results)
        report_schools(school_results)
    slow = [
        s.size
        for s, r in zip(subjects, results, strict=True)
        if s.size <= 10_000 and max(r["export_s"], r["request_s"] + r["confirm_s"]) > args.target
    ]
    if slow:
        print(f"over the {args.target:.0f} s target: subjects of {slow} rows")
    return 1 if slow else 0


async def _school(settings: Settings, students: int, tag: str) -> str:
    engine = make_engine(settings.resolved_database_url())
    try:
        return await add_school(engine, students, tag)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
