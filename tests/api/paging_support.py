"""Walking a connection forwards and backwards against the whole list (Relay paging tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway_support import LiveGateway

PAGE = "edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


# --- a generic walk over one connection ----------------------------------------------------------

#: reads one page: the page arguments as GraphQL text ("first: 2, after: $c"), the cursor
Reader = Callable[[str, str | None], dict[str, Any]]


def ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


def check_walks(read: Reader, order: str = "") -> list[str]:
    """Forwards a few at a time and backwards a few at a time give the whole list in order,
    with the page info of the spec; returns the whole list."""
    whole = read(f"first: 500{order}", None)
    everything = ids(whole)
    assert len(everything) >= 3, everything
    assert whole["pageInfo"]["hasNextPage"] is False
    assert whole["pageInfo"]["hasPreviousPage"] is False
    cursors = {edge["node"]["id"]: edge["cursor"] for edge in whole["edges"]}
    n = max(2, len(everything) // 4)
    # forwards
    seen: list[str] = []
    after: str | None = None
    while True:
        page = read(f"first: {n}, after: $c{order}", after)
        got = ids(page)
        info = page["pageInfo"]
        assert got == everything[len(seen) : len(seen) + n]
        assert info["hasPreviousPage"] is False
        assert info["startCursor"] == (cursors[got[0]] if got else None)
        assert info["endCursor"] == (cursors[got[-1]] if got else None)
        assert [edge["cursor"] for edge in page["edges"]] == [cursors[i] for i in got]
        seen += got
        assert info["hasNextPage"] is (len(seen) < len(everything))
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == everything
    # backwards
    seen = []
    before: str | None = None
    while True:
        page = read(f"last: {n}, before: $c{order}", before)
        got = ids(page)
        info = page["pageInfo"]
        end = len(everything) - len(seen)
        assert got == everything[max(0, end - n) : end]
        assert info["hasNextPage"] is False
        assert info["startCursor"] == cursors[got[0]]
        assert info["endCursor"] == cursors[got[-1]]
        seen = got + seen
        assert info["hasPreviousPage"] is (len(seen) < len(everything))
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert seen == everything
    # last without before: the last rows; between two cursors: the rows between them
    assert ids(read(f"last: 1{order}", None)) == everything[-1:]
    between = read(
        f'first: 500, after: $c, before: "{cursors[everything[-1]]}"{order}', cursors[everything[0]]
    )
    assert ids(between) == everything[1:-1]
    return everything


def variables_of(arguments: str) -> str:
    """The cursor variable's declaration, when the arguments use it."""
    return ", $c: String" if "$c" in arguments else ""


def gql_data(live: LiveGateway, viewer: str, query: str, **variables: Any) -> Any:
    result = live.gql(query, variables, as_user=viewer)
    assert result.errors == [], result.errors
    return result.data


def course_reader(live: LiveGateway, viewer: str, course: str, field: str) -> Reader:
    def read(arguments: str, cursor: str | None) -> dict[str, Any]:
        query = (
            f"query($id: ID!{variables_of(arguments)}) {{ course(id: $id) "
            f"{{ {field}({arguments}) {{ {PAGE} }} }} }}"
        )
        given = {"c": cursor} if "$c" in arguments else {}
        data: dict[str, Any] = gql_data(live, viewer, query, id=course, **given)["course"][field]
        return data

    return read


def node_reader(live: LiveGateway, viewer: str, node: str, type_name: str, field: str) -> Reader:
    def read(arguments: str, cursor: str | None) -> dict[str, Any]:
        query = (
            f"query($id: ID!{variables_of(arguments)}) {{ node(id: $id) {{ ... on {type_name} "
            f"{{ {field}({arguments}) {{ {PAGE} }} }} }} }}"
        )
        given = {"c": cursor} if "$c" in arguments else {}
        data: dict[str, Any] = gql_data(live, viewer, query, id=node, **given)["node"][field]
        return data

    return read


def root_reader(live: LiveGateway, viewer: str, field: str) -> Reader:
    def read(arguments: str, cursor: str | None) -> dict[str, Any]:
        declared = variables_of(arguments)[2:]
        header = f"query({declared})" if declared else "query"
        query = f"{header} {{ {field}({arguments}) {{ {PAGE} }} }}"
        given = {"c": cursor} if declared else {}
        data: dict[str, Any] = gql_data(live, viewer, query, **given)[field]
        return data

    return read
