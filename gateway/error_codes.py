"""Every error leaves with an ``extensions.code``, and nothing internal leaks.

An exception that is not one of ours (a driver error, a bug) becomes ``INTERNAL_SERVER_ERROR``
with a fixed message; the detail goes to the log with the error's type and the response path only
(SQL parameters are hidden by the engine, ``hide_parameters=True``). Request errors get the
conventional Apollo codes so clients can tell them apart.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from config.errors import BadUserInputError
from gateway.metrics import count_refusal

log = logging.getLogger("tavle.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"


def _missing_justification(message: str) -> bool:
    """graphql-core's "required argument not provided" error, for ``justification``: 3.3 writes
    "Argument 'Mutation.restrictProcessing(justification:)' of type 'String!' is required, but it
    was not provided.", 3.2 "Field 'restrictProcessing' argument 'justification' of type ..."."""
    return "was not provided" in message and (
        "(justification:)'" in message or "argument 'justification'" in message
    )


def _request_error_code(error: GraphQLError) -> str:
    if _missing_justification(error.message):
        # docs/privacy-actions.md: a missing justification is refused like a blank one.
        return "JUSTIFICATION_REQUIRED"
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def count_refused_input(errors: list[GraphQLError]) -> None:
    """Count each ``BAD_USER_INPUT`` refusal raised as a ``BadUserInputError`` (ids, cursors,
    page sizes, input limits): the error type says it, wherever it was raised."""
    for error in errors:
        if isinstance(error, BadUserInputError) or isinstance(
            error.original_error, BadUserInputError
        ):
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
            # A variable of the wrong type: graphql-core wraps its own coercion error. A request
            # error, not an internal one.
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
