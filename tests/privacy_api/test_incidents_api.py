"""The incident register through the HTTP API (docs/incidents.md).

* only system administrators record, update, notify and list incidents (role by role);
* the report deadline is detectedAt + 72 hours, and ``overdue`` follows the clock
  (``config.clock.ManualClock``; the test gateway runs in this process, so it reads that clock);
* each scope kind resolves to the documented people: a school (its role holders and its
  students' guardians), courses (everyone enrolled), persons, and whose data a staff member read
  (the access log: those rows are inserted directly here, because this tests the scope's
  resolution itself, not the logging of reads);
* ``notifyAffected`` tells the affected people and the guardians of affected minors (Ola's
  guardians Kari and Knut), not the guardians of an adult, not an erased person; once;
* bad input (no scope, two scopes, unknown ids, a future detection time ...) writes nothing;
* audit entries name the incident and carry the description's digest, never its text;
* an erased affected person stays in the register as a pseudonym.

A gateway of its own per backend, on a fresh demo database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import (
    ADMIN,
    NON_ADMINS,
    confirm_erasure,
    ok,
    privacy_gateway,
    refused,
    request_erasure,
)
from sqlalchemy import func, select, update

from config import clock
from config.clock import ManualClock
from config.ids import from_global_id, to_global_id
from store import tables as t

#: an adult's synthetic national id (born 1 January 1980: month + 80, individual number 123)
ADULT_NATIONAL_ID = "01818012345"
DESCRIPTION = "A laptop with an export of class 8A's assessments was stolen from a car"

INCIDENT_FIELDS = """
  id description detectedAt recordedAt reportDueAt overdue reportedLate status categories
  actionsTaken authorityNotifiedAt peopleNotifiedAt affectedCount
  recordedBy { id }
  scope { kind schoolId courseIds staffId from to }
