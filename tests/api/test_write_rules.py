"""Write rules of every mutation (docs/access-policy.md, "Write rules"), over HTTP, role by role.

For each mutation the allowed actor succeeds, and every denied actor gets FORBIDDEN when the
target is visible to them or NOT_FOUND when it is not (never revealing that it exists), and a
denied write leaves the database as it was.

The demo cast (gateway/demo_data/roster): Bjølsen skole has MAT8 (taught by larer.hansen, the 8A
contact teacher; students elev.ola, elev.jakob, ...) and ENG9 (larer.lie; 9A students, whose contact
teacher is larer.berg). foresatt.kari is elev.ola's guardian; larer.hansen is also elev.emma's
guardian. rektor.* are school leaders, superuser.* superusers, admin a system administrator;
Sagene skole (larer.nilsen, elev.sofie, rektor.sagene) is the other school.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from gateway_support import GraphQLResult, LiveGateway
from mutation_support import (
    ASSESS,
    COMMENT,
    CREATE_ASSIGNMENT,
    CREATE_DOCUMENT,
    CREATE_EVENT,
    CREATE_POST,
    ENDS,
    PUBLISH,
    SEND_MESSAGE,
    SET_PREFERENCE,
    STARTS,
    SUBMIT_ANSWER,
    assess,
    comment,
    count,
    create_assignment,
    create_document,
    create_event,
    create_post,
    created_pk,
    ok,
    pk,
    publish,
    refused,
    send_message,
    set_preference,
    submit_answer,
)
from sqlalchemy import select

from config.ids import to_global_id
from store import tables as t

MAT8 = "c-bjs-mat8"
ENG9 = "c-bjs-eng9"

# People who can see MAT8 without being its teacher, and people who cannot see it at all.
MAT8_VISIBLE_NOT_TEACHER = [
    "elev.ola",  # a student of the course
    "foresatt.kari",  # guardian of a student of the course
    "superuser.bjolsen",
    "rektor.bjolsen",
    "admin",
]
MAT8_INVISIBLE = [
    "larer.berg",  # a teacher at the same school who does not teach MAT8
    "larer.nilsen",  # a teacher at the other school
    "elev.emma",  # a student at the same school, not in MAT8
    "rektor.sagene",  # the other school's leader
    "superuser.sagene",
    "foresatt.tone",  # a guardian at the other school
]


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def unchanged(
    live: LiveGateway, tables: list[Any], action: Callable[[], GraphQLResult]
) -> GraphQLResult:
    """Run ``action`` and assert it left the row counts of ``tables`` as they were."""
    before = [count(live, table) for table in tables]
    result = action()
    assert [count(live, table) for table in tables] == before, result
    return result


def denied_cases(forbidden: list[str], not_found: list[str]) -> list[Any]:
    return [pytest.param(who, "FORBIDDEN", id=f"{who}-FORBIDDEN") for who in forbidden] + [
        pytest.param(who, "NOT_FOUND", id=f"{who}-NOT_FOUND") for who in not_found
    ]


@pytest.fixture(scope="module")
def assignment(live: LiveGateway) -> str:
    """An assignment in MAT8 by its teacher."""
    result = create_assignment(live, "larer.hansen", live.course_id(MAT8), "Brøkregning")
    return str(ok(result, "createAssignment")["id"])


@pytest.fixture(scope="module")
def post(live: LiveGateway) -> str:
    """A post in MAT8 by its teacher."""
    result = create_post(live, "larer.hansen", live.course_id(MAT8), "Prøve fredag")
    return str(ok(result, "createPost")["id"])


@pytest.fixture(scope="module")
def conversation(live: LiveGateway) -> str:
    """A conversation between elev.ola and larer.hansen."""
    result = send_message(live, "elev.ola", "Hei!", to=[live.person_id("larer.hansen")])
    message_pk = created_pk(result, "sendMessage")
    conversation_pk = live.scalar(
        select(t.messages.c.conversation_id).where(t.messages.c.id == message_pk)
    )
    return to_global_id("Conversation", conversation_pk)


# --- createAssignment: course_teacher ------------------------------------------------------------


def test_course_teacher_creates_an_assignment(live: LiveGateway) -> None:
    title = unique("Likninger")
    result = create_assignment(live, "larer.hansen", live.course_id(MAT8), title)
    created = ok(result, "createAssignment")
    assert created["title"] == title
    assert created["course"]["id"] == live.course_id(MAT8)
    assert created["author"]["id"] == live.person_id("larer.hansen")
    row = live.rows(select(t.assignments).where(t.assignments.c.id == pk(created["id"])))[0]
    assert (row.course_id, row.author_id, row.title) == (
        live.course_pk(MAT8),
        live.person_pk("larer.hansen"),
        title,
    )


@pytest.mark.parametrize(("who", "code"), denied_cases(MAT8_VISIBLE_NOT_TEACHER, MAT8_INVISIBLE))
def test_create_assignment_denied(live: LiveGateway, who: str, code: str) -> None:
    result = unchanged(
        live,
        [t.assignments],
        lambda: create_assignment(live, who, live.course_id(MAT8), "Not allowed"),
    )
    refused(result, code)


# --- submitAnswer: a student enrolled in the course, for themself -------------------------------


def test_enrolled_student_submits_and_resubmits(live: LiveGateway, assignment: str) -> None:
    first = ok(submit_answer(live, "elev.ola", assignment, "3/4"), "submitAnswer")
    assert first["student"]["id"] == live.person_id("elev.ola")
    assert first["status"] == "SUBMITTED"
    before = count(live, t.submissions)
    again = ok(submit_answer(live, "elev.ola", assignment, "6/8"), "submitAnswer")
    assert again["id"] == first["id"], "a resubmission replaces the earlier answer"
    assert count(live, t.submissions) == before
    body = live.scalar(select(t.submissions.c.body).where(t.submissions.c.id == pk(first["id"])))
    assert body == "6/8"


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(
        # the course's teacher, a guardian, and staff who may see the assignment
        ["larer.hansen", "foresatt.kari", "superuser.bjolsen", "rektor.bjolsen", "admin"],
        ["elev.emma", "elev.sofie", "larer.berg", "larer.nilsen", "foresatt.tone"],
    ),
)
def test_submit_answer_denied(live: LiveGateway, assignment: str, who: str, code: str) -> None:
    result = unchanged(
        live,
        [t.submissions, t.attachments],
        lambda: submit_answer(live, who, assignment, "Not mine to submit"),
    )
    refused(result, code)


# --- assess: course_teacher any kind; contact_teacher REMARK and ABSENCE --------------------------

KINDS = ["FEEDBACK", "GOAL_ACHIEVEMENT", "REMARK", "ABSENCE", "HALF_YEAR", "FINAL"]
PUBLISHED_AT_ONCE = {"FEEDBACK", "GOAL_ACHIEVEMENT", "REMARK", "ABSENCE"}


@pytest.mark.parametrize("kind", KINDS)
def test_course_teacher_assesses_every_kind(live: LiveGateway, kind: str) -> None:
    result = assess(
        live, "larer.hansen", live.person_id("elev.ola"), live.course_id(MAT8), kind, grade="4"
    )
    created = ok(result, "assess")
    assert created["kind"] == kind
    assert created["published"] is (kind in PUBLISHED_AT_ONCE), (
        "HALF_YEAR and FINAL start unpublished"
    )
    row = live.rows(select(t.assessments).where(t.assessments.c.id == pk(created["id"])))[0]
    assert row.assessor_id == live.person_pk("larer.hansen")
    assert row.student_id == live.person_pk("elev.ola")
    assert row.published is (kind in PUBLISHED_AT_ONCE)


@pytest.mark.parametrize("kind", KINDS)
def test_contact_teacher_registers_only_remarks_and_absence(live: LiveGateway, kind: str) -> None:
    """larer.berg is elev.emma's contact teacher (9A) but does not teach ENG9, which she takes."""

    def action() -> GraphQLResult:
        return assess(live, "larer.berg", live.person_id("elev.emma"), live.course_id(ENG9), kind)

    if kind in {"REMARK", "ABSENCE"}:
        created = ok(action(), "assess")
        assert created["kind"] == kind
        assert created["published"] is True
    else:
        refused(unchanged(live, [t.assessments], action), "FORBIDDEN")


