"""Explicit deletion of an archived course (docs/school-year.md rule 10) through the API.

A gateway of its own per backend, on a fresh demo database. Matematikk 8 at Bjølsen (MAT8:
assignments, answers with attachments, assessments of every publication state, posts and
comments; a shared document and a course event are added here) is archived, previewed by
``admin``, refused to ``admin`` himself, failed once on purpose, then confirmed by ``admin2``.
Its assessments stay, with the course's code and name, for the student, the guardian and the
school leader. The tests run in order and share the database, like the erasure tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    JUSTIFICATION,
    NON_ADMINS,
    count_rows,
    export_json,
    ok,
    pk_of,
    privacy_gateway,
    refused,
)
from sqlalchemy import func, select, text, update

from config.ids import to_global_id
from store import tables as t

MAT8, MAT9, NOR8 = "c-bjs-mat8", "c-bjs-mat9", "c-bjs-nor8"

FIELDS = """
  id action status origin justification completedAt
  effects { category outcome count item }
  subject { id } course { id code name }
  requestedBy { id } confirmedBy { id }
"""
REQUEST = f"""
mutation($c: ID!, $j: String!) {{
  requestCourseDeletion(courseId: $c, justification: $j) {{ {FIELDS} }}
}}"""
CONFIRM = f"mutation($r: ID!) {{ confirmCourseDeletion(requestId: $r) {{ {FIELDS} }} }}"
CANCEL = f"mutation($r: ID!) {{ cancelPrivacyRequest(requestId: $r) {{ {FIELDS} }} }}"
REQUEST_BY_ID = f"query($id: ID!) {{ privacyRequest(id: $id) {{ {FIELDS} }} }}"
ASSESSMENT = """
query($id: ID!) { assessment(id: $id) {
  id kind grade published courseCode courseName course { id } student { id }
} }"""


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with privacy_gateway(request.param, tmp_path_factory, "course_deletion") as gateway:
        yield gateway


@pytest.fixture(scope="module")
def state(live: LiveGateway) -> dict[str, Any]:
    """What the ordered tests hand on to each other, per backend's gateway."""
    return {}


def archive(live: LiveGateway, sourced_id: str) -> None:
    live.execute(
        update(t.courses)
        .where(t.courses.c.sourced_id == sourced_id)
        .values(state="ARCHIVED", archived_at=datetime.now(UTC)),
    )


def course_content(live: LiveGateway, course: int) -> dict[str, int]:
    """The course's rows per item, as the effects name them, counted in the database."""
    a, s, p = t.assignments.c, t.submissions.c, t.posts.c
    assignments = select(a.id).where(a.course_id == course)
    submissions = select(s.id).where(s.assignment_id.in_(assignments))
    posts = select(p.id).where(p.course_id == course)
    return {
        "POST": count_rows(live, t.posts, p.course_id == course),
        "COMMENT": count_rows(live, t.comments, t.comments.c.post_id.in_(posts)),
        "ASSIGNMENT": count_rows(live, t.assignments, a.course_id == course),
        "SUBMISSION": count_rows(live, t.submissions, s.assignment_id.in_(assignments)),
        # uploaded files the answers and the course's documents carry
        "FILE": count_rows(
            live,
            t.files,
            t.files.c.id.in_(
                select(t.attachments.c.file_id)
                .where(t.attachments.c.submission_id.in_(submissions))
                .union_all(select(t.documents.c.file_id).where(t.documents.c.course_id == course))
            ),
        ),
        "ATTACHMENT": count_rows(
            live, t.attachments, t.attachments.c.submission_id.in_(submissions)
        ),
        "DOCUMENT": count_rows(live, t.documents, t.documents.c.course_id == course),
        "CALENDAR_EVENT": count_rows(
            live, t.calendar_events, t.calendar_events.c.course_id == course
        ),
        "ENROLMENT": count_rows(live, t.enrolments, t.enrolments.c.course_id == course),
        "ASSESSMENT": count_rows(live, t.assessments, t.assessments.c.course_id == course),
    }


def by_item(request: dict[str, Any]) -> dict[str, int]:
    return {e["item"]: e["count"] for e in request["effects"]}


def everything(live: LiveGateway) -> list[int]:
    tables = [
        t.courses,
        t.posts,
        t.comments,
        t.assignments,
        t.submissions,
        t.attachments,
        t.documents,
        t.calendar_events,
        t.enrolments,
        t.assessments,
        t.audit_entries,
    ]
    return [count_rows(live, table) for table in tables]


