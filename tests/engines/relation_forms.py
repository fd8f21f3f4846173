"""The two forms of every relation, as the engine tests reach them: the one module to re-point.

Every relation exists twice (``authz/relations.py``): in Python, evaluated on a row's ``Facts``
(``relations_of``, stamped on each record as ``relations``), and in SQL, a clause over the row's
fact columns (``relation_clause``, compiled into the row rule by ``scopes.visible``). This module
is all the tests know about *where* those forms come from for a type, and it goes through the
product's own code path, never a copy of the rules:

* the rows of a type: its kind (``resolvers.kinds.KINDS``) within its ``always`` condition,
  ``scopes.diagnostic_select``;
* their Python relations: ``resolvers.materialize.relations_of_rows``, what ``records_of``
  stamps on each record (people's schools loaded as for a real request);
* the SQL form: ``relation_clause`` over the kind's ``FactColumns``;
* the row rule: ``scopes.scoped_select`` with the viewer (``scopes.visible``), also as widened
  for the fields whose own ``see`` lines add rows (``path`` sources of
  ``resolvers.field_sources``).

When the product's data layer moves again, only these functions change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import Policy
from authz.pseudonyms import Pseudonyms
from authz.relations import relation_clause
from authz.viewer import Viewer
from resolvers.fetch import run
from resolvers.field_sources import FIELD_SOURCES
from resolvers.kinds import KINDS, Kind
from resolvers.materialize import relations_of_rows
from resolvers.scopes import diagnostic_select, scoped_select

#: Types whose rows have fact columns, i.e. whose relations depend on the row.
RELATION_TYPES: tuple[str, ...] = tuple(
    name
    for name, kind in KINDS.items()
    if any(
        isinstance(getattr(kind.facts, f.name), ColumnElement)
        for f in dataclasses.fields(kind.facts)
    )
)


_PSEUDONYMS = Pseudonyms(b"engine-tests-pseudonym-key-0123")


@dataclass(frozen=True)
class EngineContext:
    """What scopes (``ScopeContext``) and making records (``MaterializeContext``) read of a
    request: the database, the policy, the viewer and the pseudonym key."""

    engine: AsyncEngine
    policy: Policy
    viewer: Viewer | None
    pseudonyms: Pseudonyms = _PSEUDONYMS


def kind_of(type_name: str) -> Kind:
    return KINDS[type_name]


def paths_to(type_name: str) -> list[str]:
    """The fields reaching rows of the type whose own ``see`` lines widen its row rule."""
    return sorted(
        coordinate
        for coordinate, source in FIELD_SOURCES.items()
        if getattr(source, "path", False) and getattr(source, "kind", None) == type_name
    )


async def python_relations(
    engine: AsyncEngine, policy: Policy, viewer: Viewer, type_name: str
) -> dict[int, frozenset[str]]:
    """Every row of the type (within ``always``) by id, with the relations Python gives it."""
    kind = kind_of(type_name)
    rows = await run(engine, diagnostic_select(kind))
    relations = await relations_of_rows(EngineContext(engine, policy, viewer), kind, rows)
    return {row["id"]: rels for row, rels in zip(rows, relations, strict=True)}


def sql_relation(type_name: str, relation: str, viewer: Viewer) -> ColumnElement[bool] | None:
    """The SQL form of ``relation`` over the type's fact columns (None: it cannot hold)."""
    return relation_clause(relation, viewer, kind_of(type_name).facts)


async def sql_relations(
    engine: AsyncEngine, viewer: Viewer, type_name: str, relations: Iterable[str]
) -> dict[str, frozenset[int]]:
    """For each relation, the ids of the rows (within ``always``) where its SQL clause holds.

    One ``UNION ALL`` of ``SELECT id, <n> FROM <source> WHERE <always> AND <clause>``: each
    clause is applied as a WHERE condition, as ``visible()`` applies it, so NULL counts as false
    exactly as in the row rules.
    """
    kind = kind_of(type_name)
    wanted = list(relations)
    found: dict[str, set[int]] = {rel: set() for rel in wanted}
    selects = []
    for number, rel in enumerate(wanted):
        clause = sql_relation(type_name, rel, viewer)
        if clause is None:
            continue
        stmt = select(
            kind.key.label("id"), literal_column(str(number), Integer).label("relation")
        ).select_from(kind.source)
        if kind.always is not None:
            stmt = stmt.where(kind.always)
        selects.append(stmt.where(clause))
    if selects:
        for row in await run(engine, union_all(*selects)):  # type: ignore[arg-type]
            found[wanted[row["relation"]]].add(row["id"])
    return {rel: frozenset(ids) for rel, ids in found.items()}


async def visible_rows(
    engine: AsyncEngine, policy: Policy, viewer: Viewer, type_name: str, path: str | None = None
) -> frozenset[int]:
    """The ids of the rows the type's row rule lets ``viewer`` see (``scopes.visible``), as
    reached through the field ``path`` (one of ``paths_to``) if given."""
    stmt = scoped_select(kind_of(type_name), EngineContext(engine, policy, viewer), path=path)
    return frozenset(row["id"] for row in await run(engine, stmt))
