"""The ``Query`` root. Each read is declared in ``resolvers.root_fields`` and resolved by
``schema.sources``: lookups answer null + NOT_FOUND for anything the viewer may not see."""

from __future__ import annotations

import strawberry

from resolvers.context import Info, RequestContext
from schema import sources
from schema.assessment import Assessment
from schema.communication import Conversation
from schema.connection import Connection
from schema.course import Course
from schema.coursework import Submission
from schema.enums import CourseState, ProcessingState, Role
from schema.language import Language
from schema.material import CalendarEvent, Document
from schema.node import Node
from schema.privacy_notice import PrivacyNotice, notice_for
from schema.school_year import RosterImport
from schema.user import School, User
from schema.values import record_field


def _privacy_notice(
    _root: None, ctx: RequestContext, *, language: Language | None = None
) -> PrivacyNotice:
    return notice_for(ctx.settings, ctx.language if language is None else language.value)


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        found: Node = await sources.lookup(info, "Query.node", id)
        return found

    @strawberry.field(description="The caller.")
    async def viewer(self, info: Info) -> User | None:
        found: User | None = await sources.viewer(info, "Query.viewer")
        return found

    @strawberry.field
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        found: User = await sources.lookup(info, "Query.user", id)
        return found

    @strawberry.field
    async def school(self, info: Info, id: strawberry.ID) -> School | None:
        found: School = await sources.lookup(info, "Query.school", id)
        return found

    @strawberry.field
    async def course(self, info: Info, id: strawberry.ID) -> Course | None:
        found: Course = await sources.lookup(info, "Query.course", id)
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
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Course]:
        return await sources.root_page(
            info, "Query.courses", first, after, state, last=last, before=before
        )

    @strawberry.field(
        description="The schools you may see (your own; system administrators: all of them)."
    )
    async def schools(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[School]:
        return await sources.root_page(
            info, "Query.schools", first, after, last=last, before=before
        )

    @strawberry.field(description="Roster import runs, newest first (system administrators).")
    async def roster_imports(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[RosterImport]:
        return await sources.root_page(
            info, "Query.rosterImports", first, after, last=last, before=before
        )

    @strawberry.field
    async def submission(self, info: Info, id: strawberry.ID) -> Submission | None:
        found: Submission = await sources.lookup(info, "Query.submission", id)
        return found

    @strawberry.field
    async def assessment(self, info: Info, id: strawberry.ID) -> Assessment | None:
        found: Assessment = await sources.lookup(info, "Query.assessment", id)
        return found

    @strawberry.field(description="The viewer's conversations (added beside the contract).")
    async def conversations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Conversation]:
        return await sources.root_page(
            info, "Query.conversations", first, after, last=last, before=before
        )

    @strawberry.field(
        description="Documents the viewer may see: own private ones and those shared to "
        "visible courses (added beside the contract)."
    )
    async def documents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Document]:
        return await sources.root_page(
            info, "Query.documents", first, after, last=last, before=before
        )

    @strawberry.field(description="Calendar events the viewer may see (added beside the contract).")
    async def calendar_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CalendarEvent]:
        return await sources.root_page(
            info, "Query.calendarEvents", first, after, last=last, before=before
        )

    @strawberry.field(
        description="The users directory: people you may see, by name (`search`: part of the "
        "given name or family name, any case), school and role; active people unless `state` "
        "says (restricted ones: system administrators only). `identifier` (system "
        "administrators only): exactly a username, an e-mail address (any case) or a national id. "
        "`ids`: only these people (at most 100 ids), under the same rules."
    )
    async def users(
        self,
        info: Info,
        search: str | None = None,
        school_id: strawberry.ID | None = None,
        role: Role | None = None,
        state: ProcessingState | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        identifier: str | None = None,
        ids: list[strawberry.ID] | None = None,
    ) -> Connection[User]:
        return await sources.root_page(
            info,
            "Query.users",
            first,
            after,
            search,
            school_id,
            role,
            state,
            identifier,
            ids,
            last=last,
            before=before,
        )

    privacy_notice = record_field(
        _privacy_notice,
        description="Public: who processes whose data, why, and your rights; in `language` if "
        "given, else in the viewer's preferred language, else in the one the request's "
        "Accept-Language header asks for, else in Norwegian Bokmål.",
    )
