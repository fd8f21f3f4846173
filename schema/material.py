"""Documents (notes, uploads) and calendar events: private to their owner or shared to a course."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.context import Info
from schema.course import Course
from schema.coursework import _course
from schema.node import Node
from schema.user import User, person


@strawberry.type
class Document(Node):
    id: strawberry.ID
    title: str | None
    body: str | None
    pk: strawberry.Private[int]
    owner_pk: strawberry.Private[int | None]
    course_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await person(info, self.owner_pk, "Document.owner", when_inactive="pseudonym")

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        if self.course_pk is None:
            return None
        return await _course(info, self.course_pk, "Document.course")


@strawberry.type
class CalendarEvent(Node):
    id: strawberry.ID
    title: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    pk: strawberry.Private[int]
    owner_pk: strawberry.Private[int | None]
    course_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await person(info, self.owner_pk, "CalendarEvent.owner", when_inactive="pseudonym")

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        if self.course_pk is None:
            return None
        return await _course(info, self.course_pk, "CalendarEvent.course")
