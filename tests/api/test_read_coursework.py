"""Coursework read rules (docs/access-policy.md: Assignment, Submission, Assessment).

The stage (read_support.create_activity, made through the mutations): larer.dahl's assignment in
NOR8, answers from elev.ola (with attachments) and elev.jakob, and dahl's assessments of ola of
every kind (HALF_YEAR and FINAL unpublished). larer.hansen is ola's contact teacher (8A homeroom)
but does not teach NOR8; foresatt.kari and foresatt.knut are ola's guardians, foresatt.geir jakob's.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from gateway_support import LiveGateway
from read_support import (
    GRANTED,
    KINDS,
    NOT_FOUND,
    OPENED_AT,
    ROW,
    UNPUBLISHED_KINDS,
    Activity,
    Reads,
    assert_not_found,
    create_activity,
    field_params,
    mark_opened,
    node_ids,
    read_field,
)


@pytest.fixture(scope="module")
def activity(live: LiveGateway) -> Activity:
    made = create_activity(live)
    mark_opened(live, made.ola_submission, "larer.dahl")
    return made


@pytest.fixture(scope="module")
def reads(live: LiveGateway) -> Reads:
    return Reads(live)


# --- Assignment: the course row --------------------------------------------------------------

#: docs/access-policy.md, "### Assignment": every field for whoever sees the course
ASSIGNMENT_READ: dict[str, frozenset[str]] = {
    field: frozenset({ROW})
    for field in (
        "id",
        "title",
        "instructions",
        "dueAt",
        "createdAt",
        "course",
        "author",
        "submissions",
    )
}
ASSIGNMENT_SELECTIONS = {
    **{field: field for field in ASSIGNMENT_READ},
    "course": "course { id }",
    "author": "author { id }",
    "submissions": "submissions { totalCount }",
}

#: (label, viewer, relations to NOR8): the Course row = members, guardians of students, leader,
#: superuser, sysadmin
ASSIGNMENT_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("course_member-student", "elev.ola", "assignment", frozenset({"course_member"})),
    ("course_member-other-student", "elev.jakob", "assignment", frozenset({"course_member"})),
    ("course_teacher-author", "larer.dahl", "assignment", frozenset({"course_teacher", "self"})),
    ("guardian-of-student", "foresatt.kari", "assignment", frozenset({"guardian"})),
    ("guardian-of-other-student", "foresatt.geir", "assignment", frozenset({"guardian"})),
    ("school_leader", "rektor.bjolsen", "assignment", frozenset({"school_leader"})),
    ("superuser", "superuser.bjolsen", "assignment", frozenset({"superuser"})),
    ("sysadmin", "admin", "assignment", frozenset({"sysadmin"})),
]
ASSIGNMENT_INVISIBLE: list[tuple[str, str]] = [
    ("student-not-enrolled", "elev.emma"),
    ("contact-teacher-not-teaching-course", "larer.hansen"),
    ("teacher-same-school", "larer.lie"),
    ("guardian-child-not-enrolled", "foresatt.linn"),
    ("school_leader-other-school", "rektor.sagene"),
    ("superuser-other-school", "superuser.sagene"),
    ("teacher-other-school", "larer.nilsen"),
]


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(ASSIGNMENT_VISIBLE, ASSIGNMENT_READ)
)
def test_assignment_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(
        reads, viewer, "Assignment", activity.assignment, ASSIGNMENT_SELECTIONS, field
    )
    assert got == expected
    assert value is not None
    if field == "course":
        assert value == {"id": activity.nor8}
    if field == "author":
        assert value == {"id": live.person_id("larer.dahl")}
    if field == "title":
        assert value == "Dikt og rim"


@pytest.mark.parametrize("viewer", [pytest.param(v, id=label) for label, v in ASSIGNMENT_INVISIBLE])
def test_assignment_row_invisible(live: LiveGateway, activity: Activity, viewer: str) -> None:
    assert_not_found(
        live, viewer, "Assignment", activity.assignment, " ".join(ASSIGNMENT_SELECTIONS.values())
    )


@pytest.mark.parametrize(
    ("viewer", "students"),
    [
        pytest.param("elev.ola", {"ola"}, id="self-only"),
        pytest.param("elev.jakob", {"jakob"}, id="other-student-self-only"),
        pytest.param("larer.dahl", {"ola", "jakob"}, id="course_teacher-all"),
        pytest.param("foresatt.kari", {"ola"}, id="guardian-own-child-only"),
        pytest.param("foresatt.geir", {"jakob"}, id="other-guardian-own-child-only"),
        pytest.param("rektor.bjolsen", {"ola", "jakob"}, id="school_leader-all"),
        pytest.param("admin", {"ola", "jakob"}, id="sysadmin-all"),
        pytest.param("superuser.bjolsen", set(), id="superuser-none"),
    ],
)
def test_assignment_submissions_filtered_by_submission_rows(
    live: LiveGateway, activity: Activity, viewer: str, students: set[str]
) -> None:
    result = live.gql(
        "query($id: ID!) { node(id: $id) { ... on Assignment { "
        "submissions { totalCount edges { node { id } } } } } }",
        {"id": activity.assignment},
        as_user=viewer,
    )
    assert result.errors == []
    mine = {"ola": activity.ola_submission, "jakob": activity.jakob_submission}
    connection = result.data["node"]["submissions"]
    assert set(node_ids(connection)) == {mine[s] for s in students}
    assert connection["totalCount"] == len(students)


def test_course_assignments_list_the_assignment_for_a_guardian(
    live: LiveGateway, activity: Activity
) -> None:
    result = live.gql(
        "query($id: ID!) { course(id: $id) { assignments(first: 500) { edges { node { id } } } } }",
        {"id": activity.nor8},
        as_user="foresatt.knut",
    )
    assert result.errors == []
    assert activity.assignment in node_ids(result.data["course"]["assignments"])


# --- Submission ----------------------------------------------------------------------------------

#: docs/access-policy.md, "### Submission"
SUBMISSION_READ: dict[str, frozenset[str]] = {
    "id": frozenset({ROW}),
    "assignment": frozenset({ROW}),
    "student": frozenset({ROW}),
    "status": frozenset({ROW}),
    "submittedAt": frozenset({ROW}),
    "assessments": frozenset({ROW}),
    "assessmentsConnection": frozenset({ROW}),
    "body": frozenset({"self", "course_teacher", "sysadmin"}),
    "attachments": frozenset({"self", "course_teacher", "sysadmin"}),
    "lastOpenedAt": frozenset({"self", "course_teacher", "sysadmin"}),
    "lastOpenedBy": frozenset({"self", "course_teacher", "sysadmin"}),
}
SUBMISSION_SELECTIONS = {
    **{field: field for field in SUBMISSION_READ},
    "assignment": "assignment { id }",
    "student": "student { id }",
    "assessments": "assessments { id }",
    "assessmentsConnection": "assessmentsConnection { totalCount }",
    "attachments": "attachments { filename contentType sizeBytes }",
    "lastOpenedBy": "lastOpenedBy { id }",
}

#: (label, viewer, relations to elev.ola's answer)
SUBMISSION_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("self", "elev.ola", "ola", frozenset({"self"})),
    ("course_teacher", "larer.dahl", "ola", frozenset({"course_teacher"})),
    ("contact_teacher", "larer.hansen", "ola", frozenset({"contact_teacher"})),
    ("guardian", "foresatt.kari", "ola", frozenset({"guardian"})),
    ("other-guardian", "foresatt.knut", "ola", frozenset({"guardian"})),
    ("school_leader", "rektor.bjolsen", "ola", frozenset({"school_leader"})),
    ("sysadmin", "admin", "ola", frozenset({"sysadmin"})),
]
#: The contact teacher sees the answer but not the assignment: Assignment rows are Course rows,
#: and the contact teacher is no member of NOR8. A visible reference to an invisible object
#: answers null + NOT_FOUND.
SUBMISSION_OVERRIDES = {("contact_teacher", "assignment"): NOT_FOUND}

SUBMISSION_INVISIBLE: list[tuple[str, str, str]] = [
    ("superuser-same-school", "superuser.bjolsen", "ola"),
    ("course-peer", "elev.jakob", "ola"),
    ("guardian-of-other-student", "foresatt.geir", "ola"),
    ("guardian-of-the-other-student", "foresatt.kari", "jakob"),
    ("teacher-same-school-not-teaching", "larer.lie", "ola"),
    ("contact-teacher-of-another-class", "larer.berg", "ola"),
    ("student-other-class", "elev.emma", "ola"),
    ("guardian-not-of-this-student", "foresatt.linn", "ola"),
    ("school_leader-other-school", "rektor.sagene", "ola"),
    ("teacher-other-school", "larer.nilsen", "ola"),
]


def _submission(activity: Activity, whose: str) -> str:
    return {"ola": activity.ola_submission, "jakob": activity.jakob_submission}[whose]


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"),
    field_params(SUBMISSION_VISIBLE, SUBMISSION_READ, SUBMISSION_OVERRIDES),
)
def test_submission_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(
        reads, viewer, "submission", _submission(activity, target), SUBMISSION_SELECTIONS, field
    )
    assert got == expected
    if expected != GRANTED:
        return
    checks = {
        "assignment": {"id": activity.assignment},
        "student": {"id": live.person_id("elev.ola")},
        "status": "SUBMITTED",
        "body": "Ola sitt dikt",
        "attachments": [
            {"filename": "dikt.pdf", "contentType": "application/pdf", "sizeBytes": 2048},
            {"filename": "tegning.png", "contentType": "image/png", "sizeBytes": 512},
        ],
        # larer.dahl opened it (mark_opened)
        "lastOpenedAt": OPENED_AT,
        "lastOpenedBy": {"id": live.person_id("larer.dahl")},
    }
    if field == "lastOpenedAt":
        # mark_opened's time, unless a teacher of the course has read ``body`` since, which
        # stamps the time of that read.
        opened = datetime.fromisoformat(value)
        assert opened == OPENED_AT or opened <= datetime.now(UTC)
    elif field in checks:
        assert value == checks[field]
    elif field != "assessments":
        assert value is not None


@pytest.mark.parametrize(
    ("viewer", "target"), [pytest.param(v, s, id=label) for label, v, s in SUBMISSION_INVISIBLE]
)
def test_submission_row_invisible(
    live: LiveGateway, activity: Activity, viewer: str, target: str
) -> None:
    assert_not_found(
        live,
        viewer,
        "submission",
        _submission(activity, target),
        " ".join(SUBMISSION_SELECTIONS.values()),
    )


@pytest.mark.parametrize(
    ("viewer", "kinds"),
    [
        pytest.param("elev.ola", {"FEEDBACK"}, id="self-published-only"),
        pytest.param("foresatt.kari", {"FEEDBACK"}, id="guardian-published-only"),
        pytest.param("larer.dahl", {"FEEDBACK", "HALF_YEAR"}, id="course_teacher-all"),
        pytest.param("larer.hansen", {"FEEDBACK", "HALF_YEAR"}, id="contact_teacher-all"),
        pytest.param("rektor.bjolsen", {"FEEDBACK", "HALF_YEAR"}, id="school_leader-all"),
        pytest.param("admin", {"FEEDBACK", "HALF_YEAR"}, id="sysadmin-all"),
    ],
)
def test_submission_assessments_filtered_by_assessment_rows(
    live: LiveGateway, activity: Activity, viewer: str, kinds: set[str]
) -> None:
    result = live.gql(
        "query($id: ID!) { submission(id: $id) { assessments { id kind } } }",
        {"id": activity.ola_submission},
        as_user=viewer,
    )
    assert result.errors == []
    got = result.data["submission"]["assessments"]
    assert sorted(a["id"] for a in got) == sorted(activity.assessments[k] for k in kinds)


SUBMISSIONS_BY_STUDENT = (
    "query($ola: ID!, $jakob: ID!, $c: ID!) {"
    " ola: user(id: $ola) { submissions(courseId: $c) { totalCount edges { node { id } } } }"
    " jakob: user(id: $jakob) { submissions(courseId: $c) { totalCount edges { node { id } } } }"
    " }"
)


@pytest.mark.parametrize(
    ("viewer", "students"),
    [
        pytest.param("foresatt.kari", {"ola"}, id="guardian"),
        pytest.param("larer.hansen", {"ola", "jakob"}, id="contact_teacher"),
        pytest.param("elev.jakob", {"jakob"}, id="student"),
        pytest.param("superuser.bjolsen", set(), id="superuser"),
    ],
)
def test_user_submissions_filtered_by_submission_rows(
    live: LiveGateway, activity: Activity, viewer: str, students: set[str]
) -> None:
    """``User.submissions(courseId:)`` on two 8A students: the viewer gets all the answers of
    the students whose answers they may see (as many as a system administrator gets: the demo
    activity and other tests add answers too), and none of the others'."""
    variables = {
        "ola": live.person_id("elev.ola"),
        "jakob": live.person_id("elev.jakob"),
        "c": activity.nor8,
    }
    everything = live.gql(SUBMISSIONS_BY_STUDENT, variables, as_user="admin")
    assert everything.errors == []
    result = live.gql(SUBMISSIONS_BY_STUDENT, variables, as_user=viewer)
    for whose in ("ola", "jakob"):
        if result.data[whose] is None:  # the student's row itself is invisible to this viewer
            assert whose not in students and result.code_at(whose) == NOT_FOUND
            continue
        connection = result.data[whose]["submissions"]
        all_of_them = everything.data[whose]["submissions"]
        assert _submission(activity, whose) in node_ids(all_of_them)
        expected = all_of_them if whose in students else {"totalCount": 0, "edges": []}
        assert connection == expected


