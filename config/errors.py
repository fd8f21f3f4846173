"""Error types that carry their GraphQL ``extensions.code``.

Every layer raises these instead of a bare ``GraphQLError`` with a code in a dict, so the gateway
tells refusals apart by type (``isinstance``), never by matching message text, and counts them in
one place (``gateway.graphql_app``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from graphql import GraphQLError, Node


class CodedError(GraphQLError):
    """A ``GraphQLError`` whose ``extensions.code`` is fixed by its type."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        nodes: Node | Collection[Node] | None = None,
        original_error: Exception | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(
            message,
            nodes,
            original_error=original_error,
            extensions={"code": self.code, **extensions},
        )


class BadUserInputError(CodedError):
    """An argument or variable the caller sent is not acceptable (an id, a cursor, a value)."""

    code = "BAD_USER_INPUT"


class NotFoundError(CodedError):
    """The object named does not exist or is not visible to the caller."""

    code = "NOT_FOUND"


class JustificationRequiredError(CodedError):
    """A privacy action without a justification: the argument left out (the validation rule
    ``gateway.validation.JustificationRequiredRule``) or blank (docs/privacy-actions.md)."""

    code = "JUSTIFICATION_REQUIRED"


class ValidationFailedError(CodedError):
    """The document does not validate against the schema (graphql-core's validation phase)."""

    code = "GRAPHQL_VALIDATION_FAILED"


class VariableValueError(CodedError):
    """A variable's value does not coerce to the variable's type (graphql-core's variable
    coercion, before execution): the caller's input, ``BAD_USER_INPUT``."""

    code = "BAD_USER_INPUT"


class ScalarValueError(GraphQLError):
    """A custom scalar refused a value (a ``DateTime`` without a UTC offset).

    It carries no code of its own: where the value was found decides it (a literal in the
    document fails validation, ``GRAPHQL_VALIDATION_FAILED``; a variable's value is
    ``BAD_USER_INPUT``). The gateway counts it as a ``BAD_USER_INPUT`` refusal either way.
    """