def test_contact_teacher_cannot_assess_in_a_course_the_student_does_not_take(
    live: LiveGateway,
) -> None:
    result = unchanged(
        live,
        [t.assessments],
        lambda: assess(
            live, "larer.berg", live.person_id("elev.emma"), live.course_id(MAT8), "REMARK"
        ),
    )
    refused(result, "NOT_FOUND")


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(
        [
            "elev.ola",  # the student themself
            "elev.jakob",  # a classmate
            "foresatt.kari",  # the student's guardian
            "superuser.bjolsen",
            "rektor.bjolsen",  # school leaders publish, they do not assess
            "admin",
        ],
        [
            "larer.dahl",  # teaches elev.ola in NOR8, but MAT8 is not theirs
            "larer.nilsen",
            "rektor.sagene",
        ],
    ),
)
def test_assess_denied(live: LiveGateway, who: str, code: str) -> None:
    result = unchanged(
        live,
        [t.assessments],
        lambda: assess(live, who, live.person_id("elev.ola"), live.course_id(MAT8), "FEEDBACK"),
    )
    refused(result, code)


def test_teacher_who_is_a_guardian_cannot_register_remarks_on_their_child(
    live: LiveGateway,
) -> None:
    """larer.hansen sees ENG9 and elev.emma as her guardian, but neither teaches her nor is her
    contact teacher."""
    result = unchanged(
        live,
        [t.assessments],
        lambda: assess(
            live, "larer.hansen", live.person_id("elev.emma"), live.course_id(ENG9), "REMARK"
        ),
    )
    refused(result, "FORBIDDEN")


