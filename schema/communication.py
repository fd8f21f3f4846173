"""Course bulletin posts and comments; direct conversations and messages."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.context import Info
from schema.connection import Connection
from schema.course import Course
from schema.coursework import _course
from schema.node import Node
from schema.user import User, person


@strawberry.type
class Comment(Node):
    id: strawberry.ID
    body: str | None
    created_at: datetime | None
    pk: strawberry.Private[int]
    author_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await person(info, self.author_pk, "Comment.author", when_inactive="pseudonym")


@strawberry.type
class Post(Node):
    id: strawberry.ID
    body: str | None
    created_at: datetime | None
    pk: strawberry.Private[int]
    course_pk: strawberry.Private[int]
    author_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def course(self, info: Info) -> Course | None:
        return await _course(info, self.course_pk, "Post.course")

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        return await person(info, self.author_pk, "Post.author", when_inactive="pseudonym")

    @strawberry.field
    async def comments(self, info: Info) -> list[Comment] | None:
        return await info.context.loaders.comments_by_post.load(self.pk)


@strawberry.type
class Message(Node):
    id: strawberry.ID
    body: str | None
    sent_at: datetime | None
    pk: strawberry.Private[int]
    author_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        # A fellow participant, even one the User row rule hides elsewhere (docs/access-policy.md,
        # "Communication": messages are read *including* their author).
        return await person(
            info, self.author_pk, "Message.author", when_inactive="pseudonym", via_conversation=True
        )


@strawberry.type
class Conversation(Node):
    id: strawberry.ID
    pk: strawberry.Private[int]
    participant_pks: strawberry.Private[frozenset[int]]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def participants(self, info: Info) -> list[User] | None:
        found = await info.context.loaders.conversation_people.load_many(
            sorted(self.participant_pks)
        )
        return [user for user in found if user is not None]

    @strawberry.field
    async def messages(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Message] | None:
        args = info.context.page_args(first, after)
        return await info.context.loaders.messages_by_conversation.load((self.pk, args))
