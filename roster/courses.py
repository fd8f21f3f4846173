"""classes.csv into ``courses`` and ``course_terms``: upsert, and archive what leaves.

A class that leaves a bulk file, is marked ``tobedeleted``, or belongs to an archived school is
archived (school-year.md rule 2): read-only, with its final memberships kept, never deleted. A
bulk file that would archive more than a fifth of a school's active courses (and more than
``MASS_ARCHIVE_MINIMUM``) is refused as probably truncated unless ``--allow-mass-archive`` is
given. An archived class listed again is reactivated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster import vocab
from roster.changes import ChangeLog
from roster.dbutil import ROW_ID, delete_by_primary_key, insert_rows, update_rows
from roster.errors import RosterError
from roster.orgs import Orgs
from roster.records import ClassRecord
from roster.report import ImportReport
from store.tables import CourseState, course_terms, courses

MASS_ARCHIVE_SHARE = 0.2
MASS_ARCHIVE_MINIMUM = 5

_c = courses.c


@dataclass(frozen=True)
class Courses:
    ids: Mapping[str, int]
    archived: frozenset[int]


async def load_courses(conn: AsyncConnection) -> Courses:
    rows = (await conn.execute(select(_c.id, _c.sourced_id, _c.state))).all()
    return Courses(
        ids={row.sourced_id: row.id for row in rows},
        archived=frozenset(row.id for row in rows if row.state == CourseState.ARCHIVED),
    )


def _school_of(class_: ClassRecord, orgs: Orgs) -> int:
    school_id = orgs.ids.get(class_.school)
    where = (vocab.CLASSES, class_.line)
    if school_id is None:
        raise RosterError(*where, f"unknown schoolSourcedId '{class_.school}'")
    if school_id not in orgs.school_ids:
        raise RosterError(*where, f"schoolSourcedId '{class_.school}' is not a school")
    if school_id in orgs.archived:
        raise RosterError(*where, f"schoolSourcedId '{class_.school}' is archived")
    return school_id


def _check_mass_archive(
    leaving: Sequence[RowMapping], existing: Iterable[RowMapping], orgs: Orgs
) -> list[RosterError]:
    active = Counter(row["school_id"] for row in existing if row["state"] is CourseState.ACTIVE)
    going = Counter(row["school_id"] for row in leaving)
    names = {school_id: sourced_id for sourced_id, school_id in orgs.ids.items()}
    refusals: list[RosterError] = []
    for school_id, count in sorted(going.items()):
        if count > MASS_ARCHIVE_MINIMUM and count > MASS_ARCHIVE_SHARE * active[school_id]:
            refusals.append(
                RosterError(
                    vocab.CLASSES,
                    None,
                    f"would archive {count} of the {active[school_id]} active courses of school "
                    f"'{names.get(school_id, school_id)}' (more than {MASS_ARCHIVE_SHARE:.0%}): is "
                    "the file complete? Import with --allow-mass-archive if this is intended (at "
                    "the school year's rollover, for example)",
                )
            )
    return refusals


async def sync_courses(
    conn: AsyncConnection,
    records: Sequence[ClassRecord],
    leaving_ids: Iterable[str] | None,
    orgs: Orgs,
    sessions: Mapping[str, int],
    report: ImportReport,
    log: ChangeLog,
    now: datetime,
    allow_mass_archive: bool,
    refusals: list[RosterError],
) -> Courses:
    """Upsert ``records`` (the active classes). ``leaving_ids``: sourcedIds marked
    ``tobedeleted``; None for a bulk file, where every class not listed leaves."""
    counts = report.classes
    existing = {row["sourced_id"]: row for row in (await conn.execute(select(courses))).mappings()}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for class_ in records:
        wanted = {
            "school_id": _school_of(class_, orgs),
            "code": class_.code,
            "name": class_.title,
            "is_homeroom": class_.is_homeroom,
            "state": CourseState.ACTIVE,
            "archived_at": None,
        }
        row = existing.get(class_.sourced_id)
        if row is None:
            inserts.append({"sourced_id": class_.sourced_id, **wanted})
            counts.created += 1
            continue
        if all(row[column] == value for column, value in wanted.items()):
            counts.unchanged += 1
            continue
        counts.updated += 1
        updates.append({ROW_ID: row["id"], **wanted})
        if row["state"] is CourseState.ARCHIVED:
            report.reactivated_classes.append(class_.sourced_id)
            log.record("COURSE_REACTIVATED", "Course", row["id"])
        if any(row[c] != wanted[c] for c in ("school_id", "code", "name", "is_homeroom")):
            log.record("COURSE_UPDATED", "Course", row["id"])
    await update_rows(conn, courses, updates)
    await insert_rows(conn, courses, inserts)
    ids = (await load_courses(conn)).ids
    for values in inserts:
        log.record("COURSE_CREATED", "Course", ids[values["sourced_id"]])

    listed = {class_.sourced_id for class_ in records}
    leaving_set = None if leaving_ids is None else set(leaving_ids)
    active = [row for row in existing.values() if row["state"] is CourseState.ACTIVE]
    leaving = [
        row
        for row in active
        if row["sourced_id"] not in listed
        and row["school_id"] not in orgs.archived
        and (leaving_set is None or row["sourced_id"] in leaving_set)
    ]
    with_school = [
        row
        for row in active
        if row["school_id"] in orgs.archived and row["sourced_id"] not in listed
    ]
    if leaving_set is None and not allow_mass_archive:
        refused = _check_mass_archive(leaving, existing.values(), orgs)
        report.refusals.extend(str(error) for error in refused)
        refusals.extend(refused)
    archived = [*leaving, *with_school]
    await update_rows(
        conn,
        courses,
        [
            {ROW_ID: row["id"], "state": CourseState.ARCHIVED, "archived_at": now}
            for row in archived
        ],
    )
    for row in archived:
        counts.removed += 1
        report.archived_classes.append(row["sourced_id"])
        log.record("COURSE_ARCHIVED", "Course", row["id"])
    await _sync_terms(conn, records, ids, sessions, log, {v["sourced_id"] for v in inserts})
    return await load_courses(conn)


async def _sync_terms(
    conn: AsyncConnection,
    records: Sequence[ClassRecord],
    ids: Mapping[str, int],
    sessions: Mapping[str, int],
    log: ChangeLog,
    created: set[str],
) -> None:
    """Make each listed class's terms those of its ``termSourcedIds`` (when the column exists)."""
    with_terms = [class_ for class_ in records if class_.terms is not None]
    if not with_terms:
        return
    ct = course_terms.c
    current: dict[int, set[int]] = {}
    for course_id, session_id in await conn.execute(select(ct.course_id, ct.session_id)):
        current.setdefault(course_id, set()).add(session_id)
    inserts: list[dict[str, Any]] = []
    deletes: list[tuple[int, int]] = []
    for class_ in with_terms:
        course_id = ids[class_.sourced_id]
        wanted: set[int] = set()
        for term in class_.terms or ():
            if term not in sessions:
                raise RosterError(vocab.CLASSES, class_.line, f"unknown termSourcedIds '{term}'")
            wanted.add(sessions[term])
        have = current.get(course_id, set())
        if wanted == have:
            continue
        inserts.extend({"course_id": course_id, "session_id": s} for s in sorted(wanted - have))
        deletes.extend((course_id, s) for s in sorted(have - wanted))
        if class_.sourced_id not in created:
            log.record("COURSE_TERMS_CHANGED", "Course", course_id)
    await delete_by_primary_key(conn, course_terms, deletes)
    await insert_rows(conn, course_terms, inserts)
