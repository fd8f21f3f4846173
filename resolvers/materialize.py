"""Rows of a kind to records, each stamped with the viewer's relations to it.

Relations are computed once per object here, from the row's labelled fact columns (the very
columns the kind's row rule compiles), so the field guards only look them up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from authz.pseudonyms import Pseudonyms
from authz.relations import NO_RELATIONS, relations_of, school_memberships
from authz.viewer import Viewer
from config.paging import PageArgs
from resolvers.kinds import Kind, Layout
from resolvers.records import Page, PseudonymRecord, Relations, Row
from store.db import reader
from store.idlists import ids_param


class MaterializeContext(Protocol):
    """What making records needs: the database (a person's schools), the viewer, the key of
    the pseudonyms."""

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def viewer(self) -> Viewer | None: ...

    @property
    def pseudonyms(self) -> Pseudonyms: ...


#: each person's "schools" fact, for the people in the parameter ``PEOPLE``
PEOPLE = "tavle_people"
_PERSON_SCHOOLS = school_memberships(people=ids_param(PEOPLE))


async def person_schools(engine: AsyncEngine, ids: Collection[int]) -> dict[int, frozenset[int]]:
    """Each person's "schools" fact (``authz.relations.school_memberships``), one statement."""
    found: dict[int, set[int]] = defaultdict(set)
    async with reader(engine).connect() as conn:
        for person_id, school_id in (await conn.execute(_PERSON_SCHOOLS, {PEOPLE: ids})).all():
            found[person_id].add(school_id)
    return {pid: frozenset(schools) for pid, schools in found.items()}


def relations_of_row(
    kind: Kind, viewer: Viewer | None, row: Row, schools: frozenset[int] | None = None
) -> Relations:
    """The viewer's relations to a row of ``kind`` (Python form), from its labelled facts;
    ``schools`` is a person's "schools" fact (``person_schools``)."""
    if viewer is None:
        return NO_RELATIONS
    return relations_of(viewer, kind.facts.facts_of(row, schools))


async def relations_of_rows(
    ctx: MaterializeContext, kind: Kind, rows: Sequence[Any], layout: Layout | None = None
) -> list[Relations]:
    """``relations_of_row`` for each row, with the people's schools loaded in one statement.

    ``rows`` are mappings, or tuples laid out as ``layout`` says. Rows with the same facts have
    the same relations: they are worked out once per distinct facts in the batch (a class's
    answers share their course and school, a student's their student).
    """
    viewer = ctx.viewer
    if viewer is None:
        return [NO_RELATIONS] * len(rows)
    at = layout if layout is not None else kind.by_label
    facts, facts_at = kind.facts, at.facts
    known: dict[Any, Relations] = {}
    found: list[Relations] = []
    if kind.person_facts:
        id_at = at.id
        schools: dict[int, frozenset[int]] = {}
        if rows:
            schools = await person_schools(ctx.engine, {row[id_at] for row in rows})
        empty: frozenset[int] = frozenset()
        for row in rows:
            values = facts_at(row)
            held = schools.get(row[id_at], empty)
            relations = known.get((values, held))
            if relations is None:
                relations = known[(values, held)] = relations_of(
                    viewer, facts.facts_from(values, held)
                )
            found.append(relations)
        return found
    for row in rows:
        values = facts_at(row)
        relations = known.get(values)
        if relations is None:
            relations = known[values] = relations_of(viewer, facts.facts_from(values))
        found.append(relations)
    return found


def pseudonym(pseudonyms: Pseudonyms, person_id: int) -> PseudonymRecord:
    """The stand-in for a restricted or erased person: its label derives from the person's id
    (``authz.pseudonyms``), and it carries nothing else of them."""
    return PseudonymRecord(
        label=pseudonyms.label(person_id), display_name=pseudonyms.display_name(person_id)
    )


async def records_of(
    ctx: MaterializeContext, kind: Kind, rows: Sequence[Any], layout: Layout | None = None
) -> list[Any]:
    """The records of ``rows`` (selected as ``kind.selected``; mappings, or tuples laid out as
    ``layout`` says), in the same order; a row the kind's ``stand_in`` condition holds for
    becomes the pseudonym stand-in."""
    at = layout if layout is not None else kind.by_label
    make, stand_in = at.make, at.stand_in
    if stand_in is None:
        relations = await relations_of_rows(ctx, kind, rows, at)
        return [make(row, held) for row, held in zip(rows, relations, strict=True)]
    kept = [row for row in rows if not row[stand_in]]
    made = iter(await relations_of_rows(ctx, kind, kept, at))
    id_at = at.id
    return [
        pseudonym(ctx.pseudonyms, row[id_at]) if row[stand_in] else make(row, next(made))
        for row in rows
    ]


async def keyed_page(
    ctx: MaterializeContext, kind: Kind, rows: Sequence[Any], args: PageArgs, total: int
) -> Page[Any]:
    """The page of a list fetched one row beyond ``args.first`` (in the direction it pages),
    rows being mappings with the object's ``id``, which is its cursor."""
    more = len(rows) > args.first
    got = list(rows[: args.first])
    if args.backward:
        got.reverse()
    return Page(
        records=await records_of(ctx, kind, got),
        sort_keys=[row["id"] for row in got],
        total=int(total),
        has_next=more and not args.backward,
        has_previous=more and args.backward,
        args=args,
    )