def audit_actions(live: LiveGateway, action: str, course: int) -> list[Any]:
    ae = t.audit_entries.c
    return live.rows(
        select(ae.actor_id, ae.justification)
        .where(ae.action == action, ae.target_type == "Course", ae.target_id == course)
        .order_by(ae.id)
    )


def test_setup(live: LiveGateway, state: dict[str, Any]) -> None:
    """A shared document and a course event in MAT8, an assessment without snapshots, then
    the course is archived (as the roster import does when the class leaves the file)."""
    mat8 = live.course_id(MAT8)
    # An uploaded file the shared document carries (multipart request, gateway/uploads.py).
    uploaded = live.client.post(
        f"{live.url}/graphql",
        data={
            "operations": json.dumps(
                {
                    "query": "mutation($f: Upload!) { uploadFile(file: $f) { id } }",
                    "variables": {"f": None},
                }
            ),
            "map": json.dumps({"0": ["variables.f"]}),
        },
        files={"0": ("formelark.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        headers={
            "Authorization": f"Bearer {live.token('elev.ola')}",
            "Apollo-Require-Preflight": "1",
        },
    )
    file_id = uploaded.json()["data"]["uploadFile"]["id"]
    document = live.gql(
        'mutation($c: ID, $f: ID) { createDocument(title: "Formelark", body: "a²+b²", '
        "courseId: $c, fileId: $f) { id } }",
        {"c": mat8, "f": file_id},
        as_user="elev.ola",
    )
    ok(document)
    event = live.gql(
        'mutation($c: ID) { createCalendarEvent(title: "Prøve", startsAt: '
        '"2031-03-01T08:00:00+00:00", endsAt: "2031-03-01T09:00:00+00:00", courseId: $c) '
        "{ id } }",
        {"c": mat8},
        as_user="larer.hansen",
    )
    ok(event)
    course = live.course_pk(MAT8)
    x = t.assessments.c
    oldest = live.scalar(select(func.min(x.id)).where(x.course_id == course))
    # as if registered before the snapshots existed: the deletion must fill them in
    live.execute(
        update(t.assessments)
        .where(x.id == oldest)
        .values(course_code=None, course_name=None, school_id=None),
    )
    state["course"] = course
    state["content"] = course_content(live, course)
    assert all(state["content"][item] > 0 for item in state["content"]), state["content"]
    archive(live, MAT8)


@pytest.mark.parametrize("role", sorted(NON_ADMINS))
def test_only_system_administrators(live: LiveGateway, role: str) -> None:
    who = NON_ADMINS[role]
    before = count_rows(live, t.privacy_requests)
    refused(
        live.gql(REQUEST, {"c": live.course_id(MAT8), "j": JUSTIFICATION}, as_user=who),
        "FORBIDDEN",
    )
    refused(live.gql(CONFIRM, {"r": to_global_id("PrivacyRequest", 1)}, as_user=who), "FORBIDDEN")
    assert count_rows(live, t.privacy_requests) == before


def test_only_an_archived_course(live: LiveGateway) -> None:
    before = everything(live)
    result = live.gql(REQUEST, {"c": live.course_id(MAT9), "j": JUSTIFICATION}, as_user=ADMIN)
    refused(result, "CONFLICT")
    assert "ARCHIVED" in result.errors[0]["message"]
    assert everything(live) == before


@pytest.mark.parametrize("justification", ["", "   "])
def test_a_justification_is_required(live: LiveGateway, justification: str) -> None:
    result = live.gql(REQUEST, {"c": live.course_id(MAT8), "j": justification}, as_user=ADMIN)
    refused(result, "JUSTIFICATION_REQUIRED")


def test_request_previews_what_goes_and_what_stays(
    live: LiveGateway, state: dict[str, Any]
) -> None:
    before = everything(live)
    result = live.gql(REQUEST, {"c": live.course_id(MAT8), "j": JUSTIFICATION}, as_user=ADMIN)
    request = ok(result)
    assert request["action"] == "DELETE_COURSE"
    assert request["status"] == "AWAITING_CONFIRMATION"
    assert request["origin"] == "ADMINISTRATOR"
    assert request["subject"] is None
    assert request["course"] == {"id": live.course_id(MAT8), "code": "MAT8", "name": "Matematikk 8"}
    assert request["requestedBy"] == {"id": live.person_id(ADMIN)}
    assert request["confirmedBy"] is None
    assert by_item(request) == state["content"]
    outcomes = {(e["item"], e["category"], e["outcome"]) for e in request["effects"]}
    assert ("ASSESSMENT", "ASSESSMENTS", "KEPT") in outcomes
    assert ("POST", "COMMUNICATION", "DELETED") in outcomes
    assert ("SUBMISSION", "STUDENT_ANSWERS", "DELETED") in outcomes
    # nothing deleted yet; one audit entry more, with the justification
    assert everything(live)[:-1] == before[:-1]
    (entry,) = audit_actions(live, "COURSE_DELETION_REQUESTED", state["course"])
    assert entry.actor_id == live.person_pk(ADMIN)
    assert entry.justification == JUSTIFICATION
    state["request"] = request["id"]

    again = live.gql(REQUEST, {"c": live.course_id(MAT8), "j": JUSTIFICATION}, as_user=ADMIN2)
    refused(again, "CONFLICT")


def test_the_requester_cannot_confirm(live: LiveGateway, state: dict[str, Any]) -> None:
    before = everything(live)
    refused(
        live.gql(CONFIRM, {"r": state["request"]}, as_user=ADMIN), "SECOND_ADMINISTRATOR_REQUIRED"
    )
    assert everything(live) == before


def _fail_on_course_delete(live: LiveGateway) -> None:
    if live.backend == "sqlite":
        live.execute(
            text(
                "CREATE TRIGGER tavle_test_fail BEFORE DELETE ON courses "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            ),
        )
    else:
        live.execute(
            text(
                "CREATE FUNCTION tavle_test_fail() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql"
            ),
            text(
                "CREATE TRIGGER tavle_test_fail BEFORE DELETE ON courses "
                "FOR EACH ROW EXECUTE FUNCTION tavle_test_fail()"
            ),
        )


def _drop_failure(live: LiveGateway) -> None:
    live.execute(
        text("DROP TRIGGER tavle_test_fail" + ("" if live.backend == "sqlite" else " ON courses")),
    )
    if live.backend != "sqlite":
        live.execute(text("DROP FUNCTION tavle_test_fail()"))


def test_a_failure_half_way_leaves_everything_as_it_was(
    live: LiveGateway, state: dict[str, Any]
) -> None:
    """The course row is deleted last: failing there means all the content went already,
    inside the transaction, and must come back."""
    before = everything(live)
    _fail_on_course_delete(live)
    try:
        result = live.gql(CONFIRM, {"r": state["request"]}, as_user=ADMIN2)
    finally:
        _drop_failure(live)
    refused(result, "INTERNAL_SERVER_ERROR")  # the injected failure, masked
    assert everything(live) == before
    assert course_content(live, state["course"]) == state["content"]
    request = ok(live.gql(REQUEST_BY_ID, {"id": state["request"]}, as_user=ADMIN))
    assert request["status"] == "AWAITING_CONFIRMATION"
    assert request["confirmedBy"] is None


def test_confirmation_deletes_the_course_and_keeps_assessments(
    live: LiveGateway, state: dict[str, Any]
) -> None:
    course = state["course"]
    x = t.assessments.c
    kept_ids = [r.id for r in live.rows(select(x.id).where(x.course_id == course))]
    result = live.gql(CONFIRM, {"r": state["request"]}, as_user=ADMIN2)
    request = ok(result)
    assert request["status"] == "COMPLETED"
    assert request["completedAt"] is not None
    assert request["confirmedBy"] == {"id": live.person_id(ADMIN2)}
    assert request["course"] is None  # deleted: null, and no error
    assert by_item(request) == state["content"]

    assert count_rows(live, t.courses, t.courses.c.id == course) == 0
    gone = course_content(live, course)
    assert all(n == 0 for n in gone.values()), gone
    assert count_rows(live, t.course_terms, t.course_terms.c.course_id == course) == 0
    assessments = live.rows(
        select(x.id, x.course_id, x.course_code, x.course_name, x.school_id, x.submission_id)
        .where(x.id.in_(kept_ids))
        .order_by(x.id)
    )
    assert [a.id for a in assessments] == sorted(kept_ids)
    school = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == "org-bjs"))
    for a in assessments:
        assert (a.course_id, a.submission_id) == (None, None)
        assert (a.course_code, a.course_name, a.school_id) == ("MAT8", "Matematikk 8", school)

    (entry,) = audit_actions(live, "COURSE_DELETION_CONFIRMED", course)
    assert entry.actor_id == live.person_pk(ADMIN2)
    state["assessments"] = kept_ids


