"""Row rules cannot be bypassed: not by ``node(id:)``, not by nested paths, not by aliases.

docs/access-policy.md, "Row first, then field": an object the viewer may not see is never returned,
however it is reached; a lookup answers null + NOT_FOUND (never FORBIDDEN, which would reveal it
exists); lists leave it out and count without it; a reference to it answers null + NOT_FOUND. Field
denials are bounded: one error per field coordinate, with a count.
"""

from __future__ import annotations

import re

import pytest
from gateway_support import LiveGateway
from read_support import (
    ASSESS,
    CREATE_ASSIGNMENT,
    FORBIDDEN,
    GRANTED,
    NOT_FOUND,
    SUBMIT,
    Activity,
    assert_not_found,
    create_activity,
    mutate,
    node_ids,
    outcome,
)

from config.ids import to_global_id


@pytest.fixture(scope="module")
def activity(live: LiveGateway) -> Activity:
    return create_activity(live)


# --- node(id:) is no way around a row rule --------------------------------------------------------


def test_guardian_cannot_read_another_childs_submission_by_node(
    live: LiveGateway, activity: Activity
) -> None:
    """foresatt.geir (elev.jakob's guardian) asks for the text of elev.ola's answer by node id."""
    result = live.gql(
        "query($id: ID!) { node(id: $id) { id ... on Submission { body attachments { filename } "
        "student { id } } } }",
        {"id": activity.ola_submission},
        as_user="foresatt.geir",
    )
    assert result.data == {"node": None}
    assert [e["extensions"]["code"] for e in result.errors] == [NOT_FOUND]


def test_guardian_sees_own_childs_submission_but_not_its_text(
    live: LiveGateway, activity: Activity
) -> None:
    result = live.gql(
        "query($id: ID!) { node(id: $id) { id ... on Submission { status body "
        "attachments { filename } } } }",
        {"id": activity.ola_submission},
        as_user="foresatt.kari",
    )
    assert result.data["node"]["id"] == activity.ola_submission
    assert result.data["node"]["status"] == "SUBMITTED"
    assert outcome(result, "node", "body") == FORBIDDEN
    assert outcome(result, "node", "attachments") == FORBIDDEN


@pytest.mark.parametrize(
    "kind",
    [
        "assignment",
        "ola_submission",
        "FEEDBACK",
        "post",
        "comment",
        "conversation",
        "message",
        "private_document",
        "shared_document",
        "personal_event",
        "course_event",
    ],
)
def test_teacher_at_another_school_reaches_nothing(
    live: LiveGateway, activity: Activity, kind: str
) -> None:
    """larer.nilsen (Sagene) asks by node id for every kind of Bjølsen object."""
    target = activity.assessments[kind] if kind.isupper() else getattr(activity, kind)
    assert_not_found(live, "larer.nilsen", "Node", target, "id")


def test_teacher_at_another_school_cannot_look_up_people_or_courses(
    live: LiveGateway, activity: Activity
) -> None:
    result = live.gql(
        "query($u: ID!, $c: ID!, $s: ID!, $a: ID!) { user(id: $u) { id } course(id: $c) { id } "
        "submission(id: $s) { id } assessment(id: $a) { id } }",
        {
            "u": live.person_id("elev.ola"),
            "c": activity.nor8,
            "s": activity.ola_submission,
            "a": activity.assessments["FEEDBACK"],
        },
        as_user="larer.nilsen",
    )
    assert result.data == {"user": None, "course": None, "submission": None, "assessment": None}
    for field in ("user", "course", "submission", "assessment"):
        assert result.code_at(field) == NOT_FOUND
    assert len(result.errors) == 4


def test_invisible_and_nonexistent_objects_answer_alike(live: LiveGateway) -> None:
    """NOT_FOUND for an invisible person says no more than for an id that does not exist."""
    invisible = live.person_id("elev.ola")
    missing = to_global_id("User", 987654321)
    result = live.gql(
        "query($a: ID!, $b: ID!) { a: user(id: $a) { id } b: user(id: $b) { id } }",
        {"a": invisible, "b": missing},
        as_user="larer.nilsen",
    )
    assert result.data == {"a": None, "b": None}
    errors = {tuple(e["path"]): e for e in result.errors}
    assert errors[("a",)]["extensions"] == errors[("b",)]["extensions"]
    assert errors[("a",)]["extensions"]["code"] == NOT_FOUND
    assert errors[("a",)]["message"].replace(invisible, "ID") == errors[("b",)]["message"].replace(
        missing, "ID"
    )


