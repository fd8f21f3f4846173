"""The validation phase: the rules a document is validated with, and its errors typed.

The rules are Strawberry's (the specified ones and its own two), graphql-core's recommended
``MaxIntrospectionDepthRule``, the introspection refusal when introspection is off
(``gateway.limits.discovery``), and two of graphql-core's rules replaced by Tavle's:

- ``ProvidedRequiredArgumentsRule`` by :class:`JustificationRequiredRule`: a privacy action sent
  without its ``justification`` is refused like one with a blank justification,
  ``JUSTIFICATION_REQUIRED`` (docs/privacy-actions.md), rather than as any missing argument.
- ``ScalarLeafsRule`` by one that honours ``hide_suggestions`` (``gateway.limits.discovery``).

Every error the phase reports that carries no code of its own is a
:class:`~config.errors.ValidationFailedError` (``GRAPHQL_VALIDATION_FAILED``): the code says
the phase, whatever graphql-core's message.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    ProvidedRequiredArgumentsRule,
    ScalarLeafsRule,
    VisitorAction,
    get_named_type,
    is_introspection_type,
    is_required_argument,
    validate,
)
from graphql.language import SKIP
from graphql.validation import recommended_rules
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from config.errors import JustificationRequiredError, ValidationFailedError
from gateway.limits.discovery import IntrospectionDisabledRule, SuggestionFreeScalarLeafsRule

#: the argument every privacy action requires
JUSTIFICATION = "justification"


class JustificationRequiredRule(ProvidedRequiredArgumentsRule):
    """graphql-core's rule for fields (its checks of directives and fragment arguments are
    inherited), with a missing ``justification`` reported as ``JustificationRequiredError``.
    The message is graphql-core's own."""

    def leave_field(self, field_node: FieldNode, *_args: Any) -> VisitorAction:
        field_def = self.context.get_field_def()
        if not field_def or not field_def.args:
            return SKIP
        provided = {argument.name.value for argument in field_node.arguments or ()}
        for name, argument in field_def.args.items():
            if name in provided or not is_required_argument(argument):
                continue
            message = (
                f"Argument '{self._parent_name()}{field_node.name.value}({name}:)'"
                f" of type '{argument.type}' is required, but it was not provided."
            )
            self.report_error(
                JustificationRequiredError(message, nodes=field_node)
                if name == JUSTIFICATION
                else GraphQLError(message, field_node)
            )
        return None

    def _parent_name(self) -> str:
        field_type = get_named_type(self.context.get_type())
        if field_type is not None and is_introspection_type(field_type):
            return "<meta>."
        parent = self.context.get_parent_type()
        return f"{parent}." if parent else ""


_REPLACED: dict[type[ASTValidationRule], type[ASTValidationRule]] = {
    ProvidedRequiredArgumentsRule: JustificationRequiredRule,
    ScalarLeafsRule: SuggestionFreeScalarLeafsRule,
}


def validation_rules(
    base: tuple[type[ASTValidationRule], ...], introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    """``base`` (Strawberry's rules) with the additions and replacements above."""
    rules = [_REPLACED.get(rule, rule) for rule in base]
    for rule in (*recommended_rules, MaybeNullValidationRule, OneOfInputValidationRule):
        if rule not in rules:
            rules.append(rule)
    if not introspection:
        rules.append(IntrospectionDisabledRule)
    return tuple(rules)


def typed_validation_error(error: GraphQLError) -> GraphQLError:
    """``error`` as a ``ValidationFailedError`` unless it carries its own code."""
    if (error.extensions or {}).get("code") is not None:
        return error
    typed = ValidationFailedError(
        error.message, nodes=error.nodes, original_error=error.original_error
    )
    typed.locations = error.locations
    return typed


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    suggestions: bool,
) -> list[GraphQLError]:
    errors = validate(schema, document, rules, hide_suggestions=not suggestions)
    return [typed_validation_error(error) for error in errors]
