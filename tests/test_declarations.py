"""One declaration per kind, and the schema checked against the declarations.

The data layer declares each object type once (``resolvers.kinds``) and each reference, list and
connection field's data source once (``resolvers.field_sources``); the schema names the kinds its
types show (``schema.registry``) and its plumbing types (``schema.build.PLUMBING_TYPES``). These
tests hold the pieces together: a kind without a type, a type neither a kind's nor plumbing, a
record that does not match its kind's columns, or a field source that points at the wrong type
fails here (and building the schema fails for the first two). And the field guards fail closed:
an object of a guarded type without relations gets no field.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from graphql import graphql_sync as execute

from authz.guard import ROOT_TYPES, GuardReads, guard_reads, install_field_guards
from authz.policy import DEFAULT_MODEL, Policy
from authz.problems import ProblemLog
from authz.relations import BASE_RELATIONS, FACT_LABEL, relation_clause
from authz.viewer import Viewer
from config.ids import to_global_id
from resolvers.field_sources import FIELD_SOURCES, Embedded, Reference, Related
from resolvers.kinds import KINDS, NODE_KINDS
from resolvers.root_fields import ROOT_FIELDS
from schema import registry, values
from schema.build import (
    PLUMBING_TYPES,
    SchemaDeclarationError,
    build_schema,
    node_types,
    plumbing_type_names,
)
from schema.node import Node


def _object_types(schema: strawberry.Schema) -> dict[str, GraphQLObjectType]:
    return {
        name: gtype
        for name, gtype in schema._schema.type_map.items()
        if isinstance(gtype, GraphQLObjectType) and not name.startswith("__")
    }


def _named(gtype: Any) -> Any:
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    return gtype


# --- kinds, records and Strawberry types --------------------------------------------------------


def test_every_kind_has_a_strawberry_type_and_every_node_type_a_kind() -> None:
    assert set(registry.KIND_TYPES) == set(KINDS)
    schema = build_schema(Policy())
    nodes = {
        name
        for name, gtype in _object_types(schema).items()
        if "Node" in {i.name for i in gtype.interfaces}
    }
    assert nodes == set(NODE_KINDS)
    for name in NODE_KINDS:
        assert registry.KIND_TYPES[name].__name__ == name


def test_every_object_type_is_a_kinds_type_or_declared_plumbing() -> None:
    schema = build_schema(Policy())
    kind_names = {t.__name__ for t in registry.KIND_TYPES.values()}
    plumbing = plumbing_type_names(schema)
    for name in _object_types(schema):
        assert (name in ROOT_TYPES) + (name in kind_names) + (name in plumbing) == 1, name


def test_a_kind_without_a_type_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(registry.KIND_TYPES, "School")
    with pytest.raises(SchemaDeclarationError, match="School"):
        node_types()


@strawberry.type
class Loose:
    name: str


@strawberry.type
class Stray(Node):
    id: strawberry.ID


@strawberry.type(name="Query")
class LooseQuery:
    loose: Loose
    stray: Stray


def test_an_undeclared_object_type_fails_the_build() -> None:
    schema = strawberry.Schema(query=LooseQuery)
    with pytest.raises(SchemaDeclarationError) as failed:
        plumbing_type_names(schema)
    assert "Loose" in str(failed.value) and "Stray" in str(failed.value)


def test_plumbing_types_are_no_kinds_types() -> None:
    assert not set(PLUMBING_TYPES) & set(registry.KIND_TYPES.values())


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_kinds_record_reads_exactly_its_columns_and_facts(name: str) -> None:
    kind = KINDS[name]
    labels = {column.name for column in kind.columns}
    assert labels == {*kind.value_names, "id"}, "the record's fields are the column labels"
    fields = {f.name for f in dataclasses.fields(kind.record)}
    assert {"pk", "relations"} <= fields
    selected = {column.name for column in kind.selected}
    # the Python facts are read from the labelled fact columns the SQL rule compiles
    for fact, label in kind.facts.declared:
        assert label == FACT_LABEL.format(fact) and label in selected


@pytest.mark.parametrize("name", sorted(KINDS))
def test_facts_are_read_by_label_only(name: str) -> None:
    kind = KINDS[name]
    row = {label: 7 for _fact, label in kind.facts.declared}
    facts = kind.facts.facts_of(row, frozenset({3}) if kind.person_facts else None)
    for fact, _label in kind.facts.declared:
        expected = True if fact == "published" else 7
        assert getattr(facts, fact) == expected
    undeclared = {f.name for f in dataclasses.fields(facts)} - {f for f, _ in kind.facts.declared}
    for fact in undeclared - {"published", "schools"}:
        assert getattr(facts, fact) is None, fact


# --- field sources ------------------------------------------------------------------------------


def _field_target(schema: strawberry.Schema, coordinate: str) -> str:
    type_name, field_name = coordinate.split(".")
    camel = {f.python_name: f.name for f in _strawberry_fields(schema, type_name)}
    gfield = _object_types(schema)[type_name].fields[camel.get(field_name, field_name)]
    target = _named(gfield.type)
    if target.name.endswith("Connection"):
        target = _named(target.fields["edges"].type).fields["node"].type
    return str(_named(target).name)


def _strawberry_fields(schema: strawberry.Schema, type_name: str) -> list[Any]:
    definition = _object_types(schema)[type_name].extensions["strawberry-definition"]
    return list(definition.fields)


def test_every_field_source_names_a_field_of_its_kinds_type() -> None:
    schema = build_schema(Policy())
    types = _object_types(schema)
    for coordinate, source in FIELD_SOURCES.items():
        type_name, field_name = coordinate.split(".")
        assert field_name in types[type_name].fields, coordinate
        target = _field_target(schema, coordinate)
        if isinstance(source, Embedded):
            assert target not in registry.KIND_TYPES, coordinate
        else:
            assert registry.KIND_TYPES[source.kind].__name__ == target, coordinate
            assert isinstance(source, Reference) == (not isinstance(source, Related)), coordinate


def test_every_field_reaching_another_object_has_a_declared_source() -> None:
    """A reference, list or connection field of a kind's type (or of a plumbing type that
    reaches a kind, ``RoleAssignment.school``) reads through a declaration, not ad-hoc code."""
    schema = build_schema(Policy())
    kind_names = {t.__name__ for t in registry.KIND_TYPES.values()}
    plumbing = plumbing_type_names(schema)
    for type_name, gtype in _object_types(schema).items():
        if type_name in ROOT_TYPES or type_name.endswith(("Connection", "Edge")):
            continue
        for field_name, gfield in gtype.fields.items():
            target = _named(gfield.type)
            if not isinstance(target, GraphQLObjectType):
                continue
            reaches_kind = target.name in kind_names or target.name.endswith("Connection")
            if reaches_kind or (target.name in plumbing and type_name in kind_names):
                coordinate = f"{type_name}.{field_name}"
                if target.name in (
                    "CategoryEffect",
                    "RosterChangeCount",
                    "RosterFileDigest",
                    "PrivacyRequestItemCounts",
                    "IncidentScope",
                ):
                    continue  # made of the object's own columns, no read
                assert coordinate in FIELD_SOURCES, coordinate


def test_the_see_lines_of_a_path_compile_to_sql() -> None:
    """A field that widens its kind's rows (``path``) has ``see`` lines on its coordinate, and
    each relation they grant has an SQL form over the kind's fact columns."""
    policy = Policy()
    viewer = Viewer(person_id=1)
    paths = [s for s in FIELD_SOURCES.values() if isinstance(s, Reference | Related) and s.path]
    assert {s.coordinate for s in paths} == {
        "Conversation.participants",
        "Message.author",
        "Attachment.file",
        "Document.file",
        "DataRequest.subject",
        "DataRequest.requestedBy",
    }
    for source in paths:
        granting = policy.granting_relations(source.coordinate, "see", BASE_RELATIONS)
        assert granting, source.coordinate
        if source.kind == "User":
            assert granting == {"conversation_fellow"}, source.coordinate
        for relation in granting:
            assert relation_clause(relation, viewer, KINDS[source.kind].facts) is not None