@pytest.mark.parametrize(
    ("root", "id_of"),
    [
        pytest.param("user", lambda live: live.course_id("c-bjs-mat8"), id="course-id-as-user"),
        pytest.param("course", lambda live: live.person_id("elev.ola"), id="user-id-as-course"),
        pytest.param(
            "submission", lambda live: live.person_id("elev.ola"), id="user-id-as-submission"
        ),
        pytest.param("node", lambda live: to_global_id("Secret", 1), id="unknown-type-by-node"),
    ],
)
def test_an_id_of_another_type_is_not_found(live: LiveGateway, root: str, id_of: object) -> None:
    result = live.gql(
        f"query($id: ID!) {{ {root}(id: $id) {{ id }} }}",
        {"id": id_of(live)},  # type: ignore[operator]
        as_user="admin",
    )
    assert result.data == {root: None}
    assert result.code_at(root) == NOT_FOUND


# --- nested paths --------------------------------------------------------------------------------


def test_student_cannot_reach_classmates_guardians_through_course_students(
    live: LiveGateway,
) -> None:
    """elev.ola lists MAT8's students and asks for their guardians, courses and emails: only his
    own come back; the 8 classmates' are denied with one bounded error per field."""
    result = live.gql(
        "query($id: ID!) { course(id: $id) { students { totalCount edges { node { id email "
        "guardians { id } courses { totalCount } } } } } }",
        {"id": live.course_id("c-bjs-mat8")},
        as_user="elev.ola",
    )
    students = result.data["course"]["students"]
    assert students["totalCount"] == 9
    ola = live.person_id("elev.ola")
    for edge in students["edges"]:
        node = edge["node"]
        if node["id"] == ola:
            assert node["email"] and node["courses"]["totalCount"] == 3
            assert {g["id"] for g in node["guardians"]} == {
                live.person_id("foresatt.kari"),
                live.person_id("foresatt.knut"),
            }
        else:
            assert node["email"] is None and node["guardians"] is None and node["courses"] is None
    by_coordinate = {e["extensions"]["coordinate"]: e["extensions"] for e in result.errors}
    assert set(by_coordinate) == {"User.email", "User.guardians", "User.courses"}
    assert all(ext["code"] == FORBIDDEN and ext["count"] == 8 for ext in by_coordinate.values())


def test_guardian_cannot_list_classmates_through_the_childs_courses(live: LiveGateway) -> None:
    result = live.gql(
        "query($id: ID!) { user(id: $id) { courses { edges { node { id "
        "students { totalCount } posts { totalCount } } } } } }",
        {"id": live.person_id("elev.ola")},
        as_user="foresatt.kari",
    )
    courses = result.data["user"]["courses"]["edges"]
    assert len(courses) == 3
    assert all(c["node"]["students"] is None and c["node"]["posts"] is None for c in courses)
    by_coordinate = {e["extensions"]["coordinate"]: e["extensions"] for e in result.errors}
    assert by_coordinate == {
        "Course.students": {"code": FORBIDDEN, "coordinate": "Course.students", "count": 3},
        "Course.posts": {"code": FORBIDDEN, "coordinate": "Course.posts", "count": 3},
    }


def test_guardian_reaches_a_teacher_but_not_the_teachers_family(live: LiveGateway) -> None:
    """foresatt.kari sees larer.hansen (he teaches her child) but not his email or children."""
    result = live.gql(
        "query($id: ID!) { course(id: $id) { teachers { id displayName email children { id } } } }",
        {"id": live.course_id("c-bjs-mat8")},
        as_user="foresatt.kari",
    )
    (teacher,) = result.data["course"]["teachers"]
    assert teacher["id"] == live.person_id("larer.hansen") and teacher["displayName"]
    assert outcome(result, "course", "teachers", 0, "email") == FORBIDDEN
    assert outcome(result, "course", "teachers", 0, "children") == FORBIDDEN


def test_student_reaches_only_own_answers_through_the_course(
    live: LiveGateway, activity: Activity
) -> None:
    result = live.gql(
        "query($id: ID!) { course(id: $id) { assignments(first: 500) { edges { node { id "
        "submissions { totalCount edges { node { id student { id } body } } } } } } } }",
        {"id": activity.nor8},
        as_user="elev.jakob",
    )
    assert result.errors == []
    jakob = live.person_id("elev.jakob")
    edges = result.data["course"]["assignments"]["edges"]
    assignments = {e["node"]["id"]: e["node"] for e in edges}
    mine = assignments[activity.assignment]["submissions"]
    assert node_ids(mine) == [activity.jakob_submission] and mine["totalCount"] == 1
    for assignment in assignments.values():
        for edge in assignment["submissions"]["edges"]:
            assert edge["node"]["student"] == {"id": jakob}


