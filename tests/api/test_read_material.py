"""Document, CalendarEvent and School read rules (docs/access-policy.md, "### Document",
"### CalendarEvent", "### Administrative objects").

The stage (read_support.create_activity): elev.ola's private document and personal event;
larer.dahl's document shared to NOR8 and his NOR8 course event.
"""

from __future__ import annotations

import pytest
from gateway_support import LiveGateway
from read_support import (
    ROW,
    Activity,
    Reads,
    all_ids,
    assert_not_found,
    create_activity,
    field_params,
    read_field,
)


@pytest.fixture(scope="module")
def activity(live: LiveGateway) -> Activity:
    return create_activity(live)


@pytest.fixture(scope="module")
def reads(live: LiveGateway) -> Reads:
    return Reads(live)


# --- Document ------------------------------------------------------------------------------------

DOCUMENT_READ = {field: frozenset({ROW}) for field in ("id", "title", "body", "owner", "course")}
DOCUMENT_SELECTIONS = {
    **{field: field for field in DOCUMENT_READ},
    "owner": "owner { id }",
    "course": "course { id }",
}

#: (label, viewer, "private" | "shared", relations)
DOCUMENT_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("private-self", "elev.ola", "private", frozenset({"self"})),
    ("private-sysadmin", "admin", "private", frozenset({"sysadmin"})),
    ("shared-owner", "larer.dahl", "shared", frozenset({"self", "course_member"})),
    ("shared-course_member", "elev.ola", "shared", frozenset({"course_member"})),
    ("shared-other-course_member", "elev.jakob", "shared", frozenset({"course_member"})),
    ("shared-school_leader", "rektor.bjolsen", "shared", frozenset({"school_leader"})),
    ("shared-superuser", "superuser.bjolsen", "shared", frozenset({"superuser"})),
    ("shared-sysadmin", "admin", "shared", frozenset({"sysadmin"})),
]
DOCUMENT_INVISIBLE: list[tuple[str, str, str]] = [
    ("private-guardian", "foresatt.kari", "private"),
    ("private-course-teacher", "larer.dahl", "private"),
    ("private-contact-teacher", "larer.hansen", "private"),
    ("private-school_leader", "rektor.bjolsen", "private"),
    ("private-superuser", "superuser.bjolsen", "private"),
    ("private-classmate", "elev.jakob", "private"),
    ("shared-guardian-of-member", "foresatt.kari", "shared"),
    ("shared-other-guardian-of-member", "foresatt.knut", "shared"),
    ("shared-contact-teacher-of-members", "larer.hansen", "shared"),
    ("shared-teacher-same-school", "larer.lie", "shared"),
    ("shared-student-not-member", "elev.emma", "shared"),
    ("shared-school_leader-other-school", "rektor.sagene", "shared"),
    ("shared-superuser-other-school", "superuser.sagene", "shared"),
    ("shared-teacher-other-school", "larer.nilsen", "shared"),
]


def _document(activity: Activity, variant: str) -> str:
    return activity.private_document if variant == "private" else activity.shared_document


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(DOCUMENT_VISIBLE, DOCUMENT_READ)
)
def test_document_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(
        reads, viewer, "Document", _document(activity, target), DOCUMENT_SELECTIONS, field
    )
    assert got == expected
    private = target == "private"
    checks = {
        "title": "Dagbok" if private else "Ukeplan",
        "body": "Notater",
        "owner": {"id": live.person_id("elev.ola" if private else "larer.dahl")},
        "course": None if private else {"id": activity.nor8},
    }
    if field in checks:
        assert value == checks[field]


@pytest.mark.parametrize(
    ("viewer", "target"), [pytest.param(v, d, id=label) for label, v, d in DOCUMENT_INVISIBLE]
)
def test_document_row_invisible(
    live: LiveGateway, activity: Activity, viewer: str, target: str
) -> None:
    assert_not_found(
        live,
        viewer,
        "Document",
        _document(activity, target),
        " ".join(DOCUMENT_SELECTIONS.values()),
    )