def test_assessed_student_must_be_enrolled_in_the_course(live: LiveGateway) -> None:
    # elev.emma is visible to larer.hansen (his child) but not a student of MAT8.
    result = unchanged(
        live,
        [t.assessments],
        lambda: assess(
            live, "larer.hansen", live.person_id("elev.emma"), live.course_id(MAT8), "FEEDBACK"
        ),
    )
    refused(result, "BAD_USER_INPUT")
    # elev.sofie (the other school) is not even visible to him.
    result = unchanged(
        live,
        [t.assessments],
        lambda: assess(
            live, "larer.hansen", live.person_id("elev.sofie"), live.course_id(MAT8), "FEEDBACK"
        ),
    )
    refused(result, "NOT_FOUND")


def test_assessment_on_someone_elses_submission_is_refused(
    live: LiveGateway, assignment: str
) -> None:
    jakobs = ok(submit_answer(live, "elev.jakob", assignment, "1/2"), "submitAnswer")["id"]
    result = unchanged(
        live,
        [t.assessments],
        lambda: assess(
            live,
            "larer.hansen",
            live.person_id("elev.ola"),
            live.course_id(MAT8),
            "FEEDBACK",
            submission=jakobs,
        ),
    )
    refused(result, "BAD_USER_INPUT")


# --- publication: HALF_YEAR starts unpublished, publishAssessments by the school leader ----------

ASSESSMENT = "query($id: ID!) { assessment(id: $id) { id published } }"


def test_feedback_is_visible_to_student_and_guardian_at_once(live: LiveGateway) -> None:
    created = ok(
        assess(live, "larer.hansen", live.person_id("elev.ola"), live.course_id(MAT8), "FEEDBACK"),
        "assess",
    )
    for who in ("elev.ola", "foresatt.kari"):
        seen = live.gql(ASSESSMENT, {"id": created["id"]}, as_user=who)
        assert seen.errors == []
        assert seen.data["assessment"] == {"id": created["id"], "published": True}


def test_half_year_is_hidden_until_the_school_leader_publishes(live: LiveGateway) -> None:
    course = live.course_id(MAT8)
    created = ok(
        assess(live, "larer.hansen", live.person_id("elev.ola"), course, "HALF_YEAR", grade="5"),
        "assess",
    )
    for who in ("elev.ola", "foresatt.kari"):
        hidden = live.gql(ASSESSMENT, {"id": created["id"]}, as_user=who)
        assert hidden.data["assessment"] is None
        assert hidden.codes() == {"NOT_FOUND"}
    teacher_view = live.gql(ASSESSMENT, {"id": created["id"]}, as_user="larer.hansen")
    assert teacher_view.data["assessment"] == {"id": created["id"], "published": False}

    published = ok(publish(live, "rektor.bjolsen", course, "HALF_YEAR"), "publishAssessments")
    assert created["id"] in {a["id"] for a in published}
    assert all(a["published"] is True and a["kind"] == "HALF_YEAR" for a in published)
    assert (
        live.scalar(
            select(t.assessments.c.published).where(t.assessments.c.id == pk(created["id"]))
        )
        is True
    )
    for who in ("elev.ola", "foresatt.kari"):
        seen = live.gql(ASSESSMENT, {"id": created["id"]}, as_user=who)
        assert seen.errors == []
        assert seen.data["assessment"] == {"id": created["id"], "published": True}


