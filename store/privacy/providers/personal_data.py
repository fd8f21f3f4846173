"""``PERSONAL_DATA``: the profile, roles, guardian links, enrolments and notifications.

Tables: ``people``, ``role_assignments``, ``guardianships``, ``enrolments``, ``notifications``,
``access_log``.

Exported (art. 15/20)
    * ``profile``: sourcedId, username, given and family name, email, national id (each of
      these four with its own ``source``, from the ``*_source`` columns: roster import or an
      administrator's rectification), the Feide id (login at Feide, from the roster), the
      language the person chose for notifications and the privacy notice (``nb``, ``en`` or
      none), whether the account is enabled, the processing state and its timestamps.
    * ``role_assignment``: each role held, with the school's name (schools are not personal
      data).
    * ``guardian_link``: each guardianship in either direction, as a *reference*: the relation
      (``IS_GUARDIAN_OF`` / ``HAS_GUARDIAN``) and the other person's internal id, never their
      name or contact data. The link is data about the subject; the other person's identity is
      theirs (art. 15(4)).
    * ``enrolment``: course code and name, school, and the course role.
    * ``notification``: notifications addressed to the person.
    * ``access_log_entry``: each read of the person's answers, assessments, national id or
      export by a staff member (``store.access_log``): when, what, in which operation, and the
      reader's internal id only (art. 15(1)(c): the recipients; the reader's identity is theirs).
    * ``incident``: each personal data breach in the incident register that affected the person
      (``incident_people``, docs/incidents.md): the incident's internal id, when it was
      detected, its status, why the person is affected, when the authority was told, when the
      affected people were told and when this person was (null: not told). Never the
      description: it is the administrator's free text and may name other people.

Restriction
    Everything here is HIDDEN: the person no longer resolves and is left out of every list
    (members, guardians, children, directories). Nothing is rewritten; the row scopes decide.

Erasure
    * Scrubbed: the ``people`` row stays as a *tombstone* so that ids elsewhere (authors of
      kept posts, the assessor of kept assessments, the audit log) still point somewhere. Its
      personal fields are set to NULL (names, email, national id, Feide id, username, chosen
      language), the sourcedId is replaced by ``erased:<id>`` (the roster's key is itself an
      identifier, and would let a later import re-attach the person), the state becomes
      ``ERASED``, ``erased_at`` is set, and the account is disabled. The tombstone counts as
      one DELETED item: nothing of the profile is left that identifies anyone.
    * Deleted: role assignments, guardianships in **both** directions (as guardian and as
      child), enrolments, notifications, and the access log's entries where the person is the
      reader or the one read about.
    * Kept: nothing identifying. The internal id remains only as the tombstone's key; after
      erasure nothing links it to a name any more (docs/privacy-actions.md, "Audit entries").
      The incident register's rows about the person (``incident_people``) are exported here but
      not owned: the register keeps them for accountability, pointing at the tombstone
      (docs/incidents.md), so neither restriction nor erasure counts or changes them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import ColumnElement, Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config import clock
from store import access_log
from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import Sourced, count, effects, stream_rows
from store.privacy.providers._presence import Check
from store.tables import DataSource, ProcessingState

IS_GUARDIAN_OF = "IS_GUARDIAN_OF"
HAS_GUARDIAN = "HAS_GUARDIAN"


class UnknownSubjectError(LookupError):
    """The subject id names no person."""


class AlreadyErasedError(ValueError):
    """Erasure was asked for a person who is already erased (a clear error, not a crash)."""


def tombstone_sourced_id(person_id: int) -> str:
    return f"erased:{person_id}"


class PersonalDataProvider:
    category = DataCategory.PERSONAL_DATA
    tables = frozenset(
        {
            "people",
            "role_assignments",
            "guardianships",
            "enrolments",
            "notifications",
            # the staff access log: data about both sides (store/access_log.py)
            "access_log",
        }
    )

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        p = t.people.c
        row = (await conn.execute(select(t.people).where(p.id == subject_id))).one_or_none()
        if row is None:
            return
        yield ExportItem(
            kind="profile",
            fields={
                "sourced_id": row.sourced_id,
                "username": row.username,
                "given_name": Sourced(row.given_name, row.given_name_source),
                "family_name": Sourced(row.family_name, row.family_name_source),
                "email": Sourced(row.email, row.email_source),
                "national_id": Sourced(row.national_id, row.national_id_source),
                "feide_id": row.feide_id,
                "preferred_language": row.preferred_language,
                "enabled": row.enabled,
                "processing_state": row.processing_state,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "restricted_at": row.restricted_at,
                "erased_at": row.erased_at,
            },
            source=DataSource.ROSTER,
        )

        r, s = t.role_assignments.c, t.schools.c
        roles = (
            select(r.role, s.name.label("school_name"), r.source)
            .select_from(t.role_assignments.outerjoin(t.schools, s.id == r.school_id))
            .where(r.person_id == subject_id)
            .order_by(r.id)
        )
        async for role in stream_rows(conn, roles, (Check.ROLES, subject_id)):
            yield ExportItem(
                kind="role_assignment",
                fields={"role": role.role, "school_name": role.school_name},
                source=role.source,
            )

        g = t.guardianships.c
        links = (
            select(g.guardian_id, g.student_id, g.source)
            .where(or_(g.guardian_id == subject_id, g.student_id == subject_id))
            .order_by(g.guardian_id, g.student_id)
        )
        async for link in stream_rows(conn, links, (Check.GUARDIANSHIPS, subject_id)):
            as_guardian = link.guardian_id == subject_id
            yield ExportItem(
                kind="guardian_link",
                fields={
                    "relation": IS_GUARDIAN_OF if as_guardian else HAS_GUARDIAN,
                    "other_person_id": link.student_id if as_guardian else link.guardian_id,
                },
                source=link.source,
            )

        e, c = t.enrolments.c, t.courses.c
        enrolments = (
            select(
                c.code.label("course_code"),
                c.name.label("course_name"),
                s.name.label("school_name"),
                e.role,
                e.source,
            )
            .select_from(
                t.enrolments.join(t.courses, c.id == e.course_id).join(
                    t.schools, s.id == c.school_id
                )
            )
            .where(e.person_id == subject_id)
            .order_by(e.id)
        )
        async for enrolment in stream_rows(conn, enrolments, (Check.ENROLMENTS, subject_id)):
            yield ExportItem(
                kind="enrolment",
                fields={
                    "course_code": enrolment.course_code,
                    "course_name": enrolment.course_name,
                    "school_name": enrolment.school_name,
                    "role": enrolment.role,
                },
                source=enrolment.source,
            )

        n = t.notifications.c
        notifications = (
            select(n.id, n.kind, n.message, n.created_at, n.read_at)
            .where(n.person_id == subject_id)
            .order_by(n.id)
        )
        async for note in stream_rows(conn, notifications, (Check.NOTIFICATIONS, subject_id)):
            yield ExportItem(
                kind="notification",
                fields={
                    "id": note.id,
                    "kind": note.kind,
                    "message": note.message,
                    "created_at": note.created_at,
                    "read_at": note.read_at,
                },
                # Notifications are written by the system on an administrator's or staff
                # member's action (e.g. "your restriction was lifted"), never by the person.
                source=DataSource.ADMINISTRATOR,
            )

        # Who read the person's answers, assessments, national id or export, and when
        # (art. 15(1)(c)): the reader by internal id only, as for guardian links.
        async for read in stream_rows(
            conn, access_log.entries_about(subject_id), (Check.ACCESS_LOG, subject_id)
        ):
            yield ExportItem(
                kind="access_log_entry",
                fields={
                    "at": read.at,
                    "reader_id": read.staff_id,
                    "what": read.what,
                    "operation": read.operation,
                },
                source=DataSource.REGISTRATION,
            )

        # The breaches that affected the person, as fixed when each was recorded: only what
        # concerns them, never the description (it may name other people).
        i, ip = t.incidents.c, t.incident_people.c
        incidents = (
            select(
                i.id,
                i.detected_at,
                i.status,
                ip.reason,
                i.authority_notified_at,
                i.people_notified_at,
                ip.notified_at,
            )
            .select_from(t.incident_people.join(t.incidents, i.id == ip.incident_id))
            .where(ip.person_id == subject_id)
            .order_by(i.id)
        )
        async for incident in stream_rows(conn, incidents, (Check.INCIDENTS, subject_id)):
            yield ExportItem(
                kind="incident",
                fields={
                    "id": incident.id,
                    "detected_at": incident.detected_at,
                    "status": incident.status,
                    "reason": incident.reason,
                    "authority_notified_at": incident.authority_notified_at,
                    "people_notified_at": incident.people_notified_at,
                    "notified_at": incident.notified_at,
                },
                # recorded in the register by a system administrator
                source=DataSource.ADMINISTRATOR,
            )

    async def _counts(self, conn: AsyncConnection, subject_id: int) -> tuple[int, int]:
        """(profile items, linked rows): the profile counts 1 unless already a tombstone."""
        p = t.people.c
        state = (
            await conn.execute(select(p.processing_state).where(p.id == subject_id))
        ).scalar_one_or_none()
        profile = 0 if state in (None, ProcessingState.ERASED) else 1
        g = t.guardianships.c
        linked = (
            await count(conn, t.role_assignments, t.role_assignments.c.person_id == subject_id)
            + await count(
                conn, t.guardianships, or_(g.guardian_id == subject_id, g.student_id == subject_id)
            )
            + await count(conn, t.enrolments, t.enrolments.c.person_id == subject_id)
            + await count(conn, t.notifications, t.notifications.c.person_id == subject_id)
        )
        return profile, linked

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        profile, linked = await self._counts(conn, subject_id)
        return effects(self.category, [(Outcome.HIDDEN, profile + linked)])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        profile, linked = await self._counts(conn, subject_id)
        # the access log's entries are not hidden by a restriction (no one reads them through
        # the API), only deleted by the erasure
        logged = await access_log.count_for(conn, subject_id)
        return effects(self.category, [(Outcome.DELETED, profile + linked + logged)])

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        p = t.people.c
        state = (
            await conn.execute(select(p.processing_state).where(p.id == subject_id))
        ).scalar_one_or_none()
        if state is None:
            raise UnknownSubjectError(f"no person with id {subject_id}")
        if state == ProcessingState.ERASED:
            raise AlreadyErasedError(f"person {subject_id} is already erased")
        found = await self.erasure_effects(conn, subject_id)

        g = t.guardianships.c
        deletions: list[tuple[Table, ColumnElement[bool]]] = [
            (t.role_assignments, t.role_assignments.c.person_id == subject_id),
            (t.guardianships, or_(g.guardian_id == subject_id, g.student_id == subject_id)),
            (t.enrolments, t.enrolments.c.person_id == subject_id),
            (t.notifications, t.notifications.c.person_id == subject_id),
        ]
        for table, where in deletions:
            await conn.execute(table.delete().where(where))
        # the access log's entries where the person read or was read (either side)
        await access_log.delete_for(conn, subject_id)

        now = clock.now()
        await conn.execute(
            update(t.people)
            .where(p.id == subject_id)
            .values(
                sourced_id=tombstone_sourced_id(subject_id),
                username=None,
                given_name=None,
                family_name=None,
                email=None,
                national_id=None,
                feide_id=None,
                preferred_language=None,
                enabled=False,
                processing_state=ProcessingState.ERASED,
                erased_at=now,
                updated_at=now,
            )
        )
        return found
