"""Course bulletin posts and comments; direct conversations and messages."""

from __future__ import annotations

from datetime import datetime

import strawberry

from config.ids import to_global_id
from resolvers.context import Info
from resolvers.records import CommentRecord, ConversationRecord, MessageRecord, PostRecord
from schema import sources
from schema.connection import Connection
from schema.course import Course
from schema.node import Node
from schema.registry import kind_type
from schema.user import User


@kind_type("Comment")
@strawberry.type
class Comment(Node):
    id: strawberry.ID
    body: str | None
    created_at: datetime | None
    record: strawberry.Private[CommentRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: CommentRecord) -> Comment:
        return cls(
            id=strawberry.ID(to_global_id("Comment", record.pk)),
            body=record.body,
            created_at=record.created_at,
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Comment.author")
        return found


@kind_type("Post")
@strawberry.type
class Post(Node):
    id: strawberry.ID
    body: str | None
    created_at: datetime | None
    record: strawberry.Private[PostRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: PostRecord) -> Post:
        return cls(
            id=strawberry.ID(to_global_id("Post", record.pk)),
            body=record.body,
            created_at=record.created_at,
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "Post.course")
        return found

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Post.author")
        return found

    @strawberry.field
    async def comments(self, info: Info) -> list[Comment] | None:
        return await sources.listed(info, self.record, "Post.comments")


@kind_type("Message")
@strawberry.type
class Message(Node):
    id: strawberry.ID
    body: str | None
    sent_at: datetime | None
    record: strawberry.Private[MessageRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: MessageRecord) -> Message:
        return cls(
            id=strawberry.ID(to_global_id("Message", record.pk)),
            body=record.body,
            sent_at=record.sent_at,
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Message.author")
        return found


@kind_type("Conversation")
@strawberry.type
class Conversation(Node):
    id: strawberry.ID
    record: strawberry.Private[ConversationRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: ConversationRecord) -> Conversation:
        return cls(
            id=strawberry.ID(to_global_id("Conversation", record.pk)),
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    async def participants(self, info: Info) -> list[User] | None:
        return await sources.listed(info, self.record, "Conversation.participants")

    @strawberry.field
    async def messages(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Message] | None:
        return await sources.connection(info, self.record, "Conversation.messages", first, after)
