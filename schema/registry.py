"""Which Strawberry type shows which kind of the data layer (``resolvers.kinds``).

Each Strawberry type of a kind names the kinds it shows, once, where it is declared
(``@kind_type("Course")``), above the records it is made of (``schema.values.made_of``, which
gives it ``from_record``). ``to_object`` then makes the right object of any record, so the
generic resolvers (``schema.sources``), the ``node`` lookup and the root lists need no table of
their own, and ``type_of_record`` names the type the compiled path completes a record as.
``schema.build`` checks that every kind has a type and every ``Node`` type a kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from resolvers.kinds import KINDS
from schema.values import shapes_of

T = TypeVar("T", bound=type[Any])

#: kind name -> the Strawberry type showing it
KIND_TYPES: dict[str, type[Any]] = {}
#: record class -> the Strawberry type made of it
_BY_RECORD: dict[type[Any], type[Any]] = {}


def kind_type(*kinds: str) -> Callable[[T], T]:
    """Mark a Strawberry type as the one showing ``kinds``; every record class it is made of
    (``made_of``: the kinds' records, and the pseudonym stand-in for ``User``) is made into it."""

    def register(cls: T) -> T:
        records = shapes_of(cls)
        if records is None:
            raise ValueError(f"{cls.__name__} declares no records (made_of)")
        for name in kinds:
            if name in KIND_TYPES:
                raise ValueError(f"kind {name} is shown by {KIND_TYPES[name].__name__} already")
            if KINDS[name].record not in records:
                raise ValueError(f"{cls.__name__} is not made of kind {name}'s records")
            KIND_TYPES[name] = cls
        for record in records:
            if _BY_RECORD.setdefault(record, cls) is not cls:
                raise ValueError(f"{record.__name__} is made into {_BY_RECORD[record].__name__}")
        return cls

    return register


def to_object(record: Any) -> Any:
    """The Strawberry object of ``record``: its type's ``from_record``."""
    return _BY_RECORD[type(record)].from_record(record)


def type_of_record(record: type[Any]) -> type[Any] | None:
    """The kind's Strawberry type records of class ``record`` are made into, if any."""
    return _BY_RECORD.get(record)
