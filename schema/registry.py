"""Which Strawberry type shows which kind of the data layer (``resolvers.kinds``).

Each Strawberry type of a kind names the kinds it shows, once, where it is declared
(``@kind_type("Course")``); a type's ``from_record`` makes its object of a record. ``to_object``
then makes the right object of any record, so the generic resolvers (``schema.sources``), the
``node`` lookup and the root lists need no table of their own. ``schema.build`` checks that every
kind has a type and every ``Node`` type a kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from resolvers.kinds import KINDS

T = TypeVar("T", bound=type[Any])

#: kind name -> the Strawberry type showing it
KIND_TYPES: dict[str, type[Any]] = {}
#: record class -> the Strawberry type made of it
_BY_RECORD: dict[type[Any], type[Any]] = {}


def kind_type(*kinds: str, stand_ins: tuple[type[Any], ...] = ()) -> Callable[[T], T]:
    """Mark a Strawberry type as the one showing ``kinds`` (and made of ``stand_ins``
    records too: the pseudonym stand-in is a ``User``)."""

    def register(cls: T) -> T:
        for name in kinds:
            if name in KIND_TYPES:
                raise ValueError(f"kind {name} is shown by {KIND_TYPES[name].__name__} already")
            KIND_TYPES[name] = cls
            _BY_RECORD[KINDS[name].record] = cls
        for record in stand_ins:
            _BY_RECORD[record] = cls
        return cls

    return register


def to_object(record: Any) -> Any:
    """The Strawberry object of ``record``: its type's ``from_record``."""
    return _BY_RECORD[type(record)].from_record(record)
