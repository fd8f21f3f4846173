"""Course bulletin posts and comments; direct conversations and messages."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.context import Info
from resolvers.records import CommentRecord, ConversationRecord, MessageRecord, PostRecord
from schema import sources
from schema.connection import Connection
from schema.course import Course
from schema.enums import Ordering
from schema.node import Node
from schema.registry import kind_type
from schema.user import User
from schema.values import made_of, node_id


@kind_type("Comment")
@made_of(CommentRecord, id=node_id("Comment"))
@strawberry.type
class Comment(Node):
    id: strawberry.ID
    body: str | None
    created_at: datetime | None
    record: strawberry.Private[CommentRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Comment.author")
        return found


@kind_type("Post")
@made_of(PostRecord, id=node_id("Post"))
@strawberry.type
class Post(Node):
    id: strawberry.ID
    body: str | None
    created_at: datetime | None
    record: strawberry.Private[PostRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        found: Course | None = await sources.reference(info, self.record, "Post.course")
        return found

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Post.author")
        return found

    @strawberry.field(
        description="The post's comments, oldest first, at most 100 (all of them: "
        "`commentsConnection`)."
    )
    async def comments(self, info: Info) -> list[Comment] | None:
        return await sources.listed(info, self.record, "Post.comments")

    @strawberry.field(description="The post's comments, a page at a time, oldest first by default.")
    async def comments_connection(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[Comment] | None:
        return await sources.connection(
            info,
            self.record,
            "Post.commentsConnection",
            first,
            after,
            last=last,
            before=before,
            order_by=order_by,
        )


@kind_type("Message")
@made_of(MessageRecord, id=node_id("Message"))
@strawberry.type
class Message(Node):
    id: strawberry.ID
    body: str | None
    sent_at: datetime | None
    record: strawberry.Private[MessageRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        found: User | None = await sources.reference(info, self.record, "Message.author")
        return found


@kind_type("Conversation")
@made_of(ConversationRecord, id=node_id("Conversation"))
@strawberry.type
class Conversation(Node):
    id: strawberry.ID
    record: strawberry.Private[ConversationRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def participants(self, info: Info) -> list[User] | None:
        return await sources.listed(info, self.record, "Conversation.participants")

    @strawberry.field
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: Ordering | None = None,
    ) -> Connection[Message] | None:
        return await sources.connection(
            info,
            self.record,
            "Conversation.messages",
            first,
            after,
            last=last,
            before=before,
            order_by=order_by,
        )
