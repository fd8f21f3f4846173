"""People: ``User``, their role assignments, preferences and notifications, and ``School``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

import strawberry

from resolvers.context import Info
from schema.connection import Connection, PageArgs
from schema.enums import AssessmentKind, CourseState, ProcessingState, Role
from schema.node import Node

if TYPE_CHECKING:
    from schema.assessment import Assessment
    from schema.course import Course
    from schema.coursework import Submission

AssessmentT = Annotated["Assessment", strawberry.lazy("schema.assessment")]
CourseT = Annotated["Course", strawberry.lazy("schema.course")]
SubmissionT = Annotated["Submission", strawberry.lazy("schema.coursework")]


@strawberry.type
class School(Node):
    id: strawberry.ID
    name: str | None
    code: str | None
    state: CourseState
    pk: strawberry.Private[int]
    tavle_rels: strawberry.Private[frozenset[str]]


@strawberry.type
class RoleAssignment:
    role: Role
    school_pk: strawberry.Private[int | None]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        if self.school_pk is None:
            return None
        found: School | None = await info.context.loaders.schools.load(self.school_pk)
        if found is None:
            info.context.missing(info, "RoleAssignment.school")
        return found


@strawberry.type
class Preference:
    key: str
    value: str | None


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None


@strawberry.type
class User(Node):
    id: strawberry.ID
    is_pseudonym: bool
    display_name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    processing_state: ProcessingState | None
    pk: strawberry.Private[int]
    national_id_value: strawberry.Private[str | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    def national_id(self, info: Info) -> str | None:
        viewer = info.context.viewer
        if (
            self.national_id_value is not None
            and viewer is not None
            and viewer.person_id != self.pk
        ):
            # docs/access-policy.md: every read by someone other than the person is audited.
            info.context.effects.national_id_read(self.pk)
        return self.national_id_value

    @strawberry.field
    async def roles(self, info: Info) -> list[RoleAssignment] | None:
        if self.is_pseudonym:
            return None
        return await info.context.loaders.roles_by_person.load(self.pk)

    @strawberry.field
    async def guardians(self, info: Info) -> list[User] | None:
        if self.is_pseudonym:
            return None
        return await info.context.loaders.guardians_by_student.load(self.pk)

    @strawberry.field
    async def children(self, info: Info) -> list[User] | None:
        if self.is_pseudonym:
            return None
        return await info.context.loaders.children_by_guardian.load(self.pk)

    @strawberry.field
    async def courses(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CourseT] | None:
        if self.is_pseudonym:
            return None
        args = info.context.page_args(first, after)
        return await info.context.loaders.courses_by_person.load((self.pk, args))

    @strawberry.field(description="The person's submissions visible to you, newest last.")
    async def submissions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        course_id: strawberry.ID | None = None,
    ) -> Connection[SubmissionT] | None:
        if self.is_pseudonym:
            return None
        args = info.context.page_args(first, after)
        course_pk = info.context.course_pk(course_id) if course_id is not None else None
        return await info.context.loaders.submissions_by_student.load((self.pk, course_pk, args))

    @strawberry.field(description="The person's assessments visible to you, newest first.")
    async def assessments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        course_id: strawberry.ID | None = None,
        kind: AssessmentKind | None = None,
    ) -> Connection[AssessmentT] | None:
        if self.is_pseudonym:
            return None
        args = info.context.page_args(first, after)
        course_pk = info.context.course_pk(course_id) if course_id is not None else None
        return await info.context.loaders.assessments_by_student.load(
            self.pk, (course_pk, kind), args
        )

    @strawberry.field
    async def notifications(self, info: Info) -> list[Notification] | None:
        if self.is_pseudonym:
            return None
        return await info.context.loaders.notifications_by_person.load(self.pk)

    @strawberry.field
    async def preferences(self, info: Info) -> list[Preference] | None:
        if self.is_pseudonym:
            return None
        return await info.context.loaders.preferences_by_person.load(self.pk)


async def person(
    info: Info,
    person_pk: int | None,
    coordinate: str,
    *,
    when_inactive: Literal["pseudonym", "hidden"],
    via_conversation: bool = False,
) -> User | None:
    """The person ``person_pk`` as the viewer may see them from ``coordinate``.

    Restricted and erased people never resolve (docs/privacy-actions.md): where they authored
    something others still see, a stand-in with a stable pseudonym takes their place
    (``when_inactive="pseudonym"``); elsewhere (an assessor, a student) the field is null without
    an error. Anyone else the viewer may not see is null + NOT_FOUND.
    """
    if person_pk is None:
        return None
    loaders = info.context.loaders
    loader = loaders.conversation_people if via_conversation else loaders.users
    found: User | None = await loader.load(person_pk)
    if found is not None:
        return found
    state = await loaders.person_states.load(person_pk)
    if state is not None and state != ProcessingState.ACTIVE:
        if when_inactive == "pseudonym":
            return info.context.pseudonym_user(person_pk)
        return None
    info.context.missing(info, coordinate)
    return None


__all__ = ["Notification", "PageArgs", "Preference", "RoleAssignment", "School", "User"]
