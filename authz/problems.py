"""Authorisation errors for one response, bounded.

A list of 1,000 rows with a denied field must not produce 1,000 errors (docs/access-policy.md): the
first denial at a schema coordinate becomes an error; later ones at the same coordinate only raise
the ``count`` in that error's extensions. graphql-core keeps a raised ``GraphQLError`` that
already has a path as it is, so the error we hold is the one that ends up in the response.

Which resolver reports first depends on the event loop's order, so the one error's path does not
come from the first report: each report at an earlier place in the response moves the error there
(and to that report's field nodes), and the response, written once execution has finished,
carries the first place of all the reports in response order (:func:`path_order`). The same
request gets the same error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
)
from opentelemetry import trace

MESSAGES = {
    "FORBIDDEN": "Not allowed to read {coordinate}",
    "NOT_FOUND": "{coordinate}: the object does not exist or is not visible to you",
    "UNAUTHENTICATED": "Authentication required",
}


PathOrder = tuple[tuple[int, int], ...]
#: response keys by their place among their parent's keys, per selection-set path (memo)
KeyPlaces = dict[tuple[str, ...], tuple[int, ...]]


def _response_keys(
    selection_sets: list[SelectionSetNode], fragments: dict[str, Any]
) -> list[tuple[str, list[SelectionSetNode]]]:
    """The response keys of merged ``selection_sets`` in response order (first occurrence in
    the document, through fragments), each with the selection sets of its fields."""
    keys: dict[str, list[SelectionSetNode]] = {}
    visited: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                nested = keys.setdefault(
                    selection.alias.value if selection.alias else selection.name.value, []
                )
                if selection.selection_set is not None:
                    nested.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in visited:
                    visited.add(name)
                    walk(fragment.selection_set)

    for selection_set in selection_sets:
        walk(selection_set)
    return list(keys.items())


def path_order(
    path: list[str | int], info: GraphQLResolveInfo[Any], memo: KeyPlaces | None = None
) -> PathOrder:
    """The sort key of a response path in response order: element by element, list indexes as
    integers (row 2 before row 10) and field names by their place in the response (the order
    of the document, as the response writes them); a path before the paths it starts."""
    names = tuple(key for key in path if isinstance(key, str))
    places = memo.get(names) if memo is not None else None
    if places is None:
        found: list[int] = []
        selection_sets = [info.operation.selection_set]
        for name in names:
            keys = _response_keys(selection_sets, info.fragments)
            place = next((i for i, (key, _sets) in enumerate(keys) if key == name), len(keys))
            found.append(place)
            selection_sets = keys[place][1] if place < len(keys) else []
        places = tuple(found)
        if memo is not None:
            memo[names] = places
    order: list[tuple[int, int]] = []
    named = iter(places)
    for key in path:
        order.append((0, key) if isinstance(key, int) else (1, next(named)))
    return tuple(order)


@dataclass(slots=True)
class _Reported:
    """The error of one (code, coordinate), its extensions, and the order of its path."""

    error: GraphQLError
    extensions: dict[str, Any]
    order: PathOrder


class ProblemLog:
    """Per-request collector of FORBIDDEN / NOT_FOUND / UNAUTHENTICATED field errors."""

    __slots__ = ("_by_key", "_places", "limit", "omitted", "unauthenticated_reason")

    def __init__(self, limit: int, unauthenticated_reason: str | None = None) -> None:
        self._by_key: dict[tuple[str, str], _Reported] = {}
        self._places: KeyPlaces = {}
        self.limit = limit
        self.omitted = 0
        self.unauthenticated_reason = unauthenticated_reason

    def report(self, code: str, coordinate: str, info: GraphQLResolveInfo[Any]) -> None:
        """Record a problem at ``info``'s path; raises the first one per (code, coordinate)."""
        key = (code, coordinate)
        existing = self._by_key.get(key)
        if existing is not None:
            existing.extensions["count"] += 1
            path = info.path.as_list()
            order = path_order(path, info, self._places)
            if order < existing.order:
                _move(existing.error, path, info)
                existing.order = order
            return None
        if len(self._by_key) >= self.limit:
            self.omitted += 1
            return None
        extensions: dict[str, Any] = {"code": code, "coordinate": coordinate, "count": 1}
        message = MESSAGES[code].format(coordinate=coordinate)
        if code == "UNAUTHENTICATED" and self.unauthenticated_reason:
            message = f"{message}: {self.unauthenticated_reason}"
        trace.get_current_span().add_event(
            "authz.denied", {"tavle.coordinate": coordinate, "tavle.code": code}
        )
        path = info.path.as_list()
        error = GraphQLError(message, nodes=info.field_nodes, path=path, extensions=extensions)
        self._by_key[key] = _Reported(error, extensions, path_order(path, info, self._places))
        raise error

    @property
    def total(self) -> int:
        return sum(int(r.extensions["count"]) for r in self._by_key.values()) + self.omitted


def _move(error: GraphQLError, path: list[str | int], info: GraphQLResolveInfo[Any]) -> None:
    """Point ``error`` at another report's path and field nodes (their locations)."""
    located = GraphQLError(error.message, nodes=info.field_nodes)
    error.path = path
    error.nodes = located.nodes
    error.source = located.source
    error.positions = located.positions
    error.locations = located.locations
