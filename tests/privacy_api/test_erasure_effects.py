"""Erasure through the API (docs/privacy-actions.md §3), row by row of its table.

A gateway of its own per backend. The guardian, the teacher and the student are erased in that
order (``requestErasure`` by ``admin``, ``confirmErasure`` by ``admin2``); the teacher is first
restricted, so the same person is seen RESTRICTED and then ERASED. For each: the probes of
``privacy_cases`` before and after, the database counted before and after (so the preview's
numbers are checked against what really went), and what the privacy tool, the audit log and
the login say afterwards.

larer.hansen and foresatt.kari share a two-person conversation: it must live on after the
guardian's erasure (the teacher is still there) and go with the teacher's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    CONFIRM_ERASURE,
    JUSTIFICATION,
    LIFT,
    REQUEST_ERASURE,
    RESTRICT,
    confirm_erasure,
    effects_of,
    pk_of,
    privacy_gateway,
    privacy_request,
    request_erasure,
    restrict,
)
from privacy_cases import (
    CASES,
    GUARDIAN,
    PSEUDONYM,
    STUDENT,
    SUBJECTS,
    TEACHER,
    Case,
    Demo,
    Observations,
    Probe,
    Seen,
    count_problems,
    labels,
    observe_all,
    observe_subject,
    prepare,
)
from sqlalchemy import and_, func, or_, select

from store import tables as t

ORDER = (GUARDIAN, TEACHER, STUDENT)
AUDIT = """
query($s: ID!) { auditLog(subjectId: $s, first: 500) {
  totalCount edges { node { id action targetType targetId justification
    actor { id isPseudonym displayName firstName } } } } }
