"""The users directory, ``Query.users`` (docs/access-policy.md, "The users directory").

Role by role, the directory lists exactly the people the User row rule shows the viewer: the
oracle is ``user(id:)`` asked for every person in the database (one request, aliased), which
resolves for exactly the people the viewer may see. Then the filters: ``search`` (part of the
given name or family name, any case, also beyond ASCII; LIKE wildcards are plain characters;
never the username, which no role may read), ``schoolId`` and ``role`` (a role assignment at
that school), ``state`` (restricted people only when asked, and only for system
administrators), ``ids`` (the asked-for people, within the same rules), and paging both
ways. On a gateway of its own (it restricts a person), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from paging_support import check_walks, gql_data, root_reader
from sqlalchemy import select, update

from config.ids import to_global_id
from store import tables as t
from store.tables import ProcessingState, Role

DIRECTORY = (
    "query($search: String, $school: ID, $role: Role, $state: ProcessingState) "
    "{ users(search: $search, schoolId: $school, role: $role, state: $state, first: 500) "
    "{ totalCount edges { node { id } } pageInfo { hasNextPage } } }"
)
#: a viewer per role (docs/access-policy.md, "Roles"), and one who holds two
VIEWERS = (
    "admin",
    "superuser.bjolsen",
    "rektor.bjolsen",
    "larer.hansen",
    "larer.nilsen",
    "assistent.sagene",
    "elev.ola",
    "elev.emma",
    "foresatt.kari",
    "foresatt.tone",
)


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "users-directory") as gateway:
        yield gateway


def directory(live: LiveGateway, viewer: str, **filters: Any) -> set[str]:
    variables = {
        "search": filters.get("search"),
        "school": filters.get("school"),
        "role": filters.get("role"),
        "state": filters.get("state"),
    }
    page = gql_data(live, viewer, DIRECTORY, **variables)["users"]
    assert page["pageInfo"]["hasNextPage"] is False
    found = {edge["node"]["id"] for edge in page["edges"]}
    assert page["totalCount"] == len(found)
    return found


def everyone(live: LiveGateway) -> list[str]:
    return [to_global_id("User", pk) for (pk,) in live.rows(select(t.people.c.id))]


def resolvable(live: LiveGateway, viewer: str) -> set[str]:
    """The people ``user(id:)`` resolves for ``viewer``: the User row rule."""
    people = everyone(live)
    query = "{ " + " ".join(f'p{n}: user(id: "{i}") {{ id }}' for n, i in enumerate(people)) + " }"
    result = live.gql(query, as_user=viewer)
    assert result.codes() <= {"NOT_FOUND"}, result.errors
    return {value["id"] for value in result.data.values() if value is not None}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_directory_is_the_user_row_rule(live: LiveGateway, viewer: str) -> None:
    found = directory(live, viewer)
    assert found == resolvable(live, viewer)
    assert live.person_id(viewer) in found


def test_directory_by_role(live: LiveGateway) -> None:
    active = {
        to_global_id("User", pk)
        for (pk,) in live.rows(
            select(t.people.c.id).where(t.people.c.processing_state == ProcessingState.ACTIVE)
        )
    }
    # a system administrator: everyone active
    assert directory(live, "admin") == active
    # a teacher: colleagues at the school, not those of another school
    teacher = directory(live, "larer.hansen")
    assert live.person_id("larer.dahl") in teacher
    assert live.person_id("larer.nilsen") not in teacher
    # a student: not the students of another school
    assert live.person_id("elev.nora") not in directory(live, "elev.ola")
    # a guardian: their children
    assert {live.person_id("elev.ola"), live.person_id("elev.nora")} <= directory(
        live, "foresatt.kari"
    )


def test_anonymous_callers_get_no_directory(live: LiveGateway) -> None:
    result = live.gql("{ users { totalCount } }")
    assert result.data is None or result.data.get("users") is None
    assert result.codes() & {"UNAUTHENTICATED", "FORBIDDEN"}


def matching(live: LiveGateway, search: str) -> set[str]:
    """The active people whose given name, family name or full name ("given family") contains
    ``search``, any case (Python's ``lower``), worked out here from every row."""
    p = t.people.c
    rows = live.rows(
        select(p.id, p.given_name, p.family_name).where(
            p.processing_state == ProcessingState.ACTIVE
        )
    )
    wanted = search.lower()
    return {
        to_global_id("User", pk)
        for pk, given, family in rows
        if any(
            wanted in text.lower()
            for text in (given, family, f"{given} {family}" if given and family else None)
            if text is not None
        )
    }


@pytest.mark.parametrize(
    "search",
    [
        "bjørn",
        "BJØRN",
        "nordMANN",
        "LARER.HAN",
        "ola",
        "%",
        "_",
        "zzzz",
        " ",
        "PER H",
        "ola nordmann",
    ],
)
def test_search(live: LiveGateway, search: str) -> None:
    assert directory(live, "admin", search=search) == matching(live, search)


def test_search_beyond_ascii(live: LiveGateway) -> None:
    bjorn = live.person_id("foresatt.bjorn")
    assert directory(live, "admin", search="BJØRN") == {bjorn}
    assert directory(live, "admin", search="bjØrn haugen"[:5]) == {bjorn}


def test_search_within_the_row_rule(live: LiveGateway) -> None:
    # larer.nilsen (Sagene) does not see Bjølsen's teachers, by any search
    hansen = live.person_id("larer.hansen")
    assert hansen not in directory(live, "larer.nilsen", search="hansen")
    assert hansen in directory(live, "larer.dahl", search="hansen")


@pytest.mark.parametrize("who", ["admin", "larer.dahl", "elev.emma"])
def test_search_never_matches_a_username(live: LiveGateway, who: str) -> None:
    # no role may read a username: a search on it would reveal it letter by letter
    hansen = live.person_id("larer.hansen")
    assert hansen in directory(live, who, search="Per")  # his given name: he is seen
    for part in ("larer.hansen", "larer.", "r.ha"):
        assert hansen not in directory(live, who, search=part)
    assert directory(live, who, search="larer.") == set()


def test_search_is_bounded(live: LiveGateway) -> None:
    result = live.gql(
        "query($s: String) { users(search: $s) { totalCount } }", {"s": "a" * 101}, as_user="admin"
    )
    assert result.codes() == {"BAD_USER_INPUT"}


def test_school_and_role(live: LiveGateway) -> None:
    bjs = live.school_id("org-bjs")
    bjs_pk = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == "org-bjs"))
    ra = t.role_assignments.c
    teachers = {
        to_global_id("User", pk)
        for (pk,) in live.rows(
            select(ra.person_id).where(ra.school_id == bjs_pk, ra.role == Role.TEACHER)
        )
    }
    assert teachers
    assert directory(live, "admin", school=bjs, role="TEACHER") == teachers
    at_school = directory(live, "admin", school=bjs)
    assert teachers < at_school
    assert directory(live, "larer.hansen", school=bjs, role="TEACHER") == teachers & directory(
        live, "larer.hansen"
    )
    # an id of another type is NOT_FOUND, a malformed one BAD_USER_INPUT
    for school, code in ((live.person_id("admin"), "NOT_FOUND"), ("nope", "BAD_USER_INPUT")):
        result = live.gql(DIRECTORY, {"school": school}, as_user="admin")
        assert result.codes() == {code}