def test_superuser_reaches_no_submission_or_assessment_by_any_path(
    live: LiveGateway, activity: Activity
) -> None:
    """Superuser: "no access to submissions" and assessments, although the course, the assignment
    and the student are visible to them."""
    result = live.gql(
        "query($c: ID!, $u: ID!, $s: ID!, $a: ID!) {"
        " course(id: $c) { assignments(first: 500) { edges { node { id"
        "   submissions { totalCount edges { node { id } } } } } } }"
        " user(id: $u) { id submissions { totalCount edges { node { id } } } }"
        " submission(id: $s) { id }"
        " assessment(id: $a) { id }"
        " bySubmissionNode: node(id: $s) { id }"
        " byAssessmentNode: node(id: $a) { id }"
        " }",
        {
            "c": activity.nor8,
            "u": live.person_id("elev.ola"),
            "s": activity.ola_submission,
            "a": activity.assessments["FEEDBACK"],
        },
        as_user="superuser.bjolsen",
    )
    data = result.data
    assignments = data["course"]["assignments"]["edges"]
    assert activity.assignment in [a["node"]["id"] for a in assignments]
    for assignment in assignments:
        assert assignment["node"]["submissions"] == {"totalCount": 0, "edges": []}
    assert data["user"]["submissions"] == {"totalCount": 0, "edges": []}
    for field in ("submission", "assessment", "bySubmissionNode", "byAssessmentNode"):
        assert data[field] is None
        assert result.code_at(field) == NOT_FOUND
    assert len(result.errors) == 4


def test_child_cannot_see_the_school_where_a_guardian_has_another_child(
    live: LiveGateway,
) -> None:
    """elev.ola reads foresatt.kari's roles: the Sagene school she is a guardian at is a
    reference to a school Ola has no role or enrolment at: null + NOT_FOUND."""
    result = live.gql(
        "query($id: ID!) { user(id: $id) { roles { role school { id } } } }",
        {"id": live.person_id("foresatt.kari")},
        as_user="elev.ola",
    )
    roles = result.data["user"]["roles"]
    bjs, sag = live.school_id("org-bjs"), live.school_id("org-sag")
    schools = [r["school"] for r in roles]
    assert {"id": bjs} in schools
    assert all(s is None or s == {"id": bjs} for s in schools)
    (hidden,) = [i for i, s in enumerate(schools) if s is None]
    assert outcome(result, "user", "roles", hidden, "school") == NOT_FOUND
    admin = live.gql(
        "query($id: ID!) { user(id: $id) { roles { school { id } } } }",
        {"id": live.person_id("foresatt.kari")},
        as_user="admin",
    )
    assert admin.data["user"]["roles"][hidden]["school"] == {"id": sag}


def test_contact_teacher_sees_answer_and_assessment_but_not_the_course_behind_them(
    live: LiveGateway, activity: Activity
) -> None:
    """larer.hansen is Ola's contact teacher, so the answer and its assessment are visible
    (Submission and Assessment rows: contact_teacher); NOR8 and its assignment are not (Course
    row): the references answer null + NOT_FOUND, the answer's text FORBIDDEN."""
    result = live.gql(
        "query($s: ID!, $a: ID!) {"
        " submission(id: $s) { id student { id } assignment { id } body }"
        " assessment(id: $a) { id course { id } submission { id } grade } }",
        {"s": activity.ola_submission, "a": activity.assessments["HALF_YEAR"]},
        as_user="larer.hansen",
    )
    assert result.data["submission"]["student"] == {"id": live.person_id("elev.ola")}
    assert outcome(result, "submission", "assignment") == NOT_FOUND
    assert outcome(result, "submission", "body") == FORBIDDEN
    assert result.data["assessment"]["submission"] == {"id": activity.ola_submission}
    assert result.data["assessment"]["grade"] == "5"
    assert outcome(result, "assessment", "course") == NOT_FOUND