def test_publish_touches_only_the_given_kind(live: LiveGateway) -> None:
    course = live.course_id(MAT8)
    final = created_pk(
        assess(live, "larer.hansen", live.person_id("elev.ola"), course, "FINAL"), "assess"
    )
    ok(publish(live, "rektor.bjolsen", course, "HALF_YEAR"), "publishAssessments")
    assert (
        live.scalar(select(t.assessments.c.published).where(t.assessments.c.id == final)) is False
    )


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(
        ["larer.hansen", "superuser.bjolsen", "admin", "elev.ola", "foresatt.kari"],
        ["rektor.sagene", "larer.nilsen", "larer.berg"],
    ),
)
def test_publish_assessments_denied(live: LiveGateway, who: str, code: str) -> None:
    course = live.course_id(MAT8)
    ok(assess(live, "larer.hansen", live.person_id("elev.ola"), course, "FINAL"), "assess")
    x = t.assessments.c
    unpublished = [x.course_id == live.course_pk(MAT8), x.published.is_(False)]
    before = count(live, t.assessments, *unpublished)
    assert before > 0
    refused(publish(live, who, course, "FINAL"), code)
    assert count(live, t.assessments, *unpublished) == before


# --- createPost and commentOnPost: course_member --------------------------------------------------


@pytest.mark.parametrize("who", ["larer.hansen", "elev.ola"])
def test_course_members_post(live: LiveGateway, who: str) -> None:
    body = unique("Husk gymtøy")
    post_pk = created_pk(create_post(live, who, live.course_id(MAT8), body), "createPost")
    row = live.rows(select(t.posts).where(t.posts.c.id == post_pk))[0]
    assert (row.author_id, row.course_id, row.body) == (
        live.person_pk(who),
        live.course_pk(MAT8),
        body,
    )


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(
        ["foresatt.kari", "rektor.bjolsen", "superuser.bjolsen", "admin"],
        ["larer.berg", "larer.nilsen", "elev.emma"],
    ),
)
def test_create_post_denied(live: LiveGateway, who: str, code: str) -> None:
    result = unchanged(
        live, [t.posts], lambda: create_post(live, who, live.course_id(MAT8), "Not a member")
    )
    refused(result, code)


@pytest.mark.parametrize("who", ["elev.ola", "elev.jakob", "larer.hansen"])
def test_course_members_comment(live: LiveGateway, post: str, who: str) -> None:
    comment_pk = created_pk(comment(live, who, post, unique("Ok")), "commentOnPost")
    row = live.rows(select(t.comments).where(t.comments.c.id == comment_pk))[0]
    assert (row.author_id, row.post_id) == (live.person_pk(who), pk(post))


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(
        # school leader and superuser may read the post, but are not members
        ["rektor.bjolsen", "superuser.bjolsen", "admin"],
        # guardians do not see course posts at all
        ["foresatt.kari", "elev.emma", "larer.nilsen", "larer.berg"],
    ),
)
def test_comment_on_post_denied(live: LiveGateway, post: str, who: str, code: str) -> None:
    result = unchanged(live, [t.comments], lambda: comment(live, who, post, "Not a member"))
    refused(result, code)


# --- sendMessage: to people whose row one may read; in one's own conversations -------------------

MESSAGE_TABLES = [t.messages, t.conversations, t.conversation_participants]


