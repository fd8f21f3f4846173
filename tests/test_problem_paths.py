"""A denied field's one error carries the smallest path of its reports, whatever their order.

graphql-core runs a list's fields concurrently, and which row reports first depends on the event
loop. Here the rows' resolvers report in chosen orders (each waits its turn, a number of loop
iterations) on a real graphql-core schema, and the error is the same every time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from graphql import (
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    graphql,
    parse,
)

from authz.problems import PathOrder, ProblemLog, path_order

GROUPS, ROWS = 2, 12  # rows 10 and 11 come after row 2 only when indexes compare as integers
Row = tuple[int, int]
ALL_ROWS: list[Row] = [(g, r) for g in range(GROUPS) for r in range(ROWS)]


def make_schema(turns: dict[Row, int], problems: ProblemLog) -> GraphQLSchema:
    """``{ groups { rows { secret missing } } }``: rows in ``turns`` report their fields as
    denied after that many loop iterations; the other rows answer."""

    def denied(code: str, coordinate: str) -> GraphQLField:
        async def resolve(row: Row, info: GraphQLResolveInfo) -> str | None:
            if row not in turns:
                return "visible"
            for _ in range(turns[row]):
                await asyncio.sleep(0)
            problems.report(code, coordinate, info)
            return None

        return GraphQLField(GraphQLString, resolve=resolve)

    row = GraphQLObjectType(
        "Row",
        {
            "secret": denied("FORBIDDEN", "Row.secret"),
            "missing": denied("NOT_FOUND", "Row.missing"),
        },
    )
    rows = GraphQLField(
        GraphQLNonNull(GraphQLList(GraphQLNonNull(row))),
        resolve=lambda group, _info: [(group, r) for r in range(ROWS)],
    )
    group = GraphQLObjectType("Group", {"rows": rows})
    groups = GraphQLField(
        GraphQLNonNull(GraphQLList(GraphQLNonNull(group))),
        resolve=lambda _root, _info: list(range(GROUPS)),
    )
    return GraphQLSchema(GraphQLObjectType("Query", {"groups": groups}))


def errors_of(order: list[Row], document: str) -> list[dict[str, Any]]:
    """The errors of ``document`` when the rows report in ``order``, sorted by code (their order
    in the list is the order they were raised in)."""
    turns = {row: turn for turn, row in enumerate(order)}
    result = asyncio.run(graphql(make_schema(turns, ProblemLog(limit=10)), document))
    return sorted(
        (error.formatted for error in result.errors or []),
        key=lambda e: str(e["extensions"]["code"]),
    )


def orders(rows: list[Row]) -> list[list[Row]]:
    """In order, reversed, and shuffled four ways."""
    shuffled = [list(rows) for _ in range(4)]
    for seed, order in enumerate(shuffled):
        random.Random(seed).shuffle(order)
    return [list(rows), list(reversed(rows)), *shuffled]


def order_in(document: str) -> Callable[[list[str | int]], PathOrder]:
    """``path_order`` for paths of a response to ``document`` (it reads only the operation and
    the fragments of the resolve info)."""
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    info = cast(GraphQLResolveInfo, SimpleNamespace(operation=operation, fragments=fragments))
    return lambda path: path_order(path, info)


def test_the_path_order_compares_list_indexes_as_integers() -> None:
    order = order_in("{ a { x b c } }")
    assert order(["a", 2, "x"]) < order(["a", 10, "x"])
    assert order(["a"]) < order(["a", 0]), "a path before the paths it starts"
    assert order(["a", 1, "b"]) < order(["a", 1, "c"])


def test_the_path_order_follows_the_response_not_the_alphabet() -> None:
    order = order_in("{ someone: user { mail: email } again: user { email } }")
    assert order(["someone", "mail"]) < order(["again", "email"])
    order = order_in("{ z { c b a } }")
    assert order(["z", "c"]) < order(["z", "b"]) < order(["z", "a"])


def test_the_path_order_reads_fields_through_fragments() -> None:
    order = order_in("{ ...Head b { ... on B { y x } } } fragment Head on Query { a }")
    assert order(["a"]) < order(["b"])
    assert order(["b", "y"]) < order(["b", "x"])


@pytest.mark.parametrize("order", orders(ALL_ROWS), ids=["sorted", "reversed", *"abcd"])
def test_the_error_is_at_the_smallest_path_whatever_the_order(order: list[Row]) -> None:
    assert errors_of(order, "{ groups { rows { secret } } }") == [
        {
            "message": "Not allowed to read Row.secret",
            "locations": [{"line": 1, "column": 19}],
            "path": ["groups", 0, "rows", 0, "secret"],
            "extensions": {"code": "FORBIDDEN", "coordinate": "Row.secret", "count": 24},
        }
    ]


@pytest.mark.parametrize("order", orders([(0, 11), (0, 10), (1, 0), (0, 2)]))
def test_row_2_comes_before_row_10(order: list[Row]) -> None:
    (error,) = errors_of(order, "{ groups { rows { secret } } }")
    assert error["path"] == ["groups", 0, "rows", 2, "secret"]
    assert error["extensions"]["count"] == 4


@pytest.mark.parametrize("order", orders(ALL_ROWS)[:3], ids=["sorted", "reversed", "shuffled"])
def test_each_code_and_coordinate_gets_its_own_smallest_path(order: list[Row]) -> None:
    """Aliases put one field under several names: the error moves to the first of them in the
    response (``b`` before ``a``, as written), with that field's location, separately for each
    (code, coordinate)."""
    errors = errors_of(order, "{ groups { rows { b: secret a: secret missing } } }")
    assert [(e["extensions"], e["path"], e["locations"]) for e in errors] == [
        (
            {"code": "FORBIDDEN", "coordinate": "Row.secret", "count": 2 * GROUPS * ROWS},
            ["groups", 0, "rows", 0, "b"],
            [{"line": 1, "column": 19}],
        ),
        (
            {"code": "NOT_FOUND", "coordinate": "Row.missing", "count": GROUPS * ROWS},
            ["groups", 0, "rows", 0, "missing"],
            [{"line": 1, "column": 39}],
        ),
    ]
