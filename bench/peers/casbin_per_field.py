"""The per-field ``enforce()`` peer: the plain Strawberry schema, every field asking Casbin.

The naive way to put Tavle's policy on a GraphQL schema, for comparison with Tavle's compiled
decisions (``authz/policy.py``): the real ``casbin_model.conf`` and ``authz/policy.csv`` in one
``casbin.Enforcer``; per request the viewer is loaded as the product loads it
(``resolvers.viewer.load_viewer``); while rows become objects each object gets the viewer's
relations to it as the product computes them (``authz.relations.relations_of`` on the same facts)
and is dropped unless ``enforce(relation, Type, "see")`` allows it for one of them (but "row" and
"anyone"); and every field of every object type (roots, connections and edges included) calls
``enforce(relation, "Type.field", "read")`` for the object's relations until one allows it, with
no memo. A refused field is null with an error. Authentication is not part of the peer: it serves
the benchmark teacher, whose person id it is given.

The relations are asked in a fixed order, the general ones first ("row", "anyone",
"authenticated", then the others alphabetically): most fields are granted to "row", so they cost
one ``enforce()`` each, the cheapest order for this policy. An allowing call costs about a third
of a refusing one (Casbin scans the policy lines until one matches); the report gives the number
of calls per request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import casbin
from graphql import GraphQLObjectType, GraphQLResolveInfo, default_field_resolver
from sqlalchemy import Row, select, union
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import Route

from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY
from authz.relations import ROOT_AUTHENTICATED, Facts, relations_of
from authz.viewer import Viewer
from peers.plain_strawberry import (
    ROW_ONLY,
    EnforceCount,
    PlainGraphQL,
    Rels,
    build_schema,
)
from resolvers.viewer import load_viewer
from store import tables as t
from store.tables import CourseState

Resolver = Callable[..., Any]
GENERAL_FIRST = {"row": 0, "anyone": 1, "authenticated": 2}


def in_order(relations: frozenset[str]) -> Rels:
    """``relations`` in the order ``enforce()`` is asked about them: the general ones first."""
    return tuple(sorted(relations, key=lambda rel: (GENERAL_FIRST.get(rel, 3), rel)))


ROOT_RELATIONS: Rels = in_order(ROOT_AUTHENTICATED)
#: "row" means "visible" and "anyone" grants no row: the row check asks about the other
#: relations, as the product compiles row rules from ``authz.relations.BASE_RELATIONS`` only.
NOT_FOR_ROWS = frozenset({"row", "anyone"})


def new_enforcer() -> casbin.Enforcer:
    # importing authz.policy has set Casbin's loggers to ERROR, as in the product
    return casbin.Enforcer(str(DEFAULT_MODEL), str(DEFAULT_POLICY))


class CasbinStamp:
    """Relations per object (``relations_of``) and the row check by ``enforce()``."""

    def __init__(self, enforcer: casbin.Enforcer, viewer: Viewer, count: EnforceCount) -> None:
        self.enforcer = enforcer
        self.viewer = viewer
        self.count = count

    def _visible(self, type_name: str, facts: Facts) -> Rels | None:
        rels = in_order(relations_of(self.viewer, facts))
        for rel in rels:
            if rel in NOT_FOR_ROWS:
                continue
            self.count.rows += 1
            if self.enforcer.enforce(rel, type_name, "see"):
                return rels
        return None

    def course(self, row: Row[Any]) -> Rels | None:
        return self._visible("Course", Facts(course=row.id, school=row.school_id))

    async def users(self, engine: AsyncEngine, rows: Sequence[Row[Any]]) -> list[Rels | None]:
        schools = await person_schools(engine, sorted({row.id for row in rows}))
        return [
            self._visible("User", Facts(person=row.id, schools=schools.get(row.id, frozenset())))
            for row in rows
        ]

    def submission(self, row: Row[Any]) -> Rels | None:
        student = row.student_id
        facts = Facts(owner=student, student=student, course=row.course_id, school=row.school_id)
        return self._visible("Submission", facts)

    def assessment(self, row: Row[Any]) -> Rels | None:
        facts = Facts(
            student=row.student_id,
            course=row.course_id,
            school=row.school_id,
            published=bool(row.published),
        )
        return self._visible("Assessment", facts)


async def person_schools(engine: AsyncEngine, ids: list[int]) -> dict[int, frozenset[int]]:
    """Schools where each person holds a role or a current enrolment in an active course: the
    facts of the school_* relations, as the product's User loader reads them."""
    ra, e, c = t.role_assignments.c, t.enrolments.c, t.courses.c
    stmt = union(
        select(ra.person_id.label("person_id"), ra.school_id.label("school_id")).where(
            ra.person_id.in_(ids), ra.school_id.is_not(None)
        ),
        select(e.person_id.label("person_id"), c.school_id.label("school_id"))
        .join(t.courses, c.id == e.course_id)
        .where(e.person_id.in_(ids), e.ended_at.is_(None), c.state == CourseState.ACTIVE),
    )
    found: dict[int, set[int]] = {}
    async with engine.connect() as conn:
        for person_id, school_id in (await conn.execute(stmt)).all():
            found.setdefault(person_id, set()).add(school_id)
    return {pid: frozenset(schools) for pid, schools in found.items()}


def _guard(coordinate: str, inner: Resolver, enforcer: casbin.Enforcer, root: bool) -> Resolver:
    def guard(source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        rels: Rels = ROOT_RELATIONS if root else getattr(source, "rels", ROW_ONLY)
        count: EnforceCount = info.context.enforce_count
        for rel in rels:
            count.fields += 1
            if enforcer.enforce(rel, coordinate, "read"):
                return inner(source, info, **kwargs)
        raise PermissionError(f"{coordinate} is not readable")

    return guard


def install_enforce_guards(schema: Any, enforcer: casbin.Enforcer) -> int:
    """Wrap every field resolver of every object type; returns how many were wrapped."""
    wrapped = 0
    for type_name, gtype in schema._schema.type_map.items():
        if not isinstance(gtype, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, gfield in gtype.fields.items():
            inner = gfield.resolve or default_field_resolver
            gfield.resolve = _guard(
                f"{type_name}.{field_name}", inner, enforcer, type_name == "Query"
            )
            wrapped += 1
    return wrapped


def casbin_app(engine: AsyncEngine, person_id: int) -> tuple[Starlette, PlainGraphQL]:
    """The per-field peer for the viewer ``person_id`` as a Starlette app, and its view."""
    enforcer = new_enforcer()
    schema = build_schema()
    install_enforce_guards(schema, enforcer)

    async def stamp_for_request(count: EnforceCount) -> CasbinStamp:
        return CasbinStamp(enforcer, await load_viewer(engine, person_id), count)

    view = PlainGraphQL(schema, engine, stamp_for_request)
    return Starlette(routes=[Route("/graphql", view, methods=["POST"])]), view