# --- fail-closed field guards -------------------------------------------------------------------


@strawberry.type
class Guarded:
    name: str | None


@strawberry.type
class Plumbing:
    name: str


@strawberry.type(name="Query")
class GuardedQuery:
    @strawberry.field
    def bare(self) -> Guarded:
        return Guarded(name="no relations")

    @strawberry.field
    def related(self) -> Guarded:
        seen = Guarded(name="seen")
        setattr(seen, "tavle_rels", frozenset({"row", "anyone"}))  # noqa: B010  (as a record's)
        return seen

    @strawberry.field
    def plumbing(self) -> Plumbing:
        return Plumbing(name="under an authorised field")


class _Context:
    root_relations = frozenset({"anyone", "authenticated", "row"})

    def __init__(self) -> None:
        self.problems = ProblemLog(10)


def _guarded_schema(tmp_path: Path) -> strawberry.Schema:
    policy_file = tmp_path / "policy.csv"
    policy_file.write_text(
        "p, authenticated, Query.bare, read\n"
        "p, authenticated, Query.related, read\n"
        "p, authenticated, Query.plumbing, read\n"
        "p, row, Guarded.name, read\n"
        "p, row, Plumbing.name, read\n"
    )
    schema = strawberry.Schema(query=GuardedQuery)
    install_field_guards(schema, Policy(DEFAULT_MODEL, policy_file), frozenset({"Plumbing"}))
    return schema


