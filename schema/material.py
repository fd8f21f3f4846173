"""Documents (notes, uploads) and calendar events: private to their owner or shared to a course."""

from __future__ import annotations

from datetime import datetime

import strawberry

from config.ids import to_global_id
from resolvers.context import Info
from resolvers.records import CalendarEventRecord, DocumentRecord
from schema import sources
from schema.course import Course
from schema.node import Node
from schema.registry import kind_type
from schema.user import User


@kind_type("Document")
@strawberry.type
class Document(Node):
    id: strawberry.ID
    title: str | None
    body: str | None
    record: strawberry.Private[DocumentRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: DocumentRecord) -> Document:
        return cls(
            id=strawberry.ID(to_global_id("Document", record.pk)),
            title=record.title,
            body=record.body,
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Document.owner")
        return found

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "Document.course")
        return found


@kind_type("CalendarEvent")
@strawberry.type
class CalendarEvent(Node):
    id: strawberry.ID
    title: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    record: strawberry.Private[CalendarEventRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: CalendarEventRecord) -> CalendarEvent:
        return cls(
            id=strawberry.ID(to_global_id("CalendarEvent", record.pk)),
            title=record.title,
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "CalendarEvent.owner")
        return found

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "CalendarEvent.course")
        return found
