"""What a caller can learn about the schema: introspection, and "Did you mean ..." hints.

Both are on while development login is on and off in production (``TAVLE_INTROSPECTION``
overrides). With introspection off, a document that selects ``__schema`` or ``__type`` fails
validation with ``INTROSPECTION_DISABLED``; ``__typename`` stays, it names only types the caller
already reads. Without introspection no error may suggest names either: graphql-core is asked to
leave its suggestions out of validation errors (``hide_suggestions``) and out of variable
coercion errors (the executor's ``hide_suggestions``), and the one validation rule that suggests
regardless (a field missing its selection: "Did you mean 'x { ... }'?") is replaced by one that
does not. The rules are put together in ``gateway.validation``.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    ScalarLeafsRule,
    ValidationRule,
    get_named_type,
    is_introspection_type,
    is_leaf_type,
)

from gateway.limits.refusal import INTROSPECTION_DISABLED
from schema.executor import TavleExecutor

INTROSPECTION_MESSAGE = "Introspection is disabled on this server"


class IntrospectionDisabledRule(ValidationRule):
    """graphql-core's ``NoSchemaIntrospectionCustomRule``, with one coded error per document."""

    reported = False

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if self.reported:
            return
        type_ = get_named_type(self.context.get_type())
        if type_ is not None and is_introspection_type(type_):
            self.reported = True
            self.report_error(
                GraphQLError(
                    INTROSPECTION_MESSAGE, node, extensions={"code": INTROSPECTION_DISABLED}
                )
            )


class SuggestionFreeScalarLeafsRule(ScalarLeafsRule):
    """graphql-core's ``ScalarLeafsRule``, which suggests ``x { ... }`` for a field left
    without a selection even when suggestions are hidden: here it honours ``hide_suggestions``
    like every other rule."""

    def enter_field(self, node: FieldNode, *args: Any) -> None:
        type_ = self.context.get_type()
        if (
            self.context.hide_suggestions
            and type_ is not None
            and not is_leaf_type(get_named_type(type_))
            and not node.selection_set
        ):
            self.report_error(
                GraphQLError(
                    f"Field '{node.name.value}' of type '{type_}'"
                    " must have a selection of subfields.",
                    node,
                )
            )
            return
        super().enter_field(node, *args)


class SuggestionFreeExecutor(TavleExecutor):
    """Tavle's executor, with graphql-core's ``hide_suggestions`` always on: variables that do
    not coerce (an unknown enum value, an unknown input field) are refused without naming the
    values or fields that exist."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
