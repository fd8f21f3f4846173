"""How many fields and aliases a document selects, and how many root fields a mutation has.

Fields and aliases are counted with fragments expanded (a fragment spread ten times counts ten
times) and also as written (fragments that no operation uses still cost validation time): the
larger of the two counts. Each field counts once, however many items a list returns; multiplying
by list sizes is the cost analysis' job (``gateway.limits.cost``).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Visitor,
    visit,
)

from gateway.limits.document import (
    FragmentMemo,
    fragment_definitions,
    operation_definitions,
    saturating,
)


@dataclass(frozen=True, slots=True)
class Counts:
    fields: int
    aliases: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            saturating(self.fields + other.fields), saturating(self.aliases + other.aliases)
        )


NONE = Counts(0, 0)


class _Expanded:
    """Fields and aliases of selection sets with fragment spreads expanded."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.memo: FragmentMemo[None, Counts] = FragmentMemo(fragments, NONE)

    def of(self, selection_set: SelectionSetNode | None) -> Counts:
        total = NONE
        if selection_set is None:
            return total
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                own = Counts(1, 1 if selection.alias is not None else 0)
                total = total + own + self.of(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total = total + self.of(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total = total + self.memo.get(
                    selection.name.value, None, lambda f: self.of(f.selection_set)
                )
        return total


class _Written(Visitor):
    """Fields and aliases as they appear in the text, in every definition."""

    def __init__(self) -> None:
        super().__init__()
        self.fields = 0
        self.aliases = 0

    def enter_field(self, node: FieldNode, *_args: object) -> None:
        self.fields += 1
        if node.alias is not None:
            self.aliases += 1


def document_counts(document: DocumentNode) -> Counts:
    """The document's fields and aliases: expanded per operation, or as written if more."""
    expanded = _Expanded(fragment_definitions(document))
    total = NONE
    for operation in operation_definitions(document):
        total = total + expanded.of(operation.selection_set)
    written = _Written()
    visit(document, written)
    return Counts(max(total.fields, written.fields), max(total.aliases, written.aliases))


def root_mutation_fields(document: DocumentNode) -> int:
    """The most root fields any mutation operation of the document selects."""
    fragments = fragment_definitions(document)
    memo: FragmentMemo[None, int] = FragmentMemo(fragments, 0)

    def roots(selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += 1
            elif isinstance(selection, InlineFragmentNode):
                count += roots(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += memo.get(selection.name.value, None, lambda f: roots(f.selection_set))
        return saturating(count)

    mutations: list[OperationDefinitionNode] = [
        op for op in operation_definitions(document) if op.operation == OperationType.MUTATION
    ]
    return max((roots(op.selection_set) for op in mutations), default=0)
