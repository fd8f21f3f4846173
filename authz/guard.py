"""Field guards: every field of every object type is checked against the compiled policy.

The guard wraps the graphql-core resolver of each field after Strawberry has built the schema,
keyed on the schema coordinate ``Type.field`` (never the response path, which aliases change).
It is synchronous and, on the hot path, costs one attribute read and one dict lookup: the object's
relation set is computed once when the object is built, and the decision for (coordinate,
relation set) is memoised by ``Policy``. Async checks would turn every field into a coroutine,
at ten times the cost (README, "Design").

Fail closed: an object without relations (``tavle_rels``) holds none, so every field of it is
FORBIDDEN. Only the plumbing types the schema declares (connections, edges, ``PageInfo``, and
types that only appear under an authorised parent field) are read with ``ROW_ONLY``: the
decision on the parent field stands for them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, default_field_resolver

from authz.policy import Policy, Relations
from authz.relations import NO_RELATIONS, ROW_ONLY

Resolver = Callable[..., Any]
ROOT_TYPES = frozenset({"Query", "Mutation", "Subscription"})


class GuardReads(enum.Enum):
    """The relation set a field guard decides on."""

    #: the caller's (``RequestContext.root_relations``): the root types' fields
    ROOT = "root"
    #: ``ROW_ONLY``: the plumbing types', whose objects carry no relations of their own
    ROW_ONLY = "row_only"
    #: the object's own (``tavle_rels``, its record's ``relations``): every other type's
    OBJECT = "object"


#: the attribute of a guard naming the relation set it reads
_READS = "tavle_guard_reads"


def _object_guard(
    coordinate: str, inner: Resolver, memo: dict[Relations, bool], policy: Policy
) -> Resolver:
    def guard(source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        rels: Relations = getattr(source, "tavle_rels", NO_RELATIONS)
        allowed = memo.get(rels)
        if allowed is None:
            allowed = policy.allows(rels, coordinate, "read")
        if allowed:
            return inner(source, info, **kwargs)
        info.context.problems.report("FORBIDDEN", coordinate, info)
        return None

    return guard


def _plumbing_guard(
    coordinate: str, inner: Resolver, memo: dict[Relations, bool], policy: Policy
) -> Resolver:
    def guard(source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        allowed = memo.get(ROW_ONLY)
        if allowed is None:
            allowed = policy.allows(ROW_ONLY, coordinate, "read")
        if allowed:
            return inner(source, info, **kwargs)
        info.context.problems.report("FORBIDDEN", coordinate, info)
        return None

    return guard


def _root_guard(
    coordinate: str, inner: Resolver, memo: dict[Relations, bool], policy: Policy
) -> Resolver:
    def guard(source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        rels: Relations = info.context.root_relations
        allowed = memo.get(rels)
        if allowed is None:
            allowed = policy.allows(rels, coordinate, "read")
        if allowed:
            return inner(source, info, **kwargs)
        code = "FORBIDDEN" if "authenticated" in rels else "UNAUTHENTICATED"
        info.context.problems.report(code, coordinate, info)
        return None

    return guard


def schema_coordinates(schema: strawberry.Schema) -> list[str]:
    """Every ``Type.field`` of every object type in the schema (introspection types excluded)."""
    found: list[str] = []
    for type_name, gtype in schema._schema.type_map.items():
        if isinstance(gtype, GraphQLObjectType) and not type_name.startswith("__"):
            found.extend(f"{type_name}.{name}" for name in gtype.fields)
    return sorted(found)


def install_field_guards(
    schema: strawberry.Schema, policy: Policy, plumbing: frozenset[str] = frozenset()
) -> None:
    """Wrap every object-type field of ``schema`` in a policy guard (deny by default).

    ``plumbing`` names the object types read with ``ROW_ONLY``; every other object type's
    objects must carry their relations, or get no field."""
    for type_name, gtype in schema._schema.type_map.items():
        if not isinstance(gtype, GraphQLObjectType) or type_name.startswith("__"):
            continue
        if type_name in ROOT_TYPES:
            make, reads = _root_guard, GuardReads.ROOT
        elif type_name in plumbing:
            make, reads = _plumbing_guard, GuardReads.ROW_ONLY
        else:
            make, reads = _object_guard, GuardReads.OBJECT
        for field_name, gfield in gtype.fields.items():
            coordinate = f"{type_name}.{field_name}"
            inner = gfield.resolve or default_field_resolver
            guard = make(coordinate, inner, policy.memo_for(coordinate, "read"), policy)
            setattr(guard, _READS, reads)
            gfield.resolve = guard


def guard_reads(field: GraphQLField) -> GuardReads | None:
    """The relation set ``field``'s guard decides on; None: the field is not guarded here
    (another executor deciding the field's access must decide it as the guard does)."""
    found: GuardReads | None = getattr(field.resolve, _READS, None)
    return found