@pytest.mark.parametrize(
    ("who", "recipient"),
    [
        ("elev.ola", "larer.hansen"),  # teaches them
        ("elev.ola", "elev.jakob"),  # a classmate
        ("foresatt.kari", "larer.hansen"),  # teaches her child
        ("larer.hansen", "foresatt.kari"),  # guardian of a student he teaches
        ("superuser.bjolsen", "elev.ola"),  # staff of the student's school
        ("admin", "elev.sofie"),
    ],
)
def test_message_to_a_visible_person(live: LiveGateway, who: str, recipient: str) -> None:
    message_pk = created_pk(
        send_message(live, who, unique("Hei"), to=[live.person_id(recipient)]), "sendMessage"
    )
    conversation_pk = live.scalar(
        select(t.messages.c.conversation_id).where(t.messages.c.id == message_pk)
    )
    cp = t.conversation_participants.c
    members = {
        row.person_id
        for row in live.rows(select(cp.person_id).where(cp.conversation_id == conversation_pk))
    }
    assert members == {live.person_pk(who), live.person_pk(recipient)}


@pytest.mark.parametrize(
    ("who", "recipients"),
    [
        ("elev.ola", ["elev.sofie"]),  # another school
        ("larer.nilsen", ["elev.ola"]),
        ("foresatt.kari", ["elev.jakob"]),  # her child's classmate is not visible to her
        ("elev.ola", ["larer.hansen", "elev.sofie"]),  # one invisible recipient spoils it all
    ],
)
def test_message_to_an_invisible_person_is_not_found(
    live: LiveGateway, who: str, recipients: list[str]
) -> None:
    to = [live.person_id(r) for r in recipients]
    result = unchanged(live, MESSAGE_TABLES, lambda: send_message(live, who, "Hei", to=to))
    refused(result, "NOT_FOUND")


def test_participant_writes_in_the_conversation(live: LiveGateway, conversation: str) -> None:
    message_pk = created_pk(
        send_message(live, "larer.hansen", "Hei Ola", conversation=conversation), "sendMessage"
    )
    assert live.scalar(
        select(t.messages.c.conversation_id).where(t.messages.c.id == message_pk)
    ) == pk(conversation)


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(
        ["admin"],  # may read every conversation, but writes only in their own
        ["elev.jakob", "foresatt.kari", "rektor.bjolsen", "larer.nilsen"],
    ),
)
def test_writing_in_someone_elses_conversation_is_denied(
    live: LiveGateway, conversation: str, who: str, code: str
) -> None:
    result = unchanged(
        live, MESSAGE_TABLES, lambda: send_message(live, who, "Hei", conversation=conversation)
    )
    refused(result, code)


# --- createDocument: private for oneself; shared to a course needs membership --------------------

DOCUMENT = "query($id: ID!) { node(id: $id) { id ... on Document { title } } }"


@pytest.mark.parametrize("who", ["elev.ola", "foresatt.kari", "larer.hansen", "admin"])
def test_anyone_creates_a_private_document_for_themself(live: LiveGateway, who: str) -> None:
    created = ok(create_document(live, who, unique("Notat")), "createDocument")
    assert created["owner"]["id"] == live.person_id(who)
    row = live.rows(select(t.documents).where(t.documents.c.id == pk(created["id"])))[0]
    assert (row.owner_id, row.course_id) == (live.person_pk(who), None)
    other = "rektor.bjolsen"
    hidden = live.gql(DOCUMENT, {"id": created["id"]}, as_user=other)
    assert hidden.data["node"] is None
    assert hidden.codes() == {"NOT_FOUND"}


@pytest.mark.parametrize("who", ["elev.ola", "larer.hansen"])
def test_course_member_shares_a_document(live: LiveGateway, who: str) -> None:
    created = ok(create_document(live, who, unique("Delt"), live.course_id(MAT8)), "createDocument")
    row = live.rows(select(t.documents).where(t.documents.c.id == pk(created["id"])))[0]
    assert (row.owner_id, row.course_id) == (live.person_pk(who), live.course_pk(MAT8))


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(
        ["foresatt.kari", "rektor.bjolsen", "superuser.bjolsen", "admin"],
        ["elev.emma", "larer.nilsen", "larer.berg"],
    ),
)
def test_sharing_a_document_to_a_course_denied(live: LiveGateway, who: str, code: str) -> None:
    result = unchanged(
        live, [t.documents], lambda: create_document(live, who, "Delt", live.course_id(MAT8))
    )
    refused(result, code)


# --- createCalendarEvent: personal for oneself; a course event needs course_teacher --------------


