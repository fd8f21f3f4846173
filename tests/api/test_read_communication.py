"""Communication read rules (docs/access-policy.md, "### Communication").

Posts and their comments (with authors) are for course members, school leaders, superusers and
system administrators, not for guardians; conversations and messages only for their participants
and system administrators. The stage: larer.dahl's post in NOR8 commented by elev.ola, and a
conversation elev.ola started with larer.dahl, who replied (read_support.create_activity).
"""

from __future__ import annotations

import pytest
from gateway_support import LiveGateway
from read_support import (
    FORBIDDEN,
    ROW,
    SEND,
    Activity,
    Reads,
    all_ids,
    assert_not_found,
    create_activity,
    field_params,
    mutate,
    node_ids,
    outcome,
    pk_of,
    read_field,
)
from sqlalchemy import select

from config.ids import to_global_id
from store import tables as t


@pytest.fixture(scope="module")
def activity(live: LiveGateway) -> Activity:
    return create_activity(live)


@pytest.fixture(scope="module")
def reads(live: LiveGateway) -> Reads:
    return Reads(live)


def _rows(*fields: str) -> dict[str, frozenset[str]]:
    return {field: frozenset({ROW}) for field in fields}


# --- Post and Comment ----------------------------------------------------------------------------

POST_READ = _rows("id", "body", "createdAt", "course", "author", "comments", "commentsConnection")
POST_SELECTIONS = {
    **{field: field for field in POST_READ},
    "course": "course { id }",
    "author": "author { id }",
    "comments": "comments { id }",
    "commentsConnection": "commentsConnection { totalCount }",
}
COMMENT_READ = _rows("id", "body", "createdAt", "author")
COMMENT_SELECTIONS = {**{field: field for field in COMMENT_READ}, "author": "author { id }"}

#: (label, viewer, relations to NOR8): course_member, school_leader, superuser, sysadmin
POST_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("course_member-student", "elev.ola", "", frozenset({"course_member"})),
    ("course_member-other-student", "elev.jakob", "", frozenset({"course_member"})),
    ("course_teacher-author", "larer.dahl", "", frozenset({"course_teacher", "self"})),
    ("school_leader", "rektor.bjolsen", "", frozenset({"school_leader"})),
    ("superuser", "superuser.bjolsen", "", frozenset({"superuser"})),
    ("sysadmin", "admin", "", frozenset({"sysadmin"})),
]
POST_INVISIBLE: list[tuple[str, str]] = [
    ("guardian-of-member", "foresatt.kari"),
    ("other-guardian-of-member", "foresatt.geir"),
    ("contact-teacher-of-members", "larer.hansen"),
    ("teacher-same-school", "larer.lie"),
    ("student-not-member", "elev.emma"),
    ("school_leader-other-school", "rektor.sagene"),
    ("superuser-other-school", "superuser.sagene"),
    ("teacher-other-school", "larer.nilsen"),
]


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(POST_VISIBLE, POST_READ)
)
def test_post_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(reads, viewer, "Post", activity.post, POST_SELECTIONS, field)
    assert got == expected
    checks = {
        "body": "Husk gymtøy",
        "course": {"id": activity.nor8},
        "author": {"id": live.person_id("larer.dahl")},
        "comments": [{"id": activity.comment}],
    }
    assert value == checks[field] if field in checks else value is not None


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(POST_VISIBLE, COMMENT_READ)
)
def test_comment_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(reads, viewer, "Comment", activity.comment, COMMENT_SELECTIONS, field)
    assert got == expected
    checks = {"body": "Takk!", "author": {"id": live.person_id("elev.ola")}}
    assert value == checks[field] if field in checks else value is not None


@pytest.mark.parametrize("viewer", [pytest.param(v, id=label) for label, v in POST_INVISIBLE])
@pytest.mark.parametrize("kind", ["Post", "Comment"])
def test_post_and_comment_rows_invisible(
    live: LiveGateway, activity: Activity, viewer: str, kind: str
) -> None:
    target = activity.post if kind == "Post" else activity.comment
    assert_not_found(live, viewer, kind, target, "id body author { id }")


@pytest.mark.parametrize(
    ("viewer", "listed"),
    [
        pytest.param("elev.jakob", True, id="course_member"),
        pytest.param("superuser.bjolsen", True, id="superuser"),
        pytest.param("foresatt.kari", False, id="guardian-course-visible-posts-denied"),
    ],
)
def test_course_posts_list(
    live: LiveGateway, activity: Activity, viewer: str, listed: bool
) -> None:
    result = live.gql(
        "query($id: ID!) { course(id: $id) { id posts(first: 500) { edges { node { id } } } } }",
        {"id": activity.nor8},
        as_user=viewer,
    )
    assert result.data["course"]["id"] == activity.nor8
    if listed:
        assert result.errors == []
        assert activity.post in node_ids(result.data["course"]["posts"])
    else:
        assert outcome(result, "course", "posts") == FORBIDDEN


# --- Conversation and Message --------------------------------------------------------------------

CONVERSATION_READ = _rows("id", "participants", "messages")
CONVERSATION_SELECTIONS = {
    "id": "id",
    "participants": "participants { id }",
    "messages": "messages { totalCount edges { node { id } } }",
}
MESSAGE_READ = _rows("id", "body", "sentAt", "author")
MESSAGE_SELECTIONS = {**{field: field for field in MESSAGE_READ}, "author": "author { id }"}

