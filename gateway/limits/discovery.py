"""What a caller can learn about the schema: introspection, and "Did you mean ..." hints.

Both are on while development login is on and off in production (``TAVLE_INTROSPECTION``
overrides). With introspection off, a document that selects ``__schema`` or ``__type`` fails
validation with ``INTROSPECTION_DISABLED``; ``__typename`` stays, it names only types the caller
already reads. Without introspection no error may suggest names either: graphql-core is asked to
leave its suggestions out of validation errors (``hide_suggestions``) and out of variable
coercion errors (the executor's ``hide_suggestions``), and the one validation message that
suggests regardless (a leaf missing its selection: "Did you mean 'x { ... }'?") is cut.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    ValidationRule,
    get_named_type,
    is_introspection_type,
    validate,
)
from graphql.validation import recommended_rules
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from gateway.limits.refusal import INTROSPECTION_DISABLED

INTROSPECTION_MESSAGE = "Introspection is disabled on this server"
_SUGGESTION = " Did you mean"


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


def validation_rules(
    base: tuple[type[ASTValidationRule], ...], introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    """Strawberry's rules (the specified ones and its own two), graphql-core's recommended
    ``MaxIntrospectionDepthRule``, and the introspection refusal when introspection is off."""
    rules = [*base]
    for rule in (*recommended_rules, MaybeNullValidationRule, OneOfInputValidationRule):
        if rule not in rules:
            rules.append(rule)
    if not introspection:
        rules.append(IntrospectionDisabledRule)
    return tuple(rules)


def without_suggestion(error: GraphQLError) -> GraphQLError:
    if _SUGGESTION not in error.message:
        return error
    return GraphQLError(
        error.message.split(_SUGGESTION, 1)[0],
        error.nodes,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    suggestions: bool,
) -> list[GraphQLError]:
    errors = validate(schema, document, rules, hide_suggestions=not suggestions)
    return errors if suggestions else [without_suggestion(error) for error in errors]


class SuggestionFreeExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with graphql-core's ``hide_suggestions`` always on: variables that
    do not coerce (an unknown enum value, an unknown input field) are refused without naming
    the values or fields that exist."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
