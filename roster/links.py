"""Syncing the roster-owned link tables: role assignments, enrolments and guardianships.

A link is identified by what it means (person, role, school), not only by its sourcedId: a school
system may re-issue sourcedIds, and a link added in Tavle by someone else (``source`` other than
ROSTER) must neither be duplicated nor deleted by the import. Links of people who are not ACTIVE
are left exactly as they are (see people.People).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.dbutil import ROW_ID, delete_by_primary_key, insert_rows, update_rows
from roster.report import Counts
from store.tables import DataSource

Key = tuple[Any, ...]


@dataclass(frozen=True)
class LinkTable:
    table: Table
    key_columns: tuple[str, ...]
    person_columns: tuple[str, ...]

    @property
    def has_sourced_id(self) -> bool:
        return "sourced_id" in self.table.c


@dataclass(frozen=True)
class WantedLink:
    key: Key
    sourced_id: str | None = None


async def sync_links(
    conn: AsyncConnection,
    spec: LinkTable,
    wanted: Sequence[WantedLink],
    inactive: frozenset[int],
    counts: Counts,
) -> None:
    """Make the roster's rows of ``spec.table`` equal ``wanted`` (which must not repeat keys)."""
    table = spec.table
    pk_names = [column.name for column in table.primary_key.columns]
    names = dict.fromkeys([*pk_names, "source", *spec.key_columns])
    if spec.has_sourced_id:
        names["sourced_id"] = None
    rows = (await conn.execute(select(*(table.c[name] for name in names)))).mappings().all()

    def pk(row: RowMapping) -> Key:
        return tuple(row[name] for name in pk_names)

    current = {
        tuple(row[name] for name in spec.key_columns): row
        for row in rows
        if not any(row[column] in inactive for column in spec.person_columns)
    }
    matched: set[Key] = set()
    inserts: list[dict[str, Any]] = []
    renamed: dict[int, str] = {}
    for link in wanted:
        row = current.get(link.key)
        if row is None:
            values = dict(zip(spec.key_columns, link.key, strict=True))
            if spec.has_sourced_id:
                values["sourced_id"] = link.sourced_id
            inserts.append({**values, "source": DataSource.ROSTER})
            counts.created += 1
            continue
        matched.add(pk(row))
        if (
            spec.has_sourced_id
            and row["source"] is DataSource.ROSTER
            and row["sourced_id"] != link.sourced_id
        ):
            renamed[row["id"]] = str(link.sourced_id)
            counts.updated += 1
        else:
            counts.unchanged += 1

    stale = [
        pk(row)
        for row in current.values()
        if pk(row) not in matched and row["source"] is DataSource.ROSTER
    ]
    counts.deleted += len(stale)
    await delete_by_primary_key(conn, table, stale)
    if spec.has_sourced_id:
        await _move_sourced_ids(conn, table, rows, set(stale), renamed, inserts)
    await insert_rows(conn, table, inserts)


async def _move_sourced_ids(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[RowMapping],
    deleted: set[Key],
    renamed: Mapping[int, str],
    inserts: Sequence[Mapping[str, Any]],
) -> None:
    """Give rows their new sourcedIds; a row still holding one first lets go of it (unique)."""
    holders = {
        row["sourced_id"]: row["id"]
        for row in rows
        if row["sourced_id"] is not None and (row["id"],) not in deleted
    }
    release = set(renamed)
    for row_id, sourced_id in renamed.items():
        holder = holders.get(sourced_id)
        if holder is not None and holder != row_id:
            release.add(holder)
    for values in inserts:
        holder = holders.get(values["sourced_id"])
        if holder is not None:
            release.add(holder)
    await update_rows(conn, table, [{ROW_ID: i, "sourced_id": None} for i in sorted(release)])
    await update_rows(
        conn, table, [{ROW_ID: i, "sourced_id": s} for i, s in sorted(renamed.items())]
    )
