"""The incident register's types, query and mutations (docs/incidents.md): system administrators.

``Incident`` is a kind's type (``resolvers.kinds.INCIDENT``); its scope and its affected people
are plumbing that only appears under an incident.
"""

from __future__ import annotations

import json
from datetime import datetime

import strawberry

from config import clock
from config.ids import to_global_id
from resolvers.context import Info, RequestContext
from resolvers.records import IncidentPersonRecord, IncidentRecord
from resolvers.services import incidents
from resolvers.services.incident_scope import AffectedReason
from schema import sources
from schema.connection import Connection
from schema.enums import DataCategory
from schema.node import Node
from schema.registry import kind_type
from schema.user import User
from schema.values import made_of, member, node_id, record_field
from store.tables import IncidentScopeKind, IncidentStatus

for _enum in (IncidentStatus, IncidentScopeKind, AffectedReason):
    strawberry.enum(_enum, name=_enum.__name__)


@strawberry.type(description="Whom an incident concerns, as it was recorded (exactly one way).")
class IncidentScope:
    kind: IncidentScopeKind
    school_id: strawberry.ID | None = strawberry.field(
        default=None, description="SCHOOL: the school."
    )
    course_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="COURSES: the courses."
    )
    staff_id: strawberry.ID | None = strawberry.field(
        default=None, description="READ_BY: the staff member whose reads define the scope."
    )
    read_from: datetime | None = strawberry.field(
        default=None, name="from", description="READ_BY: the start of the period."
    )
    read_to: datetime | None = strawberry.field(
        default=None, name="to", description="READ_BY: the end of the period."
    )


def _scope(record: IncidentRecord, _ctx: RequestContext) -> IncidentScope:
    kind = IncidentScopeKind(record.scope_kind)
    return IncidentScope(
        kind=kind,
        school_id=None
        if record.scope_school_id is None
        else to_global_id("School", record.scope_school_id),
        course_ids=None
        if record.scope_course_ids is None
        else [to_global_id("Course", pk) for pk in json.loads(record.scope_course_ids)],
        staff_id=None
        if record.scope_staff_id is None
        else to_global_id("User", record.scope_staff_id),
        read_from=record.scope_from,
        read_to=record.scope_to,
    )


def _categories(record: IncidentRecord, _ctx: RequestContext) -> list[DataCategory]:
    return [DataCategory(c) for c in json.loads(record.categories)]


def _overdue(record: IncidentRecord, _ctx: RequestContext) -> bool:
    return (
        record.authority_notified_at is None
        and record.status != IncidentStatus.CLOSED
        and clock.now() > record.report_due_at
    )


def _reported_late(record: IncidentRecord, _ctx: RequestContext) -> bool | None:
    told = record.authority_notified_at
    return None if told is None else told > record.report_due_at


@made_of(IncidentPersonRecord, reason=member(AffectedReason, "reason"))
@strawberry.type(description="One affected person of an incident.")
class IncidentPerson:
    reason: AffectedReason
    notified_at: datetime | None = strawberry.field(
        description="When notifyAffected told them; null: not told (not yet, or erased)."
    )
    record: strawberry.Private[IncidentPersonRecord]

    @strawberry.field(description="The person; an erased person as a pseudonym.")
    async def person(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "IncidentPerson.person")
        return found