"""
RECORD = f"""
mutation($input: IncidentInput!) {{ recordIncident(input: $input) {{ {INCIDENT_FIELDS} }} }}"""
UPDATE = f"""
mutation($id: ID!, $input: IncidentUpdateInput!) {{
  updateIncident(incidentId: $id, input: $input) {{ {INCIDENT_FIELDS} }}
}}"""
NOTIFY = f"""
mutation($id: ID!) {{ notifyAffected(incidentId: $id) {{ {INCIDENT_FIELDS} }} }}"""
PEOPLE = """
query($id: ID!, $first: Int) {
  node(id: $id) {
    ... on Incident {
      affectedCount
      affectedPeople(first: $first) {
        totalCount
        edges { node { reason notifiedAt person { id isPseudonym displayName } } }
      }
    }
  }
}"""
OVERDUE = "query($id: ID!) { node(id: $id) { ... on Incident { overdue } } }"
LIST = """
query($first: Int, $after: String) {
  incidents(first: $first, after: $after) {
    totalCount
    edges { cursor node { id status reportDueAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with privacy_gateway(request.param, tmp_path_factory, "incidents") as gateway:
        p = t.people.c
        gateway.execute(
            # Emma (guardians larer.hansen and foresatt.linn) is an adult by her number, Sofie
            # (guardian foresatt.tone) has none: a minor because she has guardians
            update(t.people).where(p.username == "elev.emma").values(national_id=ADULT_NATIONAL_ID),
            update(t.people).where(p.username == "elev.sofie").values(national_id=None),
        )
        yield gateway


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _input(live: LiveGateway, scope: dict[str, Any], **fields: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "description": DESCRIPTION,
        "detectedAt": (_now() - timedelta(hours=2)).isoformat(),
        "categories": ["ASSESSMENTS", "PERSONAL_DATA"],
        "scope": scope,
    }
    given.update(fields)
    return given


def _record(live: LiveGateway, scope: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return ok(live.gql(RECORD, {"input": _input(live, scope, **fields)}, as_user=ADMIN))  # type: ignore[no-any-return]


def _persons(live: LiveGateway, *usernames: str) -> dict[str, Any]:
    return {"personIds": [live.person_id(name) for name in usernames]}


def _affected(live: LiveGateway, incident_id: str) -> dict[str, str]:
    """username (or pseudonym id) -> reason of the incident's affected people."""
    found = ok(live.gql(PEOPLE, {"id": incident_id, "first": 500}, as_user=ADMIN))
    people = found["affectedPeople"]
    assert people["totalCount"] == found["affectedCount"]
    by_pk = {
        pk: name
        for pk, name in live.rows(select(t.people.c.id, t.people.c.username))
        if name is not None
    }
    result = {}
    for edge in people["edges"]:
        person = edge["node"]["person"]
        key = person["id"]
        if not person["isPseudonym"]:
            key = by_pk[from_global_id(key)[1]]
        result[key] = edge["node"]["reason"]
    return result


def _counts(live: LiveGateway) -> tuple[int, int, int, int]:
    def count(table: Any) -> int:
        return int(live.scalar(select(func.count()).select_from(table)))

    return (
        count(t.incidents),
        count(t.incident_people),
        count(t.audit_entries),
        count(t.notifications),
    )


def _notifications(live: LiveGateway, since: int) -> dict[str, list[str]]:
    n, p = t.notifications.c, t.people.c
    rows = live.rows(
        select(p.username, n.kind, n.message)
        .join(t.people, p.id == n.person_id)
        .where(n.id > since, n.kind.like("INCIDENT_%"))
    )
    found: dict[str, list[str]] = {}
    for username, kind, message in rows:
        found.setdefault(username, []).append(kind)
        assert DESCRIPTION not in message
    return found


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_only_system_administrators_keep_the_register(live: LiveGateway, role: str) -> None:
    user = NON_ADMINS[role]
    incident = _record(live, _persons(live, "elev.ola"))
    before = _counts(live)
    refused(
        live.gql(RECORD, {"input": _input(live, _persons(live, "elev.ola"))}, as_user=user),
        "FORBIDDEN",
    )
    refused(
        live.gql(UPDATE, {"id": incident["id"], "input": {"status": "CLOSED"}}, as_user=user),
        "FORBIDDEN",
    )
    refused(live.gql(NOTIFY, {"id": incident["id"]}, as_user=user), "FORBIDDEN")
    assert _counts(live) == before
    listed = ok(live.gql(LIST, {"first": 10}, as_user=user))
    assert listed["totalCount"] == 0 and listed["edges"] == []
    seen = live.gql(PEOPLE, {"id": incident["id"]}, as_user=user)
    assert seen.codes() == {"NOT_FOUND"}, seen.errors


def test_anonymous_callers_are_refused(live: LiveGateway) -> None:
    before = _counts(live)
    for query, variables in (
        (LIST, {"first": 1}),
        (RECORD, {"input": _input(live, _persons(live, "elev.ola"))}),
    ):
        result = live.gql(query, variables)
        assert result.codes() == {"UNAUTHENTICATED"}, result.errors
    assert _counts(live) == before


# --- the 72-hour clock ----------------------------------------------------------------------------


def test_the_report_is_due_72_hours_after_detection_and_overdue_after(live: LiveGateway) -> None:
    start = _now()
    with clock.using(ManualClock(start)) as manual:
        detected = start - timedelta(hours=5)
        incident = _record(live, _persons(live, "elev.ola"), detectedAt=detected.isoformat())
        due = datetime.fromisoformat(incident["reportDueAt"])
        assert due == detected + timedelta(hours=72)
        assert datetime.fromisoformat(incident["recordedAt"]) == start
        assert incident["status"] == "OPEN"
        assert incident["overdue"] is False and incident["reportedLate"] is None
        assert incident["recordedBy"]["id"] == live.person_id(ADMIN)
        assert incident["categories"] == ["ASSESSMENTS", "PERSONAL_DATA"]

        manual.advance(timedelta(hours=66, minutes=59))  # one minute before the deadline
        assert ok(live.gql(OVERDUE, {"id": incident["id"]}, as_user=ADMIN)) == {"overdue": False}
        manual.advance(timedelta(minutes=2))
        assert ok(live.gql(OVERDUE, {"id": incident["id"]}, as_user=ADMIN)) == {"overdue": True}

        told = manual.now()
        reported = ok(
            live.gql(
                UPDATE,
                {
                    "id": incident["id"],
                    "input": {
                        "authorityNotifiedAt": told.isoformat(),
                        "actionsTaken": "Passwords changed; the police informed",
                    },
                },
                as_user=ADMIN,
            )
        )
        assert reported["status"] == "REPORTED"
        assert reported["overdue"] is False and reported["reportedLate"] is True
        assert datetime.fromisoformat(reported["authorityNotifiedAt"]) == told
        assert reported["actionsTaken"] == "Passwords changed; the police informed"


def test_a_closed_unreported_incident_is_not_overdue(live: LiveGateway) -> None:
    detected = _now() - timedelta(days=10)
    incident = _record(live, _persons(live, "elev.ola"), detectedAt=detected.isoformat())
    assert incident["overdue"] is True
    closed = ok(
        live.gql(UPDATE, {"id": incident["id"], "input": {"status": "CLOSED"}}, as_user=ADMIN)
    )
    assert closed["status"] == "CLOSED" and closed["overdue"] is False


def test_status_rules(live: LiveGateway) -> None:
    incident = _record(live, _persons(live, "elev.ola"))
    iid = incident["id"]
    before = _counts(live)
    result = live.gql(UPDATE, {"id": iid, "input": {"status": "REPORTED"}}, as_user=ADMIN)
    refused(result, "BAD_USER_INPUT")
    refused(live.gql(UPDATE, {"id": iid, "input": {}}, as_user=ADMIN), "BAD_USER_INPUT")
    future = (_now() + timedelta(hours=1)).isoformat()
    refused(
        live.gql(UPDATE, {"id": iid, "input": {"authorityNotifiedAt": future}}, as_user=ADMIN),
        "BAD_USER_INPUT",
    )
    early = (_now() - timedelta(days=3)).isoformat()  # before it was detected
    refused(
        live.gql(UPDATE, {"id": iid, "input": {"authorityNotifiedAt": early}}, as_user=ADMIN),
        "BAD_USER_INPUT",
    )
    missing = to_global_id("Incident", 999_999)
    refused(
        live.gql(UPDATE, {"id": missing, "input": {"status": "CLOSED"}}, as_user=ADMIN),
        "NOT_FOUND",
    )
    assert _counts(live) == before
    told = _now().isoformat()
    ok(live.gql(UPDATE, {"id": iid, "input": {"authorityNotifiedAt": told}}, as_user=ADMIN))
    refused(live.gql(UPDATE, {"id": iid, "input": {"status": "OPEN"}}, as_user=ADMIN), "CONFLICT")
    closed = ok(live.gql(UPDATE, {"id": iid, "input": {"status": "CLOSED"}}, as_user=ADMIN))
    assert closed["status"] == "CLOSED"


# --- the register's order -------------------------------------------------------------------------


def test_open_incidents_come_first_nearest_deadline_first_and_paging_follows(
    live: LiveGateway,
) -> None:
    now = _now()
    made = {
        name: _record(
            live, _persons(live, "elev.ola"), detectedAt=(now - timedelta(hours=hours)).isoformat()
        )["id"]
        for name, hours in (("open_far", 1), ("open_near", 60), ("open_mid", 30))
    }
    for name, hours in (("reported_old", 100), ("reported_new", 10)):
        made[name] = _record(
            live, _persons(live, "elev.ola"), detectedAt=(now - timedelta(hours=hours)).isoformat()
        )["id"]
        ok(
            live.gql(
                UPDATE,
                {"id": made[name], "input": {"authorityNotifiedAt": now.isoformat()}},
                as_user=ADMIN,
            )
        )
    whole = ok(live.gql(LIST, {"first": 500}, as_user=ADMIN))
    order = [edge["node"]["id"] for edge in whole["edges"]]
    mine = [iid for iid in order if iid in made.values()]
    names = {iid: name for name, iid in made.items()}
    assert [names[iid] for iid in mine] == [
        "open_near",
        "open_mid",
        "open_far",
        "reported_new",
        "reported_old",
    ]
    statuses = [edge["node"]["status"] for edge in whole["edges"]]
    rank = {"OPEN": 0, "REPORTED": 1, "CLOSED": 2}
    assert statuses == sorted(statuses, key=rank.__getitem__)
    # page by two: the same list
    paged: list[str] = []
    after = None
    while True:
        page = ok(live.gql(LIST, {"first": 2, "after": after}, as_user=ADMIN))
        assert page["totalCount"] == whole["totalCount"]
        paged += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == order


def test_listing_takes_the_same_statements_for_two_incidents_as_for_six(
    live: LiveGateway,
) -> None:
    for _ in range(6):
        _record(live, _persons(live, "elev.ola", "elev.jakob", "elev.sara"))
    query = """
    query($first: Int) {
      incidents(first: $first) {
        edges { node {
          id affectedCount overdue scope { kind }
          recordedBy { id }
          affectedPeople(first: 5) { totalCount edges { node { reason person { id } } } }
        } }
      }
    }"""
    counts = []
    for first in (2, 6):
        with live.count_sql() as statements:
            found = ok(live.gql(query, {"first": first}, as_user=ADMIN))
        assert len(found["edges"]) == first
        assert any(edge["node"]["affectedPeople"]["edges"] for edge in found["edges"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_compiled_executor_answers_as_the_generic_one(live: LiveGateway) -> None:
    incident = _record(live, _persons(live, "elev.ola", "elev.sara"))
    compiled = live.state.compiled
    assert compiled is not None
    introspection = "__schema { queryType { name } }"
    full = f"""
    query($first: Int, $id: ID!) {{
      incidents(first: $first) {{ totalCount edges {{ cursor node {{ {INCIDENT_FIELDS} }} }} }}
      node(id: $id) {{ ... on Incident {{
        affectedPeople(first: 5) {{
          totalCount
          edges {{ cursor node {{ reason notifiedAt person {{ id displayName isPseudonym }} }} }}
          pageInfo {{ hasNextPage endCursor }}
        }}
      }} }}
    }}"""
    variables = {"first": 3, "id": incident["id"]}
    for role_user in (ADMIN, "larer.hansen"):
        stats = compiled.stats
        runs, fallbacks = stats.compiled_runs, stats.fallback_runs
        planned = live.gql(full, variables, as_user=role_user)
        assert compiled.stats.compiled_runs == runs + 1, compiled.stats.fallbacks
        generic = live.gql(full.replace("{", "{ " + introspection, 1), variables, as_user=role_user)
        assert compiled.stats.fallback_runs == fallbacks + 1
        assert generic.errors == planned.errors
        del generic.data["__schema"]
        assert generic.data == planned.data


# --- scopes ---------------------------------------------------------------------------------------


def test_a_school_scope_is_its_role_holders_and_its_students_guardians(live: LiveGateway) -> None:
    incident = _record(live, {"schoolId": live.school_id("org-bjs")})
    assert incident["scope"]["kind"] == "SCHOOL"
    assert incident["scope"]["schoolId"] == live.school_id("org-bjs")
    affected = _affected(live, incident["id"])
    for member in ("elev.ola", "elev.emma", "larer.hansen", "rektor.bjolsen", "superuser.bjolsen"):
        assert affected[member] == "SCHOOL_MEMBER", member
    assert affected["foresatt.kari"] in ("SCHOOL_MEMBER", "GUARDIAN_OF_STUDENT")
    assert "foresatt.knut" in affected
    for outsider in ("elev.sofie", "larer.moen", "rektor.sagene", "admin", "foresatt.tone"):
        assert outsider not in affected, outsider
    # independently: everyone with a role at Bjølsen, and every guardian of its students
    ra, g, sc = t.role_assignments.c, t.guardianships.c, t.schools.c
    school = live.scalar(select(sc.id).where(sc.sourced_id == "org-bjs"))
    holders = {row[0] for row in live.rows(select(ra.person_id).where(ra.school_id == school))}
    students = select(ra.person_id).where(ra.school_id == school, ra.role == "STUDENT")
    guardians = {
        row[0] for row in live.rows(select(g.guardian_id).where(g.student_id.in_(students)))
    }
    assert incident["affectedCount"] == len(holders | guardians)


def test_a_course_scope_is_everyone_enrolled(live: LiveGateway) -> None:
    p, e = t.people.c, t.enrolments.c
    # an ended enrolment still counts: the course's data holds what the student did there
    live.execute(
        update(t.enrolments)
        .where(
            e.course_id == live.course_pk("c-bjs-nor8"),
            e.person_id == live.person_pk("elev.isak"),
        )
        .values(ended_at=_now() - timedelta(days=1))
    )
    courses = [live.course_id("c-bjs-mat8"), live.course_id("c-bjs-nor8")]
    incident = _record(live, {"courseIds": courses})
    assert incident["scope"]["kind"] == "COURSES"
    assert incident["scope"]["courseIds"] == courses
    affected = _affected(live, incident["id"])
    enrolled = {
        row[0]
        for row in live.rows(
            select(p.username)
            .join(t.enrolments, e.person_id == p.id)
            .where(e.course_id.in_([live.course_pk("c-bjs-mat8"), live.course_pk("c-bjs-nor8")]))
        )
    }
    assert set(affected) == enrolled
    assert {"elev.ola", "elev.isak", "larer.hansen", "larer.dahl"} <= set(affected)
    assert "elev.emma" not in affected and "foresatt.kari" not in affected
    assert set(affected.values()) == {"ENROLLED"}


def test_a_persons_scope_is_those_people(live: LiveGateway) -> None:
    incident = _record(live, _persons(live, "elev.ola", "larer.berg", "elev.ola"))
    assert incident["scope"]["kind"] == "PERSONS"
    assert _affected(live, incident["id"]) == {"elev.ola": "NAMED", "larer.berg": "NAMED"}


def test_a_read_by_scope_is_whose_data_the_staff_member_read_in_the_period(
    live: LiveGateway,
) -> None:
    """The access log's rows are inserted directly: this checks the scope's resolution from the
    log, not the logging of reads (which has tests of its own)."""
    now = _now()
    staff = live.person_pk("larer.hansen")
    start, end = now - timedelta(days=2), now - timedelta(days=1)
    rows = [
        ("elev.ola", start + timedelta(hours=1), staff),
        ("elev.jakob", end, staff),  # the end is inside
        ("elev.sara", end - timedelta(hours=1), staff),
        ("elev.sara", end - timedelta(hours=2), staff),  # read twice: listed once
        ("elev.emma", start - timedelta(minutes=1), staff),  # before the period
        ("elev.amina", now, staff),  # after it
        ("elev.mia", start + timedelta(hours=2), live.person_pk("larer.dahl")),  # someone else
    ]
    live.execute(
        *(
            t.access_log.insert().values(
                at=at,
                staff_id=reader,
                person_id=live.person_pk(name),
                what="SUBMISSION",
                operation="Gradebook",
            )
            for name, at, reader in rows
        )
    )
    scope = {
        "readBy": {
            "staffId": live.person_id("larer.hansen"),
            "from": start.isoformat(),
            "to": end.isoformat(),
        }
    }
    incident = _record(live, scope)
    assert incident["scope"]["kind"] == "READ_BY"
    assert incident["scope"]["staffId"] == live.person_id("larer.hansen")
    assert datetime.fromisoformat(incident["scope"]["from"]) == start
    assert datetime.fromisoformat(incident["scope"]["to"]) == end
    assert _affected(live, incident["id"]) == {
        "elev.ola": "READ_BY_STAFF",
        "elev.jakob": "READ_BY_STAFF",
        "elev.sara": "READ_BY_STAFF",
    }


# --- bad input ------------------------------------------------------------------------------------


def test_bad_input_writes_nothing(live: LiveGateway) -> None:
    ola = live.person_id("elev.ola")
    unknown_person = to_global_id("User", 999_999)
    future = (_now() + timedelta(minutes=5)).isoformat()
    read_by = {"staffId": live.person_id("larer.hansen"), "from": _now().isoformat()}
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("BAD_USER_INPUT", {}, {}),
        ("BAD_USER_INPUT", {"personIds": [ola], "schoolId": live.school_id("org-bjs")}, {}),
        ("BAD_USER_INPUT", {"personIds": []}, {}),
        ("NOT_FOUND", {"personIds": [ola, unknown_person]}, {}),
        ("NOT_FOUND", {"schoolId": to_global_id("School", 999_999)}, {}),
        ("NOT_FOUND", {"courseIds": [to_global_id("Course", 999_999)]}, {}),
        ("NOT_FOUND", {"personIds": [live.course_id("c-bjs-mat8")]}, {}),  # not a User id
        ("BAD_USER_INPUT", {"personIds": ["not-an-id"]}, {}),
        (
            "NOT_FOUND",
            {"readBy": {**read_by, "staffId": unknown_person, "to": future}},
            {},
        ),
        ("BAD_USER_INPUT", {"readBy": {**read_by, "to": read_by["from"]}}, {}),
        ("BAD_USER_INPUT", {"personIds": [ola]}, {"detectedAt": future}),
        (
            "BAD_USER_INPUT",
            {"personIds": [ola]},
            {"detectedAt": (_now() - timedelta(days=6 * 366)).isoformat()},
        ),
        ("BAD_USER_INPUT", {"personIds": [ola]}, {"categories": []}),
        ("BAD_USER_INPUT", {"personIds": [ola]}, {"description": "   "}),
        ("BAD_USER_INPUT", {"personIds": [ola]}, {"description": "x" * 20_001}),
    ]
    before = _counts(live)
    for code, scope, fields in cases:
        result = live.gql(RECORD, {"input": _input(live, scope, **fields)}, as_user=ADMIN)
        refused(result, code)
    assert _counts(live) == before


# --- notifying ------------------------------------------------------------------------------------


def test_notify_tells_the_affected_and_the_guardians_of_minors_once(live: LiveGateway) -> None:
    incident = _record(
        live, _persons(live, "elev.ola", "elev.emma", "elev.sofie", "foresatt.kari", "larer.berg")
    )
    last = int(live.scalar(select(func.coalesce(func.max(t.notifications.c.id), 0))))
    notified = ok(live.gql(NOTIFY, {"id": incident["id"]}, as_user=ADMIN))
    assert notified["peopleNotifiedAt"] is not None
    got = _notifications(live, last)
    assert got == {
        "elev.ola": ["INCIDENT_AFFECTED"],
        "elev.emma": ["INCIDENT_AFFECTED"],
        "elev.sofie": ["INCIDENT_AFFECTED"],
        "larer.berg": ["INCIDENT_AFFECTED"],
        # Ola's guardians; Kari is affected herself too: one notification saying both
        "foresatt.kari": ["INCIDENT_AFFECTED_SELF_AND_CHILD"],
        "foresatt.knut": ["INCIDENT_AFFECTED_CHILD"],
        # Sofie has no national id but a guardian: counted as a minor
        "foresatt.tone": ["INCIDENT_AFFECTED_CHILD"],
        # not Emma's guardians (larer.hansen, foresatt.linn): she is an adult by her number
    }
    people = ok(live.gql(PEOPLE, {"id": incident["id"], "first": 50}, as_user=ADMIN))
    assert all(e["node"]["notifiedAt"] is not None for e in people["affectedPeople"]["edges"])
    # Bokmål by default, and no personal data or description in the text
    n = t.notifications.c
    texts = [row[0] for row in live.rows(select(n.message).where(n.id > last))]
    assert any("sikkerhetsbrudd" in text for text in texts)
    assert not any("Nordmann" in text or "Ola" in text for text in texts)

    before = _counts(live)
    refused(live.gql(NOTIFY, {"id": incident["id"]}, as_user=ADMIN), "CONFLICT")
    assert _counts(live) == before


def test_notify_in_the_recipients_language(live: LiveGateway) -> None:
    p = t.people.c
    live.execute(update(t.people).where(p.username == "larer.lie").values(preferred_language="en"))
    incident = _record(live, _persons(live, "larer.lie"))
    last = int(live.scalar(select(func.coalesce(func.max(t.notifications.c.id), 0))))
    ok(live.gql(NOTIFY, {"id": incident["id"]}, as_user=ADMIN))
    n = t.notifications.c
    (message,) = [row[0] for row in live.rows(select(n.message).where(n.id > last))]
    assert "security breach" in message


def test_an_erased_person_stays_counted_as_a_pseudonym_and_is_not_notified(
    live: LiveGateway,
) -> None:
    incident = _record(live, _persons(live, "elev.filip", "elev.noah"))
    filip = live.person_pk("elev.filip")
    erasure = request_erasure(live, "elev.filip")
    confirm_erasure(live, erasure["id"])
    found = ok(live.gql(PEOPLE, {"id": incident["id"], "first": 10}, as_user=ADMIN))
    assert found["affectedCount"] == 2
    people = [edge["node"]["person"] for edge in found["affectedPeople"]["edges"]]
    stand_ins = [person for person in people if person["isPseudonym"]]
    assert len(stand_ins) == 1 and "Filip" not in str(stand_ins[0])
    ip = t.incident_people.c
    pk = from_global_id(incident["id"])[1]
    # the row stays and points at the tombstone
    assert live.rows(select(ip.person_id).where(ip.incident_id == pk).order_by(ip.person_id)) == [
        (filip,),
        (live.person_pk("elev.noah"),),
    ]
    assert live.scalar(select(t.people.c.processing_state).where(t.people.c.id == filip)) == (
        "ERASED"
    )

    last = int(live.scalar(select(func.coalesce(func.max(t.notifications.c.id), 0))))
    ok(live.gql(NOTIFY, {"id": incident["id"]}, as_user=ADMIN))
    n = t.notifications.c
    assert {row[0] for row in live.rows(select(n.person_id).where(n.id > last))} == {
        live.person_pk("elev.noah"),
        *(
            row[0]
            for row in live.rows(
                select(t.guardianships.c.guardian_id).where(
                    t.guardianships.c.student_id == live.person_pk("elev.noah")
                )
            )
        ),
    }
    assert (
        live.scalar(select(ip.notified_at).where(ip.person_id == filip, ip.incident_id == pk))
        is None
    )
    # naming an erased person in a new incident: nothing of theirs is left
    refused(
        live.gql(
            RECORD,
            {"input": _input(live, {"personIds": [to_global_id("User", filip)]})},
            as_user=ADMIN,
        ),
        "CONFLICT",
    )


# --- audit ----------------------------------------------------------------------------------------


def test_audit_entries_carry_the_digest_never_the_text(live: LiveGateway) -> None:
    incident = _record(live, _persons(live, "elev.ola"), actionsTaken="Laptop wiped remotely")
    pk = from_global_id(incident["id"])[1]
    ok(live.gql(UPDATE, {"id": incident["id"], "input": {"status": "CLOSED"}}, as_user=ADMIN))
    ok(live.gql(NOTIFY, {"id": incident["id"]}, as_user=ADMIN))
    a = t.audit_entries.c
    entries = live.rows(
        select(a.action, a.actor_id, a.justification, a.detail)
        .where(a.target_type == "Incident", a.target_id == pk)
        .order_by(a.id)
    )
    assert [row.action for row in entries] == [
        "INCIDENT_RECORD",
        "INCIDENT_UPDATE",
        "INCIDENT_NOTIFY",
    ]
    assert {row.actor_id for row in entries} == {live.person_pk(ADMIN)}
    digest = hashlib.sha256(DESCRIPTION.encode()).hexdigest()
    assert digest in entries[0].detail
    assert entries[1].detail == "changed: status"
    for row in entries:
        assert row.justification is None
        assert DESCRIPTION not in (row.detail or "")
        assert "Laptop" not in (row.detail or "")
