"""User read rules (docs/access-policy.md, "### User"): the row, then every field, role by role.

Each case names who reads whom and the relations that viewer holds to that person; a field's
expected outcome follows from the spec table below (GRANTED if any held relation grants it, else
FORBIDDEN: null plus an error at the field's path). Invisible people answer null + NOT_FOUND.
"""

from __future__ import annotations

import pytest
from gateway_support import LiveGateway
from read_support import (
    FORBIDDEN,
    GRANTED,
    ROW,
    Reads,
    assert_not_found,
    field_params,
    mutate,
    node_ids,
    outcome,
    read_field,
)

#: docs/access-policy.md, "### User": field -> the relations that grant it ("row": whoever sees the
#: person at all)
USER_READ: dict[str, frozenset[str]] = {
    "id": frozenset({ROW}),
    "isPseudonym": frozenset({ROW}),
    "displayName": frozenset({ROW}),
    "firstName": frozenset({ROW}),
    "lastName": frozenset({ROW}),
    "roles": frozenset({ROW}),
    "email": frozenset(
        {"self", "sysadmin", "school_leader", "teaches", "guardian", "guardian_of_taught"}
    ),
    # (every read by someone other than the person is audited: tests/api/test_audit.py)
    "nationalId": frozenset({"self", "sysadmin"}),
    "guardians": frozenset({"self", "sysadmin", "school_leader", "teaches"}),
    "guardiansConnection": frozenset({"self", "sysadmin", "school_leader", "teaches"}),
    "children": frozenset({"self", "sysadmin"}),
    "childrenConnection": frozenset({"self", "sysadmin"}),
    "courses": frozenset({"self", "sysadmin", "guardian", "school_staff"}),
    "processingState": frozenset({"sysadmin"}),
    "notifications": frozenset({"self"}),
    "notificationsConnection": frozenset({"self"}),
    "preferences": frozenset({"self"}),
    # added beside the contract: the person's submissions, filtered by the Submission row rules
    "submissions": frozenset({ROW}),
}

SELECTIONS: dict[str, str] = {
    **{field: field for field in USER_READ},
    "roles": "roles { role }",
    "guardians": "guardians { id }",
    "children": "children { id }",
    "guardiansConnection": "guardiansConnection { totalCount }",
    "childrenConnection": "childrenConnection { totalCount }",
    "notificationsConnection": "notificationsConnection { totalCount }",
    "courses": "courses { totalCount }",
    "notifications": "notifications { id }",
    "preferences": "preferences { key }",
    "submissions": "submissions { totalCount }",
}

#: (label, viewer, person read, relations the viewer holds to that person)
VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("self", "elev.ola", "elev.ola", frozenset({"self", "course_member"})),
    ("self-guardian", "foresatt.kari", "foresatt.kari", frozenset({"self"})),
    ("sysadmin", "admin", "elev.ola", frozenset({"sysadmin"})),
    ("sysadmin-on-guardian", "admin", "foresatt.kari", frozenset({"sysadmin"})),
    ("school_leader", "rektor.bjolsen", "elev.ola", frozenset({"school_leader"})),
    ("school_leader-on-guardian", "rektor.bjolsen", "foresatt.kari", frozenset({"school_leader"})),
    ("superuser", "superuser.bjolsen", "elev.ola", frozenset({"superuser"})),
    ("superuser-on-guardian", "superuser.bjolsen", "foresatt.kari", frozenset({"superuser"})),
    (
        "teaches-course_teacher",
        "larer.dahl",
        "elev.ola",
        frozenset({"teaches", "course_member", "school_teacher"}),
    ),
    (
        "teaches-contact_teacher",
        "larer.hansen",
        "elev.ola",
        frozenset({"teaches", "course_member", "school_teacher"}),
    ),
    ("school_staff-teacher-not-teaching", "larer.lie", "elev.ola", frozenset({"school_teacher"})),
    ("course_member-peer", "elev.jakob", "elev.ola", frozenset({"course_member"})),
    ("course_member-student-to-teacher", "elev.ola", "larer.dahl", frozenset({"course_member"})),
    ("guardian", "foresatt.kari", "elev.ola", frozenset({"guardian"})),
    ("guardian-child-at-other-school", "foresatt.kari", "elev.nora", frozenset({"guardian"})),
    (
        "guardian-who-is-a-teacher",
        "larer.hansen",
        "elev.emma",
        frozenset({"guardian", "school_teacher"}),
    ),
    ("child", "elev.ola", "foresatt.kari", frozenset({"child"})),
    ("teaches_child", "foresatt.kari", "larer.dahl", frozenset({"teaches_child"})),
    ("teaches_child-other-school", "foresatt.kari", "larer.moen", frozenset({"teaches_child"})),
    (
        "guardian_of_taught",
        "larer.dahl",
        "foresatt.knut",
        frozenset({"guardian_of_taught", "school_teacher"}),
    ),
]

