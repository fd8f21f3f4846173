"""Reads across the school year (docs/school-year.md): course and school state, terms, import runs,
and which memberships still grant access.

A gateway of its own per backend: the tests archive courses, end enrolments and add import runs
directly in the database (as the roster import would), which the shared gateway's other modules
must not see. Each test puts back what it changed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from read_support import NOT_FOUND, mutate, node_ids, pk_of
from sqlalchemy import update

from config.ids import to_global_id
from store import audit
from store import tables as t
from store.db import make_engine
from store.tables import AcademicSessionType, CourseState

ARCHIVED_AT = datetime(2031, 6, 20, 16, 0, tzinfo=UTC)
ENDED_AT = datetime(2031, 1, 15, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=BACKENDS)
def year(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "school-year") as gateway:
        yield gateway


def set_course_state(live: LiveGateway, course: str, state: CourseState) -> None:
    archived_at = ARCHIVED_AT if state == CourseState.ARCHIVED else None
    live.execute(
        update(t.courses)
        .where(t.courses.c.sourced_id == course)
        .values(state=state, archived_at=archived_at),
    )


def set_ended(live: LiveGateway, course: str, username: str, ended_at: datetime | None) -> None:
    e = t.enrolments.c
    live.execute(
        update(t.enrolments)
        .where(e.course_id == live.course_pk(course), e.person_id == live.person_pk(username))
        .values(ended_at=ended_at),
    )


def ok(live: LiveGateway, viewer: str, query: str, **variables: Any) -> Any:
    result = live.gql(query, variables, as_user=viewer)
    assert result.errors == [], result.errors
    return result.data


ASSESS = """
mutation($s: ID!, $c: ID!, $k: AssessmentKind!) {
  assess(input: {studentId: $s, courseId: $c, kind: $k, grade: "3"}) { id }
}"""
CREATE_ASSIGNMENT = """
mutation($c: ID!) { createAssignment(input: {courseId: $c, title: "Årsprøve"}) { id } }"""
SUBMIT = """
mutation($a: ID!) { submitAnswer(input: {assignmentId: $a, body: "Mitt svar"}) { id } }"""


def assess(live: LiveGateway, teacher: str, student: str, course: str, kind: str) -> str:
    made = mutate(
        live, teacher, ASSESS, s=live.person_id(student), c=live.course_id(course), k=kind
    )
    return str(made["id"])


# --- state, archivedAt, terms --------------------------------------------------------------------

COURSE_STATE = """
query($id: ID!) { course(id: $id) { id state archivedAt school { id state } } }"""


def test_courses_and_schools_are_active_with_no_archive_time(year: LiveGateway) -> None:
    data = ok(year, "larer.dahl", COURSE_STATE, id=year.course_id("c-bjs-nor8"))
    assert data["course"]["state"] == "ACTIVE"
    assert data["course"]["archivedAt"] is None
    assert data["course"]["school"] == {"id": year.school_id("org-bjs"), "state": "ACTIVE"}


TERMS = """
query($id: ID!) { course(id: $id) {
  terms { id title type startDate endDate parent { id title type parent { id } } }
} }"""


def test_course_terms_and_academic_sessions(year: LiveGateway) -> None:
    sessions = t.academic_sessions
    inserted = year.execute(
        sessions.insert().values(
            sourced_id="test-year-2031",
            title="Skoleåret 2031/32",
            type=AcademicSessionType.SCHOOL_YEAR,
            start_date=date(2031, 8, 15),
            end_date=date(2032, 6, 20),
            school_year="2032",
        ),
    )
    year_pk = inserted[0].inserted_primary_key[0]
    term_pk = year.execute(
        sessions.insert().values(
            sourced_id="test-term-2031-h",
            title="Høst 2031",
            type=AcademicSessionType.TERM,
            start_date=date(2031, 8, 15),
            end_date=date(2031, 12, 20),
            parent_id=year_pk,
            school_year="2032",
        ),
    )[0].inserted_primary_key[0]
    year.execute(
        t.course_terms.insert().values(course_id=year.course_pk("c-bjs-mat9"), session_id=term_pk),
    )
    term_id = to_global_id("AcademicSession", term_pk)
    year_id = to_global_id("AcademicSession", year_pk)

    data = ok(year, "elev.emma", TERMS, id=year.course_id("c-bjs-mat9"))
    assert {
        "id": term_id,
        "title": "Høst 2031",
        "type": "TERM",
        "startDate": "2031-08-15",
        "endDate": "2031-12-20",
        "parent": {
            "id": year_id,
            "title": "Skoleåret 2031/32",
            "type": "SCHOOL_YEAR",
            "parent": None,
        },
    } in data["course"]["terms"]
    # Calendar data: any authenticated caller resolves a session by id, also from another school.
    for viewer in ("larer.nilsen", "foresatt.kari"):
        found = ok(
            year,
            viewer,
            "query($id: ID!) { node(id: $id) { id ... on AcademicSession { title endDate } } }",
            id=term_id,
        )
        assert found["node"] == {"id": term_id, "title": "Høst 2031", "endDate": "2031-12-20"}
    anonymous = year.gql("query($id: ID!) { node(id: $id) { id } }", {"id": term_id})
    assert anonymous.data is None or anonymous.data["node"] is None


# --- archived courses ----------------------------------------------------------------------------

COURSES = """
query($state: CourseState) {
  courses(first: 500, state: $state) { totalCount edges { node { id state archivedAt } } }
}"""
COURSES_DEFAULT = "{ courses(first: 500) { totalCount edges { node { id state } } } }"
ARCHIVED_CONTENT = """
query($id: ID!) { course(id: $id) {
  state
  assignments(first: 500) { edges { node { id } } }
  students(first: 500) { edges { node { id } } }
  assessments(first: 500) { totalCount edges { node { id } } }
} }"""


def test_archived_courses_are_listed_by_state_and_keep_granting_reads(year: LiveGateway) -> None:
    """An archived course's enrolments stay open (the import does not end them), so its
    teacher still reads its content and assessments, and its students their own grades."""
    nor8 = year.course_id("c-bjs-nor8")
    assignment = mutate(year, "larer.dahl", CREATE_ASSIGNMENT, c=nor8)["id"]
    submission = mutate(year, "elev.ola", SUBMIT, a=assignment)["id"]
    feedback = assess(year, "larer.dahl", "elev.ola", "c-bjs-nor8", "FEEDBACK")
    half_year = assess(year, "larer.dahl", "elev.ola", "c-bjs-nor8", "HALF_YEAR")
    set_course_state(year, "c-bjs-nor8", CourseState.ARCHIVED)
    try:
        active = node_ids(ok(year, "larer.dahl", COURSES_DEFAULT)["courses"])
        assert nor8 not in active
        assert year.course_id("c-bjs-mat8") not in active  # dahl teaches NOR8 only
        archived = ok(year, "larer.dahl", COURSES, state="ARCHIVED")["courses"]
        assert archived["edges"] == [
            {"node": {"id": nor8, "state": "ARCHIVED", "archivedAt": ARCHIVED_AT.isoformat()}}
        ]
        assert archived["totalCount"] == 1
        every = ok(year, "rektor.bjolsen", COURSES, state=None)["courses"]
        states = {e["node"]["id"]: e["node"]["state"] for e in every["edges"]}
        assert states[nor8] == "ARCHIVED"
        assert states[year.course_id("c-bjs-mat8")] == "ACTIVE"
        leader_active = ok(year, "rektor.bjolsen", COURSES_DEFAULT)["courses"]
        assert leader_active["totalCount"] == every["totalCount"] - 1

        teacher = ok(year, "larer.dahl", ARCHIVED_CONTENT, id=nor8)["course"]
        assert teacher["state"] == "ARCHIVED"
        assert assignment in node_ids(teacher["assignments"])
        assert year.person_id("elev.ola") in node_ids(teacher["students"])
        assert {feedback, half_year} <= set(node_ids(teacher["assessments"]))

        student = ok(year, "elev.ola", ARCHIVED_CONTENT, id=nor8)["course"]
        assert assignment in node_ids(student["assignments"])
        assert feedback in node_ids(student["assessments"])
        assert half_year not in node_ids(student["assessments"])
        own = ok(
            year,
            "elev.ola",
            "query($id: ID!) { submission(id: $id) { id body } }",
            id=submission,
        )
        assert own["submission"] == {"id": submission, "body": "Mitt svar"}
        guardian = ok(
            year,
            "foresatt.kari",
            "query($id: ID!) { course(id: $id) { assessments { edges { node { id } } } } }",
            id=nor8,
        )["course"]
        assert feedback in node_ids(guardian["assessments"])
        assert half_year not in node_ids(guardian["assessments"])
    finally:
        set_course_state(year, "c-bjs-nor8", CourseState.ACTIVE)


def test_an_archived_homeroom_no_longer_makes_a_contact_teacher(year: LiveGateway) -> None:
    """larer.hansen is elev.ola's contact teacher through 8A; once 8A is archived, hansen no
    longer sees ola's assessments in NOR8, a course hansen does not teach."""
    remark = assess(year, "larer.dahl", "elev.ola", "c-bjs-nor8", "REMARK")
    lookup = "query($id: ID!) { assessment(id: $id) { id } }"
    assert ok(year, "larer.hansen", lookup, id=remark)["assessment"] == {"id": remark}
    set_course_state(year, "c-bjs-8a", CourseState.ARCHIVED)
    try:
        result = year.gql(lookup, {"id": remark}, as_user="larer.hansen")
        assert result.data["assessment"] is None
        assert result.code_at("assessment") == NOT_FOUND
        # The archived homeroom itself is still readable to its teacher (open enrolment).
        homeroom = ok(year, "larer.hansen", COURSE_STATE, id=year.course_id("c-bjs-8a"))
        assert homeroom["course"]["state"] == "ARCHIVED"
    finally:
        set_course_state(year, "c-bjs-8a", CourseState.ACTIVE)
    assert ok(year, "larer.hansen", lookup, id=remark)["assessment"] == {"id": remark}


