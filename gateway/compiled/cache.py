"""Plans, made once per key and kept in a bounded LRU.

A plan depends on the document, the operation chosen, the values of the variables that
``@include``/``@skip`` read (field collection, and so the plan, differs with them; every other
variable only reaches arguments, which are read per request) and the policy's version (the
plan's decisions per relation set come from it). The key holds exactly those, so a request
reuses the plan of every earlier request with the same key, and a fallback (no plan) is cached
the same way. Documents are known by their text (the parse keeps it in ``loc.source``); one
parsed without locations is planned afresh each time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from gateway.compiled.plan import OperationPlan

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_DIRECTIVES = frozenset({"include", "skip"})


class LRU(Generic[K, V]):
    """A dict of at most ``size`` entries, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class Fallback:
    """No plan for this key: graphql-core runs the operation (``reason`` says why)."""

    reason: str


@dataclass
class PlanStats:
    """What the compiled path did in this process (read by the tests and the benchmark)."""

    planned: int = 0
    compiled_runs: int = 0
    fallback_runs: int = 0
    fallbacks: dict[str, int] = field(default_factory=dict)


PlanKey = tuple[str, str | None, tuple[Hashable, ...], int]


class PlanCache:
    """The plans (and fallbacks) of one schema."""

    def __init__(self, size: int = 256) -> None:
        self.plans: LRU[PlanKey, OperationPlan | Fallback] = LRU(size)
        self._directive_variables: LRU[tuple[str, str | None], tuple[str, ...]] = LRU(size)
        self.stats = PlanStats()

    def directive_variables(
        self,
        text: str,
        operation: OperationDefinitionNode,
        fragments: Iterable[FragmentDefinitionNode],
    ) -> tuple[str, ...]:
        """The variables ``@include``/``@skip`` read in ``operation`` and the fragments."""
        key = (text, operation.name.value if operation.name else None)
        known = self._directive_variables.get(key)
        if known is None:
            found: dict[str, None] = {}
            _directive_variables_in(operation.selection_set, found)
            for fragment in fragments:
                _directive_variables_in(fragment.selection_set, found)
            known = tuple(found)
            self._directive_variables.put(key, known)
        return known

    def plan_for(
        self, key: PlanKey, make: Callable[[], OperationPlan | Fallback]
    ) -> OperationPlan | Fallback:
        known = self.plans.get(key)
        if known is None:
            known = make()
            self.plans.put(key, known)
            if isinstance(known, OperationPlan):
                self.stats.planned += 1
        return known


def _directive_variables_in(selection_set: SelectionSetNode, found: dict[str, None]) -> None:
    for selection in selection_set.selections:
        for directive in selection.directives or ():
            if directive.name.value in _DIRECTIVES:
                for argument in directive.arguments or ():
                    _variables_in(argument.value, found)
        if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
            _directive_variables_in(selection.selection_set, found)


def _variables_in(value: object, found: dict[str, None]) -> None:
    if isinstance(value, VariableNode):
        found[value.name.value] = None


#: a variable without a value (not given, no default), told apart from an explicit null
_ABSENT = ("absent",)


def values_of(names: Iterable[str], coerced: dict[str, object]) -> tuple[Hashable, ...]:
    """The coerced values of ``names``, for a plan key."""
    return tuple(_hashable(coerced[name]) if name in coerced else _ABSENT for name in names)


def _hashable(value: object) -> Hashable:
    return value if isinstance(value, bool | int | str | None) else repr(value)
