"""The floor: the gradebook's JSON from four hand-written SQLAlchemy Core statements and orjson.

No GraphQL, no authorisation, no objects: courses, their current student enrolments of active
people, the students' submissions in those courses and the submissions' assessments, each one
statement on one connection, nested into dicts and encoded with orjson. It answers ``POST`` with
the same ``data`` as Tavle gives the benchmark teacher for the gradebook query (the benchmark
checks), whatever the body says: it is what the work costs with nothing around it. Served as a
bare ASGI app, so its requests take the same httpx path as the other peers'.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config.ids import to_global_id
from store import tables as t
from store.tables import CourseRole, ProcessingState

FIRST = 100  # students(first: 100), submissions(first: 100)
Json = dict[str, Any]

_c, _e, _p, _a, _s, _x = (
    t.courses.c,
    t.enrolments.c,
    t.people.c,
    t.assignments.c,
    t.submissions.c,
    t.assessments.c,
)


def _connection(nodes: list[Json]) -> Json:
    return {"totalCount": len(nodes), "edges": [{"node": node} for node in nodes[:FIRST]]}


async def gradebook_json(engine: AsyncEngine, course_ids: list[int]) -> bytes:
    """``{"data": {"c0": course, ...}}`` for ``course_ids``, as bytes."""
    in_courses = _a.course_id.in_(course_ids)
    async with engine.connect() as conn:
        courses = (
            await conn.execute(select(_c.id, _c.code, _c.name).where(_c.id.in_(course_ids)))
        ).all()
        students = (
            await conn.execute(
                select(_e.course_id, _p.id, _p.given_name, _p.family_name, _p.email)
                .select_from(t.people.join(t.enrolments, _e.person_id == _p.id))
                .where(
                    _e.course_id.in_(course_ids),
                    _e.role == CourseRole.STUDENT,
                    _e.ended_at.is_(None),
                    _p.processing_state == ProcessingState.ACTIVE,
                )
                .order_by(_e.course_id, _p.id)
            )
        ).all()
        submissions = (
            await conn.execute(
                select(
                    _a.course_id,
                    _s.student_id,
                    _s.id,
                    _s.status,
                    _s.submitted_at,
                    _s.body,
                    _s.last_opened_at,
                )
                .select_from(t.submissions.join(t.assignments, _a.id == _s.assignment_id))
                .where(in_courses)
                .order_by(_s.id)
            )
        ).all()
        assessments = (
            await conn.execute(
                select(
                    _x.submission_id,
                    _x.id,
                    _x.kind,
                    _x.grade,
                    _x.comment,
                    _x.published,
                    _x.created_at,
                    _x.assessor_name,
                )
                .select_from(
                    t.assessments.join(t.submissions, _s.id == _x.submission_id).join(
                        t.assignments, _a.id == _s.assignment_id
                    )
                )
                .where(in_courses)
                .order_by(_x.id)
            )
        ).all()

    by_submission: dict[int, list[Json]] = defaultdict(list)
    for x in assessments:
        by_submission[x.submission_id].append(
            {
                "id": to_global_id("Assessment", x.id),
                "kind": x.kind,
                "grade": x.grade,
                "comment": x.comment,
                "published": x.published,
                "createdAt": x.created_at,
                "assessorName": x.assessor_name,
            }
        )
    by_student: dict[tuple[int, int], list[Json]] = defaultdict(list)
    for sub in submissions:
        by_student[(sub.course_id, sub.student_id)].append(
            {
                "id": to_global_id("Submission", sub.id),
                "status": sub.status,
                "submittedAt": sub.submitted_at,
                "body": sub.body,
                "lastOpenedAt": sub.last_opened_at,
                "assessments": by_submission.get(sub.id, []),
            }
        )
    by_course: dict[int, list[Json]] = defaultdict(list)
    for person in students:
        given, family = person.given_name, person.family_name
        by_course[person.course_id].append(
            {
                "id": to_global_id("User", person.id),
                "displayName": " ".join(part for part in (given, family) if part) or None,
                "firstName": given,
                "lastName": family,
                "email": person.email,
                "submissions": _connection(by_student.get((person.course_id, person.id), [])),
            }
        )
    found = {
        row.id: {
            "id": to_global_id("Course", row.id),
            "code": row.code,
            "name": row.name,
            "students": _connection(by_course.get(row.id, [])),
        }
        for row in courses
    }
    data = {f"c{n}": found.get(pk) for n, pk in enumerate(course_ids)}
    return orjson.dumps({"data": data})


class FloorApp:
    """A bare ASGI app: any HTTP request is answered with the gradebook of ``course_ids``."""

    def __init__(self, engine: AsyncEngine, course_ids: list[int]) -> None:
        self.engine = engine
        self.course_ids = list(course_ids)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:  # the request body is read, not used
            message = await receive()
            more = bool(message.get("more_body", False))
        body = await gradebook_json(self.engine, self.course_ids)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
