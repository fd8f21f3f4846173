"""Documents (notes, uploads) and calendar events: private to their owner or shared to a course."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.context import Info
from resolvers.records import CalendarEventRecord, DocumentRecord
from schema import sources
from schema.course import Course
from schema.files import FileRef
from schema.node import Node
from schema.registry import kind_type
from schema.user import User
from schema.values import made_of, node_id


@kind_type("Document")
@made_of(DocumentRecord, id=node_id("Document"))
@strawberry.type
class Document(Node):
    id: strawberry.ID
    title: str | None
    body: str | None
    record: strawberry.Private[DocumentRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Document.owner")
        return found

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "Document.course")
        return found

    @strawberry.field(
        description="The uploaded file the document carries, if any (null while its owner's "
        "data is restricted)."
    )
    async def file(self, info: Info) -> FileRef | None:
        found: FileRef | None = await sources.reference(info, self.record, "Document.file")
        return found


@kind_type("CalendarEvent")
@made_of(CalendarEventRecord, id=node_id("CalendarEvent"))
@strawberry.type
class CalendarEvent(Node):
    id: strawberry.ID
    title: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    record: strawberry.Private[CalendarEventRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "CalendarEvent.owner")
        return found

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "CalendarEvent.course")
        return found