def test_unpublished_assessments_are_left_out_of_nested_lists(
    live: LiveGateway, activity: Activity
) -> None:
    query = (
        "query($u: ID!) { user(id: $u) { submissions(first: 500) { edges { node { id "
        "assessments { id kind published } } } } } }"
    )
    for viewer in ("elev.ola", "foresatt.kari", "foresatt.knut"):
        result = live.gql(query, {"u": live.person_id("elev.ola")}, as_user=viewer)
        assert result.errors == []
        edges = result.data["user"]["submissions"]["edges"]
        answer = next(e["node"] for e in edges if e["node"]["id"] == activity.ola_submission)
        assert [a["id"] for a in answer["assessments"]] == [activity.assessments["FEEDBACK"]]
        assert all(a["published"] for e in edges for a in e["node"]["assessments"]), viewer


def test_aliases_and_fragments_do_not_change_a_fields_rule(live: LiveGateway) -> None:
    result = live.gql(
        "query($id: ID!) { someone: user(id: $id) { mail: email ...private }"
        " again: node(id: $id) { ... on User { email } } }"
        " fragment private on User { nationalId }",
        {"id": live.person_id("elev.ola")},
        as_user="elev.jakob",
    )
    assert outcome(result, "someone", "mail") == FORBIDDEN
    assert outcome(result, "someone", "nationalId") == FORBIDDEN
    # the second denial of User.email (under another path) is counted in the first one's error
    assert result.data["again"] == {"email": None}
    email = [e for e in result.errors if e["extensions"]["coordinate"] == "User.email"]
    assert len(email) == 1 and email[0]["extensions"]["count"] == 2


# --- bounded errors ------------------------------------------------------------------------------


def test_a_list_of_n_denied_fields_yields_one_error_per_coordinate(live: LiveGateway) -> None:
    """superuser.bjolsen lists MAT8's 9 students with three fields a superuser may not read."""
    result = live.gql(
        "query($id: ID!) { course(id: $id) { students { totalCount edges { node { id email "
        "nationalId guardians { id } } } } } }",
        {"id": live.course_id("c-bjs-mat8")},
        as_user="superuser.bjolsen",
    )
    students = result.data["course"]["students"]
    assert students["totalCount"] == 9 and len(students["edges"]) == 9
    assert all(
        e["node"]["email"] is None
        and e["node"]["nationalId"] is None
        and e["node"]["guardians"] is None
        for e in students["edges"]
    )
    assert len(result.errors) == 3
    by_coordinate = {e["extensions"]["coordinate"]: e for e in result.errors}
    assert set(by_coordinate) == {"User.email", "User.nationalId", "User.guardians"}
    for coordinate, error in by_coordinate.items():
        assert error["extensions"] == {"code": FORBIDDEN, "coordinate": coordinate, "count": 9}
        field = coordinate.split(".")[1]
        assert error["path"][:4] == ["course", "students", "edges", error["path"][3]]
        assert error["path"][4:] == ["node", field]


def test_bounded_error_count_leaves_out_granted_rows(live: LiveGateway) -> None:
    """elev.ola lists MAT8's students' emails: his own is granted, the other 8 are counted."""
    result = live.gql(
        "query($id: ID!) { course(id: $id) { students { edges { node { id email } } } } }",
        {"id": live.course_id("c-bjs-mat8")},
        as_user="elev.ola",
    )
    (error,) = result.errors
    assert error["extensions"] == {"code": FORBIDDEN, "coordinate": "User.email", "count": 8}
    edges = result.data["course"]["students"]["edges"]
    emails = {e["node"]["id"]: e["node"]["email"] for e in edges}
    assert emails.pop(live.person_id("elev.ola"))
    assert set(emails.values()) == {None}


# --- publication of HALF_YEAR, through every path ------------------------------------------------


def _sees(live: LiveGateway, viewer: str, assessment: str, submission: str) -> dict[str, object]:
    """What ``viewer`` gets for ``assessment`` by lookup, by node, and in the answer's list."""
    result = live.gql(
        "query($a: ID!, $s: ID!) { assessment(id: $a) { id published } node(id: $a) { id }"
        " submission(id: $s) { assessments { id } } }",
        {"a": assessment, "s": submission},
        as_user=viewer,
    )
    listed = (
        result.data["submission"] is not None
        and {"id": assessment} in result.data["submission"]["assessments"]
    )
    return {
        "lookup": outcome(result, "assessment"),
        "node": outcome(result, "node"),
        "listed": listed,
        "published": (result.data["assessment"] or {}).get("published"),
    }


HIDDEN = {"lookup": NOT_FOUND, "node": NOT_FOUND, "listed": False, "published": None}


def _shown(published: bool) -> dict[str, object]:
    return {"lookup": GRANTED, "node": GRANTED, "listed": True, "published": published}


