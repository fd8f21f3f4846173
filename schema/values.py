"""Each object type's values as functions of its record, declared once beside the type.

A Strawberry type made of records declares, per record class it is made of, how each field
without a resolver is read from the record (``made_of``): by default the record's attribute of
the field's Python name; ``node_id`` for the global id of a ``Node`` type. From the declaration

- the type gets its ``from_record`` (the generic executor's objects, and the mutations'),
- and the compiled path (``gateway.compiled``) reads records with the very same functions,
  without making objects,

so the two executors cannot drift. Values are the Python values a Strawberry object holds
(enum members, ``datetime``); both executors serialise them with the schema's scalars and enums.

A field computed by a resolver that reads only its record and the request context is declared
with ``record_field``: its function of (record, context) is the resolver, for both executors
(the marker the compiled path looks for, instead of a list of coordinates). A type without a
declaration is its own record: its fields are its attributes (``RosterChangeCount``, the privacy
notice).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar, get_type_hints

import strawberry
from strawberry.types.private import is_private

from config.ids import global_ids_of
from resolvers.context import Info

T = TypeVar("T", bound=type[Any])
ObjectT = TypeVar("ObjectT")
#: a field's value as a function of the record
Getter = Callable[[Any], Any]
#: a computed field's value as a function of the record (None on a root type) and the context
#: (and the field's arguments by name, if it has any: ``record_field``)
RecordFunction = Callable[..., Any]

#: the metadata key of a ``record_field``'s function on its Strawberry field
RECORD_FUNCTION = "tavle.record_function"
_EMPTY = inspect.Parameter.empty

#: Strawberry class -> record class -> Python field name -> getter
_SHAPES: dict[type[Any], dict[type[Any], dict[str, Getter]]] = {}
#: the private fields ``from_record`` fills from the record itself
_RECORD, _RELATIONS = "record", "tavle_rels"


class ValuesDeclarationError(TypeError):
    """A type's declared values do not match its fields or its record class."""


def node_id(type_name: str, key: str = "pk") -> Getter:
    """The global id of a ``type_name`` with the record's ``key`` (``config.ids``)."""
    return global_ids_of(type_name, key)


def const(value: Any) -> Getter:
    """The same value for every record (what a stand-in does not have)."""

    def constant(_record: Any) -> Any:
        return value

    return constant


def attr(name: str) -> Getter:
    """The record's attribute ``name`` (a field named otherwise than the record's value)."""
    return attrgetter(name)


def member(enum: Callable[[Any], Any], name: str) -> Getter:
    """The record's attribute ``name`` as a member of ``enum`` (None stays None)."""
    read = attrgetter(name)

    def value(record: Any) -> Any:
        found = read(record)
        return None if found is None else enum(found)

    return value


def made_of(record: type[Any], **getters: Getter) -> Callable[[T], T]:
    """Declare how the decorated Strawberry type's plain fields are read from a ``record``
    (applied above ``@strawberry.type``); a field not named in ``getters`` is the record's
    attribute of its Python name. Gives the type its ``from_record``."""
    return _declare(record, getters, from_record=True)


def reads(record: type[Any], **getters: Getter) -> Callable[[T], T]:
    """``made_of`` for a type whose fields hold other objects (a connection's edges, an edge's
    node): the getters give the records of those objects, which the compiled path completes;
    the Strawberry objects are made by hand (``schema.connection.connection_of``)."""
    return _declare(record, getters, from_record=False)


def _declare(record: type[Any], getters: dict[str, Getter], from_record: bool) -> Callable[[T], T]:
    def declare(cls: T) -> T:
        plain = _plain_fields(cls)
        unknown = sorted(set(getters) - set(plain))
        if unknown:
            raise ValuesDeclarationError(f"{cls.__name__} has no plain fields {unknown}")
        shape: dict[str, Getter] = {}
        for name in plain:
            getter = getters.get(name)
            if getter is None:
                if not _has_attribute(record, name):
                    raise ValuesDeclarationError(
                        f"{cls.__name__}.{name}: {record.__name__} has no attribute {name}"
                    )
                getter = attrgetter(name)
            shape[name] = getter
        _SHAPES.setdefault(cls, {})[record] = shape
        if from_record:
            fields = {f.name for f in dataclasses.fields(cls)}
            private = tuple(name for name in (_RECORD, _RELATIONS) if name in fields)
            cls.from_record = classmethod(partial(_from_record, private))
        return cls

    return declare


