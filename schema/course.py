"""Courses (OneRoster classes; homerooms are courses too)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.context import Info
from resolvers.records import CourseRecord
from schema import sources
from schema.connection import Connection
from schema.enums import AssessmentKind, CourseState, Ordering
from schema.node import Node
from schema.registry import kind_type
from schema.school_year import AcademicSession
from schema.user import School, User
from schema.values import made_of, member, node_id

if TYPE_CHECKING:
    from schema.assessment import Assessment
    from schema.communication import Post
    from schema.coursework import Assignment
    from schema.material import CalendarEvent

AssessmentT = Annotated["Assessment", strawberry.lazy("schema.assessment")]
AssignmentT = Annotated["Assignment", strawberry.lazy("schema.coursework")]
PostT = Annotated["Post", strawberry.lazy("schema.communication")]
CalendarEventT = Annotated["CalendarEvent", strawberry.lazy("schema.material")]


@kind_type("Course")
@made_of(CourseRecord, id=node_id("Course"), state=member(CourseState, "state"))
@strawberry.type
class Course(Node):
    id: strawberry.ID
    code: str | None
    name: str | None
    is_homeroom: bool | None
    state: CourseState
    archived_at: datetime | None
    record: strawberry.Private[CourseRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        found: School | None = await sources.reference(info, self.record, "Course.school")
        return found

    @strawberry.field(
        description="The course's teachers, at most 100 (all of them: `teachersConnection`)."
    )
    async def teachers(self, info: Info) -> list[User] | None:
        return await sources.listed(info, self.record, "Course.teachers")

    @strawberry.field(description="The course's teachers, a page at a time.")
    async def teachers_connection(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User] | None:
        return await sources.connection(
            info, self.record, "Course.teachersConnection", first, after, last=last, before=before
        )

    @strawberry.field
    async def students(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User] | None:
        return await sources.connection(
            info, self.record, "Course.students", first, after, last=last, before=before
        )

    @strawberry.field
    async def assignments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AssignmentT] | None:
        return await sources.connection(
            info, self.record, "Course.assignments", first, after, last=last, before=before
        )

    @strawberry.field(description="The course's posts, oldest first unless `orderBy` says.")
    async def posts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[PostT] | None:
        return await sources.connection(
            info,
            self.record,
            "Course.posts",
            first,
            after,
            last=last,
            before=before,
            order_by=order_by,
        )

    @strawberry.field(
        description="The course's calendar events, at most 100 (all of them: `eventsConnection`)."
    )
    async def events(self, info: Info) -> list[CalendarEventT] | None:
        return await sources.listed(info, self.record, "Course.events")

    @strawberry.field(description="The course's calendar events, a page at a time.")
    async def events_connection(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CalendarEventT] | None:
        return await sources.connection(
            info, self.record, "Course.eventsConnection", first, after, last=last, before=before
        )

    @strawberry.field(description="The terms (academic sessions) the course runs in.")
    async def terms(self, info: Info) -> list[AcademicSession] | None:
        return await sources.listed(info, self.record, "Course.terms")

    @strawberry.field(description="The course's assessments visible to you, newest first.")
    async def assessments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        student_id: strawberry.ID | None = None,
        kind: AssessmentKind | None = None,
        published: bool | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[AssessmentT] | None:
        return await sources.connection(
            info,
            self.record,
            "Course.assessments",
            first,
            after,
            student_id,
            kind,
            published,
            last=last,
            before=before,
            order_by=order_by,
        )