# --- ended enrolments ----------------------------------------------------------------------------

COURSE_LOOKUP = "query($id: ID!) { course(id: $id) { id } }"
MY_COURSES = "{ viewer { courses(first: 500) { edges { node { id } } } } }"
MY_GRADES = "{ viewer { assessments(first: 500) { edges { node { id } } } } }"


def test_an_ended_enrolment_grants_nothing(year: LiveGateway) -> None:
    mat9 = year.course_id("c-bjs-mat9")
    grade = assess(year, "larer.berg", "elev.emma", "c-bjs-mat9", "FEEDBACK")
    assert ok(year, "elev.emma", COURSE_LOOKUP, id=mat9)["course"] == {"id": mat9}
    assert ok(year, "foresatt.linn", COURSE_LOOKUP, id=mat9)["course"] == {"id": mat9}
    set_ended(year, "c-bjs-mat9", "elev.emma", ENDED_AT)
    try:
        for viewer in ("elev.emma", "foresatt.linn"):  # the student, and her guardian
            result = year.gql(COURSE_LOOKUP, {"id": mat9}, as_user=viewer)
            assert result.data["course"] is None, viewer
            assert result.code_at("course") == NOT_FOUND
        assert mat9 not in node_ids(ok(year, "elev.emma", MY_COURSES)["viewer"]["courses"])
        teacher = ok(year, "larer.berg", ARCHIVED_CONTENT, id=mat9)["course"]
        assert year.person_id("elev.emma") not in node_ids(teacher["students"])
        # The grade stays hers and the course's (docs/school-year.md rule 3).
        assert grade in node_ids(teacher["assessments"])
        assert grade in node_ids(ok(year, "elev.emma", MY_GRADES)["viewer"]["assessments"])
        of_emma = ok(
            year,
            "foresatt.linn",
            "query($id: ID!) { user(id: $id) { assessments { edges { node { id } } } } }",
            id=year.person_id("elev.emma"),
        )
        assert grade in node_ids(of_emma["user"]["assessments"])
    finally:
        set_ended(year, "c-bjs-mat9", "elev.emma", None)
    assert ok(year, "elev.emma", COURSE_LOOKUP, id=mat9)["course"] == {"id": mat9}


