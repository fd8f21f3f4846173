"""Relay paging (docs/interfaces.md, "Pagination"): ``first``/``after`` and ``last``/``before``
on every kind of connection, ``PageInfo``'s four fields, cursors bound to their connection and
ordering, ``orderBy``, the connections beside the bounded plain lists, and ``node(id:)`` of a
pseudonym stand-in's id.

Each kind of connection is checked against the whole list read in one page (``first: 500``):
walking forwards two at a time and backwards two at a time must give the same rows, with
``hasNextPage``/``hasPreviousPage`` and the start/end cursors as the spec says. The kinds: a
nested connection of a kind's rows (``Course.posts``), a new one beside a plain list
(``Post.commentsConnection``), one of the viewer's own rows (``User.notificationsConnection``)
and root lists (``Query.courses``, ``Query.auditLog``). The module runs on a gateway of its own (it
restricts a person at the end), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from paging_support import (
    check_walks,
    course_reader,
    gql_data,
    ids,
    node_reader,
    root_reader,
)
from read_support import (
    COMMENT,
    CREATE_ASSIGNMENT,
    CREATE_EVENT,
    CREATE_POST,
    SEND,
    SUBMIT,
    mutate,
)
from sqlalchemy import insert, select, update

from config.ids import to_global_id
from store import tables as t
from store.tables import ProcessingState


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param,
        tmp_path_factory,
        "relay-paging",
        rate_limit_person_per_minute=100_000,
        rate_limit_person_burst=100_000,
        rate_limit_address_per_minute=100_000,
        rate_limit_address_burst=100_000,
    ) as gateway:
        yield gateway


@dataclass(frozen=True)
class Stage:
    nor8: str
    post: str
    posts: list[str]
    comments: list[str]
    sara_comment: str
    ola: str


@pytest.fixture(scope="module")
def stage(live: LiveGateway) -> Stage:
    nor8 = live.course_id("c-bjs-nor8")
    posts = [mutate(live, "larer.dahl", CREATE_POST, c=nor8)["id"] for _ in range(5)]
    comments = [mutate(live, "elev.ola", COMMENT, p=posts[0])["id"] for _ in range(4)]
    sara_comment = mutate(live, "elev.sara", COMMENT, p=posts[0])["id"]
    for _ in range(3):
        mutate(live, "larer.dahl", CREATE_ASSIGNMENT, courseId=nor8)
    ola = live.person_pk("elev.ola")
    live.execute(
        *[
            insert(t.notifications).values(
                person_id=ola,
                kind="TEST",
                message=f"melding {n}",
                created_at=datetime(2099, 1, 1, n, tzinfo=UTC),
            )
            for n in range(5)
        ]
    )
    return Stage(
        nor8, posts[0], posts, [*comments, sara_comment], sara_comment, to_global_id("User", ola)
    )


# --- every kind of connection, both ways ---------------------------------------------------------


def test_course_posts_both_ways_and_ordered(live: LiveGateway, stage: Stage) -> None:
    read = course_reader(live, "elev.ola", stage.nor8, "posts")
    oldest_first = check_walks(read)
    assert oldest_first[-5:] == stage.posts
    assert check_walks(read, ", orderBy: OLDEST_FIRST") == oldest_first
    assert check_walks(read, ", orderBy: NEWEST_FIRST") == oldest_first[::-1]


def test_comments_connection_beside_the_list(live: LiveGateway, stage: Stage) -> None:
    read = node_reader(live, "elev.ola", stage.post, "Post", "commentsConnection")
    assert check_walks(read) == stage.comments
    assert check_walks(read, ", orderBy: NEWEST_FIRST") == stage.comments[::-1]
    listed = gql_data(
        live,
        "elev.ola",
        "query($id: ID!) { node(id: $id) { ... on Post { comments { id } } } }",
        id=stage.post,
    )["node"]["comments"]
    assert [c["id"] for c in listed] == stage.comments


def test_notifications_connection(live: LiveGateway, stage: Stage) -> None:
    read = node_reader(live, "elev.ola", stage.ola, "User", "notificationsConnection")
    forwards = check_walks(read)
    assert check_walks(read, ", orderBy: NEWEST_FIRST") == forwards[::-1]


def test_messages_and_submissions_ordered(live: LiveGateway, stage: Stage) -> None:
    dahl = live.person_id("larer.dahl")
    first = mutate(live, "elev.ola", SEND, to=[dahl], conv=None, body="Hei")["id"]
    conversation = to_global_id(
        "Conversation",
        live.scalar(
            select(t.messages.c.conversation_id).where(t.messages.c.id == int(pk_of_type(first, 1)))
        ),
    )
    for body in ("Er du der?", "Takk"):
        mutate(live, "elev.ola", SEND, to=None, conv=conversation, body=body)
    messages = node_reader(live, "larer.dahl", conversation, "Conversation", "messages")
    forwards = check_walks(messages)
    assert forwards[0] == first
    assert check_walks(messages, ", orderBy: NEWEST_FIRST") == forwards[::-1]
    assignment = mutate(live, "larer.dahl", CREATE_ASSIGNMENT, courseId=stage.nor8)["id"]
    for student in ("elev.ola", "elev.jakob", "elev.amina"):
        mutate(live, student, SUBMIT, assignmentId=assignment, body="Svar")
    submissions = node_reader(live, "larer.dahl", assignment, "Assignment", "submissions")
    forwards = check_walks(submissions)
    assert len(forwards) == 3
    assert check_walks(submissions, ", orderBy: NEWEST_FIRST") == forwards[::-1]


def test_other_new_connections(live: LiveGateway, stage: Stage) -> None:
    teachers = course_reader(live, "elev.ola", stage.nor8, "teachersConnection")
    listed = gql_data(
        live, "elev.ola", "query($id: ID!) { course(id: $id) { teachers { id } } }", id=stage.nor8
    )
    assert ids(teachers("first: 500", None)) == [u["id"] for u in listed["course"]["teachers"]]
    assignments = course_reader(live, "larer.dahl", stage.nor8, "assignments")
    check_walks(assignments)


@pytest.mark.parametrize(
    ("viewer", "type_name", "target", "listed", "connection"),
    [
        ("elev.ola", "User", "elev.ola", "guardians", "guardiansConnection"),
        ("foresatt.kari", "User", "foresatt.kari", "children", "childrenConnection"),
        ("larer.dahl", "Course", "c-bjs-nor8", "events", "eventsConnection"),
        ("larer.dahl", "Course", "c-bjs-nor8", "teachers", "teachersConnection"),
    ],
)
def test_connections_beside_the_lists(
    live: LiveGateway,
    stage: Stage,
    viewer: str,
    type_name: str,
    target: str,
    listed: str,
    connection: str,
) -> None:
    """Each connection beside a plain list pages through the same items, both ways."""
    node = live.person_id(target) if type_name == "User" else live.course_id(target)
    if listed == "events":
        for title in ("Prøve", "Tur", "Møte"):
            mutate(live, viewer, CREATE_EVENT, title=title, c=node)
    plain = gql_data(
        live,
        viewer,
        f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {listed} {{ id }} }} }} }}",
        id=node,
    )["node"][listed]
    read = node_reader(live, viewer, node, type_name, connection)
    whole = ids(read("first: 500", None))
    assert whole == [item["id"] for item in plain]
    assert whole
    if len(whole) >= 3:
        check_walks(read)


def test_own_data_requests_both_ways(live: LiveGateway, stage: Stage) -> None:
    """``User.dataRequests`` (newest first) pages backwards as every connection does."""
    submit = "mutation($k: DataRequestKind!) { submitDataRequest(kind: $k) { id } }"
    kinds = ("ACCESS", "OTHER", "OBJECTION")
    made = [mutate(live, "foresatt.knut", submit, k=kind)["id"] for kind in kinds]
    read = node_reader(
        live, "foresatt.knut", live.person_id("foresatt.knut"), "User", "dataRequests"
    )
    assert check_walks(read)[:3] == made[::-1]


def test_root_lists_both_ways(live: LiveGateway, stage: Stage) -> None:
    check_walks(root_reader(live, "admin", "courses"))
    audit = root_reader(live, "admin", "auditLog")
    forwards = check_walks(audit)
    assert check_walks(audit, ", orderBy: NEWEST_FIRST") == forwards[::-1]


# --- refusals ------------------------------------------------------------------------------------


def code_of(live: LiveGateway, viewer: str, query: str, **variables: Any) -> set[str]:
    result = live.gql(query, variables, as_user=viewer)
    codes: set[str] = result.codes()
    assert codes or result.errors == [], result.errors
    return codes


def test_cursor_of_another_connection_is_refused(live: LiveGateway, stage: Stage) -> None:
    posts = course_reader(live, "larer.dahl", stage.nor8, "posts")("first: 1", None)
    cursor = posts["pageInfo"]["endCursor"]
    course_query = "query($id: ID!, $c: String) {{ course(id: $id) {{ {} {{ totalCount }} }} }}"
    # the same connection takes it, forwards and backwards
    for field in ("posts(after: $c)", "posts(last: 1, before: $c)"):
        assert (
            code_of(live, "larer.dahl", course_query.format(field), id=stage.nor8, c=cursor)
            == set()
        )
    # another connection, another ordering, another type's list, a root list: refused
    for field in (
        "assignments(after: $c)",
        "students(last: 1, before: $c)",
        "posts(after: $c, orderBy: NEWEST_FIRST)",
        "eventsConnection(after: $c)",
    ):
        codes = code_of(live, "larer.dahl", course_query.format(field), id=stage.nor8, c=cursor)
        assert codes == {"BAD_USER_INPUT"}, field
    assert code_of(
        live,
        "larer.dahl",
        "query($id: ID!, $c: String) { node(id: $id) { ... on Post "
        "{ commentsConnection(after: $c) { totalCount } } } }",
        id=stage.post,
        c=cursor,
    ) == {"BAD_USER_INPUT"}
    assert code_of(
        live, "admin", "query($c: String) { courses(after: $c) { totalCount } }", c=cursor
    ) == {"BAD_USER_INPUT"}
    courses = root_reader(live, "admin", "courses")("first: 1", None)["pageInfo"]["endCursor"]
    assert code_of(
        live,
        "admin",
        "query($c: String) { documents(before: $c, last: 2) { totalCount } }",
        c=courses,
    ) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize(
    "arguments",
    ["first: 1, last: 1", "last: 501", "last: -1", 'before: "garbage"', "first: 0, last: 0"],
)
def test_bad_page_arguments(live: LiveGateway, stage: Stage, arguments: str) -> None:
    for query in (
        f"query($id: ID!) {{ course(id: $id) {{ posts({arguments}) {{ totalCount }} }} }}",
        f"query($id: ID!) {{ node(id: $id) {{ ... on User "
        f"{{ notificationsConnection({arguments}) {{ totalCount }} }} }} }}",
    ):
        target = stage.nor8 if "course" in query else stage.ola
        assert code_of(live, "elev.ola", query, id=target) == {"BAD_USER_INPUT"}, query
    assert code_of(live, "admin", f"{{ auditLog({arguments}) {{ totalCount }} }}") == {
        "BAD_USER_INPUT"
    }


# --- node(id:) of a stand-in ----------------------------------------------------------------------

STAND_IN = (
    "query($id: ID!) { node(id: $id) { id ... on User { isPseudonym displayName firstName } } }"
)


def test_node_resolves_a_pseudonym_id(live: LiveGateway, stage: Stage) -> None:
    sara = live.person_pk("elev.sara")
    live.execute(
        update(t.people)
        .where(t.people.c.id == sara)
        .values(processing_state=ProcessingState.RESTRICTED)
    )
    comments = gql_data(
        live,
        "elev.ola",
        "query($id: ID!) { node(id: $id) { ... on Post "
        "{ comments { id author { id isPseudonym displayName } } } } }",
        id=stage.post,
    )["node"]["comments"]
    (author,) = [c["author"] for c in comments if c["id"] == stage.sara_comment]
    assert author["isPseudonym"] is True
    stand_in = author["id"]
    assert pk_of_type(stand_in) == "Pseudonym"
    # a course member who sees the comment resolves the stand-in, never the person
    found = gql_data(live, "elev.ola", STAND_IN, id=stand_in)["node"]
    assert found == {
        "id": stand_in,
        "isPseudonym": True,
        "displayName": author["displayName"],
        "firstName": None,
    }
    # so does a system administrator
    assert gql_data(live, "admin", STAND_IN, id=stand_in)["node"]["id"] == stand_in
    # someone who sees nothing the person wrote: NOT_FOUND, as for any object not visible
    for viewer in ("larer.nilsen", "foresatt.tone"):
        result = live.gql(STAND_IN, {"id": stand_in}, as_user=viewer)
        assert result.data["node"] is None
        assert result.codes() == {"NOT_FOUND"}, viewer
    # a label nobody has, and non-canonical spellings: refused
    assert live.gql(
        STAND_IN, {"id": to_global_id("Pseudonym", "000000")}, as_user="admin"
    ).codes() == {"NOT_FOUND"}
    label = author["displayName"][-6:]
    # lower case (when the label has letters) and a leading zero are other spellings of it
    spellings = [stand_in + "=", to_global_id("Pseudonym", "0" + label)]
    if label.lower() != label:
        spellings.append(to_global_id("Pseudonym", label.lower()))
    for bad in spellings:
        assert live.gql(STAND_IN, {"id": bad}, as_user="admin").codes() & {
            "BAD_USER_INPUT",
            "NOT_FOUND",
        }
        assert live.gql(STAND_IN, {"id": bad}, as_user="admin").data["node"] is None
    # the real person's id does not resolve either (restricted people never do)
    real = live.gql(STAND_IN, {"id": to_global_id("User", sara)}, as_user="elev.ola")
    assert real.data["node"] is None


def pk_of_type(global_id: str, part: int = 0) -> str:
    """The type (``part`` 0) or local id (1) of a global id."""
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return raw.split(":")[part]
