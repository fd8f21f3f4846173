"""Planning: a validated query operation as the fields graphql-core would execute, classified.

The fields of each selection are collected with graphql-core's own ``collect_fields`` and
``collect_subfields`` (fragments, inline fragments with their type conditions, ``@include`` and
``@skip``, merged fields: its rules, not a copy of them). Each collected field becomes a
:class:`FieldPlan` of one kind:

- ``TYPENAME``: ``__typename``, the object type's name;
- ``LEAF``/``OBJECT``: a field without a resolver, a function of the record declared with the
  type (``schema.values``: the function the Strawberry object's value is made with), a scalar or
  enum (``LEAF``) or an object or list of them (``OBJECT``: a connection's edges, an edge's
  node, given as their records);
- ``COMPUTED``: a ``schema.values.record_field``, a function of the record and the context
  (and of its arguments: on a root type only, elsewhere graphql-core runs the operation);
- ``FETCHED``: a field with a declared data source (:func:`gateway.compiled.sources.source_for`).

Every field of an object type must be guarded by ``authz.guard`` (the schema the gateway
serves), all fields of a type by the same kind of guard (``authz.guard.guard_reads``: the
relations it decides on); anything else (introspection, a resolver with neither a declaration
nor a ``record_field``, an unguarded schema, fragment variables) leaves the operation without a
plan: graphql-core runs it.

Values are completed by :class:`Completer` trees made here once: leaves with their
serialisation, objects with their :class:`ObjectPlan`, the ``Node`` interface with a plan per
record class, lists with their items' nullability. An object plan turns, once per record class
and relation set, into its *program*: per field, what to do with a record of that class, its
decision taken (``ObjectPlan.program``), so the run's work per object is one loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from graphql.pyutils import Undefined, inspect
from graphql.type import GraphQLID, GraphQLString
from graphql.type.scalars import GraphQLBoolean
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from authz.guard import ROOT_TYPES, GuardReads, guard_reads
from authz.policy import Policy, Relations
from gateway.compiled.protocol import FieldSource
from gateway.compiled.sources import source_for
from resolvers.field_sources import FIELD_SOURCES, Embedded
from schema.scalars import serialize_datetime
from schema.values import Getter, RecordFunction, record_function, shapes_of

TYPENAME, LEAF, OBJECT, COMPUTED, FETCHED = range(5)
#: a field the viewer may not read (in programs only)
DENIED = 5
#: the class of the records an object type is made of (``ObjectPlan.type`` is its GraphQL type)
RecordClass = type
_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
#: scalars whose serialisation returns a value of this exact class unchanged
_PASSED_THROUGH: dict[str, type] = {
    GraphQLString.name: str,
    GraphQLID.name: str,
    GraphQLBoolean.name: bool,
    # Left to the response's JSON encoder (orjson, ``gateway.graphql_app``), which writes a
    # date-time exactly as ``serialize_datetime`` does (ISO 8601, ``isoformat``) in C.
    "DateTime": datetime,
}
#: serialisations that answer a value (never null) for every value they are given: called
#: without graphql-core's check for null
_TOTAL = frozenset({serialize_datetime})


class NotPlannedError(Exception):
    """The operation selects something the compiled path does not run; ``str`` says what."""


class Completer:
    """Completes a non-null value of one output type (``None`` is handled by the caller)."""

    __slots__ = ()


class LeafCompleter(Completer):
    """A scalar or enum: serialised as graphql-core's ``complete_leaf_value`` does."""

    __slots__ = ("exact", "serialize", "type")

    def __init__(self, type_: GraphQLScalarType | GraphQLEnumType) -> None:
        self.type = type_
        self.exact: type | None = (
            _PASSED_THROUGH.get(type_.name) if isinstance(type_, GraphQLScalarType) else None
        )
        coerce = type_.coerce_output_value
        self.serialize: Callable[[Any], Any] = (
            _memoised(self._coerce)
            if isinstance(type_, GraphQLEnumType)
            else coerce
            if coerce in _TOTAL
            else self._coerce
        )

    def _coerce(self, value: Any) -> Any:
        coerced = self.type.coerce_output_value(value)
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{inspect(self.type)}.coerce_output_value({inspect(value)})` to "
                f"return non-nullable value, returned: {inspect(coerced)}"
            )
        return coerced


def _memoised(serialize: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An enum's serialisation per value, computed once (values are the Python enum members)."""
    known: dict[Any, Any] = {}

    def serialized(value: Any) -> Any:
        try:
            return known[value]
        except KeyError:
            pass
        except TypeError:  # not hashable: not one of ours, let graphql-core's rules answer
            return serialize(value)
        result = known[value] = serialize(value)
        return result

    return serialized


class ObjectCompleter(Completer):
    __slots__ = ("plan",)

    def __init__(self, plan: ObjectPlan) -> None:
        self.plan = plan


class AbstractCompleter(Completer):
    """An interface value (``Node``): the object plan of the record's type, by record class."""

    __slots__ = ("by_class", "type")

    def __init__(self, type_: GraphQLAbstractType, by_class: dict[type, ObjectPlan]) -> None:
        self.type = type_
        self.by_class = by_class


class ListCompleter(Completer):
    __slots__ = ("item", "item_non_null", "item_type")

    def __init__(self, item_type: GraphQLOutputType, item: Completer, item_non_null: bool) -> None:
        self.item_type = item_type
        self.item = item
        self.item_non_null = item_non_null


@dataclass(eq=False, slots=True)
class FieldPlan:
    """One collected field (a response key) of an object type."""

    key: str
    name: str
    coordinate: str
    kind: int
    details: FieldDetailsList
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    field_def: GraphQLField | None
    return_type: GraphQLOutputType | None
    non_null: bool
    completer: Completer | None
    #: Strawberry's field (arguments are converted with its definitions)
    strawberry_field: StrawberryField | None = None
    #: ``LEAF``/``OBJECT``: the field's Python name (its getter's key in ``schema.values``)
    python_name: str = ""
    function: RecordFunction | None = None
    source: FieldSource | None = None
    #: the object plan of the field's value when it is one object (no list, no interface)
    object_plan: ObjectPlan | None = None
    #: the field's memo table in the policy (``Policy.memo_for``); None: not guarded
    memo: dict[Relations, bool] | None = None

    def null_error(self) -> TypeError:
        """graphql-core's error for a non-null field that completed as null."""
        return TypeError(
            f"Cannot return null for non-nullable field {self.parent_type.name}.{self.name}."
        )


#: One field of a program: its response key, what to do (``LEAF`` ... ``DENIED``), the getter
#: (a ``record_field``'s function for ``COMPUTED``), the field's plan.
Step = tuple[str, int, Callable[..., Any] | None, FieldPlan]


@dataclass(eq=False, slots=True)
class ObjectPlan:
    """The collected fields of one object type at one place in the operation."""

    type: GraphQLObjectType
    name: str
    fields: list[FieldPlan]
    #: which relations the type's field guards decide on
    relations: GuardReads
    #: per record class the type is made of, each field's getter (None: not a plain field)
    getters: dict[RecordClass, tuple[Getter | None, ...]]
    #: per relation set, whether each field may be read (``True`` for ``__typename``)
    decisions: dict[Relations, tuple[bool, ...]] = field(default_factory=dict)
    #: per record class and relation set, the program as a function (``gateway.compiled.emit``
    #: of ``program``), made by the run on first use
    programs: dict[RecordClass, dict[Relations, Callable[..., dict[str, Any]]]] = field(
        default_factory=dict
    )

    def decide(self, policy: Policy, relations: Relations) -> tuple[bool, ...]:
        """The fields' decisions for ``relations``, as the field guards decide them (the memo
        table first, then ``Policy.allows``); kept for the next object with these relations."""
        decided = tuple(
            True
            if plan.memo is None
            else (
                allowed
                if (allowed := plan.memo.get(relations)) is not None
                else policy.allows(relations, plan.coordinate, "read")
            )
            for plan in self.fields
        )
        self.decisions[relations] = decided
        return decided

    def program(
        self, record: RecordClass, relations: Relations, policy: Policy
    ) -> tuple[Step, ...]:
        """What to do, field by field, with a record of class ``record`` the viewer holds
        ``relations`` on."""
        getters = self.getters.get(record)
        if getters is None:
            raise TypeError(f"{self.name} is not made of {record.__name__} records")
        allowed = self.decisions.get(relations) or self.decide(policy, relations)
        steps: list[Step] = []
        for plan, ok, getter in zip(self.fields, allowed, getters, strict=True):
            kind = plan.kind if ok else DENIED
            read: Callable[..., Any] | None = plan.function if kind == COMPUTED else getter
            steps.append((plan.key, kind, read, plan))
        return tuple(steps)


@dataclass(eq=False, slots=True)
class OperationPlan:
    root: ObjectPlan
    #: object plans in the operation (a measure of its size)
    objects: int


@dataclass
class Planner:
    """Plans one operation for one executor's schema, fragments and variables."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variable_values: VariableValues
    operation: OperationDefinitionNode
    policy: Policy
    hide_suggestions: bool
    objects: int = 0

    def plan(self) -> OperationPlan:
        if self.operation.operation != OperationType.QUERY:
            raise NotPlannedError(f"a {self.operation.operation.value} operation")
        if any(details.variable_signatures for details in self.fragments.values()):
            raise NotPlannedError("fragment variables")
        root_type = self.schema.query_type
        if root_type is None:  # pragma: no cover - every Tavle schema has one
            raise NotPlannedError("no query type")
        grouped, _defers, _forbidden = collect_fields(
            self.schema,
            self.fragments,
            self.variable_values,
            root_type,
            self.operation,
            self.hide_suggestions,
        )
        root = self._object(root_type, grouped)
        return OperationPlan(root, self.objects)

    def _object(self, type_: GraphQLObjectType, grouped: GroupedFieldSet) -> ObjectPlan:
        self.objects += 1
        fields = [self._field(type_, key, details) for key, details in grouped.items()]
        getters = {
            record: tuple(
                shape[plan.python_name] if plan.kind in (LEAF, OBJECT) else None for plan in fields
            )
            for record, shape in _shapes(type_).items()
        }
        return ObjectPlan(type_, type_.name, fields, _relations_of(type_), getters)

    def _field(self, parent: GraphQLObjectType, key: str, details: FieldDetailsList) -> FieldPlan:
        if any(detail.fragment_variable_values is not None for detail in details):
            raise NotPlannedError("fragment variables")
        nodes = [detail.node for detail in details]
        name = nodes[0].name.value
        coordinate = f"{parent.name}.{name}"
        if name == "__typename":
            return FieldPlan(
                key, name, coordinate, TYPENAME, details, nodes, parent, None, None, False, None
            )
        field_def = parent.fields.get(name)
        if field_def is None:
            raise NotPlannedError(f"{coordinate} (introspection)")
        strawberry_field = field_def.extensions.get(_DEFINITION)
        if not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
            raise NotPlannedError(f"{coordinate} is not a plain Strawberry field")
        return_type = field_def.type
        non_null = isinstance(return_type, GraphQLNonNull)
        completer = self._completer(return_type, details)
        plan = FieldPlan(
            key,
            name,
            coordinate,
            FETCHED,
            details,
            nodes,
            parent,
            field_def,
            return_type,
            non_null,
            completer,
            strawberry_field,
            memo=self.policy.memo_for(coordinate, "read"),
            object_plan=completer.plan if isinstance(completer, ObjectCompleter) else None,
        )
        source = source_for(coordinate)
        if source is not None:
            if non_null and parent.name not in ROOT_TYPES:
                # A fetched field's null would propagate across waves: none in the schema.
                raise NotPlannedError(f"{coordinate} is a non-null fetched field")
            _check_embedded(coordinate, plan.completer)
            plan.source = source
            return plan
        function = record_function(strawberry_field)
        if function is not None:
            if field_def.args and parent.name not in ROOT_TYPES:
                # the run passes arguments to computed root fields only (``_root``)
                raise NotPlannedError(f"{coordinate} is a computed field with arguments")
            plan.kind = COMPUTED
            plan.function = function
            return plan
        if not strawberry_field.is_basic_field or field_def.args:
            raise NotPlannedError(f"{coordinate} has a resolver without a data source")
        if parent.name in ROOT_TYPES:
            raise NotPlannedError(f"{coordinate} is a plain field of a root type")
        plan.python_name = strawberry_field.python_name
        if isinstance(plan.completer, LeafCompleter):
            plan.kind = LEAF
        else:
            plan.kind = OBJECT
        return plan

    def _completer(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Completer:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            item_type = type_.of_type
            item = self._completer(item_type, details)
            return ListCompleter(item_type, item, isinstance(item_type, GraphQLNonNull))
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return LeafCompleter(type_)
        if isinstance(type_, GraphQLObjectType):
            return ObjectCompleter(self._object(type_, self._subfields(type_, details)))
        if isinstance(type_, GraphQLAbstractType):
            by_class: dict[type, ObjectPlan] = {}
            for possible in self.schema.get_possible_types(type_):
                plan = self._object(possible, self._subfields(possible, details))
                for record in plan.getters:
                    by_class[record] = plan
            return AbstractCompleter(type_, by_class)
        raise NotPlannedError(f"output type {inspect(type_)}")  # pragma: no cover

    def _subfields(self, type_: GraphQLObjectType, details: FieldDetailsList) -> GroupedFieldSet:
        grouped, _defers, _forbidden = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            type_,
            details,
            self.hide_suggestions,
        )
        return grouped


def _shapes(type_: GraphQLObjectType) -> dict[type, dict[str, Getter]]:
    """The record classes ``type_`` is made of, each with its getters by Python name
    (``schema.values``); a type without a declaration is its own record."""
    definition = type_.extensions.get(_DEFINITION)
    origin = getattr(definition, "origin", None)
    if not isinstance(origin, type):
        raise NotPlannedError(f"{type_.name} has no Python class")
    declared = shapes_of(origin)
    if declared is not None:
        return {record: dict(shape) for record, shape in declared.items()}
    fields = definition.fields  # type: ignore[union-attr]  # a Strawberry type: origin is set
    return {origin: {f.python_name: attrgetter(f.python_name) for f in fields}}


def _check_embedded(coordinate: str, completer: Completer | None) -> None:
    """An embedded list's records must be ones its item type is made of (a page of them is
    read through its connection type's declared getters, like any page)."""
    declared = FIELD_SOURCES.get(coordinate)
    if not isinstance(declared, Embedded) or declared.page:
        return
    item = completer.item if isinstance(completer, ListCompleter) else None
    if not isinstance(item, ObjectCompleter) or declared.record not in item.plan.getters:
        raise NotPlannedError(f"{coordinate}: its items are not made of its records")


def _relations_of(type_: GraphQLObjectType) -> GuardReads:
    """The relations every field guard of ``type_`` decides on; the type is not planned when a
    field has no guard of ``authz.guard`` or its guards disagree."""
    kinds = {guard_reads(field) for field in type_.fields.values()}
    if len(kinds) != 1 or None in kinds:
        raise NotPlannedError(f"{type_.name}'s fields are not all guarded alike")
    (kind,) = kinds
    assert kind is not None
    return kind
