"""classes.csv into ``courses`` and ``course_terms``: upsert, and archive what leaves.

A class that leaves a bulk file, is marked ``tobedeleted``, or belongs to an archived school is
archived (docs/school-year.md rule 2): read-only, with its final memberships kept, never deleted. A
bulk file that would archive more than a fifth of a school's active courses (and more than
``MASS_ARCHIVE_MINIMUM``) is refused as probably truncated unless ``--allow-mass-archive`` is
given. An archived class listed again is reactivated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
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
from store.tables import CourseState, academic_sessions, course_terms, courses

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
    calendar = await _Calendar.load(conn, sessions, now.date())
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    renewed: list[dict[str, Any]] = []
    for class_ in records:
        row = existing.get(class_.sourced_id)
        terms = calendar.terms_of(class_, None if row is None else row["id"])
        if row is not None and calendar.is_new_instance(row, terms):
            # The school system reuses the class's sourcedId for a new school year: last year's
            # course keeps its content under a released sourcedId, and a new course begins.
            renewed.append({ROW_ID: row["id"], "sourced_id": _released(row)})
            report.renewed_classes.append(class_.sourced_id)
            row = None
        ended = calendar.all_ended(terms)
        wanted = {
            "school_id": _school_of(class_, orgs),
            "code": class_.code,
            "name": class_.title,
            "is_homeroom": class_.is_homeroom,
            # A class whose every term has ended is archived, even while the file lists it.
            "state": CourseState.ARCHIVED if ended else CourseState.ACTIVE,
            "archived_at": (
                (row["archived_at"] or now) if ended and row is not None else now if ended else None
            ),
        }
        if row is None:
            inserts.append({"sourced_id": class_.sourced_id, **wanted})
            counts.created += 1
            if ended:
                report.archived_classes.append(class_.sourced_id)
            continue
        if all(row[column] == value for column, value in wanted.items()):
            counts.unchanged += 1
            continue
        updates.append({ROW_ID: row["id"], **wanted})
        if row["state"] is CourseState.ARCHIVED and not ended:
            report.reactivated_classes.append(class_.sourced_id)
            log.record("COURSE_REACTIVATED", "Course", row["id"])
        elif row["state"] is CourseState.ACTIVE and ended:
            report.archived_classes.append(class_.sourced_id)
            log.record("COURSE_ARCHIVED", "Course", row["id"])
            counts.removed += 1
        if any(row[c] != wanted[c] for c in ("school_id", "code", "name", "is_homeroom")):
            log.record("COURSE_UPDATED", "Course", row["id"])
            counts.updated += 1
        elif not (row["state"] is CourseState.ACTIVE and ended):
            counts.updated += 1
    await update_rows(conn, courses, renewed)
    await update_rows(conn, courses, updates)
    await insert_rows(conn, courses, inserts)
    ids = (await load_courses(conn)).ids
    for values in inserts:
        log.record("COURSE_CREATED", "Course", ids[values["sourced_id"]])
        if values["state"] is CourseState.ARCHIVED:
            log.record("COURSE_ARCHIVED", "Course", ids[values["sourced_id"]])

    listed = {class_.sourced_id for class_ in records}
    leaving_set = None if leaving_ids is None else set(leaving_ids)
    leaving = [
        row
        for row in existing.values()
        if row["state"] is CourseState.ACTIVE
        and row["sourced_id"] not in listed
        and row["school_id"] not in orgs.archived
        and (leaving_set is None or row["sourced_id"] in leaving_set)
    ]
    if leaving_set is None and not allow_mass_archive:
        refused = _check_mass_archive(leaving, existing.values(), orgs)
        report.refusals.extend(str(error) for error in refused)
        refusals.extend(refused)
    await _archive(conn, leaving, report, log, now)
    created = {v["sourced_id"] for v in inserts}
    await _sync_terms(conn, records, ids, calendar, log, created)
    return await load_courses(conn)


def _released(row: RowMapping) -> str:
    """The sourcedId an archived course keeps when the school system reuses its own."""
    suffix = f"#archived-{row['id']}"
    return f"{row['sourced_id'][: 255 - len(suffix)]}{suffix}"


async def _archive(
    conn: AsyncConnection,
    rows: Sequence[RowMapping],
    report: ImportReport,
    log: ChangeLog,
    now: datetime,
) -> None:
    await update_rows(
        conn,
        courses,
        [{ROW_ID: row["id"], "state": CourseState.ARCHIVED, "archived_at": now} for row in rows],
    )
    for row in rows:
        report.classes.removed += 1
        report.archived_classes.append(row["sourced_id"])
        log.record("COURSE_ARCHIVED", "Course", row["id"])


async def archive_courses_of_archived_schools(
    conn: AsyncConnection, orgs: Orgs, report: ImportReport, log: ChangeLog, now: datetime
) -> None:
    """Archive the ACTIVE courses of archived schools (whatever classes.csv's mode)."""
    if not orgs.archived:
        return
    rows = (
        (
            await conn.execute(
                select(_c.id, _c.sourced_id).where(
                    _c.state == CourseState.ACTIVE, _c.school_id.in_(sorted(orgs.archived))
                )
            )
        )
        .mappings()
        .all()
    )
    await _archive(conn, rows, report, log, now)


@dataclass(frozen=True)
class _Calendar:
    """Course terms as the database holds them, and the sessions' end dates."""

    sessions: Mapping[str, int]
    ends: Mapping[int, date]
    current: Mapping[int, frozenset[int]]
    today: date

    @classmethod
    async def load(
        cls, conn: AsyncConnection, sessions: Mapping[str, int], today: date
    ) -> _Calendar:
        s, ct = academic_sessions.c, course_terms.c
        ends = {session_id: end for session_id, end in await conn.execute(select(s.id, s.end_date))}
        current: dict[int, set[int]] = {}
        for course_id, session_id in await conn.execute(select(ct.course_id, ct.session_id)):
            current.setdefault(course_id, set()).add(session_id)
        return cls(sessions, ends, {c: frozenset(v) for c, v in current.items()}, today)

    def terms_of(self, class_: ClassRecord, course_id: int | None) -> frozenset[int]:
        """The session ids the class will run in after this import."""
        if class_.terms is None:
            return (
                self.current.get(course_id, frozenset()) if course_id is not None else frozenset()
            )
        found: set[int] = set()
        for term in class_.terms:
            if term not in self.sessions:
                raise RosterError(vocab.CLASSES, class_.line, f"unknown termSourcedIds '{term}'")
            found.add(self.sessions[term])
        return frozenset(found)

    def all_ended(self, terms: frozenset[int]) -> bool:
        return bool(terms) and all(self.ends[term] < self.today for term in terms)

    def is_new_instance(self, row: RowMapping, terms: frozenset[int]) -> bool:
        """An archived course listed again with terms none of which it ran in: a new year's
        class under a reused sourcedId, not the old class coming back."""
        old = self.current.get(row["id"], frozenset())
        return (
            row["state"] is CourseState.ARCHIVED and bool(old) and bool(terms) and not (old & terms)
        )


async def _sync_terms(
    conn: AsyncConnection,
    records: Sequence[ClassRecord],
    ids: Mapping[str, int],
    calendar: _Calendar,
    log: ChangeLog,
    created: set[str],
) -> None:
    """Make each listed class's terms those of its ``termSourcedIds`` (when the column exists)."""
    inserts: list[dict[str, Any]] = []
    deletes: list[tuple[int, int]] = []
    for class_ in records:
        if class_.terms is None:
            continue
        course_id = ids[class_.sourced_id]
        wanted = calendar.terms_of(class_, course_id)
        have = calendar.current.get(course_id, frozenset())
        if wanted == have:
            continue
        inserts.extend({"course_id": course_id, "session_id": s} for s in sorted(wanted - have))
        deletes.extend((course_id, s) for s in sorted(have - wanted))
        if class_.sourced_id not in created:
            log.record("COURSE_TERMS_CHANGED", "Course", course_id)
    await delete_by_primary_key(conn, course_terms, deletes)
    await insert_rows(conn, course_terms, inserts)
