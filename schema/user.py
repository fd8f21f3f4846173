"""People: ``User``, their role assignments, preferences and notifications, and ``School``."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from config.ids import to_global_id
from config.national_id import birth_date
from resolvers.context import Info, RequestContext
from resolvers.errors import bad_input
from resolvers.person_data import erasure_preview
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
from schema.enums import (
    AssessmentKind,
    CourseState,
    DataCategory,
    Ordering,
    Outcome,
    ProcessingState,
    Role,
)
from schema.language import Language, preferred_language
from schema.node import Node
from schema.registry import kind_type
from schema.values import attr, const, made_of, member, node_id, record_field
from store import access_log

if TYPE_CHECKING:
    from schema.assessment import Assessment
    from schema.course import Course
    from schema.coursework import Submission
    from schema.data_requests import DataRequest
    from schema.privacy import CategoryEffect

AssessmentT = Annotated["Assessment", strawberry.lazy("schema.assessment")]
CourseT = Annotated["Course", strawberry.lazy("schema.course")]
SubmissionT = Annotated["Submission", strawberry.lazy("schema.coursework")]
DataRequestT = Annotated["DataRequest", strawberry.lazy("schema.data_requests")]
CategoryEffectT = Annotated["CategoryEffect", strawberry.lazy("schema.privacy")]


@kind_type("School")
@made_of(SchoolRecord, id=node_id("School"), state=member(CourseState, "state"))
@strawberry.type
class School(Node):
    id: strawberry.ID
    name: str | None
    code: str | None
    state: CourseState
    record: strawberry.Private[SchoolRecord]
    tavle_rels: strawberry.Private[frozenset[str]]


@made_of(RoleAssignmentRecord)
@strawberry.type
class RoleAssignment:
    role: Role
    record: strawberry.Private[RoleAssignmentRecord]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        found: School | None = await sources.reference(info, self.record, "RoleAssignment.school")
        return found


@made_of(PreferenceRecord)
@strawberry.type
class Preference:
    key: str
    value: str | None


@kind_type("Notification")
@made_of(NotificationRecord, id=node_id("Notification"))
@strawberry.type
class Notification(Node):
    id: strawberry.ID
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None
    record: strawberry.Private[NotificationRecord]
    tavle_rels: strawberry.Private[frozenset[str]]


def _pseudonym_id(record: PseudonymRecord) -> str:
    # A stand-in's id derives from its label, never the person's id.
    return to_global_id("Pseudonym", record.label)


def _national_id(record: UserRecord | PseudonymRecord, ctx: RequestContext) -> str | None:
    if isinstance(record, PseudonymRecord):
        return None
    viewer = ctx.viewer
    if record.national_id is not None and viewer is not None and viewer.person_id != record.pk:
        # docs/access-policy.md: every read by someone other than the person is audited, and
        # one by staff is in the staff access log (docs/privacy-actions.md).
        ctx.effects.national_id_read(record.pk)
        ctx.effects.person_data_read(viewer, record.pk, access_log.NATIONAL_ID)
    return record.national_id


def _birth_date(record: UserRecord | PseudonymRecord, _ctx: RequestContext) -> date | None:
    """Derived from the national id without reading it out (so not an audited read): enough to
    tell two people of the same name apart (config/national_id.py)."""
    if isinstance(record, PseudonymRecord):
        return None
    return birth_date(record.national_id)


@kind_type("User", "RecycleBin", "PrivacySubject")
@made_of(
    PseudonymRecord,
    id=_pseudonym_id,
    is_pseudonym=const(True),
    first_name=const(None),
    last_name=const(None),
    email=const(None),
    processing_state=const(None),
    preferred_language=const(None),
)
@made_of(
    UserRecord,
    id=node_id("User"),
    is_pseudonym=const(False),
    first_name=attr("given_name"),
    last_name=attr("family_name"),
    processing_state=member(ProcessingState, "processing_state"),
    preferred_language=preferred_language,
)
@strawberry.type
class User(Node):
    id: strawberry.ID
    is_pseudonym: bool
    display_name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    processing_state: ProcessingState | None
    preferred_language: Language | None = strawberry.field(
        description="The language the person reads Tavle's own words in (notifications, the "
        "privacy notice); null: none chosen. The person and system administrators."
    )
    record: strawberry.Private[UserRecord | PseudonymRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    national_id = record_field(_national_id)
    birth_date = record_field(
        _birth_date,
        description="The date of birth the national id number tells (D-numbers too); null "
        "without one. The person and system administrators.",
    )

    @strawberry.field(
        description="What erasing the person would do now, by data category and outcome, "
        "counted (the erasure preview; changes nothing). System administrators; for one person "
        "per operation (BAD_USER_INPUT for a second)."
    )
    async def erasure_preview(self, info: Info) -> list[CategoryEffectT] | None:
        from schema.privacy import CategoryEffect  # imports this module: not at the top

        if isinstance(self.record, PseudonymRecord):
            return []
        # one person per operation: the preview asks every privacy provider (a few statements
        # per data category), so a list of people with it would cost that many times over
        computed = info.context.erasure_previews
        computed.add(self.record.pk)
        if len(computed) > 1:
            raise bad_input(
                "'erasurePreview' is computed for one person per operation: ask for it on a "
                "single user, e.g. user(id:)"
            )
        effects = await erasure_preview(info.context.engine, self.record.pk)
        return [
            CategoryEffect(
                category=DataCategory(e.category.value),
                outcome=Outcome(e.outcome.value),
                count=e.count,
            )
            for e in effects
        ]

    @strawberry.field
    async def roles(self, info: Info) -> list[RoleAssignment] | None:
        return await sources.embedded(info, self.record, "User.roles", RoleAssignment)

    @strawberry.field(
        description="The person's guardians, at most 100 (all of them: `guardiansConnection`)."
    )
    async def guardians(self, info: Info) -> list[User] | None:
        return await sources.listed(info, self.record, "User.guardians")

    @strawberry.field(description="The person's guardians, a page at a time.")
    async def guardians_connection(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User] | None:
        return await sources.connection(
            info, self.record, "User.guardiansConnection", first, after, last=last, before=before
        )

    @strawberry.field(
        description="The person's children, at most 100 (all of them: `childrenConnection`)."
    )
    async def children(self, info: Info) -> list[User] | None:
        return await sources.listed(info, self.record, "User.children")

    @strawberry.field(description="The person's children, a page at a time.")
    async def children_connection(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User] | None:
        return await sources.connection(
            info, self.record, "User.childrenConnection", first, after, last=last, before=before
        )

    @strawberry.field
    async def courses(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CourseT] | None:
        return await sources.connection(
            info, self.record, "User.courses", first, after, last=last, before=before
        )

    @strawberry.field(description="The person's submissions visible to you, newest last.")
    async def submissions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        course_id: strawberry.ID | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[SubmissionT] | None:
        return await sources.connection(
            info,
            self.record,
            "User.submissions",
            first,
            after,
            course_id,
            last=last,
            before=before,
            order_by=order_by,
        )

    @strawberry.field(description="The person's assessments visible to you, newest first.")
    async def assessments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        course_id: strawberry.ID | None = None,
        kind: AssessmentKind | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[AssessmentT] | None:
        return await sources.connection(
            info,
            self.record,
            "User.assessments",
            first,
            after,
            course_id,
            kind,
            last=last,
            before=before,
            order_by=order_by,
        )

    @strawberry.field(
        description="The person's own data requests: about them, or made by them (a "
        "guardian's for a child), newest first (docs/data-requests.md)."
    )
    async def data_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DataRequestT] | None:
        return await sources.connection(
            info, self.record, "User.dataRequests", first, after, last=last, before=before
        )

    @strawberry.field(
        description="The person's notifications, oldest first, at most 100 (all of them: "
        "`notificationsConnection`)."
    )
    async def notifications(self, info: Info) -> list[Notification] | None:
        return await sources.listed(info, self.record, "User.notifications")

    @strawberry.field(
        description="The person's notifications, a page at a time, oldest first by default."
    )
    async def notifications_connection(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[Notification] | None:
        return await sources.connection(
            info,
            self.record,
            "User.notificationsConnection",
            first,
            after,
            last=last,
            before=before,
            order_by=order_by,
        )

    @strawberry.field
    async def preferences(self, info: Info) -> list[Preference] | None:
        return await sources.embedded(info, self.record, "User.preferences", Preference)


__all__ = ["Notification", "PageArgs", "Preference", "RoleAssignment", "School", "User"]
