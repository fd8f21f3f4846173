"""The executor: Strawberry's, with variable-coercion errors typed where they arise.

Before a resolver runs, graphql-core coerces the request's variables to their declared types. An
error there is a request error (no path, no data), and it is the caller's input: each one about a
variable definition becomes a :class:`~config.errors.VariableValueError` (``BAD_USER_INPUT``).
The few request errors graphql-core raises about no variable in particular (no operation, too
many variable errors, variables nested too deeply) keep no code, and the gateway answers them as
a document that does not validate.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, VariableDefinitionNode
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from config.errors import VariableValueError


def typed_request_error(error: GraphQLError) -> GraphQLError:
    """``error`` as a ``VariableValueError`` when it is about a variable's value."""
    if (error.extensions or {}).get("code") is not None:
        return error
    if not any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ()):
        return error
    typed = VariableValueError(
        error.message, nodes=error.nodes, original_error=error.original_error
    )
    typed.locations = error.locations
    return typed


class TavleExecutor(StrawberryGraphQLCoreExecutionContext):
    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        built = super().build(*args, **kwargs)
        if isinstance(built, list):  # request errors: no executor, the operation does not run
            return [typed_request_error(error) for error in built]
        return built
