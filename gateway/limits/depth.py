"""How deeply an operation nests fields, fragments expanded.

A root field is at depth 1, its subfields at depth 2, and so on; fragments and inline fragments
add no level of their own. ``__schema`` and ``__type`` count as one level: introspection keeps
its own depth rule (graphql-core's ``MaxIntrospectionDepthRule``, which validation runs), and
GraphiQL's introspection query alone nests 15 levels.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from gateway.limits.document import (
    INTROSPECTION_ROOTS,
    FragmentMemo,
    fragment_definitions,
    operation_definitions,
)


def document_depth(document: DocumentNode) -> int:
    """The deepest nesting of any operation in the document."""
    memo: FragmentMemo[None, int] = FragmentMemo(fragment_definitions(document), 0)

    def depth(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                below = selection.selection_set
                if selection.name.value in INTROSPECTION_ROOTS:
                    below = None
                deepest = max(deepest, 1 + depth(below))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(
                    deepest,
                    memo.get(selection.name.value, None, lambda f: depth(f.selection_set)),
                )
        return deepest

    return max((depth(op.selection_set) for op in operation_definitions(document)), default=0)