def test_paging_both_ways(live: LiveGateway) -> None:
    check_walks(root_reader(live, "admin", "users"))
    check_walks(root_reader(live, "larer.hansen", "users"))


def test_restricted_people_only_when_asked(live: LiveGateway) -> None:
    sara = live.person_pk("elev.sara")
    live.execute(
        update(t.people)
        .where(t.people.c.id == sara)
        .values(processing_state=ProcessingState.RESTRICTED)
    )
    sara_id = to_global_id("User", sara)
    assert sara_id not in directory(live, "admin")
    assert directory(live, "admin", state="RESTRICTED") == {sara_id}
    assert directory(live, "admin", state="RESTRICTED", search="sara") == {sara_id}
    assert directory(live, "admin", state="ERASED") == set()
    for viewer in ("larer.hansen", "rektor.bjolsen", "superuser.bjolsen", "elev.ola"):
        assert directory(live, viewer, state="RESTRICTED") == set()
        assert sara_id not in directory(live, viewer)


BY_IDS = (
    "query($ids: [ID!], $state: ProcessingState) { users(ids: $ids, state: $state, first: 500) "
    "{ totalCount edges { node { id } } } }"
)


def by_ids(live: LiveGateway, viewer: str, ids: list[str], state: str | None = None) -> set[str]:
    page = gql_data(live, viewer, BY_IDS, ids=ids, state=state)["users"]
    found = {edge["node"]["id"] for edge in page["edges"]}
    assert page["totalCount"] == len(found)
    return found


