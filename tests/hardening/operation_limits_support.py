"""Hostile documents and raw HTTP helpers for the operation-limit tests.

Each builder returns a document that one of the limits in ``gateway/limits/`` (docs/security.md,
"Operation limits") must refuse; ``send`` posts it and returns the raw HTTP response, because a
refusal may be a 400 that ``LiveGateway.gql`` would not accept. The exponential document is the
load benchmark's attacker's own (``exponential_document`` in ``bench/attack_documents.py``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import httpx
from gateway_support import LiveGateway, own_gateway

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


def slow_gateway(
    backend: str, tmp_path_factory: Any, name: str, timeout_seconds: float, **settings: Any
) -> AbstractContextManager[LiveGateway]:
    """A gateway of its own (``own_gateway``, no job worker) whose limits let a document of up
    to 500 root mutations through (``slow_mutations``), so that the execution timeout of
    ``timeout_seconds`` is what meets it; ``settings`` add to that."""
    return own_gateway(
        backend,
        tmp_path_factory,
        name,
        jobs_enabled=False,
        execution_timeout_seconds=timeout_seconds,
        max_tokens=100_000,
        max_aliases=10_000,
        max_fields=10_000,
        max_root_mutations=500,
        **settings,
    )


def slow_mutations(count: int, prefix: str, first: str = "") -> str:
    """``count`` documents created (titled ``{prefix}-{n}``) by mutations that run one after the
    other, after ``first`` (root fields that run before them)."""
    fields = " ".join(f'd{n}: createDocument(title: "{prefix}-{n}") {{ id }}' for n in range(count))
    return f"mutation Slow {{ {first} {fields} }}"