@pytest.mark.parametrize(
    ("viewer", "variants"),
    [
        pytest.param("elev.ola", {"private", "shared"}, id="owner-and-member"),
        pytest.param("elev.jakob", {"shared"}, id="member"),
        pytest.param("rektor.bjolsen", {"shared"}, id="school_leader"),
        pytest.param("foresatt.kari", set(), id="guardian"),
        pytest.param("larer.hansen", set(), id="contact-teacher"),
    ],
)
def test_documents_list_holds_only_visible_documents(
    live: LiveGateway, activity: Activity, viewer: str, variants: set[str]
) -> None:
    listed = all_ids(live, viewer, "documents")
    for variant in ("private", "shared"):
        assert (_document(activity, variant) in listed) is (variant in variants), variant


# --- CalendarEvent -------------------------------------------------------------------------------

EVENT_READ = {
    field: frozenset({ROW}) for field in ("id", "title", "startsAt", "endsAt", "owner", "course")
}
EVENT_SELECTIONS = {
    **{field: field for field in EVENT_READ},
    "owner": "owner { id }",
    "course": "course { id }",
}

#: (label, viewer, "personal" | "course", relations): a course event has the course row
EVENT_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("personal-self", "elev.ola", "personal", frozenset({"self"})),
    ("personal-sysadmin", "admin", "personal", frozenset({"sysadmin"})),
    ("course-owner", "larer.dahl", "course", frozenset({"self", "course_member"})),
    ("course-course_member", "elev.ola", "course", frozenset({"course_member"})),
    ("course-other-course_member", "elev.jakob", "course", frozenset({"course_member"})),
    ("course-guardian-of-student", "foresatt.kari", "course", frozenset({"guardian"})),
    ("course-other-guardian", "foresatt.geir", "course", frozenset({"guardian"})),
    ("course-school_leader", "rektor.bjolsen", "course", frozenset({"school_leader"})),
    ("course-superuser", "superuser.bjolsen", "course", frozenset({"superuser"})),
    ("course-sysadmin", "admin", "course", frozenset({"sysadmin"})),
]
EVENT_INVISIBLE: list[tuple[str, str, str]] = [
    ("personal-guardian", "foresatt.kari", "personal"),
    ("personal-other-guardian", "foresatt.knut", "personal"),
    ("personal-course-teacher", "larer.dahl", "personal"),
    ("personal-contact-teacher", "larer.hansen", "personal"),
    ("personal-school_leader", "rektor.bjolsen", "personal"),
    ("personal-superuser", "superuser.bjolsen", "personal"),
    ("personal-classmate", "elev.jakob", "personal"),
    ("course-contact-teacher-of-members", "larer.hansen", "course"),
    ("course-teacher-same-school", "larer.lie", "course"),
    ("course-student-not-member", "elev.emma", "course"),
    ("course-guardian-child-not-member", "foresatt.linn", "course"),
    ("course-school_leader-other-school", "rektor.sagene", "course"),
    ("course-teacher-other-school", "larer.nilsen", "course"),
]


def _event(activity: Activity, variant: str) -> str:
    return activity.personal_event if variant == "personal" else activity.course_event


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(EVENT_VISIBLE, EVENT_READ)
)
def test_calendar_event_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(
        reads, viewer, "CalendarEvent", _event(activity, target), EVENT_SELECTIONS, field
    )
    assert got == expected
    personal = target == "personal"
    checks = {
        "title": "Tannlege" if personal else "Prøve i norsk",
        "owner": {"id": live.person_id("elev.ola" if personal else "larer.dahl")},
        "course": None if personal else {"id": activity.nor8},
    }
    assert value == checks[field] if field in checks else value is not None


