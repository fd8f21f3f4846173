"""Walking a parsed document the way execution would: fragments expanded, types followed.

The analyses (``counts``, ``depth``, ``cost``) run before validation, so the document may be
invalid: unknown fields, types and fragments are tolerated here (validation names them later),
and a fragment that spreads itself is counted as empty instead of recursing forever. Each
fragment is analysed once per context and the result reused at every spread, so a document whose
fragments double at each level costs a walk proportional to its text, never to its expansion.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
)

#: Root fields that enter the schema's own description. Introspection answers from memory and
#: has its own depth rule (graphql-core's ``MaxIntrospectionDepthRule``), so the cost analysis
#: counts these fields but not what is below them.
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})

#: The largest number the analyses report: JavaScript clients read larger integers inexactly.
CEILING = 2**53 - 1

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def fragment_definitions(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def operation_definitions(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> GraphQLNamedType | None:
    return schema.get_root_type(operation.operation)


def condition_type(
    schema: GraphQLSchema,
    node: InlineFragmentNode | FragmentDefinitionNode,
    outer: GraphQLNamedType | None,
) -> GraphQLNamedType | None:
    """The type a fragment's fields are selected on: its type condition, else the outer type."""
    if node.type_condition is None:
        return outer
    return schema.get_type(node.type_condition.name.value)


def field_of(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    """The definition of ``parent.name``; None for unknown fields and for ``__typename``."""
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def is_list(field: GraphQLField) -> bool:
    type_ = field.type
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def named_type(field: GraphQLField | None) -> GraphQLNamedType | None:
    return None if field is None else get_named_type(field.type)


def saturating(value: int) -> int:
    return min(value, CEILING)


class FragmentMemo(Generic[K, V]):
    """One result per (fragment, context), computed at the first spread and reused after.

    A spread of an unknown fragment, or of one that is being expanded already (a cycle, which
    validation refuses), gives ``empty``.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], empty: V) -> None:
        self.fragments = fragments
        self.empty = empty
        self._done: dict[tuple[str, K], V] = {}
        self._active: set[str] = set()

    def get(self, name: str, context: K, compute: Callable[[FragmentDefinitionNode], V]) -> V:
        key = (name, context)
        if key in self._done:
            return self._done[key]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:
            return self.empty
        self._active.add(name)
        try:
            value = compute(fragment)
        finally:
            self._active.discard(name)
        self._done[key] = value
        return value
