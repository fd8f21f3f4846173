"""A refused operation: the error the client sees, the refusal metric and one log line.

The log line names the code, the figures behind the refusal (cost and limit, depth ...) and the
operation's name, never the document, its variables or who sent it.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from gateway.metrics import count_refusal

log = logging.getLogger("tavle.limits")

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_FIELDS = "TOO_MANY_FIELDS"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
TOO_MANY_MUTATIONS = "TOO_MANY_MUTATIONS"
TIMEOUT = "TIMEOUT"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"

#: operation names are the client's own words: logged, but not at any length
_NAME_LENGTH = 100


def record(code: str, operation_name: str | None, **figures: int | float) -> None:
    """Count and log a refusal whose error is built elsewhere."""
    count_refusal(code)
    details = " ".join(f"{key}={value}" for key, value in figures.items())
    name = (operation_name or "")[:_NAME_LENGTH]
    log.warning("refused %s operation=%r %s", code, name, details)


def refusal(
    code: str, message: str, operation_name: str | None = None, **figures: int | float
) -> GraphQLError:
    """The error for a refused operation, counted and logged; ``figures`` go into
    ``extensions`` (``cost``, ``limit`` ...)."""
    record(code, operation_name, **figures)
    return GraphQLError(message, extensions={"code": code, **figures})
