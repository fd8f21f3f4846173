"""Syncing the roster-owned link tables: role assignments, enrolments and guardianships.

A link is identified by what it means (person, role, school), not only by its sourcedId: a school
system may re-issue sourcedIds, and a link added in Tavle by someone else (``source`` other than
ROSTER) must neither be duplicated nor removed by the import. Links of people who are not ACTIVE,
and links into archived courses and schools, are frozen: left exactly as they are (lifting a
restriction restores them; an archived course keeps the membership it had).

Role assignments and guardianships that leave the roster are deleted (they are links, not
learning data). Enrolments are never deleted: they get an end time (docs/school-year.md rule 3), and
an ended enrolment listed again is reopened.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.changes import ChangeLog
from roster.dbutil import ROW_ID, delete_by_primary_key, insert_rows, update_rows
from roster.report import Counts
from store.tables import DataSource

Key = tuple[Any, ...]
#: (target type, target id, subject person id, detail) of a link's audit entry
AuditTarget = tuple[str | None, int | None, int | None, str | None]


@dataclass(frozen=True)
class LinkTable:
    table: Table
    key_columns: tuple[str, ...]
    person_columns: tuple[str, ...]
    added: str  # change kind when a link appears
    removed: str  # change kind when it leaves
    audit_target: Callable[[Key], AuditTarget]
    #: True: rows are ended (``ended_at``) instead of deleted, and reopened when listed again
    ends: bool = False

    @property
    def has_sourced_id(self) -> bool:
        return "sourced_id" in self.table.c


@dataclass(frozen=True)
class WantedLink:
    key: Key
    sourced_id: str | None = None


@dataclass(frozen=True)
class LinkSync:
    """How one import treats a link table.

    ``frozen(row)`` says which existing rows the import must not touch. With ``complete`` (a
    bulk file) every unfrozen roster link not wanted leaves; otherwise (a delta file) only the
    keys in ``leaving`` do.
    """

    complete: bool
    frozen: Callable[[RowMapping], bool]
    leaving: Collection[Key] = ()


def _record(log: ChangeLog, spec: LinkTable, kind: str, key: Key) -> None:
    target_type, target_id, subject_id, detail = spec.audit_target(key)
    log.record(kind, target_type or "Link", target_id, subject_id=subject_id, detail=detail)


async def sync_links(
    conn: AsyncConnection,
    spec: LinkTable,
    wanted: Sequence[WantedLink],
    how: LinkSync,
    counts: Counts,
    log: ChangeLog,
    now: datetime,
) -> None:
    """Make the roster's rows of ``spec.table`` agree with ``wanted`` (which must not repeat
    keys), as ``how`` says."""
    table = spec.table
    pk_names = [column.name for column in table.primary_key.columns]
    names = dict.fromkeys([*pk_names, "source", *spec.key_columns])
    if spec.has_sourced_id:
        names["sourced_id"] = None
    if spec.ends:
        names["ended_at"] = None
    rows = (await conn.execute(select(*(table.c[name] for name in names)))).mappings().all()

    def pk(row: RowMapping) -> Key:
        return tuple(row[name] for name in pk_names)

    def key_of(row: RowMapping) -> Key:
        return tuple(row[name] for name in spec.key_columns)

    current = {key_of(row): row for row in rows if not how.frozen(row)}
    matched: set[Key] = set()
    inserts: list[dict[str, Any]] = []
    reopened: list[dict[str, Any]] = []
    renamed: dict[int, str] = {}
    for link in wanted:
        row = current.get(link.key)
        if row is None:
            values = dict(zip(spec.key_columns, link.key, strict=True))
            if spec.has_sourced_id:
                values["sourced_id"] = link.sourced_id
            if spec.ends:
                values["started_at"] = now
                values["ended_at"] = None
            inserts.append({**values, "source": DataSource.ROSTER})
            counts.created += 1
            _record(log, spec, spec.added, link.key)
            continue
        matched.add(pk(row))
        if spec.ends and row["ended_at"] is not None:
            reopened.append({ROW_ID: row["id"], "started_at": now, "ended_at": None})
            counts.created += 1
            _record(log, spec, spec.added, link.key)
        elif (
            spec.has_sourced_id
            and row["source"] is DataSource.ROSTER
            and row["sourced_id"] != link.sourced_id
        ):
            counts.updated += 1
        else:
            counts.unchanged += 1
        if (
            spec.has_sourced_id
            and row["source"] is DataSource.ROSTER
            and row["sourced_id"] != link.sourced_id
        ):
            renamed[row["id"]] = str(link.sourced_id)

    leaving = None if how.complete else set(how.leaving)
    stale = [
        row
        for key, row in current.items()
        if pk(row) not in matched
        and row["source"] is DataSource.ROSTER
        and (leaving is None or key in leaving)
        and not (spec.ends and row["ended_at"] is not None)
    ]
    counts.removed += len(stale)
    for row in stale:
        _record(log, spec, spec.removed, key_of(row))
    if spec.ends:
        await update_rows(conn, table, [{ROW_ID: row["id"], "ended_at": now} for row in stale])
        await update_rows(conn, table, reopened)
        deleted: set[Key] = set()
    else:
        deleted = {pk(row) for row in stale}
        await delete_by_primary_key(conn, table, sorted(deleted))
    if spec.has_sourced_id:
        await _move_sourced_ids(conn, table, rows, deleted, renamed, inserts)
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
