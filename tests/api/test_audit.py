"""The audit log over HTTP (docs/access-policy.md: "Every mutation is written to the audit log";
reads of someone else's nationalId are audited).

Each mutation appends exactly one entry with actor, action, target and time; the entries form a
hash chain; reading another person's national id appends READ_NATIONAL_ID; and no entry holds a
name, an email or a national id, only internal ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway_support import LiveGateway
from mutation_support import (
    assess,
    comment,
    create_assignment,
    create_document,
    create_event,
    create_post,
    created_pk,
    ok,
    publish,
    send_message,
    set_preference,
    submit_answer,
)
from sqlalchemy import func, select

from store import audit
from store import tables as t

MAT8 = "c-bjs-mat8"
A = t.audit_entries.c

Run = Callable[[], int]
"""Performs one mutation and returns the internal id of its expected audit target."""


def last_entry_id(live: LiveGateway) -> int:
    return int(live.scalar(select(func.coalesce(func.max(A.id), 0))))


def entries_after(live: LiveGateway, entry_id: int) -> list[Any]:
    return live.rows(select(t.audit_entries).where(A.id > entry_id).order_by(A.id))


def _assignment(live: LiveGateway) -> str:
    result = create_assignment(live, "larer.hansen", live.course_id(MAT8), "Audit-oppgave")
    return str(ok(result, "createAssignment")["id"])


# Each case prepares what the mutation needs (which may itself be audited) and returns the
# mutation to measure.


def case_create_assignment(live: LiveGateway) -> Run:
    course = live.course_id(MAT8)
    return lambda: created_pk(
        create_assignment(live, "larer.hansen", course, "Audit"), "createAssignment"
    )


def case_submit_answer(live: LiveGateway) -> Run:
    assignment = _assignment(live)
    return lambda: created_pk(submit_answer(live, "elev.ola", assignment, "42"), "submitAnswer")


def case_assess(live: LiveGateway) -> Run:
    student, course = live.person_id("elev.ola"), live.course_id(MAT8)
    return lambda: created_pk(assess(live, "larer.hansen", student, course, "REMARK"), "assess")


def case_publish(live: LiveGateway) -> Run:
    course = live.course_id(MAT8)
    ok(assess(live, "larer.hansen", live.person_id("elev.ola"), course, "FINAL"), "assess")

    def run() -> int:
        ok(publish(live, "rektor.bjolsen", course, "FINAL"), "publishAssessments")
        return live.course_pk(MAT8)

    return run


def case_create_post(live: LiveGateway) -> Run:
    course = live.course_id(MAT8)
    return lambda: created_pk(create_post(live, "elev.ola", course, "Audit"), "createPost")


def case_comment(live: LiveGateway) -> Run:
    post = ok(create_post(live, "larer.hansen", live.course_id(MAT8), "Audit"), "createPost")["id"]
    return lambda: created_pk(comment(live, "elev.jakob", post, "Audit"), "commentOnPost")


def case_send_message(live: LiveGateway) -> Run:
    to = [live.person_id("elev.ola")]
    return lambda: created_pk(send_message(live, "foresatt.kari", "Audit", to=to), "sendMessage")


def case_create_document(live: LiveGateway) -> Run:
    course = live.course_id(MAT8)
    return lambda: created_pk(create_document(live, "elev.ola", "Audit", course), "createDocument")


def case_create_event(live: LiveGateway) -> Run:
    return lambda: created_pk(create_event(live, "foresatt.kari", "Audit"), "createCalendarEvent")


def case_set_preference(live: LiveGateway) -> Run:
    def run() -> int:
        ok(set_preference(live, "elev.ola", "audit.theme", "dark"), "setPreference")
        return live.person_pk("elev.ola")

    return run


MUTATIONS = [
    pytest.param(
        case_create_assignment,
        "larer.hansen",
        "CREATE_ASSIGNMENT",
        "Assignment",
        None,
        id="createAssignment",
    ),
    pytest.param(
        case_submit_answer, "elev.ola", "SUBMIT_ANSWER", "Submission", "elev.ola", id="submitAnswer"
    ),
    pytest.param(case_assess, "larer.hansen", "ASSESS", "Assessment", "elev.ola", id="assess"),
    pytest.param(
        case_publish,
        "rektor.bjolsen",
        "PUBLISH_ASSESSMENTS",
        "Course",
        None,
        id="publishAssessments",
    ),
    pytest.param(case_create_post, "elev.ola", "CREATE_POST", "Post", None, id="createPost"),
    pytest.param(
        case_comment, "elev.jakob", "COMMENT_ON_POST", "Comment", None, id="commentOnPost"
    ),
    pytest.param(
        case_send_message, "foresatt.kari", "SEND_MESSAGE", "Message", None, id="sendMessage"
    ),
    pytest.param(
        case_create_document, "elev.ola", "CREATE_DOCUMENT", "Document", None, id="createDocument"
    ),
    pytest.param(
        case_create_event,
        "foresatt.kari",
        "CREATE_CALENDAR_EVENT",
        "CalendarEvent",
        None,
        id="createCalendarEvent",
    ),
    pytest.param(
        case_set_preference, "elev.ola", "SET_PREFERENCE", "User", "elev.ola", id="setPreference"
    ),
]


@pytest.mark.parametrize(("case", "actor", "action", "target_type", "subject"), MUTATIONS)
def test_every_mutation_writes_exactly_one_audit_entry(
    live: LiveGateway,
    case: Callable[[LiveGateway], Run],
    actor: str,
    action: str,
    target_type: str,
    subject: str | None,
) -> None:
    run = case(live)
    before = last_entry_id(live)
    started = datetime.now(UTC)
    target_id = run()
    entries = entries_after(live, before)
    assert len(entries) == 1, [(e.action, e.target_type) for e in entries]
    entry = entries[0]
    assert entry.actor_id == live.person_pk(actor)
    assert entry.action == action
    assert (entry.target_type, entry.target_id) == (target_type, target_id)
    if subject is not None:
        assert entry.subject_id == live.person_pk(subject)
    assert entry.justification is None
    at = entry.at if entry.at.tzinfo is not None else entry.at.replace(tzinfo=UTC)
    assert started - timedelta(seconds=5) <= at <= datetime.now(UTC) + timedelta(seconds=5)


def test_a_refused_mutation_writes_no_entry(live: LiveGateway) -> None:
    before = last_entry_id(live)
    refused = create_assignment(live, "elev.ola", live.course_id(MAT8), "Not mine")
    assert refused.codes() == {"FORBIDDEN"}
    assert entries_after(live, before) == []


def test_entries_form_an_unbroken_hash_chain(live: LiveGateway) -> None:
    # Make sure there is something to check, whatever ran before.
    ok(set_preference(live, "elev.ola", "audit.chain", "1"), "setPreference")
    ok(set_preference(live, "larer.hansen", "audit.chain", "2"), "setPreference")
    entries = live.rows(select(t.audit_entries).order_by(A.id))
    assert len(entries) >= 2
    assert [e.id for e in entries] == list(range(1, len(entries) + 1)), "ids have no gaps"
    assert entries[0].prev_hash == audit.GENESIS
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash, f"entry {entry.id} does not link to {previous.id}"
    for entry in entries:
        at = entry.at if entry.at.tzinfo is not None else entry.at.replace(tzinfo=UTC)
        event = audit.AuditEvent(
            actor_id=entry.actor_id,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            subject_id=entry.subject_id,
            justification=entry.justification,
            trace_id=entry.trace_id,
            roster_import_id=entry.roster_import_id,
            detail=entry.detail,
        )
        # Every entry of a database made at the current schema covers its justification's digest.
        assert entry.hash_format == audit.DIGEST_FORMAT
        assert entry.justification_digest == audit.text_digest(entry.justification)
        expected = audit.entry_hash(entry.prev_hash, entry.id, at, event)
        assert entry.hash == expected, f"entry {entry.id}'s hash does not match its content"


# --- reading a national id ------------------------------------------------------------------------

NATIONAL_ID = "query($id: ID!) { user(id: $id) { id nationalId } }"


def test_reading_someone_elses_national_id_is_audited(live: LiveGateway) -> None:
    before = last_entry_id(live)
    result = live.gql(NATIONAL_ID, {"id": live.person_id("elev.ola")}, as_user="admin")
    assert result.errors == []
    assert result.data["user"]["nationalId"] == "02861250137"
    entries = entries_after(live, before)
    assert [(e.actor_id, e.action, e.target_type, e.target_id, e.subject_id) for e in entries] == [
        (
            live.person_pk("admin"),
            "READ_NATIONAL_ID",
            "User",
            live.person_pk("elev.ola"),
            live.person_pk("elev.ola"),
        )
    ]


def test_reading_ones_own_national_id_is_not_audited(live: LiveGateway) -> None:
    before = last_entry_id(live)
    result = live.gql("{ viewer { nationalId } }", as_user="elev.ola")
    assert result.errors == []
    assert result.data["viewer"]["nationalId"] == "02861250137"
    assert entries_after(live, before) == []


@pytest.mark.parametrize("who", ["larer.hansen", "superuser.bjolsen", "foresatt.kari"])
def test_a_denied_national_id_read_is_not_audited(live: LiveGateway, who: str) -> None:
    before = last_entry_id(live)
    result = live.gql(NATIONAL_ID, {"id": live.person_id("elev.ola")}, as_user=who)
    assert result.data["user"]["nationalId"] is None
    assert result.code_at("user", "nationalId") == "FORBIDDEN"
    assert entries_after(live, before) == []


def test_one_entry_per_person_read_in_a_request(live: LiveGateway) -> None:
    query = """
    query($ola: ID!, $course: ID!) {
      a: user(id: $ola) { nationalId }
      b: user(id: $ola) { nationalId }
      course(id: $course) { students(first: 100) { edges { node { id nationalId } } } }
    }"""
    before = last_entry_id(live)
    result = live.gql(
        query, {"ola": live.person_id("elev.ola"), "course": live.course_id(MAT8)}, as_user="admin"
    )
    assert result.errors == []
    students = [edge["node"] for edge in result.data["course"]["students"]["edges"]]
    assert len(students) >= 9
    entries = entries_after(live, before)
    assert all(e.action == "READ_NATIONAL_ID" for e in entries)
    assert all(e.actor_id == live.person_pk("admin") for e in entries)
    targets = [e.target_id for e in entries]
    assert len(targets) == len(set(targets)), "each person's read is logged once per request"
    e = t.enrolments.c
    enrolled = {
        row.person_id
        for row in live.rows(
            select(e.person_id).where(e.course_id == live.course_pk(MAT8), e.role == "STUDENT")
        )
    }
    assert set(targets) == enrolled


# --- no personal data in the log -----------------------------------------------------------------

PRIVACY_ACTIONS = {"EXPORT", "RESTRICT", "LIFT_RESTRICTION", "ERASE", "RECTIFY"}


def test_audit_entries_hold_no_names_emails_or_national_ids(live: LiveGateway) -> None:
    # Some activity by and about people with distinctive names, then the whole log is checked.
    ok(send_message(live, "elev.vilde", "Hei", to=[live.person_id("larer.berg")]), "sendMessage")
    live.gql(NATIONAL_ID, {"id": live.person_id("elev.vilde")}, as_user="admin")

    assert set(t.audit_entries.c.keys()) == {
        "id",
        "at",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "subject_id",
        "justification",
        "trace_id",
        # a roster import's entries: the run, and the names of the fields that changed
        "roster_import_id",
        "detail",
        # the justification's digest (blanked text keeps it), the hash formula, and the seal of
        # entries written before the digest
        "justification_digest",
        "hash_format",
        "legacy_seal",
        "prev_hash",
        "hash",
    }
    p = t.people.c
    people = live.rows(select(p.given_name, p.family_name, p.email, p.national_id, p.username))
    words = {w for row in people for w in (row.given_name, row.family_name) if w}
    phrases = {
        value
        for row in people
        for value in (
            row.email,
            row.national_id,
            row.username,
            f"{row.given_name} {row.family_name}",
        )
        if value
    }
    entries = live.rows(select(t.audit_entries))
    assert entries
    for entry in entries:
        if entry.action not in PRIVACY_ACTIONS:
            assert entry.justification is None, entry
        for value in entry:
            if not isinstance(value, str):
                continue
            assert value not in words, f"entry {entry.id} holds a name: {value!r}"
            leaked = [phrase for phrase in phrases if phrase in value]
            assert leaked == [], f"entry {entry.id} holds personal data"