def object_of(cls: type[ObjectT], record: Any) -> ObjectT:
    """The object of declared type ``cls`` made of ``record`` (its ``from_record``)."""
    made: ObjectT = cls.from_record(record)  # type: ignore[attr-defined]  # given by made_of
    return made


def shapes_of(cls: type[Any]) -> Mapping[type[Any], Mapping[str, Getter]] | None:
    """The declared record classes of Strawberry class ``cls`` (or of the class it specialises,
    for a generic type's specialisation), each with its getters; None: ``cls`` is its own
    record."""
    for base in cls.__mro__:
        found = _SHAPES.get(base)
        if found is not None:
            return found
    return None


def _from_record(private: tuple[str, ...], cls: type[Any], record: Any) -> Any:
    """The object of ``cls`` for ``record`` (``from_record`` of every declared type), with the
    ``private`` fields ``record`` and ``tavle_rels`` it has filled from the record."""
    values = {name: get(record) for name, get in _SHAPES[cls][record.__class__].items()}
    for name in private:
        values[name] = record if name == _RECORD else record.relations
    return cls(**values)


def record_field(function: RecordFunction, *, description: str | None = None) -> Any:
    """A field computed by ``function(record, context)``: the record the object was made of
    (None on a root type) and the request context, nothing else. Both executors call it.

    Parameters of ``function`` after those two, keyword-only with defaults, are the field's
    GraphQL arguments (their annotations and defaults as a resolver's); both executors pass
    them by name, converted as Strawberry converts a resolver's arguments.

    Assigned in the class body without an annotation, as a decorated method would be (the same
    place among the type's fields); its GraphQL type is ``function``'s return type."""

    def resolve(root: Any, info: Info, **arguments: Any) -> Any:
        return function(None if root is None else root.record, info.context, **arguments)

    hints = get_type_hints(function, include_extras=True)
    extra = list(inspect.signature(function).parameters.values())[2:]
    for parameter in extra:
        if parameter.kind != inspect.Parameter.KEYWORD_ONLY or parameter.default is _EMPTY:
            raise ValuesDeclarationError(
                f"{function.__name__}: argument {parameter.name} must be keyword-only with a "
                "default"
            )
    arguments = [parameter.replace(annotation=hints[parameter.name]) for parameter in extra]
    plain = inspect.Parameter.POSITIONAL_OR_KEYWORD
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("root", plain, annotation=Any),
            inspect.Parameter("info", plain, annotation=Info),
            *arguments,
        ],
        return_annotation=hints["return"],
    )
    resolve.__annotations__ = {
        "root": Any,
        "info": Info,
        **{parameter.name: parameter.annotation for parameter in arguments},
        "return": hints["return"],
    }
    return strawberry.field(
        resolver=resolve, description=description, metadata={RECORD_FUNCTION: function}
    )


def record_function(field: object) -> RecordFunction | None:
    """The function of a ``record_field`` (a Strawberry field), if it is one."""
    metadata = getattr(field, "metadata", None)
    found: RecordFunction | None = metadata.get(RECORD_FUNCTION) if metadata else None
    return found


def _plain_fields(cls: type[Any]) -> list[str]:
    """The Python names of ``cls``'s GraphQL fields without a resolver."""
    definition = getattr(cls, "__strawberry_definition__", None)
    if definition is None:
        raise ValuesDeclarationError(f"{cls.__name__} is not a Strawberry type (made_of above it)")
    # A private field (``record``, ``tavle_rels``) is one of Strawberry's fields until its
    # annotation is resolved: resolved here, as the schema converter does.
    return [
        f.python_name
        for f in definition.fields
        if f.base_resolver is None and not is_private(f.type)
    ]


def _has_attribute(record: type[Any], name: str) -> bool:
    if dataclasses.is_dataclass(record) and name in {f.name for f in dataclasses.fields(record)}:
        return True
    return hasattr(record, name)
