"""Static cost analysis: how many fields the response to an operation can hold, at most.

Every field counts 1 for each object it can appear in. The children of a list field count once
per item: a connection's ``edges`` as many times as its ``first`` argument (a literal, a
variable's value or default, else ``TAVLE_DEFAULT_PAGE_SIZE``, and never more than
``TAVLE_MAX_PAGE_SIZE``, which the connection would refuse), a list without paging by the size
in :data:`LIST_SIZES`, else the default page size. A variable's value is coerced the way
execution coerces it (``500.0`` is the Int 500); one that does not coerce to an Int counts as
the largest page: execution refuses it, and the analysis must not be the weaker of the two.
A literal ``first`` that is not an Int (validation refuses it) counts as the largest page too;
``null`` and a variable left out without a default are no ``first`` at all, as in execution.
Nested lists multiply. Inline fragments and fragment spreads are expanded, with the children of
every type condition counted (an upper bound for ``node(id:)``); aliases of the same field
count separately.

Each fragment is costed once per page size it is spread under, so the analysis takes time in
proportion to the document's text even when its expansion is exponential; sums saturate at
:data:`gateway.limits.document.CEILING`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution.values import get_variable_values

from gateway.limits.document import (
    INTROSPECTION_ROOTS,
    FragmentMemo,
    condition_type,
    field_of,
    fragment_definitions,
    is_list,
    named_type,
    operation_definitions,
    root_type,
    saturating,
)

#: Lists without paging whose length the domain keeps small, by schema coordinate: a person has
#: a few roles, guardians and children, a course a few teachers and terms, a submission a few
#: assessments, a privacy request one effect per data category. Other lists without ``first``
#: (a course's events, a post's comments, a person's notifications ...) count as the default
#: page size.
LIST_SIZES: Mapping[str, int] = {
    "User.roles": 10,
    "User.guardians": 10,
    "User.children": 10,
    "Course.teachers": 10,
    "Course.terms": 10,
    "Submission.assessments": 10,
    "PrivacyRequest.effects": 10,
}

#: the argument whose value is the number of items a connection returns
PAGE_ARGUMENT = "first"
#: the arguments that set a page's size: ``first``, or ``last`` when paging backwards (both
#: together are refused by execution; the analysis counts the larger)
PAGE_ARGUMENTS = (PAGE_ARGUMENT, "last")


class _Unreadable:
    """A ``first`` the analysis cannot read as an Int: counted as the largest page."""


UNREADABLE = _Unreadable()


class _OperationCost:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        default_page_size: int,
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = variables
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.memo: FragmentMemo[int | None, int] = FragmentMemo(fragment_definitions(document), 0)
        self.coerced: dict[str, object] = {}

    def total(self) -> int:
        return self.selections(
            self.operation.selection_set, root_type(self.schema, self.operation), None
        )

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None, page: int | None
    ) -> int:
        """The cost of a selection set on ``parent``; ``page``: the enclosing connection's size,
        which its ``edges`` list takes."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                inner = condition_type(self.schema, selection, parent)
                total += self.selections(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.memo.get(
                    selection.name.value,
                    page,
                    lambda f: self.selections(
                        f.selection_set, condition_type(self.schema, f, None), page
                    ),
                )
            total = saturating(total)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None) -> int:
        if node.selection_set is None or node.name.value in INTROSPECTION_ROOTS:
            return 1
        definition = field_of(parent, node.name.value)
        own_page = self.page_size(node, definition)
        if definition is not None and is_list(definition):
            if own_page is not None:
                items = own_page
            elif page is not None and node.name.value == "edges":
                items = page
            else:
                items = self.assumed_size(parent, node.name.value)
            children = self.selections(node.selection_set, named_type(definition), None)
            return saturating(1 + items * children)
        # An object (a connection among them): its children once, its edges ``own_page`` times.
        return saturating(1 + self.selections(node.selection_set, named_type(definition), own_page))

    def assumed_size(self, parent: GraphQLNamedType | None, name: str) -> int:
        if parent is None:
            return self.default_page_size
        return LIST_SIZES.get(f"{parent.name}.{name}", self.default_page_size)

    def page_size(self, node: FieldNode, definition: GraphQLField | None) -> int | None:
        """The ``first`` (or ``last``) a paged field will use, or None for a field that does
        not page."""
        if definition is None or PAGE_ARGUMENT not in definition.args:
            return None
        sizes: list[int] = []
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value: object = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variable(argument.value.name.value)
            elif not isinstance(argument.value, NullValueNode):
                value = UNREADABLE
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                return self.max_page_size
            sizes.append(max(0, min(value, self.max_page_size)))
        return max(sizes) if sizes else self.default_page_size

    def variable(self, name: str) -> object:
        """The variable's value as execution would have it: coerced to its declared type, its
        default when it is left out; None when it has neither; :data:`UNREADABLE` when it does
        not coerce or is not declared."""
        if name not in self.coerced:
            self.coerced[name] = self._coerce(name)
        return self.coerced[name]

    def _coerce(self, name: str) -> object:
        for definition in self.operation.variable_definitions or ():
            if definition.variable.name.value != name:
                continue
            given = {name: self.variables[name]} if name in self.variables else {}
            values = get_variable_values(self.schema, [definition], given, max_errors=1)
            if isinstance(values, list):
                return UNREADABLE
            return values.coerced.get(name)
        return UNREADABLE


def operation_costs(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    *,
    default_page_size: int,
    max_page_size: int,
) -> list[tuple[OperationDefinitionNode, int]]:
    """Each operation of the document with its cost."""
    return [
        (
            operation,
            _OperationCost(
                schema, document, operation, variables or {}, default_page_size, max_page_size
            ).total(),
        )
        for operation in operation_definitions(document)
    ]
