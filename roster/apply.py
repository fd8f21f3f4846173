"""Writing a validated plan into the database, inside the caller's transaction.

Order matters for the foreign keys: orgs, people and courses are created or updated first, then the
links, and only at the end are courses and orgs that left the roster deleted. Each table is read
once, keyed by sourcedId, and written in executemany batches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.dbutil import ROW_ID, delete_rows, insert_rows, serialise_imports, update_rows
from roster.links import LinkTable, WantedLink, sync_links
from roster.people import sync_people
from roster.plan import Plan
from roster.records import ClassRecord, OrgRecord
from roster.report import Counts, ImportReport
from store.tables import (
    courses,
    enrolments,
    guardianships,
    people,
    role_assignments,
    schools,
)

ROLE_LINKS = LinkTable(role_assignments, ("person_id", "role", "school_id"), ("person_id",))
ENROLMENT_LINKS = LinkTable(enrolments, ("course_id", "person_id", "role"), ("person_id",))
GUARDIAN_LINKS = LinkTable(
    guardianships, ("guardian_id", "student_id"), ("guardian_id", "student_id")
)


async def apply_plan(
    conn: AsyncConnection,
    plan: Plan,
    report: ImportReport,
    now: datetime,
    allow_mass_restriction: bool = False,
) -> None:
    await serialise_imports(
        conn, [schools, people, role_assignments, guardianships, courses, enrolments]
    )
    school_ids, gone_orgs = await _sync_orgs(conn, plan.orgs, report.orgs)
    found = await sync_people(conn, plan.users, report, now, allow_mass_restriction)
    course_ids, gone_courses = await _sync_courses(conn, plan.classes, school_ids, report.classes)

    def person(sourced_id: str) -> int | None:
        """The person's id, or None when the import must not touch their links."""
        person_id = found.ids.get(sourced_id)
        return None if person_id is None or person_id in found.inactive else person_id

    roles: list[WantedLink] = []
    for role in plan.roles:
        person_id = person(role.user)
        if person_id is not None:
            school_id = None if role.school is None else school_ids[role.school]
            roles.append(WantedLink((person_id, role.role, school_id), role.sourced_id))
    await sync_links(conn, ROLE_LINKS, roles, found.inactive, report.roles)

    enrolled: list[WantedLink] = []
    for enrolment in plan.enrolments:
        person_id = person(enrolment.user)
        if person_id is not None:
            key = (course_ids[enrolment.class_], person_id, enrolment.role)
            enrolled.append(WantedLink(key, enrolment.sourced_id))
    await sync_links(conn, ENROLMENT_LINKS, enrolled, found.inactive, report.enrollments)

    guardians: list[WantedLink] = []
    for link in plan.guardianships:
        guardian_id, student_id = person(link.guardian), person(link.student)
        if guardian_id is not None and student_id is not None:
            guardians.append(WantedLink((guardian_id, student_id)))
    await sync_links(conn, GUARDIAN_LINKS, guardians, found.inactive, report.guardianships)

    await delete_rows(conn, courses, gone_courses)
    if gone_orgs:
        # Detach first, so that deleting a parent and its child together needs no ordering.
        await update_rows(conn, schools, [{ROW_ID: i, "parent_id": None} for i in gone_orgs])
        await delete_rows(conn, schools, gone_orgs)


def _differs(wanted: Mapping[str, Any], row: RowMapping) -> bool:
    return any(row[column] != value for column, value in wanted.items())


async def _sync_orgs(
    conn: AsyncConnection, orgs: Sequence[OrgRecord], counts: Counts
) -> tuple[dict[str, int], list[int]]:
    """Upsert the active orgs; return ids by sourcedId and the ids of orgs to delete at the end."""
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
            }
            for org in orgs
            if org.sourced_id not in existing
        ],
    )
    ids: dict[str, int] = {
        sourced_id: org_id
        for sourced_id, org_id in await conn.execute(select(schools.c.sourced_id, schools.c.id))
    }
    updates: list[dict[str, Any]] = []
    for org in orgs:
        wanted = {
            "name": org.name,
            "code": org.identifier,
            "org_type": org.org_type,
            "parent_id": None if org.parent is None else ids[org.parent],
        }
        row = existing.get(org.sourced_id)
        if row is None:
            counts.created += 1
            if wanted["parent_id"] is not None:
                updates.append({ROW_ID: ids[org.sourced_id], **wanted})
        elif _differs(wanted, row):
            counts.updated += 1
            updates.append({ROW_ID: row["id"], **wanted})
        else:
            counts.unchanged += 1
    await update_rows(conn, schools, updates)
    listed = {org.sourced_id for org in orgs}
    gone = [row["id"] for sourced_id, row in existing.items() if sourced_id not in listed]
    counts.deleted += len(gone)
    return ids, gone


async def _sync_courses(
    conn: AsyncConnection,
    classes: Sequence[ClassRecord],
    school_ids: Mapping[str, int],
    counts: Counts,
) -> tuple[dict[str, int], list[int]]:
    """Upsert the active classes; return ids by sourcedId and the ids of courses to delete."""
    existing = {row["sourced_id"]: row for row in (await conn.execute(select(courses))).mappings()}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for class_ in classes:
        wanted = {
            "school_id": school_ids[class_.school],
            "code": class_.code,
            "name": class_.title,
            "is_homeroom": class_.is_homeroom,
        }
        row = existing.get(class_.sourced_id)
        if row is None:
            inserts.append({"sourced_id": class_.sourced_id, **wanted})
            counts.created += 1
        elif _differs(wanted, row):
            updates.append({ROW_ID: row["id"], **wanted})
            counts.updated += 1
        else:
            counts.unchanged += 1
    await update_rows(conn, courses, updates)
    await insert_rows(conn, courses, inserts)
    ids: dict[str, int] = {
        sourced_id: course_id
        for sourced_id, course_id in await conn.execute(select(courses.c.sourced_id, courses.c.id))
    }
    listed = {class_.sourced_id for class_ in classes}
    gone = [row["id"] for sourced_id, row in existing.items() if sourced_id not in listed]
    counts.deleted += len(gone)
    return ids, gone
