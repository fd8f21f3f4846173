"""People: ``User``, their role assignments, preferences and notifications, and ``School``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from config.ids import to_global_id
from resolvers.context import Info
from resolvers.records import (
    NotificationRecord,
    PreferenceRecord,
    PseudonymRecord,
    RoleAssignmentRecord,
    SchoolRecord,
    UserRecord,
)
from schema import sources
from schema.connection import Connection, PageArgs
from schema.enums import AssessmentKind, CourseState, ProcessingState, Role
from schema.node import Node
from schema.registry import kind_type

if TYPE_CHECKING:
    from schema.assessment import Assessment
    from schema.course import Course
    from schema.coursework import Submission

AssessmentT = Annotated["Assessment", strawberry.lazy("schema.assessment")]
CourseT = Annotated["Course", strawberry.lazy("schema.course")]
SubmissionT = Annotated["Submission", strawberry.lazy("schema.coursework")]


@kind_type("School")
@strawberry.type
class School(Node):
    id: strawberry.ID
    name: str | None
    code: str | None
    state: CourseState
    record: strawberry.Private[SchoolRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: SchoolRecord) -> School:
        return cls(
            id=strawberry.ID(to_global_id("School", record.pk)),
            name=record.name,
            code=record.code,
            state=CourseState(record.state),
            record=record,
            tavle_rels=record.relations,
        )


@strawberry.type
class RoleAssignment:
    role: Role
    record: strawberry.Private[RoleAssignmentRecord]

    @classmethod
    def from_record(cls, record: RoleAssignmentRecord) -> RoleAssignment:
        return cls(role=record.role, record=record)

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        found: School | None = await sources.reference(info, self.record, "RoleAssignment.school")
        return found


@strawberry.type
class Preference:
    key: str
    value: str | None

    @classmethod
    def from_record(cls, record: PreferenceRecord) -> Preference:
        return cls(key=record.key, value=record.value)


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_record(cls, record: NotificationRecord) -> Notification:
        return cls(
            id=strawberry.ID(to_global_id("Notification", record.id)),
            kind=record.kind,
            message=record.message,
            created_at=record.created_at,
            read_at=record.read_at,
        )


@kind_type("User", "RecycleBin", "PrivacySubject", stand_ins=(PseudonymRecord,))
@strawberry.type
class User(Node):
    id: strawberry.ID
    is_pseudonym: bool
    display_name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    processing_state: ProcessingState | None
    record: strawberry.Private[UserRecord | PseudonymRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: UserRecord | PseudonymRecord) -> User:
        if isinstance(record, PseudonymRecord):
            # Its id derives from the label, never the person's id.
            return cls(
                id=strawberry.ID(to_global_id("Pseudonym", record.label)),
                is_pseudonym=True,
                display_name=record.display_name,
                first_name=None,
                last_name=None,
                email=None,
                processing_state=None,
                record=record,
                tavle_rels=record.relations,
            )
        return cls(
            id=strawberry.ID(to_global_id("User", record.pk)),
            is_pseudonym=False,
            display_name=record.display_name,
            first_name=record.given_name,
            last_name=record.family_name,
            email=record.email,
            processing_state=ProcessingState(record.processing_state),
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    def national_id(self, info: Info) -> str | None:
        record = self.record
        if isinstance(record, PseudonymRecord):
            return None
        viewer = info.context.viewer
        if record.national_id is not None and viewer is not None and viewer.person_id != record.pk:
            # docs/access-policy.md: every read by someone other than the person is audited.
            info.context.effects.national_id_read(record.pk)
        return record.national_id

    @strawberry.field
    async def roles(self, info: Info) -> list[RoleAssignment] | None:
        return await sources.embedded(info, self.record, "User.roles", RoleAssignment.from_record)

    @strawberry.field
    async def guardians(self, info: Info) -> list[User] | None:
        return await sources.listed(info, self.record, "User.guardians")

    @strawberry.field
    async def children(self, info: Info) -> list[User] | None:
        return await sources.listed(info, self.record, "User.children")

    @strawberry.field
    async def courses(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CourseT] | None:
        return await sources.connection(info, self.record, "User.courses", first, after)

    @strawberry.field(description="The person's submissions visible to you, newest last.")
    async def submissions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        course_id: strawberry.ID | None = None,
    ) -> Connection[SubmissionT] | None:
        return await sources.connection(
            info, self.record, "User.submissions", first, after, course_id
        )

    @strawberry.field(description="The person's assessments visible to you, newest first.")
    async def assessments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        course_id: strawberry.ID | None = None,
        kind: AssessmentKind | None = None,
    ) -> Connection[AssessmentT] | None:
        return await sources.connection(
            info, self.record, "User.assessments", first, after, course_id, kind
        )

    @strawberry.field
    async def notifications(self, info: Info) -> list[Notification] | None:
        return await sources.embedded(
            info, self.record, "User.notifications", Notification.from_record
        )

    @strawberry.field
    async def preferences(self, info: Info) -> list[Preference] | None:
        return await sources.embedded(info, self.record, "User.preferences", Preference.from_record)


__all__ = ["Notification", "PageArgs", "Preference", "RoleAssignment", "School", "User"]