"""
RECYCLE_BIN = "{ recycleBin(first: 100) { edges { node { id } } } }"


# --- the database, counted ---------------------------------------------------------------------


def _count(table: Any, *where: Any) -> Any:
    """``(SELECT count(*) FROM table WHERE ...)`` as a column of a bigger query."""
    return select(func.count()).select_from(table).where(and_(*where)).scalar_subquery()


def counted(live: LiveGateway, columns: dict[str, Any]) -> dict[str, int]:
    """Several counts in one round trip."""
    (row,) = live.rows(
        select(*[column.label(f"c{i}") for i, column in enumerate(columns.values())])
    )
    return {name: int(value) for name, value in zip(columns, row, strict=True)}


def db_counts(live: LiveGateway, person: int) -> dict[str, int]:
    """What the database holds of ``person``, per kind of row (docs/privacy-actions.md §3)."""
    p, g = t.people.c, t.guardianships.c
    cp, m, s = t.conversation_participants.c, t.messages.c, t.submissions.c
    d, e, x = t.documents.c, t.calendar_events.c, t.assessments.c
    erased = select(p.id).where(p.processing_state == "ERASED")
    own_conversations = select(cp.conversation_id).where(cp.person_id == person)
    with_someone_left = select(cp.conversation_id).where(
        cp.person_id != person, cp.person_id.not_in(erased)
    )
    abandoned = own_conversations.where(cp.conversation_id.not_in(with_someone_left))
    own_submissions = select(s.id).where(s.student_id == person)
    return counted(
        live,
        {
            "profile": _count(t.people, p.id == person, p.given_name.is_not(None)),
            "roles": _count(t.role_assignments, t.role_assignments.c.person_id == person),
            "guardianships": _count(
                t.guardianships, or_(g.guardian_id == person, g.student_id == person)
            ),
            "enrolments": _count(t.enrolments, t.enrolments.c.person_id == person),
            "notifications": _count(t.notifications, t.notifications.c.person_id == person),
            "posts": _count(t.posts, t.posts.c.author_id == person),
            "comments": _count(t.comments, t.comments.c.author_id == person),
            "messages": _count(t.messages, m.author_id == person),
            "own messages in abandoned conversations": _count(
                t.messages, m.author_id == person, m.conversation_id.in_(abandoned)
            ),
            "abandoned conversations": _count(t.conversations, t.conversations.c.id.in_(abandoned)),
            "messages in abandoned conversations": _count(
                t.messages, m.conversation_id.in_(abandoned)
            ),
            "assignments": _count(t.assignments, t.assignments.c.author_id == person),
            "shared documents": _count(t.documents, d.owner_id == person, d.course_id.is_not(None)),
            "private documents": _count(t.documents, d.owner_id == person, d.course_id.is_(None)),
            "assessments given": _count(
                t.assessments, x.assessor_id == person, x.student_id != person
            ),
            "assessments about": _count(t.assessments, x.student_id == person),
            "personal events": _count(
                t.calendar_events, e.owner_id == person, e.course_id.is_(None)
            ),
            "shared events": _count(
                t.calendar_events, e.owner_id == person, e.course_id.is_not(None)
            ),
            "submissions": _count(t.submissions, s.student_id == person),
            "attachments": _count(
                t.attachments, t.attachments.c.submission_id.in_(own_submissions)
            ),
            "opened by": _count(
                t.submissions, s.last_opened_by_id == person, s.student_id != person
            ),
            "preferences": _count(t.preferences, t.preferences.c.person_id == person),
        },
    )


def expected_effects(n: dict[str, int]) -> list[tuple[str, str, int]]:
    """docs/privacy-actions.md §3 applied to the counts: what the erasure must report."""
    triples = [
        (
            "PERSONAL_DATA",
            "DELETED",
            n["profile"] + n["roles"] + n["guardianships"] + n["enrolments"] + n["notifications"],
        ),
        (
            "COMMUNICATION",
            "PSEUDONYMISED",
            n["messages"]
            - n["own messages in abandoned conversations"]
            + n["posts"]
            + n["comments"],
        ),
        (
            "COMMUNICATION",
            "DELETED",
            n["abandoned conversations"] + n["messages in abandoned conversations"],
        ),
        ("TEACHING_MATERIAL", "PSEUDONYMISED", n["assignments"] + n["shared documents"]),
        ("TEACHING_MATERIAL", "DELETED", n["private documents"]),
        ("ASSESSMENTS", "KEPT", n["assessments given"]),
        ("ASSESSMENTS", "DELETED", n["assessments about"]),
        ("CALENDAR", "DELETED", n["personal events"]),
        ("CALENDAR", "PSEUDONYMISED", n["shared events"]),
        ("STUDENT_ANSWERS", "DELETED", n["submissions"] + n["attachments"] + n["opened by"]),
        ("INTERNAL_LOGIC", "DELETED", n["preferences"]),
    ]
    return sorted(triple for triple in triples if triple[2] > 0)


# --- the story -----------------------------------------------------------------------------------


@dataclass
class Erasure:
    before: Observations
    erased: Observations
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    preview: dict[str, Any]
    awaiting: dict[str, Any]
    result: dict[str, Any]
    #: the subject's people row and assessor names of the assessments they gave, afterwards
    person_row: Any
    assessor_names_before: list[str]
    assessor_names_after: list[str]
    audit_before: GraphQLResult
    audit_after: GraphQLResult
    viewer_with_old_token: GraphQLResult
    again: dict[str, GraphQLResult]
    restricted: Observations | None = None
    bin_restricted: list[str] = field(default_factory=list)
    bin_erased: list[str] = field(default_factory=list)


@dataclass
class Story:
    live: LiveGateway
    demo: Demo
    subjects: dict[str, Erasure]
    #: the two-person conversation of larer.hansen and foresatt.kari, seen by the admin after
    #: the guardian's erasure (the guardian's message, the participants) and after the teacher's
    two_message_after_guardian: Seen
    two_participants_after_guardian: GraphQLResult
    two_after_teacher: GraphQLResult
    two_rows: dict[str, int]


def _assessor_names(live: LiveGateway, person: int) -> list[str]:
    x = t.assessments.c
    rows = live.rows(select(x.assessor_name).where(x.assessor_id == person).order_by(x.id))
    return [row[0] for row in rows]


def run_erasure(live: LiveGateway, demo: Demo, subject: str) -> Erasure:
    person = live.person_pk(subject)
    subject_id = live.person_id(subject)
    token = live.token(subject)
    counts_before = db_counts(live, person)
    assessor_names_before = _assessor_names(live, person)
    audit_before = live.gql(AUDIT, {"s": subject_id}, as_user=ADMIN)
    before = observe_subject(live, demo, subject, active=True)
    restricted = None
    bin_restricted: list[str] = []
    if subject == TEACHER:  # ACTIVE -> RESTRICTED -> ERASED
        restrict(live, subject)
        restricted = observe_subject(live, demo, subject)
        bin_restricted = _bin(live)
    preview = request_erasure(live, subject)
    awaiting = privacy_request(live, preview["id"], who=ADMIN2)
    result = confirm_erasure(live, preview["id"], who=ADMIN2)
    erased = observe_subject(live, demo, subject)
    p = t.people.c
    again = {
        "requestErasure": live.gql(
            REQUEST_ERASURE, {"s": subject_id, "j": JUSTIFICATION}, as_user=ADMIN
        ),
        "confirmErasure": live.gql(CONFIRM_ERASURE, {"r": preview["id"]}, as_user=ADMIN2),
        "restrictProcessing": live.gql(
            RESTRICT, {"s": subject_id, "j": JUSTIFICATION}, as_user=ADMIN
        ),
        "liftRestriction": live.gql(LIFT, {"s": subject_id, "j": JUSTIFICATION}, as_user=ADMIN),
    }
    return Erasure(
        before=before,
        erased=erased,
        counts_before=counts_before,
        counts_after=db_counts(live, person),
        preview=preview,
        awaiting=awaiting,
        result=result,
        person_row=live.rows(select(t.people).where(p.id == person))[0],
        assessor_names_before=assessor_names_before,
        assessor_names_after=_assessor_names(live, person),
        audit_before=audit_before,
        audit_after=live.gql(AUDIT, {"s": subject_id}, as_user=ADMIN),
        viewer_with_old_token=live.gql("{ viewer { id } }", token=token),
        again=again,
        restricted=restricted,
        bin_restricted=bin_restricted,
        bin_erased=_bin(live),
    )


def _bin(live: LiveGateway) -> list[str]:
    result = live.gql(RECYCLE_BIN, as_user=ADMIN)
    assert result.errors == [], result.errors
    return [edge["node"]["id"] for edge in result.data["recycleBin"]["edges"]]


KARI_IN_TWO = Probe("author", "message:kari-two")


@pytest.fixture(scope="module", params=BACKENDS)
def story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Story]:
    with privacy_gateway(request.param, tmp_path_factory, "erasure") as live:
        demo = prepare(live)
        for username in (*SUBJECTS, "elev.jakob", "larer.dahl", "foresatt.knut"):
            live.person_pk(username)  # remembered: an erased person's username is gone
        two = demo.ids["conversation:two"]
        subjects = {GUARDIAN: run_erasure(live, demo, GUARDIAN)}
        two_message = observe_all(live, demo, GUARDIAN, ADMIN, [KARI_IN_TWO])[KARI_IN_TWO]
        two_participants = live.gql(
            "query($id: ID!) { node(id: $id) { ... on Conversation { participants { id } } } }",
            {"id": two},
            as_user=ADMIN,
        )
        subjects[TEACHER] = run_erasure(live, demo, TEACHER)
        two_after_teacher = live.gql(
            "query($c: ID!, $m: ID!) { conversation: node(id: $c) { id } message: node(id: $m)"
            " { id } }",
            {"c": two, "m": demo.ids["message:hansen-two"]},
            as_user=ADMIN,
        )
        two_rows = counted(
            live,
            {
                "conversation": _count(t.conversations, t.conversations.c.id == pk_of(two)),
                "messages": _count(t.messages, t.messages.c.conversation_id == pk_of(two)),
            },
        )
        subjects[STUDENT] = run_erasure(live, demo, STUDENT)
        yield Story(
            live, demo, subjects, two_message, two_participants, two_after_teacher, two_rows
        )


# --- the table -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_category_row_once_erased(story: Story, case: Case) -> None:
    observed = story.subjects[case.subject]
    key = (case.viewer, case.probe)
    assert observed.before[key].outcome == case.before, observed.before[key]
    assert observed.erased[key].outcome == case.after, observed.erased[key]


def test_totals_drop_once_erased(story: Story) -> None:
    drops = 0
    for observed in story.subjects.values():
        dropped, problems = count_problems(observed.before, observed.erased)
        assert problems == []
        drops += dropped
    assert drops >= 10


# --- preview and result --------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ORDER)
def test_preview_counts_equal_the_result_and_the_database(story: Story, subject: str) -> None:
    observed = story.subjects[subject]
    preview, result = observed.preview, observed.result
    assert (preview["action"], preview["status"]) == ("ERASE", "AWAITING_CONFIRMATION")
    assert observed.awaiting["status"] == "AWAITING_CONFIRMATION"
    assert effects_of(observed.awaiting) == effects_of(preview)
    assert (result["action"], result["status"]) == ("ERASE", "COMPLETED")
    assert result["requestedBy"]["id"] == story.live.person_id(ADMIN)
    assert result["confirmedBy"]["id"] == story.live.person_id(ADMIN2)
    assert result["justification"] == JUSTIFICATION
    assert effects_of(result) == effects_of(preview)
    assert effects_of(preview) == expected_effects(observed.counts_before)


@pytest.mark.parametrize("subject", ORDER)
def test_the_database_keeps_only_what_the_table_keeps(story: Story, subject: str) -> None:
    before, after = story.subjects[subject].counts_before, story.subjects[subject].counts_after
    gone = [
        "profile",
        "roles",
        "guardianships",
        "enrolments",
        "notifications",
        "private documents",
        "assessments about",
        "personal events",
        "submissions",
        "attachments",
        "opened by",
        "preferences",
    ]
    kept = [
        "posts",
        "comments",
        "assignments",
        "shared documents",
        "assessments given",
        "shared events",
    ]
    assert {k: after[k] for k in gone} == dict.fromkeys(gone, 0)
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
    assert (
        after["messages"] == before["messages"] - before["own messages in abandoned conversations"]
    )


def test_the_student_had_answers_with_attachments(story: Story) -> None:
    """So that "attachments included" is really tested: elev.ola had some, and none are left."""
    counts = story.subjects[STUDENT]
    assert counts.counts_before["submissions"] >= 4 and counts.counts_before["attachments"] >= 2
    assert counts.counts_after["attachments"] == 0
    assert counts.counts_before["assessments about"] >= 1


@pytest.mark.parametrize("subject", ORDER)
def test_the_profile_is_scrubbed(story: Story, subject: str) -> None:
    row = story.subjects[subject].person_row
    assert row.processing_state == "ERASED" and row.erased_at is not None
    assert (row.username, row.given_name, row.family_name, row.email, row.national_id) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert row.enabled is False
    assert subject not in row.sourced_id


def test_the_teachers_assessments_keep_the_assessors_name(story: Story) -> None:
    observed = story.subjects[TEACHER]
    assert len(observed.assessor_names_before) >= 5
    assert observed.assessor_names_after == observed.assessor_names_before
    assert set(observed.assessor_names_after) == {story.demo.names[TEACHER]}


# --- conversations -----------------------------------------------------------------------------


def test_a_conversation_lives_on_while_a_participant_is_left(story: Story) -> None:
    """After the guardian's erasure the teacher is still in the two-person conversation: it is
    kept, the guardian's message pseudonymised, the teacher the only participant shown."""
    assert story.two_message_after_guardian.outcome == PSEUDONYM
    participants = story.two_participants_after_guardian
    assert participants.errors == []
    shown = [p["id"] for p in participants.data["node"]["participants"]]
    assert shown == [story.live.person_id(TEACHER)]
    guardian = story.subjects[GUARDIAN]
    assert guardian.counts_before["abandoned conversations"] == 0
    assert ("COMMUNICATION", "DELETED") not in {e[:2] for e in effects_of(guardian.result)}


