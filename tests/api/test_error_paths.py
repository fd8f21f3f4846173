"""The same request gets the same errors: a field denied on many rows has its one error at the
smallest of their paths, the first row (docs/access-policy.md, "Denied fields"), not at whichever
row the gateway happened to resolve first."""

from __future__ import annotations

from typing import Any

from gateway_support import LiveGateway

LEADER = "rektor.bjolsen"  # every course of the school, with its students
QUERY = """
{ courses(first: 20) { edges { node {
    students(first: 100) { edges { node { id nationalId children { id } } } }
} } } }
"""
DENIED = ("nationalId", "children")


def denied_paths(data: Any, field: str) -> list[list[str | int]]:
    """Every place in the answer where ``field`` of a student is null."""
    found: list[list[str | int]] = []
    for i, course in enumerate(data["courses"]["edges"]):
        students = course["node"]["students"]
        for j, student in enumerate(students["edges"] if students else []):
            if student["node"][field] is None:
                found.append(["courses", "edges", i, "node", "students", "edges", j, "node", field])
    return found


def test_a_field_denied_on_many_rows_has_its_error_at_the_same_first_path(
    live: LiveGateway,
) -> None:
    answers = [live.gql(QUERY, as_user=LEADER) for _ in range(6)]
    first = answers[0]
    for field in DENIED:
        nulls = denied_paths(first.data, field)
        assert len(nulls) > 20, "the school has many students"
        (error,) = [e for e in first.errors if e["extensions"]["coordinate"] == f"User.{field}"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["extensions"]["count"] == len(nulls)
        # the paths differ only in their list indexes: the smallest is the first row's
        assert error["path"] == min(nulls, key=lambda path: [k for k in path if isinstance(k, int)])
    for answer in answers[1:]:
        assert answer.data == first.data
        assert sorted(answer.errors, key=str) == sorted(first.errors, key=str)
