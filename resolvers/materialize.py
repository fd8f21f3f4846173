"""Rows of a kind to records, each stamped with the viewer's relations to it.

Relations are computed once per object here, from the row's labelled fact columns (the very
columns the kind's row rule compiles), so the field guards only look them up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from authz.pseudonyms import Pseudonyms
from authz.relations import NO_RELATIONS, relations_of, school_memberships
from authz.viewer import Viewer
from resolvers.kinds import STAND_IN, Kind
from resolvers.records import PseudonymRecord, Relations, Row


class MaterializeContext(Protocol):
    """What making records needs: the database (a person's schools), the viewer, the key of
    the pseudonyms."""

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def viewer(self) -> Viewer | None: ...

    @property
    def pseudonyms(self) -> Pseudonyms: ...


async def person_schools(engine: AsyncEngine, ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Each person's "schools" fact (``authz.relations.school_memberships``), one statement."""
    found: dict[int, set[int]] = defaultdict(set)
    async with engine.connect() as conn:
        for person_id, school_id in (await conn.execute(school_memberships(people=ids))).all():
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
    ctx: MaterializeContext, kind: Kind, rows: Sequence[Row]
) -> list[Relations]:
    """``relations_of_row`` for each row, with the people's schools loaded in one statement."""
    schools: dict[int, frozenset[int]] = {}
    if kind.person_facts and rows and ctx.viewer is not None:
        schools = await person_schools(ctx.engine, sorted({row["id"] for row in rows}))
    empty: frozenset[int] = frozenset()
    return [
        relations_of_row(
            kind, ctx.viewer, row, schools.get(row["id"], empty) if kind.person_facts else None
        )
        for row in rows
    ]


def pseudonym(pseudonyms: Pseudonyms, person_id: int) -> PseudonymRecord:
    """The stand-in for a restricted or erased person: its label derives from the person's id
    (``authz.pseudonyms``), and it carries nothing else of them."""
    return PseudonymRecord(
        label=pseudonyms.label(person_id), display_name=pseudonyms.display_name(person_id)
    )


async def records_of(ctx: MaterializeContext, kind: Kind, rows: Sequence[Row]) -> list[Any]:
    """The records of ``rows`` (selected as ``kind.selected``), in the same order; a row the
    kind's ``stand_in`` condition holds for becomes the pseudonym stand-in."""
    stand_in = kind.stand_in is not None
    kept = [row for row in rows if not (stand_in and row[STAND_IN])]
    relations = iter(await relations_of_rows(ctx, kind, kept))
    return [
        pseudonym(ctx.pseudonyms, row["id"])
        if stand_in and row[STAND_IN]
        else kind.make(row, next(relations))
        for row in rows
    ]