@kind_type("Incident")
@made_of(
    IncidentRecord,
    id=node_id("Incident"),
    status=member(IncidentStatus, "status"),
)
@strawberry.type(description="A personal data breach in the incident register.")
class Incident(Node):
    id: strawberry.ID
    description: str
    detected_at: datetime
    recorded_at: datetime
    report_due_at: datetime = strawberry.field(
        description="When the authority must have been told: detectedAt + 72 hours."
    )
    status: IncidentStatus
    actions_taken: str | None
    authority_notified_at: datetime | None
    people_notified_at: datetime | None
    updated_at: datetime
    affected_count: int = strawberry.field(
        description="How many people the scope resolved to (erased ones included)."
    )
    record: strawberry.Private[IncidentRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    categories = record_field(_categories, description="The data categories involved.")
    scope = record_field(_scope, description="The scope as it was recorded.")
    overdue = record_field(
        _overdue,
        description="Not reported to the authority, not CLOSED, and past reportDueAt.",
    )
    reported_late = record_field(
        _reported_late,
        description="Whether the authority was told after reportDueAt; null until told.",
    )

    @strawberry.field
    async def recorded_by(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Incident.recordedBy")
        return found

    @strawberry.field(description="The people the scope resolved to, in the order recorded.")
    async def affected_people(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[IncidentPerson] | None:
        return await sources.embedded_connection(
            info,
            self.record,
            "Incident.affectedPeople",
            IncidentPerson,
            first,
            after,
            last=last,
            before=before,
        )


@strawberry.input
class ReadByInput:
    staff_id: strawberry.ID
    read_from: datetime = strawberry.field(name="from")
    read_to: datetime = strawberry.field(name="to")


@strawberry.input(description="Exactly one of the four.")
class IncidentScopeInput:
    school_id: strawberry.ID | None = None
    course_ids: list[strawberry.ID] | None = None
    person_ids: list[strawberry.ID] | None = None
    read_by: ReadByInput | None = strawberry.field(
        default=None,
        description="Everyone whose data the staff member read in [from, to] (the access log).",
    )


@strawberry.input
class IncidentInput:
    description: str
    detected_at: datetime = strawberry.field(
        description="When the breach became known; not in the future."
    )
    categories: list[DataCategory]
    scope: IncidentScopeInput
    actions_taken: str | None = None


@strawberry.input(description="What changes; a field left out stays as it is.")
class IncidentUpdateInput:
    status: IncidentStatus | None = None
    actions_taken: str | None = None
    authority_notified_at: datetime | None = None


async def _incident(info: Info, pk: int) -> Incident:
    """The incident a mutation acted on, as ``node(id:)`` answers it."""
    incident: Incident = await sources.acted_on(info, "Query.node", "Incident", pk)
    return incident


@strawberry.type
class IncidentQuery:
    @strawberry.field(
        description="The incident register: OPEN incidents first, nearest report deadline "
        "first, then REPORTED and CLOSED ones, latest deadline first; system administrators."
    )
    async def incidents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Incident]:
        return await sources.root_page(
            info, "Query.incidents", first, after, last=last, before=before
        )


def _scope_input(given: IncidentScopeInput) -> incidents.ScopeInput:
    read_by = given.read_by
    return incidents.ScopeInput(
        school_id=given.school_id,
        course_ids=given.course_ids,
        person_ids=given.person_ids,
        read_by=None
        if read_by is None
        else incidents.ReadByInput(read_by.staff_id, read_by.read_from, read_by.read_to),
    )


@strawberry.type
class IncidentMutation:
    @strawberry.mutation(
        description="Record a personal data breach and the people its scope concerns; the "
        "report to the authority is due 72 hours after detectedAt."
    )
    async def record_incident(self, info: Info, input: IncidentInput) -> Incident:
        pk = await incidents.record_incident(
            info.context.actor(),
            incidents.NewIncident(
                description=input.description,
                detected_at=input.detected_at,
                categories=input.categories,
                scope=_scope_input(input.scope),
                actions_taken=input.actions_taken,
            ),
        )
        return await _incident(info, pk)

    @strawberry.mutation(
        description="Keep an incident current: status, actions taken, when the authority was "
        "told (which makes an OPEN incident REPORTED)."
    )
    async def update_incident(
        self, info: Info, incident_id: strawberry.ID, input: IncidentUpdateInput
    ) -> Incident:
        pk = await incidents.update_incident(
            info.context.actor(),
            incident_id,
            incidents.IncidentChanges(
                status=input.status,
                actions_taken=input.actions_taken,
                authority_notified_at=input.authority_notified_at,
            ),
        )
        return await _incident(info, pk)

    @strawberry.mutation(
        description="Notify the affected people (not erased ones) and the guardians of affected "
        "minors, once; a second call is CONFLICT."
    )
    async def notify_affected(self, info: Info, incident_id: strawberry.ID) -> Incident:
        pk = await incidents.notify_affected(info.context.actor(), incident_id)
        return await _incident(info, pk)


__all__ = ["Incident", "IncidentMutation", "IncidentPerson", "IncidentQuery", "IncidentScope"]
