"""Writing a validated plan into the database, inside the caller's transaction.

Order matters for the foreign keys: sessions, orgs, people and courses are created or updated
first, then the links. Nothing a person produced or was given is ever deleted here, directly or
by a cascade (docs/school-year.md rule 1): orgs and classes that leave are archived, enrolments
ended, people restricted; only role assignments, guardianships and course terms (links) are deleted.
Each table is read once, keyed by sourcedId, and written in executemany batches.

Each file is applied as its manifest mode says: ``bulk`` (the whole truth), ``delta`` (only the
rows listed change: ``active`` rows upsert, ``tobedeleted`` rows archive, end or restrict) or
``absent`` (nothing changes). References into files that are not bulk are looked up in the
database, and an unknown one fails the import with ``file:line``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster import vocab
from roster.changes import ChangeLog
from roster.courses import (
    Courses,
    archive_courses_of_archived_schools,
    load_courses,
    sync_courses,
)
from roster.dbutil import serialise_imports
from roster.erased import ErasedIdentities
from roster.errors import RosterError
from roster.links import Key, LinkSync, LinkTable, WantedLink, sync_links
from roster.orgs import Orgs, load_orgs, sync_orgs
from roster.people import People, PeopleOptions, sync_people
from roster.plan import Plan, RoleLink, guardian_links
from roster.report import ImportReport, Skipped
from roster.sessions import session_ids, sync_sessions
from store import tables as t
from store.tables import ProcessingState, Role

Progress = Callable[[str], None]

ROLE_LINKS = LinkTable(
    t.role_assignments,
    ("person_id", "role", "school_id"),
    ("person_id",),
    "ROLE_ADDED",
    "ROLE_REMOVED",
    lambda key: ("School" if key[2] is not None else None, key[2], key[0], f"role: {key[1]}"),
)
ENROLMENT_LINKS = LinkTable(
    t.enrolments,
    ("course_id", "person_id", "role"),
    ("person_id",),
    "ENROLMENT_STARTED",
    "ENROLMENT_ENDED",
    lambda key: ("Course", key[0], key[1], f"role: {key[2]}"),
    ends=True,
)
GUARDIAN_LINKS = LinkTable(
    t.guardianships,
    ("guardian_id", "student_id"),
    ("guardian_id", "student_id"),
    "GUARDIANSHIP_ADDED",
    "GUARDIANSHIP_REMOVED",
    lambda key: ("User", key[0], key[1], None),
)

#: every table the import writes, locked up front (``serialise_imports``)
WRITTEN_TABLES = (
    t.academic_sessions,
    t.schools,
    t.people,
    t.role_assignments,
    t.guardianships,
    t.courses,
    t.course_terms,
    t.enrolments,
    t.recreate_allowances,
)


@dataclass(frozen=True)
class ApplyOptions:
    identity_key: bytes
    import_id: int
    allow_mass_restriction: bool = False
    allow_mass_archive: bool = False
    #: thresholds the package crosses; the caller refuses the import when any is here
    refusals: list[RosterError] = field(default_factory=list)


@dataclass
class _Steps:
    """Progress messages and per-step timings for the report."""

    report: ImportReport
    progress: Progress | None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        self.report.timings.append((name, seconds))
        if self.progress is not None:
            self.progress(f"applied {name} ({seconds:.1f} s)")


async def apply_plan(
    conn: AsyncConnection,
    plan: Plan,
    report: ImportReport,
    now: datetime,
    options: ApplyOptions,
    log: ChangeLog,
    progress: Progress | None = None,
) -> None:
    await serialise_imports(conn, WRITTEN_TABLES)
    steps = _Steps(report, progress)

    def bulk(file: str) -> bool:
        return plan.mode(file) == vocab.BULK

    def absent(file: str) -> bool:
        return plan.mode(file) == vocab.ABSENT

    with steps.step(vocab.SESSIONS):
        sessions = (
            await session_ids(conn)
            if absent(vocab.SESSIONS)
            else await sync_sessions(conn, plan.sessions, report.sessions, log)
        )
    with steps.step(vocab.ORGS):
        if absent(vocab.ORGS):
            orgs = await load_orgs(conn)
        else:
            leaving_orgs = None if bulk(vocab.ORGS) else plan.removed_orgs
            orgs = await sync_orgs(
                conn,
                plan.orgs,
                leaving_orgs,
                report,
                log,
                now,
                options.allow_mass_archive,
                options.refusals,
            )
    with steps.step(vocab.USERS):
        if absent(vocab.USERS):
            found = await _load_people(conn)
        else:
            erased = await ErasedIdentities.load(conn, options.identity_key)
            people_options = PeopleOptions(
                bulk=bulk(vocab.USERS),
                allow_mass_restriction=options.allow_mass_restriction,
                import_id=options.import_id,
                erased=erased,
                refusals=options.refusals,
            )
            found = await sync_people(conn, plan.users, report, now, people_options, log)
    with steps.step(vocab.CLASSES):
        if not absent(vocab.CLASSES):
            leaving_classes = None if bulk(vocab.CLASSES) else plan.removed_classes
            await sync_courses(
                conn,
                plan.classes,
                leaving_classes,
                orgs,
                sessions,
                report,
                log,
                now,
                options.allow_mass_archive,
                options.refusals,
            )
        await archive_courses_of_archived_schools(conn, orgs, report, log, now)
        courses = await load_courses(conn)
    resolve = _Resolver(found, orgs, courses)
    if not absent(vocab.ROLES):
        with steps.step(vocab.ROLES):
            await _sync_roles(conn, plan, resolve, bulk(vocab.ROLES), report, log, now)
    if not absent(vocab.ENROLLMENTS):
        with steps.step(vocab.ENROLLMENTS):
            await _sync_enrolments(conn, plan, resolve, bulk(vocab.ENROLLMENTS), report, log, now)
    if not absent(vocab.USERS):
        with steps.step("guardianships"):
            await _sync_guardians(conn, plan, found, bulk(vocab.USERS), report, log, now)


async def _load_people(conn: AsyncConnection) -> People:
    p = t.people.c
    rows = (await conn.execute(select(p.id, p.sourced_id, p.processing_state))).all()
    return People(
        ids={row.sourced_id: row.id for row in rows},
        inactive=frozenset(
            row.id for row in rows if row.processing_state != ProcessingState.ACTIVE
        ),
    )


@dataclass(frozen=True)
class _Resolver:
    """sourcedIds of rows to database ids, failing with ``file:line`` on unknown ones."""

    people: People
    orgs: Orgs
    courses: Courses

    def person(self, file: str, line: int, sourced_id: str) -> int | None:
        """The person's id, or None when the import must not touch their links."""
        if sourced_id in self.people.blocked:
            return None
        person_id = self.people.ids.get(sourced_id)
        if person_id is None:
            raise RosterError(file, line, f"unknown userSourcedId '{sourced_id}'")
        return None if person_id in self.people.inactive else person_id

    def school(self, file: str, line: int, sourced_id: str) -> int:
        school_id = self.orgs.ids.get(sourced_id)
        if school_id is None:
            raise RosterError(file, line, f"unknown orgSourcedId '{sourced_id}'")
        return school_id

    def course(self, file: str, line: int, sourced_id: str) -> int:
        course_id = self.courses.ids.get(sourced_id)
        if course_id is None:
            raise RosterError(file, line, f"unknown classSourcedId '{sourced_id}'")
        return course_id