#: (label, viewer, person) where no relation of the User row holds
INVISIBLE: list[tuple[str, str, str]] = [
    ("teacher-at-other-school", "larer.nilsen", "elev.ola"),
    ("school_leader-at-other-school", "rektor.sagene", "elev.ola"),
    ("superuser-at-other-school", "superuser.sagene", "elev.ola"),
    ("superuser-on-teacher-at-other-school", "superuser.bjolsen", "larer.nilsen"),
    ("student-same-school-no-shared-course", "elev.emma", "elev.ola"),
    ("student-to-teacher-not-teaching-them", "elev.ola", "larer.lie"),
    ("student-to-peer's-guardian", "elev.jakob", "foresatt.kari"),
    ("guardian-to-child's-classmate", "foresatt.kari", "elev.jakob"),
    ("guardian-to-classmate's-guardian", "foresatt.geir", "foresatt.kari"),
    ("guardian-of-classmate", "foresatt.geir", "elev.ola"),
    ("co-guardian", "foresatt.kari", "foresatt.knut"),
    ("guardian-to-co-guardian's-other-child", "foresatt.knut", "elev.nora"),
    ("guardian-to-teacher-not-teaching-child", "foresatt.geir", "larer.lie"),
    ("school_leader-to-system-administrator", "rektor.bjolsen", "admin"),
]

#: scalar fields whose granted value must be the person's real one (compared with sysadmin's read)
SCALARS = ("displayName", "firstName", "lastName", "email", "nationalId", "processingState")


@pytest.fixture(scope="module")
def reads(live: LiveGateway) -> Reads:
    return Reads(live)


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(VISIBLE, USER_READ)
)
def test_user_field(
    live: LiveGateway, reads: Reads, viewer: str, target: str, field: str, expected: str
) -> None:
    person = live.person_id(target)
    got, value = read_field(reads, viewer, "user", person, SELECTIONS, field)
    assert got == expected
    if expected == GRANTED:
        assert value is not None
        if field == "id":
            assert value == person
        if field in SCALARS:
            _, real = read_field(reads, "admin", "user", person, SELECTIONS, field)
            assert value == real


@pytest.mark.parametrize(
    ("viewer", "target"), [pytest.param(v, p, id=label) for label, v, p in INVISIBLE]
)
def test_user_row_invisible(live: LiveGateway, viewer: str, target: str) -> None:
    assert_not_found(live, viewer, "user", live.person_id(target), " ".join(SELECTIONS.values()))


@pytest.mark.parametrize(
    ("viewer", "target", "guardians"),
    [
        pytest.param("elev.ola", "elev.ola", {"foresatt.kari", "foresatt.knut"}, id="self"),
        pytest.param("larer.dahl", "elev.ola", {"foresatt.kari", "foresatt.knut"}, id="teaches"),
        pytest.param("rektor.bjolsen", "elev.emma", {"larer.hansen", "foresatt.linn"}, id="leader"),
        pytest.param("admin", "elev.nora", {"foresatt.kari"}, id="sysadmin"),
    ],
)
def test_guardians_granted_lists_the_guardians(
    live: LiveGateway, viewer: str, target: str, guardians: set[str]
) -> None:
    result = live.gql(
        "query($id: ID!) { user(id: $id) { guardians { id } } }",
        {"id": live.person_id(target)},
        as_user=viewer,
    )
    assert result.errors == []
    got = {g["id"] for g in result.data["user"]["guardians"]}
    assert got == {live.person_id(g) for g in guardians}