CONVERSATION_VISIBLE: list[tuple[str, str, str, frozenset[str]]] = [
    ("participant-who-started", "elev.ola", "", frozenset({"participant"})),
    ("participant-recipient", "larer.dahl", "", frozenset({"participant"})),
    ("sysadmin", "admin", "", frozenset({"sysadmin"})),
]
CONVERSATION_INVISIBLE: list[tuple[str, str]] = [
    ("contact-teacher-of-participant", "larer.hansen"),
    ("guardian-of-participant", "foresatt.kari"),
    ("other-guardian-of-participant", "foresatt.knut"),
    ("school_leader", "rektor.bjolsen"),
    ("superuser", "superuser.bjolsen"),
    ("classmate", "elev.jakob"),
    ("teacher-same-school", "larer.lie"),
    ("school_leader-other-school", "rektor.sagene"),
]


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"),
    field_params(CONVERSATION_VISIBLE, CONVERSATION_READ),
)
def test_conversation_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(
        reads, viewer, "Conversation", activity.conversation, CONVERSATION_SELECTIONS, field
    )
    assert got == expected
    checks = {
        "participants": sorted(
            ({"id": live.person_id(p)} for p in ("elev.ola", "larer.dahl")), key=lambda p: p["id"]
        ),
        "messages": {
            "totalCount": 2,
            "edges": [{"node": {"id": activity.message}}, {"node": {"id": activity.reply}}],
        },
    }
    if field == "participants":
        value = sorted(value, key=lambda p: p["id"])
    assert value == checks[field] if field in checks else value is not None


@pytest.mark.parametrize(
    ("viewer", "target", "field", "expected"), field_params(CONVERSATION_VISIBLE, MESSAGE_READ)
)
def test_message_field(
    live: LiveGateway,
    activity: Activity,
    reads: Reads,
    viewer: str,
    target: str,
    field: str,
    expected: str,
) -> None:
    got, value = read_field(reads, viewer, "Message", activity.message, MESSAGE_SELECTIONS, field)
    assert got == expected
    checks = {"body": "Hei, jeg er syk i dag", "author": {"id": live.person_id("elev.ola")}}
    assert value == checks[field] if field in checks else value is not None


@pytest.mark.parametrize(
    "viewer", [pytest.param(v, id=label) for label, v in CONVERSATION_INVISIBLE]
)
@pytest.mark.parametrize("kind", ["Conversation", "Message"])
def test_conversation_and_message_rows_invisible(
    live: LiveGateway, activity: Activity, viewer: str, kind: str
) -> None:
    target = activity.conversation if kind == "Conversation" else activity.message
    selection = "id participants { id }" if kind == "Conversation" else "id body author { id }"
    assert_not_found(live, viewer, kind, target, selection)


@pytest.mark.parametrize(
    ("viewer", "listed"),
    [
        pytest.param("elev.ola", True, id="participant"),
        pytest.param("larer.dahl", True, id="other-participant"),
        pytest.param("larer.hansen", False, id="contact-teacher-non-participant"),
        pytest.param("foresatt.kari", False, id="guardian-non-participant"),
    ],
)
def test_conversations_list_only_the_viewers_own(
    live: LiveGateway, activity: Activity, viewer: str, listed: bool
) -> None:
    assert (activity.conversation in all_ids(live, viewer, "conversations")) is listed


# --- a group conversation: participants who could not otherwise see each other -------------------


@pytest.fixture(scope="module")
def group(live: LiveGateway) -> dict[str, str]:
    """larer.hansen writes to foresatt.kari (Ola's guardian) and foresatt.geir (Jakob's), who
    replies. Kari and Geir share no relation of the User row: only the conversation."""
    to = [live.person_id("foresatt.kari"), live.person_id("foresatt.geir")]
    first = mutate(live, "larer.hansen", SEND, to=to, conv=None, body="Til foreldrene i 8A")["id"]
    conversation = to_global_id(
        "Conversation",
        live.scalar(select(t.messages.c.conversation_id).where(t.messages.c.id == pk_of(first))),
    )
    reply = mutate(live, "foresatt.geir", SEND, to=None, conv=conversation, body="Takk")["id"]
    return {"conversation": conversation, "first": first, "reply": reply}


GROUP = (
    "query($id: ID!) { node(id: $id) { ... on Conversation { participants { id displayName } "
    "messages { edges { node { id author { id displayName } } } } } } }"
)


@pytest.mark.parametrize("viewer", ["foresatt.kari", "foresatt.geir", "larer.hansen", "admin"])
def test_group_conversation_shows_every_participant_and_author(
    live: LiveGateway, group: dict[str, str], viewer: str
) -> None:
    """docs/access-policy.md, "Communication": a conversation and its messages, *including* author
    and participants, are readable by its participants (and system administrators)."""
    result = live.gql(GROUP, {"id": group["conversation"]}, as_user=viewer)
    assert result.errors == []
    conversation = result.data["node"]
    people = {"larer.hansen", "foresatt.kari", "foresatt.geir"}
    assert {p["id"] for p in conversation["participants"]} == {live.person_id(p) for p in people}
    assert all(p["displayName"] for p in conversation["participants"])
    authors = [e["node"]["author"]["id"] for e in conversation["messages"]["edges"]]
    assert authors == [live.person_id("larer.hansen"), live.person_id("foresatt.geir")]


def test_a_fellow_participant_is_no_visible_person_elsewhere(
    live: LiveGateway, group: dict[str, str]
) -> None:
    """Sharing a conversation shows the person inside it (row fields only), nothing more: Kari
    cannot look Geir up, nor read his email, through the conversation."""
    geir = live.person_id("foresatt.geir")
    assert_not_found(live, "foresatt.kari", "user", geir, "id")
    result = live.gql(
        "query($m: ID!) { node(id: $m) { ... on Message { author { id email children { id } } } } "
        "}",
        {"m": group["reply"]},
        as_user="foresatt.kari",
    )
    assert result.data["node"]["author"]["id"] == geir
    assert outcome(result, "node", "author", "email") == FORBIDDEN
    assert outcome(result, "node", "author", "children") == FORBIDDEN