def test_an_ended_teaching_enrolment_grants_nothing(year: LiveGateway) -> None:
    eng9 = year.course_id("c-bjs-eng9")
    teachers = "query($id: ID!) { course(id: $id) { teachers { id } } }"
    lie = year.person_id("larer.lie")
    assert ok(year, "larer.lie", COURSE_LOOKUP, id=eng9)["course"] == {"id": eng9}
    set_ended(year, "c-bjs-eng9", "larer.lie", ENDED_AT)
    try:
        result = year.gql(COURSE_LOOKUP, {"id": eng9}, as_user="larer.lie")
        assert result.data["course"] is None
        assert result.code_at("course") == NOT_FOUND
        listed = ok(year, "admin", teachers, id=eng9)["course"]["teachers"]
        assert {"id": lie} not in listed
    finally:
        set_ended(year, "c-bjs-eng9", "larer.lie", None)
    assert {"id": lie} in ok(year, "admin", teachers, id=eng9)["course"]["teachers"]


# --- roster import runs --------------------------------------------------------------------------

IMPORTS = """
{ rosterImports(first: 50) { totalCount edges { node {
  id startedAt finishedAt status source mode actor
  counts { kind count } conflicts fileDigests { file sha256 }
} } } }"""
AUDIT = """
query($s: ID!) { auditLog(subjectId: $s, first: 500) {
  edges { node { id action detail rosterImport { id status } } }
} }"""