async def _sync_roles(
    conn: AsyncConnection,
    plan: Plan,
    resolve: _Resolver,
    complete: bool,
    report: ImportReport,
    log: ChangeLog,
    now: datetime,
) -> None:
    def resolved(links: tuple[RoleLink, ...], removing: bool) -> list[WantedLink]:
        result: list[WantedLink] = []
        for role in links:
            if removing and role.user not in resolve.people.ids:
                continue  # a tobedeleted role of someone Tavle never had: nothing to remove
            person_id = resolve.person(vocab.ROLES, role.line, role.user)
            if person_id is None:
                continue
            school_id = None
            if role.school is not None:
                school_id = resolve.school(vocab.ROLES, role.line, role.school)
                if school_id not in resolve.orgs.school_ids:
                    if not removing:
                        report.skipped.append(
                            Skipped(
                                vocab.ROLES,
                                role.line,
                                f"role '{role.role}' of '{role.user}' skipped: org "
                                f"'{role.school}' is not a school, and this role is held at a "
                                "school",
                            )
                        )
                    continue
            result.append(WantedLink((person_id, role.role, school_id), role.sourced_id))
        return result

    wanted = resolved(plan.roles, removing=False)
    leaving = [] if complete else resolved(plan.removed_roles, removing=True)
    people, archived = resolve.people.inactive, resolve.orgs.archived
    how = LinkSync(
        complete=complete,
        # Roles at an archived school are kept: last year's staff still answer for it.
        frozen=lambda row: row["person_id"] in people or row["school_id"] in archived,
        leaving=[link.key for link in leaving],
    )
    await sync_links(conn, ROLE_LINKS, wanted, how, report.roles, log, now)