def restricted_sara(live: LiveGateway) -> str:
    """elev.sara's id, restricted (as ``test_restricted_people_only_when_asked`` leaves her)."""
    sara = live.person_pk("elev.sara")
    live.execute(
        update(t.people)
        .where(t.people.c.id == sara)
        .values(processing_state=ProcessingState.RESTRICTED)
    )
    return to_global_id("User", sara)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_ids_narrow_the_directory_within_the_row_rule(live: LiveGateway, viewer: str) -> None:
    """``ids`` lists exactly the asked-for people the viewer may see; an unknown id is simply
    not there, and the same id twice is one person."""
    people = everyone(live)
    asked = [*people[::3], people[0], to_global_id("User", 999_999)]
    assert by_ids(live, viewer, asked) == set(asked) & directory(live, viewer)
    assert by_ids(live, viewer, [live.person_id(viewer)]) == {live.person_id(viewer)}
    assert by_ids(live, viewer, []) == set()


def test_a_restricted_person_by_id_for_system_administrators_only(live: LiveGateway) -> None:
    sara_id = restricted_sara(live)
    ola_id = live.person_id("elev.ola")
    # a system administrator: by id in state RESTRICTED only, shown as RESTRICTED
    assert by_ids(live, "admin", [sara_id, ola_id], state="RESTRICTED") == {sara_id}
    shown = gql_data(
        live,
        "admin",
        "query($ids: [ID!]) { users(ids: $ids, state: RESTRICTED) "
        "{ edges { node { id displayName processingState } } } }",
        ids=[sara_id],
    )["users"]["edges"]
    assert [edge["node"]["processingState"] for edge in shown] == ["RESTRICTED"]
    assert shown[0]["node"]["displayName"]
    assert by_ids(live, "admin", [sara_id, ola_id]) == {ola_id}
    assert by_ids(live, "admin", [sara_id], state="ERASED") == set()
    # everyone else: not by id either, in any state
    for viewer in VIEWERS[1:]:
        assert by_ids(live, viewer, [sara_id], state="RESTRICTED") == set()
        assert by_ids(live, viewer, [sara_id]) == set()


def test_ids_must_be_user_ids(live: LiveGateway) -> None:
    """A malformed id is BAD_USER_INPUT and an id of another type NOT_FOUND, as for every
    other id argument; so is a list over its limit (100 ids)."""
    ola_id = live.person_id("elev.ola")
    for ids, code in (
        ([ola_id, "nope"], "BAD_USER_INPUT"),
        ([ola_id, live.school_id("org-bjs")], "NOT_FOUND"),
        ([ola_id] * 101, "BAD_USER_INPUT"),
    ):
        for viewer in ("admin", "larer.hansen"):
            result = live.gql(BY_IDS, {"ids": ids}, as_user=viewer)
            assert result.codes() == {code}, (ids[-1], viewer, result.errors)
            assert result.data is None or result.data.get("users") is None


def test_the_erasure_preview_is_for_one_person_per_operation(live: LiveGateway) -> None:
    """It asks every privacy provider: on a list of people the second one is refused."""
    one = live.gql(
        "query($id: ID!) { user(id: $id) { erasurePreview { category outcome count } } }",
        {"id": live.person_id("elev.ola")},
        as_user="admin",
    )
    assert one.errors == [] and one.data["user"]["erasurePreview"]
    many = live.gql(
        "{ users(first: 3) { edges { node { erasurePreview { category } } } } }", as_user="admin"
    )
    assert many.codes() == {"BAD_USER_INPUT"}
    previews = [edge["node"]["erasurePreview"] for edge in many.data["users"]["edges"]]
    assert sum(p is not None for p in previews) == 1