def test_half_year_hidden_from_student_and_guardian_until_published(live: LiveGateway) -> None:
    """At Sagene: larer.nilsen assesses elev.lukas's answer in MAT8 (HALF_YEAR and FINAL, both
    unpublished). elev.lukas and foresatt.ingvild see neither by any path until rektor.sagene
    publishes HALF_YEAR; then they see HALF_YEAR everywhere, FINAL still nowhere. The teacher and
    the school leader see both all along; the superuser never."""
    course = live.course_id("c-sag-mat8")
    lukas = live.person_id("elev.lukas")
    assignment = mutate(live, "larer.nilsen", CREATE_ASSIGNMENT, courseId=course)["id"]
    answer = mutate(live, "elev.lukas", SUBMIT, assignmentId=assignment, body="Svar")["id"]
    made = {
        kind: mutate(
            live,
            "larer.nilsen",
            ASSESS,
            studentId=lukas,
            courseId=course,
            kind=kind,
            submissionId=answer,
        )["id"]
        for kind in ("HALF_YEAR", "FINAL")
    }
    family = ("elev.lukas", "foresatt.ingvild")
    for viewer in family:
        for kind, assessment in made.items():
            assert _sees(live, viewer, assessment, answer) == HIDDEN, (viewer, kind)
    for viewer in ("larer.nilsen", "rektor.sagene"):
        for assessment in made.values():
            assert _sees(live, viewer, assessment, answer) == _shown(False), viewer

    published = mutate(
        live,
        "rektor.sagene",
        "mutation($c: ID!) { publishAssessments(courseId: $c, kind: HALF_YEAR) { id published } }",
        c=course,
    )
    assert {"id": made["HALF_YEAR"], "published": True} in published
    assert made["FINAL"] not in [a["id"] for a in published]

    for viewer in family:
        assert _sees(live, viewer, made["HALF_YEAR"], answer) == _shown(True), viewer
        assert _sees(live, viewer, made["FINAL"], answer) == HIDDEN, viewer
    assert _sees(live, "rektor.sagene", made["FINAL"], answer) == _shown(False)
    superuser = live.gql(
        "query($a: ID!) { assessment(id: $a) { id } }",
        {"a": made["HALF_YEAR"]},
        as_user="superuser.sagene",
    )
    assert superuser.data == {"assessment": None} and superuser.code_at("assessment") == NOT_FOUND


def test_error_messages_do_not_reveal_the_object(live: LiveGateway, activity: Activity) -> None:
    """The NOT_FOUND message names the id the caller sent and nothing about the object."""
    result = live.gql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": activity.ola_submission},
        as_user="foresatt.geir",
    )
    (error,) = result.errors
    assert not re.search(r"ola|Nordmann|dikt|NOR8|Norsk", error["message"], re.IGNORECASE)


def test_teacher_who_is_a_guardian_has_only_guardian_rights_on_his_child(
    live: LiveGateway,
) -> None:
    """larer.hansen teaches at Bjølsen and is elev.emma's guardian, but does not teach her: on
    her MAT9 answer and assessments he holds the guardian relation, not a teacher's."""
    course = live.course_id("c-bjs-mat9")
    emma = live.person_id("elev.emma")
    assignment = mutate(live, "larer.berg", CREATE_ASSIGNMENT, courseId=course)["id"]
    answer = mutate(live, "elev.emma", SUBMIT, assignmentId=assignment, body="Emma svarer")["id"]
    made = {
        kind: mutate(
            live,
            "larer.berg",
            ASSESS,
            studentId=emma,
            courseId=course,
            kind=kind,
            submissionId=answer,
        )["id"]
        for kind in ("FEEDBACK", "HALF_YEAR")
    }
    result = live.gql(
        "query($s: ID!, $f: ID!, $h: ID!) {"
        " submission(id: $s) { id status body assignment { id } assessments { id } }"
        " feedback: assessment(id: $f) { id } halfYear: assessment(id: $h) { id } }",
        {"s": answer, "f": made["FEEDBACK"], "h": made["HALF_YEAR"]},
        as_user="larer.hansen",
    )
    submission = result.data["submission"]
    assert submission["id"] == answer and submission["status"] == "SUBMITTED"
    assert outcome(result, "submission", "body") == FORBIDDEN
    # the course row holds for a guardian of a student member
    assert submission["assignment"] == {"id": assignment}
    assert submission["assessments"] == [{"id": made["FEEDBACK"]}]
    assert result.data["feedback"] == {"id": made["FEEDBACK"]}
    assert result.data["halfYear"] is None and result.code_at("halfYear") == NOT_FOUND
