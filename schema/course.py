"""Courses (OneRoster classes; homerooms are courses too)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from config.ids import expect_id
from resolvers.context import Info
from schema.connection import Connection
from schema.enums import AssessmentKind, CourseState
from schema.node import Node
from schema.school_year import AcademicSession
from schema.user import School, User

if TYPE_CHECKING:
    from schema.assessment import Assessment
    from schema.communication import Post
    from schema.coursework import Assignment
    from schema.material import CalendarEvent

AssessmentT = Annotated["Assessment", strawberry.lazy("schema.assessment")]
AssignmentT = Annotated["Assignment", strawberry.lazy("schema.coursework")]
PostT = Annotated["Post", strawberry.lazy("schema.communication")]
CalendarEventT = Annotated["CalendarEvent", strawberry.lazy("schema.material")]


@strawberry.type
class Course(Node):
    id: strawberry.ID
    code: str | None
    name: str | None
    is_homeroom: bool | None
    state: CourseState
    archived_at: datetime | None
    pk: strawberry.Private[int]
    school_pk: strawberry.Private[int]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        found: School | None = await info.context.loaders.schools.load(self.school_pk)
        if found is None:
            info.context.missing(info, "Course.school")
        return found

    @strawberry.field
    async def teachers(self, info: Info) -> list[User] | None:
        return await info.context.loaders.teachers_by_course.load(self.pk)

    @strawberry.field
    async def students(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[User] | None:
        args = info.context.page_args(first, after)
        return await info.context.loaders.students_by_course.load((self.pk, args))

    @strawberry.field
    async def assignments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AssignmentT] | None:
        args = info.context.page_args(first, after)
        return await info.context.loaders.assignments_by_course.load((self.pk, args))

    @strawberry.field
    async def posts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PostT] | None:
        args = info.context.page_args(first, after)
        return await info.context.loaders.posts_by_course.load((self.pk, args))

    @strawberry.field
    async def events(self, info: Info) -> list[CalendarEventT] | None:
        return await info.context.loaders.events_by_course.load(self.pk)

    @strawberry.field(description="The terms (academic sessions) the course runs in.")
    async def terms(self, info: Info) -> list[AcademicSession] | None:
        return await info.context.loaders.terms_by_course.load(self.pk)

    @strawberry.field(description="The course's assessments visible to you, newest first.")
    async def assessments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        student_id: strawberry.ID | None = None,
        kind: AssessmentKind | None = None,
        published: bool | None = None,
    ) -> Connection[AssessmentT] | None:
        args = info.context.page_args(first, after)
        student_pk = expect_id(student_id, "User") if student_id is not None else None
        return await info.context.loaders.assessments_by_course.load(
            self.pk, (student_pk, kind, published), args
        )