@pytest.mark.parametrize(
    ("viewer", "target"), [pytest.param(v, e, id=label) for label, v, e in EVENT_INVISIBLE]
)
def test_calendar_event_row_invisible(
    live: LiveGateway, activity: Activity, viewer: str, target: str
) -> None:
    assert_not_found(
        live, viewer, "CalendarEvent", _event(activity, target), " ".join(EVENT_SELECTIONS.values())
    )


@pytest.mark.parametrize(
    ("viewer", "variants"),
    [
        pytest.param("elev.ola", {"personal", "course"}, id="owner-and-member"),
        pytest.param("foresatt.kari", {"course"}, id="guardian"),
        pytest.param("superuser.bjolsen", {"course"}, id="superuser"),
        pytest.param("larer.hansen", set(), id="contact-teacher"),
    ],
)
def test_calendar_events_list_holds_only_visible_events(
    live: LiveGateway, activity: Activity, viewer: str, variants: set[str]
) -> None:
    listed = all_ids(live, viewer, "calendarEvents")
    for variant in ("personal", "course"):
        assert (_event(activity, variant) in listed) is (variant in variants), variant


def test_course_events_visible_to_a_guardian(live: LiveGateway, activity: Activity) -> None:
    result = live.gql(
        "query($id: ID!) { course(id: $id) { events { id } } }",
        {"id": activity.nor8},
        as_user="foresatt.knut",
    )
    assert result.errors == []
    events = [e["id"] for e in result.data["course"]["events"]]
    assert activity.course_event in events
    assert activity.personal_event not in events


# --- School --------------------------------------------------------------------------------------

SCHOOL_READ = {field: frozenset({ROW}) for field in ("id", "name", "code")}
SCHOOL_SELECTIONS = {field: field for field in SCHOOL_READ}

#: (label, viewer, school sourcedId, relations): anyone with a role or enrolment there, sysadmin
SCHOOL_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("student", "elev.ola", "org-bjs", frozenset({"school_member"})),
    ("guardian", "foresatt.knut", "org-bjs", frozenset({"school_member"})),
    ("guardian-role-at-second-school", "foresatt.kari", "org-sag", frozenset({"school_member"})),
    ("teacher", "larer.nilsen", "org-sag", frozenset({"school_member"})),
    ("school_leader", "rektor.bjolsen", "org-bjs", frozenset({"school_member"})),
    ("superuser", "superuser.sagene", "org-sag", frozenset({"school_member"})),
    ("sysadmin", "admin", "org-sag", frozenset({"sysadmin"})),
]
SCHOOL_INVISIBLE: list[tuple[str, str, str]] = [
    ("student-other-school", "elev.ola", "org-sag"),
    ("guardian-other-school", "foresatt.knut", "org-sag"),
    ("teacher-other-school", "larer.hansen", "org-sag"),
    ("school_leader-other-school", "rektor.bjolsen", "org-sag"),
    ("superuser-other-school", "superuser.bjolsen", "org-sag"),
    ("teacher-at-sagene-to-bjolsen", "larer.nilsen", "org-bjs"),
]
SCHOOLS = {"org-bjs": ("Bjølsen skole", "BJS"), "org-sag": ("Sagene skole", "SAG")}


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(SCHOOL_VISIBLE, SCHOOL_READ)
)
def test_school_field(
    live: LiveGateway, reads: Reads, viewer: str, target: str, field: str, expected: str
) -> None:
    school = live.school_id(target)
    got, value = read_field(reads, viewer, "school", school, SCHOOL_SELECTIONS, field)
    assert got == expected
    name, code = SCHOOLS[target]
    assert value == {"id": school, "name": name, "code": code}[field]


@pytest.mark.parametrize(
    ("viewer", "target"), [pytest.param(v, s, id=label) for label, v, s in SCHOOL_INVISIBLE]
)
def test_school_row_invisible(live: LiveGateway, viewer: str, target: str) -> None:
    assert_not_found(live, viewer, "school", live.school_id(target), "id name code")
