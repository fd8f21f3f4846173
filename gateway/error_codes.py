"""Every error leaves with an ``extensions.code``, and nothing internal leaks.

An exception that is not one of ours (a driver error, a bug) becomes ``INTERNAL_SERVER_ERROR``
with a fixed message; the detail goes to the log with the error's type and the response path only
(SQL parameters are hidden by the engine, ``hide_parameters=True``). Request errors get the
conventional Apollo codes so clients can tell them apart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError

from config.errors import BadUserInputError, ScalarValueError
from gateway.metrics import count_refusal

log = logging.getLogger("tavle.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def _request_error_code(error: GraphQLError) -> str:
    """The code of a request error that carries none: the phases type their own (validation,
    ``gateway.validation``; variable coercion, ``schema.executor``), so what is left is a
    syntax error or one of graphql-core's few errors about the request as a whole (no
    operation, too many variable errors), answered like a document that does not validate."""
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    return VALIDATION_FAILED


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and the errors it wraps (graphql-core wraps a refused variable's cause twice)."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.original_error if isinstance(seen, GraphQLError) else None


def count_refused_input(errors: list[GraphQLError]) -> None:
    """Count each ``BAD_USER_INPUT`` refusal raised as a ``BadUserInputError`` (ids, cursors,
    page sizes, input limits), and each value a custom scalar refused (``ScalarValueError``,
    whichever phase found it): the error type says it, wherever it was raised."""
    for error in errors:
        if any(isinstance(e, BadUserInputError | ScalarValueError) for e in _chain(error)):
            count_refusal(BadUserInputError.code)


def with_codes(errors: list[GraphQLError]) -> list[GraphQLError]:
    """``errors`` with a code on each; unexpected exceptions masked."""
    coded: list[GraphQLError] = []
    for error in errors:
        if error.extensions and "code" in error.extensions:
            coded.append(error)
            continue
        original = error.original_error
        if original is None:
            coded.append(
                GraphQLError(
                    error.message,
                    nodes=error.nodes,
                    path=error.path,
                    extensions={**(error.extensions or {}), "code": _request_error_code(error)},
                )
            )
            continue
        if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
            coded.append(error)
            continue
        if isinstance(original, GraphQLError) and error.path is None:
            # A request error that wraps graphql-core's own error: not an internal one.
            coded.append(
                GraphQLError(
                    error.message,
                    nodes=error.nodes,
                    extensions={**(error.extensions or {}), "code": _request_error_code(error)},
                )
            )
            continue
        log.error(
            "unhandled %s at %s",
            type(original).__name__,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        coded.append(
            GraphQLError(
                "Internal server error",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": INTERNAL},
            )
        )
    return coded