def _published(live: LiveGateway, ids: list[int], student: str) -> list[int]:
    x = t.assessments.c
    rows = live.rows(
        select(x.id).where(
            x.id.in_(ids), x.student_id == live.person_pk(student), x.published.is_(True)
        )
    )
    return sorted(r.id for r in rows)


@pytest.mark.parametrize("viewer", ["elev.ola", "foresatt.kari", "rektor.bjolsen"])
def test_assessments_stay_visible(live: LiveGateway, state: dict[str, Any], viewer: str) -> None:
    """Ola's published assessments to Ola, his guardian and the school leader; the unpublished
    HALF_YEAR still only to the school leader."""
    ids = state["assessments"]
    published = _published(live, ids, "elev.ola")
    assert published
    for pk in published:
        result = live.gql(ASSESSMENT, {"id": to_global_id("Assessment", pk)}, as_user=viewer)
        assert result.errors == [], result.errors
        found = result.data["assessment"]
        assert found["courseCode"] == "MAT8" and found["courseName"] == "Matematikk 8"
        assert found["course"] is None
        assert found["student"] == {"id": live.person_id("elev.ola")}
    x = t.assessments.c
    unpublished = live.scalar(
        select(func.min(x.id)).where(
            x.id.in_(ids), x.student_id == live.person_pk("elev.ola"), x.published.is_(False)
        )
    )
    result = live.gql(ASSESSMENT, {"id": to_global_id("Assessment", unpublished)}, as_user=viewer)
    if viewer == "rektor.bjolsen":
        assert result.errors == [] and result.data["assessment"]["kind"] == "HALF_YEAR"
    else:
        assert result.data["assessment"] is None
        assert result.codes() == {"NOT_FOUND"}