def test_a_conversation_goes_when_all_its_participants_are_erased(story: Story) -> None:
    teacher = story.subjects[TEACHER]
    assert teacher.counts_before["abandoned conversations"] == 1
    assert teacher.counts_before["messages in abandoned conversations"] >= 3
    assert story.two_rows == {"conversation": 0, "messages": 0}
    gone = story.two_after_teacher
    assert gone.data == {"conversation": None, "message": None}
    assert gone.codes() == {"NOT_FOUND"}
    # The four-person conversation (larer.dahl and foresatt.knut are left) lives on: see the
    # message:hansen-four and message:kari-four cases.


# --- stand-ins, the privacy tool and the audit log ----------------------------------------------


def test_the_stand_in_label_survives_erasure(story: Story) -> None:
    observed = story.subjects[TEACHER]
    assert observed.restricted is not None
    restricted, erased = labels(observed.restricted), labels(observed.erased)
    assert len(restricted) == 1
    assert erased == restricted


@pytest.mark.parametrize("subject", ORDER)
def test_one_stand_in_per_erased_person(story: Story, subject: str) -> None:
    assert len(labels(story.subjects[subject].erased)) == 1


@pytest.mark.parametrize("subject", ORDER)
def test_the_privacy_tool_shows_the_erased_person_as_a_stand_in(story: Story, subject: str) -> None:
    observed = story.subjects[subject]
    shown = observed.result["subject"]
    assert shown["isPseudonym"] is True
    assert shown["id"] != story.live.person_id(subject)
    ((stand_in_id, name),) = labels(observed.erased)
    assert (shown["id"], shown["displayName"]) == (stand_in_id, name)


