"""What the compiled path needs to know about a fetched field: its data source.

A field of an object type is one of:

- a **plain** field: its value is a function of the record (``schema.values``: the same
  function makes the Strawberry object's value), no source needed;
- a **computed** field: ``schema.values.record_field``'s function of the record and the
  request context (``User.nationalId`` notes its audited read);
- a **fetched** field (:class:`FieldSource`), declared in ``resolvers.field_sources`` or
  ``resolvers.root_fields``.

A fetched field is prepared once per request with its arguments (:meth:`FieldSource.prepare`);
the :class:`Prepared` source then answers, per parent record, the key to load with its batch
function (``start``: the run loads each wave's keys with one call per batch function) or a value
known at once (:class:`Now`), and turns the loaded value into the field's outcome (``finish``):
the value, a :class:`Missing` reference, or :class:`Again`, a further load in the same wave (a
person not found among the visible people is looked up among the restricted ones).

``start`` and ``finish`` raise for a field error (a malformed id, a page size out of range): the
error is located at the field, for that parent, as a resolver's exception would be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from resolvers.context import RequestContext

#: a batch load function: the values for ``keys``, in their order (``DataLoader.load_fn``)
BatchFunction = Callable[[list[Any]], Awaitable[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class Missing:
    """A reference to an object the viewer may not see: null, and ``NOT_FOUND`` at
    ``coordinate`` reported through the request's ``ProblemLog``."""

    coordinate: str


class Now:
    """A value known without loading (a null reference, a stand-in's list)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


#: the most common value known at once
NULL = Now(None)


class Again:
    """Load ``key`` with ``batch`` as well; the outcome is then ``finish`` of its value."""

    __slots__ = ("batch", "finish", "key")

    def __init__(self, batch: BatchFunction, key: Any, finish: Callable[[Any], Any]) -> None:
        self.batch = batch
        self.key = key
        self.finish = finish


class Prepared(Protocol):
    """A fetched field's source for one request and the field's arguments."""

    @property
    def batch(self) -> BatchFunction:
        """The batch function the keys of ``start`` are loaded with."""
        ...

    def start(self, parent: Any) -> Any:
        """The key to load for ``parent`` (a record; None for a root field), or :class:`Now`."""
        ...

    def finish(self, key: Any, loaded: Any) -> Any:
        """The outcome once ``key`` is loaded: a value, a :class:`Missing` or :class:`Again`."""
        ...


class FieldSource(Protocol):
    """Where a fetched field's values come from."""

    def prepare(self, ctx: RequestContext, args: Mapping[str, Any]) -> Prepared:
        """The source for this request (``args``: the resolver's keyword arguments, converted
        as Strawberry converts them). Never raises: an argument's error is raised by
        ``start`` for each parent that reads it."""
        ...