async def _sync_enrolments(
    conn: AsyncConnection,
    plan: Plan,
    resolve: _Resolver,
    complete: bool,
    report: ImportReport,
    log: ChangeLog,
    now: datetime,
) -> None:
    archived = resolve.courses.archived

    def resolved(active: bool) -> list[WantedLink]:
        links: list[WantedLink] = []
        for enrolment in plan.enrolments if active else plan.removed_enrolments:
            file, line = vocab.ENROLLMENTS, enrolment.line
            if not active and (
                enrolment.user not in resolve.people.ids
                or enrolment.class_ not in resolve.courses.ids
            ):
                continue  # nothing to end
            course_id = resolve.course(file, line, enrolment.class_)
            if course_id in archived:
                # An archived course keeps its final memberships (its terms have ended, or the
                # school left): rows for it neither start nor end anything.
                continue
            person_id = resolve.person(file, line, enrolment.user)
            if person_id is not None:
                links.append(
                    WantedLink((course_id, person_id, enrolment.role), enrolment.sourced_id)
                )
        return links

    wanted = resolved(active=True)
    leaving = [] if complete else resolved(active=False)
    people = resolve.people.inactive
    how = LinkSync(
        complete=complete,
        frozen=lambda row: row["person_id"] in people or row["course_id"] in archived,
        leaving=[link.key for link in leaving],
    )
    await sync_links(conn, ENROLMENT_LINKS, wanted, how, report.enrollments, log, now)


async def _sync_guardians(
    conn: AsyncConnection,
    plan: Plan,
    found: People,
    complete: bool,
    report: ImportReport,
    log: ChangeLog,
    now: datetime,
) -> None:
    """Guardianships from ``agentSourcedIds``, checked against the roles the database now holds.

    A bulk users.csv is the whole truth. In a delta file a listed student's agents replace
    their guardians, and a listed guardian's agents are added as children.
    """
    ra = t.role_assignments.c
    by_id = {person_id: sourced_id for sourced_id, person_id in found.ids.items()}
    students: set[str] = set()
    guardians: set[str] = set()
    for person_id, role in await conn.execute(
        select(ra.person_id, ra.role).where(ra.role.in_([Role.STUDENT, Role.GUARDIAN]))
    ):
        (students if role == Role.STUDENT else guardians).add(by_id[person_id])
    skipped: list[Skipped] = []
    links = guardian_links(plan.users, students, guardians, skipped)
    report.skipped.extend(skipped)
    wanted: list[WantedLink] = []
    for link in links:
        guardian_id, student_id = found.ids.get(link.guardian), found.ids.get(link.student)
        if guardian_id is None or student_id is None:
            continue
        if guardian_id in found.inactive or student_id in found.inactive:
            continue
        wanted.append(WantedLink((guardian_id, student_id)))
    leaving: list[Key] = []
    if not complete:
        listed_students = [
            found.ids[user.sourced_id]
            for user in plan.users
            if user.active and user.sourced_id in students and user.sourced_id in found.ids
        ]
        g = t.guardianships.c
        wanted_keys = {link.key for link in wanted}
        for guardian_id, student_id in await conn.execute(
            select(g.guardian_id, g.student_id).where(g.student_id.in_(listed_students))
        ):
            if (guardian_id, student_id) not in wanted_keys:
                leaving.append((guardian_id, student_id))
    inactive = found.inactive
    how = LinkSync(
        complete=complete,
        frozen=lambda row: row["guardian_id"] in inactive or row["student_id"] in inactive,
        leaving=leaving,
    )
    await sync_links(conn, GUARDIAN_LINKS, wanted, how, report.guardianships, log, now)
