"""Authorisation errors for one response, bounded.

A list of 1,000 rows with a denied field must not produce 1,000 errors (docs/access-policy.md): the
first denial at a schema coordinate becomes an error at its path; later ones at the same
coordinate only raise the ``count`` in that error's extensions. graphql-core keeps a raised
``GraphQLError`` that already has a path as it is, so the extensions dict we hold is the one that
ends up in the response.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from opentelemetry import trace

MESSAGES = {
    "FORBIDDEN": "Not allowed to read {coordinate}",
    "NOT_FOUND": "{coordinate}: the object does not exist or is not visible to you",
    "UNAUTHENTICATED": "Authentication required",
}


class ProblemLog:
    """Per-request collector of FORBIDDEN / NOT_FOUND / UNAUTHENTICATED field errors."""

    __slots__ = ("_by_key", "limit", "omitted", "unauthenticated_reason")

    def __init__(self, limit: int, unauthenticated_reason: str | None = None) -> None:
        self._by_key: dict[tuple[str, str], dict[str, Any]] = {}
        self.limit = limit
        self.omitted = 0
        self.unauthenticated_reason = unauthenticated_reason

    def report(self, code: str, coordinate: str, info: GraphQLResolveInfo[Any]) -> None:
        """Record a problem at ``info``'s path; raises the first one per (code, coordinate)."""
        key = (code, coordinate)
        existing = self._by_key.get(key)
        if existing is not None:
            existing["count"] += 1
            return None
        if len(self._by_key) >= self.limit:
            self.omitted += 1
            return None
        extensions: dict[str, Any] = {"code": code, "coordinate": coordinate, "count": 1}
        self._by_key[key] = extensions
        message = MESSAGES[code].format(coordinate=coordinate)
        if code == "UNAUTHENTICATED" and self.unauthenticated_reason:
            message = f"{message}: {self.unauthenticated_reason}"
        trace.get_current_span().add_event(
            "authz.denied", {"tavle.coordinate": coordinate, "tavle.code": code}
        )
        raise GraphQLError(
            message,
            nodes=info.field_nodes,
            path=info.path.as_list(),
            extensions=extensions,
        )

    @property
    def total(self) -> int:
        return sum(int(ext["count"]) for ext in self._by_key.values()) + self.omitted
