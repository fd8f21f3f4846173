"""Error types that carry their GraphQL ``extensions.code``.

Every layer raises these instead of a bare ``GraphQLError`` with a code in a dict, so the gateway
tells refusals apart by type (``isinstance``), never by matching message text, and counts them in
one place (``gateway.graphql_app``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError


class CodedError(GraphQLError):
    """A ``GraphQLError`` whose ``extensions.code`` is fixed by its type."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInputError(CodedError):
    """An argument or variable the caller sent is not acceptable (an id, a cursor, a value)."""

    code = "BAD_USER_INPUT"


class NotFoundError(CodedError):
    """The object named does not exist or is not visible to the caller."""

    code = "NOT_FOUND"
