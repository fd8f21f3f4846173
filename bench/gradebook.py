"""The teacher's gradebook: the benchmark dataset and the nested query every peer answers.

Shared by ``authz_overhead.py`` (in-process peers) and ``postgraphile.py`` (over loopback HTTP).

The dataset
    The demo school (``gateway.demo.ensure_demo``: ``gateway/demo_data/roster`` plus its activity),
    then a generated OneRoster folder imported with ``roster.import_roster``: a copy of
    ``gateway/demo_data/roster`` plus one teacher (``bench.teacher``) at Bjølsen skole with 6
    courses x 30 students of their own. Assignments (5 per course) are created through the service
    layer (``resolvers.services.coursework.create_assignment`` acting as the teacher). Submissions
    (one per student per assignment: 900) and assessments (one FEEDBACK per submission: 900) are
    bulk inserted with SQLAlchemy Core into ``store.tables`` for speed; that bypasses the services'
    write rules and audit entries, which is acceptable for a benchmark dataset and nothing else.
    A database made by an earlier run is reused: the dataset is only added once.

The query
    One aliased ``course(id:)`` per benchmark course: courses -> students(first: 100) ->
    submissions(courseId:, first: 100) -> assessments, about 2,000 objects with an ``id``.
"""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from config.ids import to_global_id
from config.settings import Settings
from gateway.demo import ensure_demo
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