def test_the_student_s_export_still_holds_the_assessments(
    live: LiveGateway, state: dict[str, Any]
) -> None:
    """An access request covers the kept assessments, named by the course's snapshot."""
    exported = export_json(live, "elev.ola")
    received = {
        item["fields"]["id"]: item["fields"]
        for item in exported["data"]["assessments"]
        if item["kind"] == "assessment_received"
    }
    x = t.assessments.c
    olas = [
        r.id
        for r in live.rows(
            select(x.id).where(
                x.id.in_(state["assessments"]), x.student_id == live.person_pk("elev.ola")
            )
        )
    ]
    assert olas
    for pk in olas:
        assert received[pk]["course_code"] == "MAT8"
        assert received[pk]["course_name"] == "Matematikk 8"


def test_a_second_confirmation_is_a_conflict(live: LiveGateway, state: dict[str, Any]) -> None:
    before = everything(live)
    refused(live.gql(CONFIRM, {"r": state["request"]}, as_user=ADMIN2), "CONFLICT")
    refused(live.gql(CONFIRM, {"r": state["request"]}, as_user=ADMIN), "CONFLICT")
    assert everything(live) == before


def test_confirm_needs_a_course_deletion_request(live: LiveGateway) -> None:
    erasure = live.gql(
        "mutation($s: ID!, $j: String!) { requestErasure(subjectId: $s, justification: $j) "
        "{ id } }",
        {"s": live.person_id("elev.vilde"), "j": JUSTIFICATION},
        as_user=ADMIN,
    )
    request_id = ok(erasure)["id"]
    refused(live.gql(CONFIRM, {"r": request_id}, as_user=ADMIN2), "NOT_FOUND")
    ok(live.gql(CANCEL, {"r": request_id}, as_user=ADMIN))


def test_a_request_can_be_cancelled(live: LiveGateway) -> None:
    archive(live, NOR8)
    request = ok(live.gql(REQUEST, {"c": live.course_id(NOR8), "j": JUSTIFICATION}, as_user=ADMIN))
    cancelled = ok(live.gql(CANCEL, {"r": request["id"]}, as_user=ADMIN2))
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["course"]["id"] == live.course_id(NOR8)
    refused(live.gql(CONFIRM, {"r": request["id"]}, as_user=ADMIN2), "CONFLICT")
    course = live.course_pk(NOR8)
    assert count_rows(live, t.courses, t.courses.c.id == course) == 1
    assert count_rows(live, t.posts, t.posts.c.course_id == course) > 0
    # no longer pending: it can be asked for again
    again = ok(live.gql(REQUEST, {"c": live.course_id(NOR8), "j": JUSTIFICATION}, as_user=ADMIN))
    assert pk_of(again["id"]) != pk_of(request["id"])
