"""The gradebook (docs/school-year.md): ``Course.assessments`` and ``User.assessments``.

Both list what the Assessment row rules let the viewer see (authz/policy.csv, "Assessment"):
``course_teacher``, ``contact_teacher``, ``school_leader`` and ``sysadmin`` see every assessment,
the student (``self_if_published``) and guardians (``guardian_if_published``) only published
ones, nobody else any. The connections are newest first, paged with ``after``, with
``totalCount``.

The stage: larer.dahl assesses elev.ola and elev.jakob in NOR8 (HALF_YEAR and FINAL stay
unpublished). Other test modules and the demo activity assess in the same course on the shared
gateway, so the expected lists are derived from the database with the row rules written out
here, and the stage's own assessments must be among them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from gateway_support import LiveGateway
from read_support import NOT_FOUND, mutate, node_ids, pk_of
from sqlalchemy import select

from config.ids import to_global_id
from store import tables as t
from store.tables import ProcessingState

ASSESS = """
mutation($studentId: ID!, $courseId: ID!, $kind: AssessmentKind!) {
  assess(input: {studentId: $studentId, courseId: $courseId, kind: $kind, grade: "4"}) {
    id published
  }
}"""

#: (student, kind) in NOR8 by larer.dahl, in this order
STAGE = (
    ("elev.ola", "FEEDBACK"),
    ("elev.ola", "HALF_YEAR"),
    ("elev.jakob", "FEEDBACK"),
    ("elev.ola", "REMARK"),
    ("elev.jakob", "FINAL"),
    ("elev.ola", "GOAL_ACHIEVEMENT"),
)


@dataclass(frozen=True)
class Gradebook:
    nor8: str
    #: (student, kind) -> global id
    made: Mapping[tuple[str, str], str]


@pytest.fixture(scope="module")
def gradebook(live: LiveGateway) -> Gradebook:
    nor8 = live.course_id("c-bjs-nor8")
    made = {}
    for student, kind in STAGE:
        result = mutate(
            live, "larer.dahl", ASSESS, studentId=live.person_id(student), courseId=nor8, kind=kind
        )
        made[(student, kind)] = result["id"]
    return Gradebook(nor8=nor8, made=made)


@dataclass(frozen=True)
class Row:
    pk: int
    student: int
    course: int | None
    school: int | None
    kind: str
    published: bool


def assessment_rows(live: LiveGateway, **where: int) -> list[Row]:
    """Every assessment (of active students) matching ``where``, newest first."""
    x, p = t.assessments.c, t.people.c
    stmt = (
        select(x.id, x.student_id, x.course_id, x.school_id, x.kind, x.published)
        .join(t.people, p.id == x.student_id)
        .where(p.processing_state == ProcessingState.ACTIVE)
        .order_by(x.id.desc())
    )
    for column, value in where.items():
        stmt = stmt.where(x[column] == value)
    return [Row(r[0], r[1], r[2], r[3], str(r[4]), bool(r[5])) for r in live.rows(stmt)]


Rule = Callable[[LiveGateway, Row], bool]


def everything(_live: LiveGateway, _row: Row) -> bool:
    return True


def nothing(_live: LiveGateway, _row: Row) -> bool:
    return False


def own_published(username: str) -> Rule:
    return lambda live, row: row.published and row.student == live.person_pk(username)


def taught_by(username: str) -> Rule:
    """``course_teacher``: assessments in the courses ``username`` teaches."""
    cache: dict[str, set[int]] = {}

    def rule(live: LiveGateway, row: Row) -> bool:
        if live.backend not in cache:
            e = t.enrolments.c
            stmt = select(e.course_id).where(
                e.person_id == live.person_pk(username),
                e.role == "TEACHER",
                e.ended_at.is_(None),
            )
            cache[live.backend] = {r[0] for r in live.rows(stmt)}
        return row.course in cache[live.backend]

    return rule


def at_school(sourced_id: str) -> Rule:
    """``school_leader``: assessments registered at the school (their school snapshot)."""
    return lambda live, row: row.school == pk_of(live.school_id(sourced_id))


def children_published(*children: str) -> Rule:
    return lambda live, row: row.published and row.student in {live.person_pk(c) for c in children}


#: viewer -> which of NOR8's assessments they see (the Assessment ``see`` lines)
COURSE_VIEWERS: dict[str, Rule] = {
    "admin": everything,  # sysadmin
    "superuser.bjolsen": nothing,  # sees the course, no Assessment see line
    "rektor.bjolsen": everything,  # school_leader of the assessments' school
    "larer.dahl": everything,  # course_teacher
    "elev.ola": own_published("elev.ola"),  # self_if_published
    "foresatt.kari": children_published("elev.ola", "elev.nora"),  # guardian_if_published
    "elev.jakob": own_published("elev.jakob"),  # another student of the course
}
#: viewers who do not see NOR8 itself: Course lookup answers NOT_FOUND
COURSE_INVISIBLE = ("larer.lie", "larer.nilsen", "rektor.sagene", "elev.emma")

COURSE_ASSESSMENTS = """
query($id: ID!, $first: Int, $after: String, $studentId: ID, $kind: AssessmentKind,
      $published: Boolean) {
  course(id: $id) {
    assessments(first: $first, after: $after, studentId: $studentId, kind: $kind,
                published: $published) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id kind published courseCode courseName student { id } } }
    }
  }
}"""

USER_ASSESSMENTS = """
query($id: ID!, $first: Int, $after: String, $courseId: ID, $kind: AssessmentKind) {
  user(id: $id) {
    assessments(first: $first, after: $after, courseId: $courseId, kind: $kind) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id kind published } }
    }
  }
}"""


def ids_of(rows: list[Row]) -> list[str]:
    return [to_global_id("Assessment", row.pk) for row in rows]


def course_page(live: LiveGateway, viewer: str, course: str, **variables: Any) -> Any:
    result = live.gql(COURSE_ASSESSMENTS, {"id": course, "first": 500, **variables}, as_user=viewer)
    assert result.errors == [], result.errors
    return result.data["course"]["assessments"]


def user_page(live: LiveGateway, viewer: str, username: str, **variables: Any) -> Any:
    result = live.gql(
        USER_ASSESSMENTS,
        {"id": live.person_id(username), "first": 500, **variables},
        as_user=viewer,
    )
    assert result.errors == [], result.errors
    return result.data["user"]["assessments"]


# --- Course.assessments, role by role ------------------------------------------------------------


@pytest.mark.parametrize("viewer", list(COURSE_VIEWERS))
def test_course_assessments_list_what_the_row_rules_show(
    live: LiveGateway, gradebook: Gradebook, viewer: str
) -> None:
    rule = COURSE_VIEWERS[viewer]
    expected = ids_of(
        [row for row in assessment_rows(live, course_id=pk_of(gradebook.nor8)) if rule(live, row)]
    )
    page = course_page(live, viewer, gradebook.nor8)
    assert node_ids(page) == expected  # newest first
    assert page["totalCount"] == len(expected)
    assert page["pageInfo"]["hasNextPage"] is False
    mine = {key for key, made in gradebook.made.items() if made in expected}
    stage_rule = {
        "admin": set(gradebook.made),
        "rektor.bjolsen": set(gradebook.made),
        "larer.dahl": set(gradebook.made),
        "superuser.bjolsen": set(),
        "elev.ola": {("elev.ola", k) for k in ("FEEDBACK", "REMARK", "GOAL_ACHIEVEMENT")},
        "foresatt.kari": {("elev.ola", k) for k in ("FEEDBACK", "REMARK", "GOAL_ACHIEVEMENT")},
        "elev.jakob": {("elev.jakob", "FEEDBACK")},
    }[viewer]
    assert mine == stage_rule
    for edge in page["edges"]:
        assert edge["node"]["courseCode"] == "NOR8"
        assert edge["node"]["courseName"] == "Norsk 8"


@pytest.mark.parametrize("viewer", COURSE_INVISIBLE)
def test_course_assessments_of_an_invisible_course(
    live: LiveGateway, gradebook: Gradebook, viewer: str
) -> None:
    result = live.gql(COURSE_ASSESSMENTS, {"id": gradebook.nor8}, as_user=viewer)
    assert result.data["course"] is None
    assert result.code_at("course") == NOT_FOUND


def test_unpublished_half_year_is_hidden_from_student_and_guardian(
    live: LiveGateway, gradebook: Gradebook
) -> None:
    half_year = gradebook.made[("elev.ola", "HALF_YEAR")]
    for viewer in ("elev.ola", "foresatt.kari", "foresatt.knut"):
        listed = course_page(live, viewer, gradebook.nor8, kind="HALF_YEAR")
        assert half_year not in node_ids(listed), viewer
        assert all(edge["node"]["published"] for edge in listed["edges"]), viewer
        of_ola = user_page(live, viewer, "elev.ola", kind="HALF_YEAR")
        assert half_year not in node_ids(of_ola), viewer
    for viewer in ("larer.dahl", "larer.hansen", "rektor.bjolsen"):
        assert half_year in node_ids(user_page(live, viewer, "elev.ola", kind="HALF_YEAR"))


# --- User.assessments, role by role --------------------------------------------------------------

#: viewer -> which of elev.ola's assessments they see (None: ola herself is invisible)
USER_VIEWERS: dict[str, Rule | None] = {
    "admin": everything,
    "superuser.bjolsen": nothing,  # sees ola (school staff), none of her assessments
    "rektor.bjolsen": at_school("org-bjs"),
    # contact teacher of 8A, ola's homeroom: every assessment of ola
    "larer.hansen": everything,
    "larer.dahl": taught_by("larer.dahl"),
    "larer.lie": taught_by("larer.lie"),  # a teacher at the school who does not teach ola
    "elev.ola": own_published("elev.ola"),
    "foresatt.kari": children_published("elev.ola"),
    "elev.jakob": nothing,  # a classmate: sees ola, not her grades
    "larer.nilsen": None,  # another school
}


@pytest.mark.parametrize("viewer", list(USER_VIEWERS))
def test_user_assessments_list_what_the_row_rules_show(
    live: LiveGateway, gradebook: Gradebook, viewer: str
) -> None:
    rule = USER_VIEWERS[viewer]
    if rule is None:
        result = live.gql(USER_ASSESSMENTS, {"id": live.person_id("elev.ola")}, as_user=viewer)
        assert result.data["user"] is None
        assert result.code_at("user") == NOT_FOUND
        return
    rows = assessment_rows(live, student_id=live.person_pk("elev.ola"))
    expected = ids_of([row for row in rows if rule(live, row)])
    page = user_page(live, viewer, "elev.ola")
    assert node_ids(page) == expected
    assert page["totalCount"] == len(expected)
    if viewer in ("admin", "larer.dahl", "larer.hansen", "rektor.bjolsen"):
        ola_stage = {made for (s, _k), made in gradebook.made.items() if s == "elev.ola"}
        assert ola_stage <= set(expected)


def test_a_student_lists_own_grades_through_viewer(live: LiveGateway, gradebook: Gradebook) -> None:
    result = live.gql(
        "{ viewer { assessments(first: 500) { totalCount edges { node { id published } } } } }",
        as_user="elev.jakob",
    )
    assert result.errors == []
    page = result.data["viewer"]["assessments"]
    rows = assessment_rows(live, student_id=live.person_pk("elev.jakob"))
    assert node_ids(page) == ids_of([row for row in rows if row.published])
    assert gradebook.made[("elev.jakob", "FEEDBACK")] in node_ids(page)
    assert gradebook.made[("elev.jakob", "FINAL")] not in node_ids(page)


# --- filters -------------------------------------------------------------------------------------


def test_course_assessments_filters(live: LiveGateway, gradebook: Gradebook) -> None:
    nor8 = pk_of(gradebook.nor8)
    ola = live.person_pk("elev.ola")
    by_student = course_page(
        live, "larer.dahl", gradebook.nor8, studentId=live.person_id("elev.ola")
    )
    assert node_ids(by_student) == ids_of(assessment_rows(live, course_id=nor8, student_id=ola))
    by_kind = course_page(live, "larer.dahl", gradebook.nor8, kind="FEEDBACK")
    assert node_ids(by_kind) == ids_of(
        [r for r in assessment_rows(live, course_id=nor8) if r.kind == "FEEDBACK"]
    )
    unpublished = course_page(live, "larer.dahl", gradebook.nor8, published=False)
    assert node_ids(unpublished) == ids_of(
        [r for r in assessment_rows(live, course_id=nor8) if not r.published]
    )
    assert gradebook.made[("elev.ola", "HALF_YEAR")] in node_ids(unpublished)
    combined = course_page(
        live,
        "larer.dahl",
        gradebook.nor8,
        studentId=live.person_id("elev.jakob"),
        kind="FINAL",
        published=False,
    )
    assert gradebook.made[("elev.jakob", "FINAL")] in node_ids(combined)
    assert {e["node"]["student"]["id"] for e in combined["edges"]} == {live.person_id("elev.jakob")}


def test_user_assessments_filters(live: LiveGateway, gradebook: Gradebook) -> None:
    ola = live.person_pk("elev.ola")
    in_nor8 = user_page(live, "admin", "elev.ola", courseId=gradebook.nor8)
    assert node_ids(in_nor8) == ids_of(
        assessment_rows(live, student_id=ola, course_id=pk_of(gradebook.nor8))
    )
    mat8 = live.course_id("c-bjs-mat8")
    in_mat8 = user_page(live, "admin", "elev.ola", courseId=mat8)
    assert not set(node_ids(in_mat8)) & set(gradebook.made.values())
    remarks = user_page(live, "admin", "elev.ola", courseId=gradebook.nor8, kind="REMARK")
    assert gradebook.made[("elev.ola", "REMARK")] in node_ids(remarks)
    assert {e["node"]["kind"] for e in remarks["edges"]} == {"REMARK"}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        pytest.param(COURSE_ASSESSMENTS, {"studentId": "course"}, NOT_FOUND, id="studentId-type"),
        pytest.param(COURSE_ASSESSMENTS, {"studentId": "garbage"}, "BAD_USER_INPUT", id="bad-id"),
        pytest.param(USER_ASSESSMENTS, {"courseId": "user"}, NOT_FOUND, id="courseId-type"),
        pytest.param(USER_ASSESSMENTS, {"after": "nonsense"}, "BAD_USER_INPUT", id="cursor"),
        pytest.param(USER_ASSESSMENTS, {"first": -1}, "BAD_USER_INPUT", id="first"),
    ],
)
def test_filter_ids_of_the_wrong_type_are_refused(
    live: LiveGateway, gradebook: Gradebook, query: str, variables: dict[str, Any], code: str
) -> None:
    ids = {"course": gradebook.nor8, "user": live.person_id("elev.ola"), "garbage": "%%%"}
    sent = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in variables.items()}
    target = gradebook.nor8 if query is COURSE_ASSESSMENTS else live.person_id("elev.ola")
    result = live.gql(query, {"id": target, **sent}, as_user="larer.dahl")
    root = "course" if query is COURSE_ASSESSMENTS else "user"
    assert result.data[root] is not None
    assert result.data[root]["assessments"] is None
    assert result.code_at(root, "assessments") == code, result.errors


# --- paging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["larer.dahl", "elev.ola"])
def test_paging_newest_first_with_after(
    live: LiveGateway, gradebook: Gradebook, viewer: str
) -> None:
    everything_ = node_ids(course_page(live, viewer, gradebook.nor8))
    assert len(everything_) >= 3
    seen: list[str] = []
    after: str | None = None
    while True:
        page = course_page(live, viewer, gradebook.nor8, first=2, after=after)
        assert page["totalCount"] == len(everything_)
        assert len(page["edges"]) <= 2
        seen.extend(node_ids(page))
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert seen == everything_
    pks = [pk_of(i) for i in seen]
    assert pks == sorted(pks, reverse=True)


def test_a_cursor_past_the_last_row_keeps_the_total(
    live: LiveGateway, gradebook: Gradebook
) -> None:
    everything_ = course_page(live, "larer.dahl", gradebook.nor8)
    last = everything_["edges"][-1]["cursor"]
    page = course_page(live, "larer.dahl", gradebook.nor8, after=last)
    assert page["edges"] == []
    assert page["totalCount"] == everything_["totalCount"]
    assert page["pageInfo"]["hasNextPage"] is False
