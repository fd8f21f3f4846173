"""What the compiled path needs to know about a field that is not a plain attribute.

A field of an object type is one of:

- a **plain attribute** of the record (Strawberry's field without a resolver): read with
  ``getattr``; no source needed;
- a **computed** field (:class:`Computed`): a synchronous function of the record and the
  request context (``User.nationalId`` notes its audited read);
- a **fetched** field (:class:`FieldSource`): its ``request`` answers, for one parent record
  and the field's arguments, either the value at once (``None`` for a pseudonym's lists), a
  :class:`Missing` reference, or what to load: a :class:`Fetch` (keys for a batch function,
  which the run calls once per wave with the keys of every parent of the wave) or a
  :class:`Call` (a root field's own statement).

``request`` raises for a field error (a malformed id, a page size out of range): the error is
located at the field, for that parent, as a resolver's exception would be. A ``finish`` may
answer another :class:`Fetch` (a person not found among the visible people is looked up among
the restricted ones), loaded in the same wave.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class Fetch:
    """Load ``keys`` with ``batch``; the field's value is ``finish`` of the loaded values (in the
    order of ``keys``), which may be a value, a :class:`Missing`, another :class:`Fetch`, or
    raise a field error."""

    batch: BatchFunction
    keys: tuple[Hashable, ...]
    finish: Callable[[Sequence[Any]], Any]


@dataclass(frozen=True, slots=True)
class Call:
    """Await ``run()``: a root field's own statement (``Query.courses``); the field's value is
    ``finish`` of its result."""

    run: Callable[[], Awaitable[Any]]
    finish: Callable[[Any], Any]


class FieldSource(Protocol):
    """Where a fetched field's values come from."""

    def request(self, ctx: RequestContext, parent: Any, args: Mapping[str, Any]) -> Any:
        """The value for ``parent`` (``args``: the resolver's keyword arguments, converted as
        Strawberry converts them), a :class:`Missing`, a :class:`Fetch` or a :class:`Call`."""
        ...


class Computed(Protocol):
    """A field computed from its record alone, synchronously."""

    def value(self, ctx: RequestContext, parent: Any) -> Any: ...
