"""The incident register: personal data breaches and their 72-hour clock (docs/incidents.md).

System administrators only. ``recordIncident`` stores the breach with its deadline for telling
the authority (``detected_at`` + 72 hours, GDPR art. 33(1)) and the people its scope resolves to
(``incident_scope``), ``updateIncident`` keeps it current (status, actions taken, when the
authority was told), ``notifyAffected`` tells the affected people and the guardians of the
affected minors (art. 34), once.

The description and the actions taken are free text that may name people: they are never
logged, and the audit entries carry the description's SHA-256 digest only (as the audit log
does for justifications), never its text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from authz.relations import Facts
from config import clock
from config.ids import expect_id
from config.national_id import is_known_adult
from resolvers.errors import bad_input, conflict, not_found
from resolvers.events import Event, publish
from resolvers.services import input_limits as limits
from resolvers.services.actor import Actor, inserted_id
from resolvers.services.incident_scope import Scope, affected_people, scope_of
from resolvers.services.notices import notify
from store import tables as t
from store.audit import text_digest
from store.idlists import in_ids
from store.privacy.base import DataCategory
from store.tables import IncidentScopeKind, IncidentStatus, ProcessingState

#: the authority must be told within 72 hours of the breach becoming known (art. 33(1))
REPORT_WITHIN = timedelta(hours=72)
#: the earliest detection time the register takes: the controller keeps incidents of the
#: last years (a later discovery of an old breach is recorded with the time it was found)
EARLIEST_DETECTION = timedelta(days=5 * 366)
#: the free texts' limit
DESCRIPTION = ACTIONS_TAKEN = limits.INCIDENT_TEXT

#: notification kinds (texts in ``resolvers.services.notices``)
AFFECTED = "INCIDENT_AFFECTED"
AFFECTED_CHILD = "INCIDENT_AFFECTED_CHILD"
AFFECTED_SELF_AND_CHILD = "INCIDENT_AFFECTED_SELF_AND_CHILD"

_i, _ip, _p, _g = t.incidents.c, t.incident_people.c, t.people.c, t.guardianships.c


@dataclass(frozen=True)
class ReadByInput:
    staff_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ScopeInput:
    """The scope as sent: global ids (decoded after the caller's permission is checked)."""

    school_id: str | None = None
    course_ids: Sequence[str] | None = None
    person_ids: Sequence[str] | None = None
    read_by: ReadByInput | None = None


@dataclass(frozen=True)
class NewIncident:
    description: str
    detected_at: datetime
    categories: Sequence[DataCategory]
    scope: ScopeInput
    actions_taken: str | None = None


@dataclass(frozen=True)
class IncidentChanges:
    """``updateIncident``'s input; None: unchanged."""

    status: IncidentStatus | None = None
    actions_taken: str | None = None
    authority_notified_at: datetime | None = None


def _require_admin(actor: Actor, mutation: str) -> None:
    actor.require(Facts(), f"Mutation.{mutation}", "only a system administrator keeps incidents")


def _decoded_scope(given: ScopeInput) -> Scope:
    read_by = given.read_by
    return scope_of(
        None if given.school_id is None else expect_id(given.school_id, "School"),
        None if given.course_ids is None else [expect_id(i, "Course") for i in given.course_ids],
        None if given.person_ids is None else [expect_id(i, "User") for i in given.person_ids],
        None
        if read_by is None
        else (expect_id(read_by.staff_id, "User"), read_by.start, read_by.end),
    )


def _not_in_future(at: datetime, field: str) -> datetime:
    if at.tzinfo is None:
        raise bad_input(f"'{field}' needs a time zone")
    if at > clock.now():
        raise bad_input(f"'{field}' is in the future")
    return at


def _detected_at(at: datetime) -> datetime:
    _not_in_future(at, "input.detectedAt")
    if at < clock.now() - EARLIEST_DETECTION:
        raise bad_input("'input.detectedAt' is more than five years ago")
    return at


def _categories(given: Sequence[DataCategory]) -> list[str]:
    if not given:
        raise bad_input("'input.categories' must name at least one data category")
    return [DataCategory(c).value for c in dict.fromkeys(given)]


def _description_detail(description: str, extra: str) -> str:
    """The audit entry's ``detail``: the description's digest (never its text) and counts."""
    return f"description sha256:{text_digest(description)}; {extra}"


async def record_incident(actor: Actor, given: NewIncident) -> int:
    """Record a breach and its affected people in one transaction; the incident's id."""
    _require_admin(actor, "recordIncident")
    description = limits.check_text(given.description, "input.description", DESCRIPTION).strip()
    if not description:
        raise bad_input("'input.description' must not be blank")
    actions = None
    if given.actions_taken is not None:
        actions = limits.check_text(given.actions_taken, "input.actionsTaken", ACTIONS_TAKEN)
    detected = _detected_at(given.detected_at)
    categories = _categories(given.categories)
    scope = _decoded_scope(given.scope)
    at = clock.now()
    async with actor.engine.begin() as conn:
        people = await affected_people(conn, scope)
        result = await conn.execute(
            t.incidents.insert().values(
                description=description,
                detected_at=detected,
                recorded_at=at,
                recorded_by_id=actor.viewer.person_id,
                report_due_at=detected + REPORT_WITHIN,
                status=IncidentStatus.OPEN,
                categories=json.dumps(categories),
                scope_kind=scope.kind,
                scope_school_id=scope.school_id,
                scope_course_ids=json.dumps(list(scope.course_ids))
                if scope.kind is IncidentScopeKind.COURSES
                else None,
                scope_staff_id=scope.staff_id,
                scope_from=scope.start,
                scope_to=scope.end,
                actions_taken=actions,
                updated_at=at,
            )
        )
        incident_id = inserted_id(result)
        if people:
            await conn.execute(
                t.incident_people.insert(),
                [
                    {"incident_id": incident_id, "person_id": pk, "reason": reason}
                    for pk, reason in sorted(people.items())
                ],
            )
        await actor.audit(
            conn,
            "INCIDENT_RECORD",
            "Incident",
            incident_id,
            detail=_description_detail(
                description, f"scope {scope.kind.value}; {len(people)} affected"
            ),
        )
    return incident_id


async def _locked(conn: AsyncConnection, incident_id: int) -> Row[Any, Any, Any, Any]:
    stmt = select(_i.status, _i.detected_at, _i.authority_notified_at, _i.people_notified_at).where(
        _i.id == incident_id
    )
    row = (await conn.execute(stmt.with_for_update())).first()
    if row is None:
        raise not_found("No incident with that id")
    return row


async def update_incident(actor: Actor, global_id: str, changes: IncidentChanges) -> int:
    """Change an incident's status, actions taken and the time the authority was told.

    Setting ``authority_notified_at`` on an OPEN incident makes it REPORTED; REPORTED needs that
    time; an incident the authority was told of is not OPEN again (CLOSED may go back to
    REPORTED, or to OPEN if the authority was never told).
    """
    _require_admin(actor, "updateIncident")
    incident_id = expect_id(global_id, "Incident")
    if (
        changes.status is None
        and changes.actions_taken is None
        and changes.authority_notified_at is None
    ):
        raise bad_input("Give at least one of status, actionsTaken, authorityNotifiedAt")
    actions = None
    if changes.actions_taken is not None:
        actions = limits.check_text(changes.actions_taken, "input.actionsTaken", ACTIONS_TAKEN)
    told = changes.authority_notified_at
    if told is not None:
        _not_in_future(told, "input.authorityNotifiedAt")
    async with actor.engine.begin() as conn:
        row = await _locked(conn, incident_id)
        if told is not None and told < row.detected_at:
            raise bad_input("'input.authorityNotifiedAt' is before the incident was detected")
        values: dict[str, object] = {}
        if actions is not None:
            values["actions_taken"] = actions
        if told is not None:
            values["authority_notified_at"] = told
        status = IncidentStatus(changes.status or row.status)
        if told is not None and changes.status is None and status is IncidentStatus.OPEN:
            status = IncidentStatus.REPORTED
        reported = told if told is not None else row.authority_notified_at
        if status is IncidentStatus.REPORTED and reported is None:
            raise bad_input("REPORTED needs 'input.authorityNotifiedAt': when was it reported?")
        if status is IncidentStatus.OPEN and reported is not None:
            raise conflict("The authority has been told of this incident: it is not OPEN again")
        if status != row.status:
            values["status"] = status
        values["updated_at"] = clock.now()
        await conn.execute(update(t.incidents).where(_i.id == incident_id).values(**values))
        changed = sorted(
            name
            for name, column in (
                ("status", "status"),
                ("actionsTaken", "actions_taken"),
                ("authorityNotifiedAt", "authority_notified_at"),
            )
            if column in values
        )
        await actor.audit(
            conn,
            "INCIDENT_UPDATE",
            "Incident",
            incident_id,
            detail=f"changed: {', '.join(changed) or 'nothing'}",
        )
    return incident_id


@dataclass(frozen=True)
class Recipients:
    """Who ``notifyAffected`` tells: the affected people who are not erased, and the guardians
    of those of them who are minors (or may be: no readable national id, but guardians)."""

    affected: frozenset[int]
    guardians: frozenset[int]


async def recipients(conn: AsyncConnection, incident_id: int) -> Recipients:
    rows = await conn.execute(
        select(_p.id, _p.national_id)
        .join(t.incident_people, _ip.person_id == _p.id)
        .where(_ip.incident_id == incident_id, _p.processing_state != ProcessingState.ERASED)
    )
    today = clock.today()
    affected: set[int] = set()
    minors: list[int] = []
    for row in rows:
        affected.add(row.id)
        if not is_known_adult(row.national_id, today):
            minors.append(row.id)
    guardians: set[int] = set()
    if minors:
        found = await conn.execute(
            select(_g.guardian_id)
            .join(t.people, _p.id == _g.guardian_id)
            .where(in_ids(_g.student_id, minors), _p.processing_state != ProcessingState.ERASED)
            .distinct()
        )
        guardians = set(found.scalars())
    return Recipients(frozenset(affected), frozenset(guardians))


async def notify_affected(actor: Actor, global_id: str) -> int:
    """Tell every affected person who is not erased, and the guardians of affected minors, in
    their languages, in one transaction: one notification per recipient (a guardian who is also
    affected gets the text for both). Records ``people_notified_at``; a second call is CONFLICT
    (the affected people were fixed when the incident was recorded: nobody is left out)."""
    _require_admin(actor, "notifyAffected")
    incident_id = expect_id(global_id, "Incident")
    events: list[Event] = []
    async with actor.engine.begin() as conn:
        row = await _locked(conn, incident_id)
        if row.people_notified_at is not None:
            raise conflict("The affected people of this incident have already been notified")
        to = await recipients(conn, incident_id)
        detected = row.detected_at.date().isoformat()
        both = to.affected & to.guardians
        for kind, people in (
            (AFFECTED, to.affected - both),
            (AFFECTED_CHILD, to.guardians - both),
            (AFFECTED_SELF_AND_CHILD, both),
        ):
            events += await notify(conn, sorted(people), kind, detected=detected)
        at = clock.now()
        if to.affected:
            await conn.execute(
                update(t.incident_people)
                .where(_ip.incident_id == incident_id, in_ids(_ip.person_id, sorted(to.affected)))
                .values(notified_at=at)
            )
        await conn.execute(
            update(t.incidents)
            .where(_i.id == incident_id)
            .values(people_notified_at=at, updated_at=at)
        )
        await actor.audit(
            conn,
            "INCIDENT_NOTIFY",
            "Incident",
            incident_id,
            detail=f"notified {len(to.affected)} affected, {len(to.guardians)} guardians",
        )
    for event in events:
        await publish(actor.engine, event)
    return incident_id
