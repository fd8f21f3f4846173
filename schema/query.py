"""The ``Query`` root. Lookups answer null + NOT_FOUND for anything the viewer may not see."""

from __future__ import annotations

from typing import Any

import strawberry

from config.ids import expect_id, from_global_id, not_found
from resolvers import roots
from resolvers.context import Info
from resolvers.kinds import NODE_KINDS
from schema.assessment import Assessment
from schema.communication import Conversation
from schema.connection import Connection, connection_of
from schema.course import Course
from schema.coursework import Submission
from schema.enums import CourseState
from schema.material import CalendarEvent, Document
from schema.node import Node
from schema.privacy_notice import PrivacyNotice, notice_from_settings
from schema.registry import to_object
from schema.school_year import RosterImport
from schema.user import School, User


async def _lookup(info: Info, type_name: str, global_id: str) -> Any:
    """The object ``global_id`` names (of a kind in ``NODE_KINDS``), or NOT_FOUND."""
    pk = expect_id(global_id, type_name)
    found = await info.context.loaders.by_id(type_name).load(pk)
    if found is None:
        raise not_found(type_name, global_id)
    return to_object(found)


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, _pk = from_global_id(id)
        if type_name not in NODE_KINDS:
            raise not_found("object", id)
        found: Node = await _lookup(info, type_name, id)
        return found

    @strawberry.field(description="The caller.")
    async def viewer(self, info: Info) -> User | None:
        viewer = info.context.require_viewer()
        found = await info.context.loaders.by_id("User").load(viewer.person_id)
        return None if found is None else User.from_record(found)

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
        page = await roots.courses(info.context, info.context.page_args(first, after), state)
        return connection_of(page, Course.from_record)

    @strawberry.field(description="Roster import runs, newest first (system administrators).")
    async def roster_imports(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[RosterImport]:
        page = await roots.roster_imports(info.context, info.context.page_args(first, after))
        return connection_of(page, RosterImport.from_record)

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
        page = await roots.conversations(info.context, info.context.page_args(first, after))
        return connection_of(page, Conversation.from_record)

    @strawberry.field(
        description="Documents the viewer may see: own private ones and those shared to "
        "visible courses (added beside the contract)."
    )
    async def documents(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Document]:
        page = await roots.documents(info.context, info.context.page_args(first, after))
        return connection_of(page, Document.from_record)

    @strawberry.field(description="Calendar events the viewer may see (added beside the contract).")
    async def calendar_events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CalendarEvent]:
        page = await roots.calendar_events(info.context, info.context.page_args(first, after))
        return connection_of(page, CalendarEvent.from_record)

    @strawberry.field(description="Public: who processes whose data, why, and your rights.")
    def privacy_notice(self, info: Info) -> PrivacyNotice:
        return notice_from_settings(info.context.settings)