def test_an_object_without_relations_gets_no_field(tmp_path: Path) -> None:
    schema = _guarded_schema(tmp_path)
    result = execute(
        schema._schema,
        "{ bare { name } related { name } plumbing { name } }",
        context_value=_Context(),
    )
    assert result.data == {
        "bare": {"name": None},
        "related": {"name": "seen"},
        "plumbing": {"name": "under an authorised field"},
    }
    assert [(e.path, (e.extensions or {})["code"]) for e in result.errors or []] == [
        (["bare", "name"], "FORBIDDEN")
    ]


def test_the_guards_say_which_relations_they_read(tmp_path: Path) -> None:
    schema = _guarded_schema(tmp_path)
    types = _object_types(schema)
    assert guard_reads(types["Query"].fields["bare"]) is GuardReads.ROOT
    assert guard_reads(types["Guarded"].fields["name"]) is GuardReads.OBJECT
    assert guard_reads(types["Plumbing"].fields["name"]) is GuardReads.ROW_ONLY
    unguarded = strawberry.Schema(query=GuardedQuery)
    assert guard_reads(_object_types(unguarded)["Guarded"].fields["name"]) is None


# --- values as functions of records (schema.values) -------------------------------------------

#: plumbing types made by a record function of their parent, which are their own records
OWN_RECORDS = {
    "CategoryEffect",
    "RosterChangeCount",
    "RosterFileDigest",
    "PrivacyNotice",
    "RetentionRule",
    "PrivacyRequestItemCounts",
    "IncidentScope",
}


def test_every_type_reads_its_plain_fields_from_its_records() -> None:
    """Each object type declares, per record class it is made of, every plain field's getter
    (the compiled executor reads records with them, ``from_record`` makes objects with them);
    a kind's type is made of the kind's records."""
    schema = build_schema(Policy())
    for name, gtype in _object_types(schema).items():
        if name in ROOT_TYPES or name in OWN_RECORDS:
            continue
        origin = gtype.extensions["strawberry-definition"].origin
        shapes = values.shapes_of(origin)
        assert shapes, name
        plain = {
            gfield.extensions["strawberry-definition"].python_name
            for gfield in gtype.fields.values()
            if gfield.extensions["strawberry-definition"].base_resolver is None
        }
        for record, shape in shapes.items():
            assert set(shape) == plain, (name, record.__name__)
    for name, kind in KINDS.items():
        assert kind.record in (values.shapes_of(registry.KIND_TYPES[name]) or {}), name


#: fields computed by a service rather than read from rows, for one object per operation (the
#: executor falls back to graphql-core for them): the erasure preview asks every privacy provider
COMPUTED_BY_SERVICES = {"User.erasurePreview"}


def test_every_resolver_is_a_declared_source_or_a_record_function() -> None:
    """A read field with a resolver is declared (``FIELD_SOURCES``, ``ROOT_FIELDS``) or computes
    from its record and the context alone (``record_field``): both executors answer it from the
    declaration, none needs code of its own."""
    schema = build_schema(Policy())
    for name, gtype in _object_types(schema).items():
        if name in ("Mutation", "Subscription"):  # writes and event streams: no reads to plan
            continue
        for field_name, gfield in gtype.fields.items():
            definition = gfield.extensions["strawberry-definition"]
            if definition.base_resolver is None:
                continue
            coordinate = f"{name}.{field_name}"
            if coordinate in COMPUTED_BY_SERVICES:
                continue
            declared = FIELD_SOURCES if name not in ROOT_TYPES else ROOT_FIELDS
            assert (coordinate in declared) != (values.record_function(definition) is not None), (
                coordinate
            )


@strawberry.type
class Shown:
    name: str
    code: str | None


@dataclasses.dataclass(frozen=True)
class ShownRecord:
    pk: int
    name: str


def test_a_field_its_record_does_not_have_fails_the_declaration() -> None:
    with pytest.raises(values.ValuesDeclarationError, match="code"):
        values.made_of(ShownRecord)(Shown)
    with pytest.raises(values.ValuesDeclarationError, match="nickname"):
        values.made_of(ShownRecord, nickname=values.const(None))(Shown)


def test_an_object_is_made_with_the_declared_getters() -> None:
    made = values.made_of(ShownRecord, code=values.node_id("Shown"))(Shown)
    shown = values.object_of(made, ShownRecord(pk=7, name="seven"))
    assert (shown.name, shown.code) == ("seven", to_global_id("Shown", 7))
