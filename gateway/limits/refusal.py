"""A refused operation: the error the client sees, the refusal metric and one log line.

The log line names the code, the figures behind the refusal (cost and limit, depth ...) and the
operation's name, never the document, its variables or who sent it.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from gateway.metrics import count_refusal
from gateway.request_info import operation_name as logged_name

log = logging.getLogger("tavle.limits")

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_FIELDS = "TOO_MANY_FIELDS"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
TOO_MANY_MUTATIONS = "TOO_MANY_MUTATIONS"
TIMEOUT = "TIMEOUT"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
#: no worker thread free to parse or validate the document, and no room to wait for one
#: (``gateway.limits.workers``); answered with HTTP 503
SERVER_BUSY = "SERVER_BUSY"


def record(code: str, operation_name: str | None, **figures: int | float) -> None:
    """Count and log a refusal whose error is built elsewhere."""
    count_refusal(code)
    details = " ".join(f"{key}={value}" for key, value in figures.items())
    # the client's own words: logged, but not at any length
    name = logged_name(operation_name) or ""
    log.warning("refused %s operation=%r %s", code, name, details)


def refusal(
    code: str, message: str, operation_name: str | None = None, **figures: int | float
) -> GraphQLError:
    """The error for a refused operation, counted and logged; ``figures`` go into
    ``extensions`` (``cost``, ``limit`` ...)."""
    record(code, operation_name, **figures)
    return GraphQLError(message, extensions={"code": code, **figures})
