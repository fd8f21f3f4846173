"""Course read rules (docs/access-policy.md, "### Course"): the row, then every field, role by role,
and the ``courses`` list (filtered in SQL, so ``totalCount`` counts only visible courses)."""

from __future__ import annotations

import pytest
from gateway_support import LiveGateway
from read_support import (
    GRANTED,
    ROW,
    Reads,
    all_ids,
    assert_not_found,
    field_params,
    node_ids,
    read_field,
)

#: docs/access-policy.md, "### Course" (isHomeroom is beside the contract, a row field)
COURSE_READ: dict[str, frozenset[str]] = {
    "id": frozenset({ROW}),
    "code": frozenset({ROW}),
    "name": frozenset({ROW}),
    "isHomeroom": frozenset({ROW}),
    "school": frozenset({ROW}),
    "teachers": frozenset({ROW}),
    "teachersConnection": frozenset({ROW}),
    "students": frozenset({"course_member", "school_leader", "superuser", "sysadmin"}),
    "assignments": frozenset({ROW}),
    "events": frozenset({ROW}),
    "eventsConnection": frozenset({ROW}),
    "posts": frozenset({"course_member", "school_leader", "superuser", "sysadmin"}),
}

SELECTIONS: dict[str, str] = {
    **{field: field for field in COURSE_READ},
    "school": "school { id }",
    "teachers": "teachers { id }",
    "students": "students { totalCount }",
    "assignments": "assignments { totalCount }",
    "events": "events { id }",
    "teachersConnection": "teachersConnection { totalCount }",
    "eventsConnection": "eventsConnection { totalCount }",
    "posts": "posts { totalCount }",
}

#: (label, viewer, course sourcedId, relations the viewer holds to the course)
VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("course_member-student", "elev.ola", "c-bjs-mat8", frozenset({"course_member"})),
    ("course_member-homeroom", "elev.jakob", "c-bjs-8a", frozenset({"course_member"})),
    ("course_teacher", "larer.hansen", "c-bjs-mat8", frozenset({"course_teacher"})),
    ("guardian-of-student-member", "foresatt.kari", "c-bjs-mat8", frozenset({"guardian"})),
    ("guardian-child-at-other-school", "foresatt.kari", "c-sag-nat9", frozenset({"guardian"})),
    ("guardian-who-is-a-teacher", "larer.hansen", "c-bjs-mat9", frozenset({"guardian"})),
    ("school_leader", "rektor.bjolsen", "c-bjs-mat9", frozenset({"school_leader"})),
    ("superuser", "superuser.bjolsen", "c-bjs-mat9", frozenset({"superuser"})),
    ("sysadmin", "admin", "c-sag-mat8", frozenset({"sysadmin"})),
]

#: (label, viewer, course) where no relation of the Course row holds
INVISIBLE: list[tuple[str, str, str]] = [
    ("student-not-enrolled", "elev.ola", "c-bjs-mat9"),
    ("teacher-same-school-not-enrolled", "larer.lie", "c-bjs-mat8"),
    ("contact-teacher-of-its-students", "larer.hansen", "c-bjs-nor8"),
    ("guardian-child-not-enrolled", "foresatt.geir", "c-bjs-mat9"),
    ("guardian-child-at-other-school-only", "foresatt.knut", "c-sag-nat9"),
    ("school_leader-at-other-school", "rektor.sagene", "c-bjs-mat8"),
    ("superuser-at-other-school", "superuser.sagene", "c-bjs-mat8"),
    ("teacher-at-other-school", "larer.nilsen", "c-bjs-mat8"),
]


@pytest.fixture(scope="module")
def reads(live: LiveGateway) -> Reads:
    return Reads(live)


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(VISIBLE, COURSE_READ)
)
def test_course_field(
    live: LiveGateway, reads: Reads, viewer: str, target: str, field: str, expected: str
) -> None:
    course = live.course_id(target)
    got, value = read_field(reads, viewer, "course", course, SELECTIONS, field)
    assert got == expected
    if expected == GRANTED:
        assert value is not None
        if field == "id":
            assert value == course