@pytest.mark.parametrize("subject", ORDER)
def test_audit_entries_are_kept_without_personal_data(story: Story, subject: str) -> None:
    observed = story.subjects[subject]
    before, after = observed.audit_before, observed.audit_after
    assert before.errors == [] and after.errors == []
    kept_before = {e["node"]["id"] for e in before.data["auditLog"]["edges"]}
    kept_after = {e["node"]["id"] for e in after.data["auditLog"]["edges"]}
    assert kept_before and kept_before <= kept_after
    actions = {e["node"]["action"] for e in after.data["auditLog"]["edges"]}
    assert {"PRIVACY_ERASE", "PRIVACY_CONFIRM_ERASE"} <= actions
    text = json.dumps(after.data, ensure_ascii=False)
    for personal in PERSONAL_STRINGS[subject]:
        assert personal not in text, personal
    # Entries of the person's own actions keep them as actor, shown as their stand-in (so are
    # the people erased before them, e.g. the teacher who assessed the student).
    actors = [e["node"]["actor"] for e in after.data["auditLog"]["edges"]]
    assert story.live.person_id(subject) not in {a["id"] for a in actors if a is not None}
    stand_ins = {(a["id"], a["displayName"]) for a in actors if a is not None and a["isPseudonym"]}
    assert all(a["firstName"] is None for a in actors if a is not None and a["isPseudonym"])
    if subject == STUDENT:  # elev.ola handed in answers and set preferences himself
        assert labels(observed.erased) <= stand_ins


PERSONAL_STRINGS = {
    STUDENT: ["Ola Nordmann", "elev.ola", "ola.nordmann@", "02861250137"],
    TEACHER: ["Per Hansen", "larer.hansen", "per.hansen@"],
    GUARDIAN: ["Kari Nordmann", "foresatt.kari", "kari.nordmann@", "04827910153"],
}


@pytest.mark.parametrize("subject", ORDER)
def test_an_erased_person_cannot_log_in(story: Story, subject: str) -> None:
    result = story.subjects[subject].viewer_with_old_token
    assert result.data is None or result.data == {"viewer": None}
    assert result.codes() == {"UNAUTHENTICATED"}


@pytest.mark.parametrize("subject", ORDER)
def test_an_erased_person_cannot_be_erased_again_nor_brought_back(
    story: Story, subject: str
) -> None:
    again = story.subjects[subject].again
    for mutation, result in again.items():
        assert result.codes() == {"CONFLICT"}, (mutation, result.errors)
        assert result.data is None or result.data == {mutation: None}


def test_an_erased_person_leaves_the_recycle_bin(story: Story) -> None:
    observed = story.subjects[TEACHER]
    assert observed.bin_restricted == [story.live.person_id(TEACHER)]
    assert observed.bin_erased == []
