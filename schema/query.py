"""The ``Query`` root. Lookups answer null + NOT_FOUND for anything the viewer may not see."""

from __future__ import annotations

from typing import Any

import strawberry

from config.ids import expect_id, from_global_id, not_found
from gateway.privacy_notice import notice_from_settings
from resolvers import roots
from resolvers.context import Info
from schema.assessment import Assessment
from schema.communication import Conversation
from schema.connection import Connection
from schema.course import Course
from schema.coursework import Submission
from schema.enums import CourseState
from schema.material import CalendarEvent, Document
from schema.node import Node
from schema.privacy_notice import PrivacyNotice
from schema.school_year import RosterImport
from schema.user import School, User

NODE_LOADERS = {
    "User": "users",
    "School": "schools",
    "Course": "courses",
    "Assignment": "assignments",
    "Submission": "submissions",
    "Assessment": "assessments",
    "Post": "posts",
    "Comment": "comments",
    "Conversation": "conversations",
    "Message": "messages",
    "Document": "documents",
    "CalendarEvent": "calendar_events",
    "PrivacyRequest": "privacy_requests",
    "AuditEntry": "audit_entries",
    "AcademicSession": "academic_sessions",
    "RosterImport": "roster_imports",
}


async def _lookup(info: Info, type_name: str, global_id: str) -> Any:
    pk = expect_id(global_id, type_name)
    found = await getattr(info.context.loaders, NODE_LOADERS[type_name]).load(pk)
    if found is None:
        raise not_found(type_name, global_id)
    return found


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, _pk = from_global_id(id)
        if type_name not in NODE_LOADERS:
            raise not_found("object", id)
        found: Node = await _lookup(info, type_name, id)
        return found

    @strawberry.field(description="The caller.")
    async def viewer(self, info: Info) -> User | None:
        viewer = info.context.require_viewer()
        found: User | None = await info.context.loaders.users.load(viewer.person_id)
        return found

    @strawberry.field
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        found: User = await _lookup(info, "User", id)
        return found

    @strawberry.field
    async def school(self, info: Info, id: strawberry.ID) -> School | None:
        found: School = await _lookup(info, "School", id)
        return found

    @strawberry.field
    async def course(self, info: Info, id: strawberry.ID) -> Course | None:
        found: Course = await _lookup(info, "Course", id)
        return found

    @strawberry.field(
        description="Courses the viewer may see in a state (ACTIVE by default; null: any)."
    )
    async def courses(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        state: CourseState | None = CourseState.ACTIVE,
    ) -> Connection[Course]:
        return await roots.courses(info.context, info.context.page_args(first, after), state)

    @strawberry.field(description="Roster import runs, newest first (system administrators).")
    async def roster_imports(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[RosterImport]:
        return await roots.roster_imports(info.context, info.context.page_args(first, after))

    @strawberry.field
    async def submission(self, info: Info, id: strawberry.ID) -> Submission | None:
        found: Submission = await _lookup(info, "Submission", id)
        return found

    @strawberry.field
    async def assessment(self, info: Info, id: strawberry.ID) -> Assessment | None:
        found: Assessment = await _lookup(info, "Assessment", id)
        return found

    @strawberry.field(description="The viewer's conversations (added beside the contract).")
    async def conversations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Conversation]:
        return await roots.conversations(info.context, info.context.page_args(first, after))

    @strawberry.field(
        description="Documents the viewer may see: own private ones and those shared to "
        "visible courses (added beside the contract)."
    )
    async def documents(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Document]:
        return await roots.documents(info.context, info.context.page_args(first, after))

    @strawberry.field(description="Calendar events the viewer may see (added beside the contract).")
    async def calendar_events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CalendarEvent]:
        return await roots.calendar_events(info.context, info.context.page_args(first, after))

    @strawberry.field(description="Public: who processes whose data, why, and your rights.")
    def privacy_notice(self, info: Info) -> PrivacyNotice:
        return notice_from_settings(info.context.settings)