# --- Assessment ----------------------------------------------------------------------------------

#: docs/access-policy.md, "### Assessment": every field for whoever sees the row
ASSESSMENT_READ: dict[str, frozenset[str]] = {
    field: frozenset({ROW})
    for field in (
        "id",
        "kind",
        "grade",
        "comment",
        "student",
        "course",
        "submission",
        "assessor",
        "assessorName",
        "published",
        "createdAt",
    )
}
ASSESSMENT_SELECTIONS = {
    **{field: field for field in ASSESSMENT_READ},
    "student": "student { id }",
    "course": "course { id }",
    "submission": "submission { id }",
    "assessor": "assessor { id }",
}

#: (label, viewer, kind, relations) for the published FEEDBACK (linked to ola's answer) and the
#: unpublished HALF_YEAR (for those who see it before publication)
ASSESSMENT_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("course_teacher", "larer.dahl", "FEEDBACK", frozenset({"course_teacher"})),
    ("contact_teacher", "larer.hansen", "FEEDBACK", frozenset({"contact_teacher"})),
    ("school_leader", "rektor.bjolsen", "FEEDBACK", frozenset({"school_leader"})),
    ("sysadmin", "admin", "FEEDBACK", frozenset({"sysadmin"})),
    ("self-published", "elev.ola", "FEEDBACK", frozenset({"self"})),
    ("guardian-published", "foresatt.kari", "FEEDBACK", frozenset({"guardian"})),
    ("course_teacher-unpublished", "larer.dahl", "HALF_YEAR", frozenset({"course_teacher"})),
    ("contact_teacher-unpublished", "larer.hansen", "HALF_YEAR", frozenset({"contact_teacher"})),
    ("school_leader-unpublished", "rektor.bjolsen", "HALF_YEAR", frozenset({"school_leader"})),
    ("sysadmin-unpublished", "admin", "HALF_YEAR", frozenset({"sysadmin"})),
]
#: As for submissions: the contact teacher does not see NOR8 itself.
ASSESSMENT_OVERRIDES = {
    ("contact_teacher", "course"): NOT_FOUND,
    ("contact_teacher-unpublished", "course"): NOT_FOUND,
}


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"),
    field_params(ASSESSMENT_VISIBLE, ASSESSMENT_READ, ASSESSMENT_OVERRIDES),
)
def test_assessment_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(
        reads, viewer, "assessment", activity.assessments[target], ASSESSMENT_SELECTIONS, field
    )
    assert got == expected
    if expected != GRANTED:
        return
    checks = {
        "kind": target,
        "grade": "5",
        "comment": "Godt arbeid",
        "student": {"id": live.person_id("elev.ola")},
        "course": {"id": activity.nor8},
        "submission": {"id": activity.ola_submission},
        "assessor": {"id": live.person_id("larer.dahl")},
        "assessorName": "Jonas Dahl",
        "published": target not in UNPUBLISHED_KINDS,
    }
    if field in checks:
        assert value == checks[field]
    else:
        assert value is not None