@pytest.mark.parametrize("viewer", ["foresatt.kari", "admin"])
def test_children_granted_lists_children_at_every_school(live: LiveGateway, viewer: str) -> None:
    result = live.gql(
        "query($id: ID!) { user(id: $id) { children { id } } }",
        {"id": live.person_id("foresatt.kari")},
        as_user=viewer,
    )
    assert result.errors == []
    got = {c["id"] for c in result.data["user"]["children"]}
    assert got == {live.person_id("elev.ola"), live.person_id("elev.nora")}


BJS_8 = {"c-bjs-8a", "c-bjs-mat8", "c-bjs-nor8"}


@pytest.mark.parametrize(
    ("viewer", "target", "courses"),
    [
        pytest.param("elev.ola", "elev.ola", BJS_8, id="self"),
        pytest.param("admin", "elev.ola", BJS_8, id="sysadmin"),
        pytest.param("foresatt.kari", "elev.ola", BJS_8, id="guardian"),
        pytest.param(
            "foresatt.kari",
            "elev.nora",
            {"c-sag-9b", "c-sag-nat9", "c-sag-eng9"},
            id="guardian-other-school",
        ),
        pytest.param("rektor.bjolsen", "elev.ola", BJS_8, id="school_leader"),
        pytest.param("superuser.bjolsen", "elev.ola", BJS_8, id="superuser"),
        # school staff who teach: the list keeps only courses whose row they may see
        pytest.param("larer.dahl", "elev.ola", {"c-bjs-nor8"}, id="teacher-sees-own-course-only"),
        pytest.param("larer.hansen", "elev.ola", {"c-bjs-8a", "c-bjs-mat8"}, id="contact-teacher"),
        pytest.param("larer.lie", "elev.ola", set(), id="school-teacher-shares-no-course"),
    ],
)
def test_user_courses_filtered_by_course_rows(
    live: LiveGateway, viewer: str, target: str, courses: set[str]
) -> None:
    result = live.gql(
        "query($id: ID!) { user(id: $id) { courses { totalCount edges { node { id } } } } }",
        {"id": live.person_id(target)},
        as_user=viewer,
    )
    assert result.errors == []
    connection = result.data["user"]["courses"]
    assert connection["totalCount"] == len(courses)
    assert set(node_ids(connection)) == {live.course_id(c) for c in courses}


def test_preferences_are_self_only_even_for_sysadmin(live: LiveGateway) -> None:
    mutate(
        live,
        "elev.mia",
        'mutation { setPreference(key: "read-tests.language", value: "nn") { key } }',
    )
    own = live.gql("{ viewer { preferences { key value } } }", as_user="elev.mia")
    assert own.errors == []
    assert {"key": "read-tests.language", "value": "nn"} in own.data["viewer"]["preferences"]
    for viewer in ("admin", "rektor.bjolsen", "larer.hansen"):
        other = live.gql(
            "query($id: ID!) { user(id: $id) { id preferences { key value } } }",
            {"id": live.person_id("elev.mia")},
            as_user=viewer,
        )
        assert other.data["user"]["id"] == live.person_id("elev.mia")
        assert outcome(other, "user", "preferences") == FORBIDDEN, viewer


def test_viewer_is_read_with_self_relations(live: LiveGateway) -> None:
    result = live.gql(
        "{ viewer { id email nationalId children { id } processingState } }",
        as_user="foresatt.knut",
    )
    viewer = result.data["viewer"]
    assert viewer["id"] == live.person_id("foresatt.knut")
    for field in ("email", "nationalId", "children"):
        assert outcome(result, "viewer", field) == GRANTED, field
    assert viewer["children"] == [{"id": live.person_id("elev.ola")}]
    # processingState is for system administrators only, not even the person themself
    assert outcome(result, "viewer", "processingState") == FORBIDDEN
