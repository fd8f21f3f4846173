"""Hostile documents and raw HTTP helpers for the operation-limit tests.

Each builder returns a document that one of the limits in ``gateway/limits/`` (docs/security.md,
"Operation limits") must refuse; ``send`` posts it and returns the raw HTTP response, because a
refusal may be a 400 that ``LiveGateway.gql`` would not accept.
"""

from __future__ import annotations

from typing import Any

import httpx
from gateway_support import LiveGateway

GRAPHQL_RESPONSE = "application/graphql-response+json"
TYPENAME = "{ __typename }"


def send(
    live: LiveGateway,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    user: str | None = None,
    accept: str | None = None,
    client: httpx.Client | None = None,
) -> httpx.Response:
    headers: dict[str, str] = {}
    if user is not None:
        headers["Authorization"] = f"Bearer {live.token(user)}"
    if accept is not None:
        headers["Accept"] = accept
    body = {"query": query, "variables": variables or {}}
    return (client or live.client).post(f"{live.url}/graphql", json=body, headers=headers)


def only_error(response: httpx.Response) -> dict[str, Any]:
    """The single error of a refused request (which has no ``data`` at all)."""
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    return dict(error)


def exponential(levels: int = 8, first: int = 500) -> str:
    """Two aliased ``assignments(first:)`` lists per fragment, each fragment spreading the next:
    ``2**levels`` branches of ``first**levels`` items, in about 1.5 KB of text."""
    fragments = []
    for level in range(levels):
        inner = f"...L{level + 1}" if level + 1 < levels else "id name"
        branch = f"assignments(first: {first}) {{ edges {{ node {{ course {{ {inner} }} }} }} }}"
        fragments.append(f"fragment L{level} on Course {{ a: {branch} b: {branch} }}")
    root = f"courses(first: {first}) {{ edges {{ node {{ ...L0 }} }} }}"
    return f"query Exponential {{ viewer {{ {root} }} }}\n" + "\n".join(fragments)


def aliases(count: int, selection: str = "privacyNotice { controller }") -> str:
    return "query Aliases { " + " ".join(f"a{n}: {selection}" for n in range(count)) + " }"


def repeated(count: int, selection: str = "privacyNotice { controller }") -> str:
    """One field ``count`` times under the same response name: no alias at all, and exactly
    what makes graphql-core's overlapping-fields rule compare every pair."""
    return "query Repeated { " + " ".join(selection for _ in range(count)) + " }"


def nested(depth: int) -> str:
    """``viewer { courses(first: 1) { edges { node { students(first: 1) { edges { node { ...``
    with fields exactly ``depth`` levels deep (small pages: only the depth limit can refuse)."""
    steps = ["viewer"]
    while len(steps) < depth - 1:
        for step in ("courses(first: 1)", "edges", "node", "students(first: 1)", "edges", "node"):
            steps.append(step)
    steps = steps[: depth - 1]
    return "query Nested { " + " { ".join(steps) + " { __typename" + " }" * depth


def mutations(count: int, prefix: str = "limits") -> str:
    fields = " ".join(
        f'p{n}: setPreference(key: "{prefix}-{n}", value: "on") {{ key }}' for n in range(count)
    )
    return f"mutation Many {{ {fields} }}"


def tokens(count: int) -> str:
    """A valid document of more than ``count`` lexical tokens."""
    return "query Tokens { " + "__typename " * count + "}"