@pytest.mark.parametrize(
    ("viewer", "target"), [pytest.param(v, c, id=label) for label, v, c in INVISIBLE]
)
def test_course_row_invisible(live: LiveGateway, viewer: str, target: str) -> None:
    assert_not_found(live, viewer, "course", live.course_id(target), " ".join(SELECTIONS.values()))


BJS = {"c-bjs-8a", "c-bjs-9a", "c-bjs-mat8", "c-bjs-nor8", "c-bjs-mat9", "c-bjs-eng9"}
SAG = {"c-sag-8b", "c-sag-9b", "c-sag-mat8", "c-sag-nat9", "c-sag-eng9"}
OLA = {"c-bjs-8a", "c-bjs-mat8", "c-bjs-nor8"}
NORA = {"c-sag-9b", "c-sag-nat9", "c-sag-eng9"}
EMMA = {"c-bjs-9a", "c-bjs-mat9", "c-bjs-eng9"}


@pytest.mark.parametrize(
    ("viewer", "courses"),
    [
        pytest.param("elev.ola", OLA, id="student-own-enrolments"),
        pytest.param("larer.lie", {"c-bjs-eng9"}, id="teacher-own-courses"),
        pytest.param("larer.hansen", {"c-bjs-8a", "c-bjs-mat8"} | EMMA, id="teacher-and-guardian"),
        pytest.param("foresatt.kari", OLA | NORA, id="guardian-exactly-children's-courses"),
        pytest.param("foresatt.knut", OLA, id="guardian-one-child"),
        pytest.param("rektor.bjolsen", BJS, id="school_leader-own-school"),
        pytest.param("superuser.bjolsen", BJS, id="superuser-own-school"),
        pytest.param("larer.nilsen", {"c-sag-8b", "c-sag-mat8"}, id="teacher-other-school"),
        pytest.param("admin", BJS | SAG, id="sysadmin-all"),
    ],
)
def test_courses_list_holds_exactly_the_visible_courses(
    live: LiveGateway, viewer: str, courses: set[str]
) -> None:
    result = live.gql(
        "{ courses(first: 500) { totalCount edges { node { id } } } }", as_user=viewer
    )
    assert result.errors == []
    assert result.data["courses"]["totalCount"] == len(courses)
    assert set(node_ids(result.data["courses"])) == {live.course_id(c) for c in courses}


def test_courses_list_pages_count_only_visible_rows(live: LiveGateway) -> None:
    first = live.gql(
        "{ courses(first: 2) { totalCount edges { node { id } } "
        "pageInfo { hasNextPage endCursor } } }",
        as_user="foresatt.kari",
    )
    assert first.errors == []
    page = first.data["courses"]
    assert page["totalCount"] == 6 and len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    seen = set(node_ids(page))
    rest = all_ids(live, "foresatt.kari", "courses")
    assert seen < rest and len(rest) == 6


def test_students_listed_for_a_member(live: LiveGateway) -> None:
    result = live.gql(
        "query($id: ID!) { course(id: $id) { students { totalCount edges { node { id } } } } }",
        {"id": live.course_id("c-bjs-mat8")},
        as_user="elev.jakob",
    )
    assert result.errors == []
    students = result.data["course"]["students"]
    assert students["totalCount"] == 9
    assert live.person_id("elev.ola") in node_ids(students)


def test_teachers_and_school_of_a_childs_course_visible_to_the_guardian(live: LiveGateway) -> None:
    result = live.gql(
        "query($id: ID!) { course(id: $id) { teachers { id } school { id } } }",
        {"id": live.course_id("c-sag-nat9")},
        as_user="foresatt.kari",
    )
    assert result.errors == []
    assert result.data["course"]["teachers"] == [{"id": live.person_id("larer.moen")}]
    assert result.data["course"]["school"] == {"id": live.school_id("org-sag")}