def test_roster_imports_are_for_system_administrators_only(year: LiveGateway) -> None:
    started = datetime(2031, 8, 1, 6, 0, tzinfo=UTC)
    run = year.execute(
        t.roster_imports.insert().values(
            started_at=started,
            finished_at=started.replace(minute=2),
            status="COMPLETED",
            source="roster-2031-08",
            mode="bulk",
            actor="cli:tester",
            file_digests=json.dumps({"users.csv": "a" * 64, "classes.csv": "b" * 64}),
            counts=json.dumps([{"kind": "PERSON_CREATED", "count": 3}]),
            conflicts=json.dumps(["ERASED_IDENTITY u-someone"]),
        ),
    )[0]
    run_pk = run.inserted_primary_key[0]
    run_id = to_global_id("RosterImport", run_pk)

    async def append_entry() -> None:
        engine = make_engine(year.database_url)
        try:
            async with engine.begin() as conn:
                await audit.append(
                    conn,
                    audit.AuditEvent(
                        actor_id=None,
                        action="ROSTER_PERSON_UPDATED",
                        target_type="User",
                        target_id=year.person_pk("elev.ola"),
                        subject_id=year.person_pk("elev.ola"),
                        roster_import_id=run_pk,
                        detail="email",
                    ),
                )
        finally:
            await engine.dispose()

    asyncio.run(append_entry())

    runs = ok(year, "admin", IMPORTS)["rosterImports"]
    ids = node_ids(runs)
    assert run_id in ids
    assert [pk_of(i) for i in ids] == sorted((pk_of(i) for i in ids), reverse=True)
    assert runs["totalCount"] == len(ids)
    (found,) = [e["node"] for e in runs["edges"] if e["node"]["id"] == run_id]
    assert found == {
        "id": run_id,
        "startedAt": started.isoformat(),
        "finishedAt": started.replace(minute=2).isoformat(),
        "status": "COMPLETED",
        "source": "roster-2031-08",
        "mode": "bulk",
        "actor": "cli:tester",
        "counts": [{"kind": "PERSON_CREATED", "count": 3}],
        "conflicts": ["ERASED_IDENTITY u-someone"],
        "fileDigests": [
            {"file": "classes.csv", "sha256": "b" * 64},
            {"file": "users.csv", "sha256": "a" * 64},
        ],
    }
    node = ok(year, "admin", "query($id: ID!) { node(id: $id) { id } }", id=run_id)
    assert node["node"] == {"id": run_id}
    log = ok(year, "admin", AUDIT, s=year.person_id("elev.ola"))["auditLog"]
    entries = [e["node"] for e in log["edges"]]
    (entry,) = [
        e for e in entries if e["rosterImport"] is not None and e["rosterImport"]["id"] == run_id
    ]
    assert entry["detail"] == "email"
    assert entry["rosterImport"] == {"id": run_id, "status": "COMPLETED"}
    # ola's other entries (her answers, the grades about her) belong to no import
    assert any(e["rosterImport"] is None and e["detail"] is None for e in entries)

    for viewer in ("rektor.bjolsen", "larer.dahl", "elev.ola", "superuser.bjolsen"):
        empty = ok(year, viewer, IMPORTS)["rosterImports"]
        assert empty == {"totalCount": 0, "edges": []}, viewer
        result = year.gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": run_id}, as_user=viewer
        )
        assert result.data["node"] is None
        assert result.code_at("node") == NOT_FOUND


def test_courses_state_argument_defaults_to_active_for_students(year: LiveGateway) -> None:
    """A sanity check of the default on a viewer with several courses."""
    mine = node_ids(ok(year, "elev.ola", COURSES_DEFAULT)["courses"])
    assert year.course_id("c-bjs-nor8") in mine
    assert all(
        e["node"]["state"] == "ACTIVE"
        for e in ok(year, "elev.ola", COURSES_DEFAULT)["courses"]["edges"]
    )


# --- an assessment whose course was deleted ------------------------------------------------------

DETACHED = """
query($id: ID!) { assessment(id: $id) { id courseCode courseName course { id } } }"""


def test_an_assessment_outlives_its_course(year: LiveGateway) -> None:
    """After an explicit course deletion ``course_id`` is NULL: the assessment keeps its snapshot
    of the course and its school, so the student and the school leader still see it, and
    ``course`` is null without an error (nothing is hidden: there is no course)."""
    grade = assess(year, "larer.berg", "elev.emma", "c-bjs-mat9", "GOAL_ACHIEVEMENT")
    x = t.assessments.c
    year.execute(update(t.assessments).where(x.id == pk_of(grade)).values(course_id=None))
    try:
        # the student, her guardian, the school leader (school snapshot), her contact teacher
        for viewer in ("elev.emma", "foresatt.linn", "rektor.bjolsen", "larer.berg", "admin"):
            data = ok(year, viewer, DETACHED, id=grade)
            assert data["assessment"] == {
                "id": grade,
                "courseCode": "MAT9",
                "courseName": "Matematikk 9",
                "course": None,
            }, viewer
        result = year.gql(DETACHED, {"id": grade}, as_user="superuser.bjolsen")
        assert result.data["assessment"] is None
        assert result.code_at("assessment") == NOT_FOUND
    finally:
        year.execute(
            update(t.assessments)
            .where(x.id == pk_of(grade))
            .values(course_id=year.course_pk("c-bjs-mat9")),
        )
