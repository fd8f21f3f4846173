"""orgs.csv into ``schools``: upsert, and archive what leaves (docs/school-year.md rule 2).

An org that leaves a bulk file (or is marked ``tobedeleted``) is archived, never deleted; its
courses are archived with it (``roster.courses``). Archiving a whole school from a bulk file is
taken for a truncated export unless ``--allow-mass-archive`` is given. An archived org listed
again is reactivated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster import vocab
from roster.changes import ChangeLog
from roster.dbutil import ROW_ID, insert_rows, update_rows
from roster.errors import RosterError
from roster.records import OrgRecord
from roster.report import ImportReport
from store.tables import CourseState, schools

_o = schools.c


@dataclass(frozen=True)
class Orgs:
    """Every org after the import: ids by sourcedId, which are schools, which are archived."""

    ids: Mapping[str, int]
    school_ids: frozenset[int]
    archived: frozenset[int]


async def load_orgs(conn: AsyncConnection) -> Orgs:
    rows = (await conn.execute(select(_o.id, _o.sourced_id, _o.org_type, _o.state))).all()
    return Orgs(
        ids={row.sourced_id: row.id for row in rows},
        school_ids=frozenset(row.id for row in rows if row.org_type == vocab.SCHOOL),
        archived=frozenset(row.id for row in rows if row.state == CourseState.ARCHIVED),
    )


def _differs(wanted: Mapping[str, Any], row: RowMapping) -> bool:
    return any(row[column] != value for column, value in wanted.items())


async def sync_orgs(
    conn: AsyncConnection,
    records: Sequence[OrgRecord],
    leaving_ids: Iterable[str] | None,
    report: ImportReport,
    log: ChangeLog,
    now: datetime,
    allow_mass_archive: bool,
    refusals: list[RosterError],
) -> Orgs:
    """Upsert ``records`` (the active orgs). ``leaving_ids`` are the sourcedIds marked
    ``tobedeleted``; None means a bulk file, where every org not listed leaves."""
    counts = report.orgs
    existing = {row["sourced_id"]: row for row in (await conn.execute(select(schools))).mappings()}
    await insert_rows(
        conn,
        schools,
        [
            {
                "sourced_id": org.sourced_id,
                "name": org.name,
                "code": org.identifier,
                "org_type": org.org_type,
                "parent_id": None,  # set below, once every org has an id
                "state": CourseState.ACTIVE,
            }
            for org in records
            if org.sourced_id not in existing
        ],
    )
    ids: dict[str, int] = {
        sourced_id: org_id
        for sourced_id, org_id in await conn.execute(select(_o.sourced_id, _o.id))
    }
    updates: list[dict[str, Any]] = []
    for org in records:
        if org.parent is not None and org.parent not in ids:
            raise RosterError(vocab.ORGS, org.line, f"unknown parentSourcedId '{org.parent}'")
        wanted = {
            "name": org.name,
            "code": org.identifier,
            "org_type": org.org_type,
            "parent_id": None if org.parent is None else ids[org.parent],
            "state": CourseState.ACTIVE,
            "archived_at": None,
        }
        row = existing.get(org.sourced_id)
        org_id = ids[org.sourced_id]
        if row is None:
            counts.created += 1
            log.record("SCHOOL_CREATED", "School", org_id)
            if wanted["parent_id"] is not None:
                updates.append({ROW_ID: org_id, **wanted})
            continue
        if not _differs(wanted, row):
            counts.unchanged += 1
            continue
        counts.updated += 1
        updates.append({ROW_ID: org_id, **wanted})
        if row["state"] is CourseState.ARCHIVED:
            log.record("SCHOOL_REACTIVATED", "School", org_id)
        if _differs({k: v for k, v in wanted.items() if k not in ("state", "archived_at")}, row):
            log.record("SCHOOL_UPDATED", "School", org_id)
    await update_rows(conn, schools, updates)

    listed = {org.sourced_id for org in records}
    leaving = [
        row
        for sourced_id, row in existing.items()
        if row["state"] is CourseState.ACTIVE
        and sourced_id not in listed
        and (leaving_ids is None or sourced_id in set(leaving_ids))
    ]
    whole_schools = [row["sourced_id"] for row in leaving if row["org_type"] == vocab.SCHOOL]
    if leaving_ids is None and whole_schools and not allow_mass_archive:
        refusal = RosterError(
            vocab.ORGS,
            None,
            f"would archive {len(whole_schools)} whole school(s) missing from the file "
            f"({', '.join(repr(s) for s in sorted(whole_schools)[:10])}) with all their courses: "
            "is the file complete? Import with --allow-mass-archive if this is intended",
        )
        report.refusals.append(str(refusal))
        refusals.append(refusal)
    await update_rows(
        conn,
        schools,
        [{ROW_ID: row["id"], "state": CourseState.ARCHIVED, "archived_at": now} for row in leaving],
    )
    for row in leaving:
        counts.removed += 1
        report.archived_orgs.append(row["sourced_id"])
        log.record("SCHOOL_ARCHIVED", "School", row["id"])
    return await load_orgs(conn)