ALWAYS = ("larer.dahl", "larer.hansen", "rektor.bjolsen", "admin")
WHEN_PUBLISHED = ("elev.ola", "foresatt.kari", "foresatt.knut")
NEVER = (
    "superuser.bjolsen",
    "elev.jakob",
    "foresatt.geir",
    "larer.lie",
    "rektor.sagene",
    "larer.nilsen",
)


def _assessment_rows() -> list[object]:
    params = []
    for kind in KINDS:
        published = kind not in UNPUBLISHED_KINDS
        for viewer in (*ALWAYS, *WHEN_PUBLISHED, *NEVER):
            visible = viewer in ALWAYS or (viewer in WHEN_PUBLISHED and published)
            expected = GRANTED if visible else NOT_FOUND
            params.append(pytest.param(viewer, kind, expected, id=f"{kind}-{viewer}-{expected}"))
    return params


@pytest.mark.parametrize(("viewer", "kind", "expected"), _assessment_rows())
def test_assessment_row(
    live: LiveGateway, activity: Activity, viewer: str, kind: str, expected: str
) -> None:
    """Teachers of the course, the contact teacher, school leaders and system administrators see
    every assessment; the student and guardians only published ones (FEEDBACK, GOAL_ACHIEVEMENT,
    REMARK, ABSENCE on creation; HALF_YEAR and FINAL once published); nobody else."""
    assessment = activity.assessments[kind]
    if expected == NOT_FOUND:
        assert_not_found(live, viewer, "assessment", assessment, "id kind")
        return
    result = live.gql(
        "query($id: ID!) { assessment(id: $id) { id kind published } node(id: $id) { id } }",
        {"id": assessment},
        as_user=viewer,
    )
    assert result.errors == []
    assert result.data["assessment"] == {
        "id": assessment,
        "kind": kind,
        "published": kind not in UNPUBLISHED_KINDS,
    }
    assert result.data["node"] == {"id": assessment}