@pytest.mark.parametrize("who", ["elev.ola", "foresatt.kari", "larer.nilsen"])
def test_anyone_creates_a_personal_event(live: LiveGateway, who: str) -> None:
    event_pk = created_pk(create_event(live, who, unique("Tannlege")), "createCalendarEvent")
    row = live.rows(select(t.calendar_events).where(t.calendar_events.c.id == event_pk))[0]
    assert (row.owner_id, row.course_id) == (live.person_pk(who), None)


def test_course_teacher_creates_a_course_event(live: LiveGateway) -> None:
    event_pk = created_pk(
        create_event(live, "larer.hansen", unique("Heldagsprøve"), live.course_id(MAT8)),
        "createCalendarEvent",
    )
    row = live.rows(select(t.calendar_events).where(t.calendar_events.c.id == event_pk))[0]
    assert (row.owner_id, row.course_id) == (live.person_pk("larer.hansen"), live.course_pk(MAT8))


@pytest.mark.parametrize(
    ("who", "code"),
    denied_cases(MAT8_VISIBLE_NOT_TEACHER, ["larer.berg", "larer.nilsen", "elev.emma"]),
)
def test_course_event_denied(live: LiveGateway, who: str, code: str) -> None:
    result = unchanged(
        live, [t.calendar_events], lambda: create_event(live, who, "Fest", live.course_id(MAT8))
    )
    refused(result, code)


# --- setPreference: self --------------------------------------------------------------------------

PREFERENCES = "{ viewer { preferences { key value } } }"


def test_set_preference_writes_only_the_callers_own(live: LiveGateway) -> None:
    key = unique("language").replace(" ", "-")
    p = t.preferences.c
    assert ok(set_preference(live, "elev.ola", key, "nn"), "setPreference") == {
        "key": key,
        "value": "nn",
    }
    assert ok(set_preference(live, "elev.ola", key, "nb"), "setPreference") == {
        "key": key,
        "value": "nb",
    }
    rows = live.rows(select(p.person_id, p.value).where(p.key == key))
    assert [(r.person_id, r.value) for r in rows] == [(live.person_pk("elev.ola"), "nb")]
    own = live.gql(PREFERENCES, as_user="elev.ola").data["viewer"]["preferences"]
    assert {"key": key, "value": "nb"} in own
    others = live.gql(PREFERENCES, as_user="foresatt.kari").data["viewer"]["preferences"]
    assert all(pref["key"] != key for pref in others)


# --- no token, no write ---------------------------------------------------------------------------


def anonymous_cases() -> list[Any]:
    return [
        pytest.param(
            CREATE_ASSIGNMENT,
            {"input": {"courseId": "x", "title": "t"}},
            t.assignments,
            id="createAssignment",
        ),
        pytest.param(
            SUBMIT_ANSWER,
            {"input": {"assignmentId": "x", "body": "b"}},
            t.submissions,
            id="submitAnswer",
        ),
        pytest.param(
            ASSESS,
            {"input": {"studentId": "x", "courseId": "x", "kind": "REMARK"}},
            t.assessments,
            id="assess",
        ),
        pytest.param(
            PUBLISH, {"courseId": "x", "kind": "FINAL"}, t.assessments, id="publishAssessments"
        ),
        pytest.param(CREATE_POST, {"courseId": "x", "body": "b"}, t.posts, id="createPost"),
        pytest.param(COMMENT, {"postId": "x", "body": "b"}, t.comments, id="commentOnPost"),
        pytest.param(SEND_MESSAGE, {"body": "b", "to": ["x"]}, t.messages, id="sendMessage"),
        pytest.param(CREATE_DOCUMENT, {"title": "t"}, t.documents, id="createDocument"),
        pytest.param(
            CREATE_EVENT,
            {"title": "t", "startsAt": STARTS, "endsAt": ENDS},
            t.calendar_events,
            id="createCalendarEvent",
        ),
        pytest.param(SET_PREFERENCE, {"key": "k", "value": "v"}, t.preferences, id="setPreference"),
    ]


@pytest.mark.parametrize(("document", "variables", "table"), anonymous_cases())
def test_mutations_without_a_token_are_unauthenticated(
    live: LiveGateway, document: str, variables: dict[str, Any], table: Any
) -> None:
    result = unchanged(live, [table, t.audit_entries], lambda: live.gql(document, variables))
    refused(result, "UNAUTHENTICATED")
