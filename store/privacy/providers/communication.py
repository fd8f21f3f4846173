"""``COMMUNICATION``: direct messages, course bulletin posts and comments the person wrote.

Tables: ``messages``, ``posts``, ``comments``, ``conversations``, ``conversation_participants``.

Exported (art. 15/20)
    * ``message``: every message the person wrote (conversation id, time, body).
    * ``post`` and ``comment``: every post and comment the person wrote, with the course's code
      and name (posts) or the post's id (comments).
    * Not exported: other people's messages, posts and comments, not even the replies in the
      person's own conversations, and not who the other participants are: that is the other
      people's personal data (art. 15(4), docs/privacy-actions.md: "the person's own messages, not
      the replies of others").

Restriction
    Everything the person wrote stays visible with the author PSEUDONYMISED. Nothing is
    rewritten: the gateway renders an author who is not ``ACTIVE`` as a pseudonym.

Erasure
    * Kept, pseudonymised: messages, posts and comments keep ``author_id``, which now points at
      the erased tombstone; the gateway renders such authors as a stable pseudonym ("Former
      user 7F3A2C"), so threads stay readable for the other people in them, whose data the
      replies are. Posts and comments go when their course goes.
    * Deleted: a conversation in which **every** participant is erased once this erasure is
      done, with all its messages and participant rows: nobody is left who can read it.
    * Kept as-is: the ``conversation_participants`` rows of the erased person in conversations
      that live on. They hold internal ids only, and they are what lets a later erasure of the
      last remaining participant see that the conversation has nobody left.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, count_rows, effects, stream_rows
from store.privacy.providers._presence import Check, may_have_any
from store.tables import ProcessingState

#: Conversations deleted per statement (keeps the IN lists well under every driver's limits).
_CHUNK = 500


def abandoned_conversations(subject_id: int) -> Select[tuple[int]]:
    """Ids of the subject's conversations whose other participants are all erased already.

    The subject counts as erased whatever their current state, so the answer is the same
    whether the personal data is erased before or after this category.
    """
    cp = t.conversation_participants.c
    other = t.conversation_participants.alias("other")
    p = t.people.c
    someone_left = exists(
        select(other.c.person_id)
        .select_from(other.join(t.people, p.id == other.c.person_id))
        .where(
            other.c.conversation_id == cp.conversation_id,
            other.c.person_id != subject_id,
            p.processing_state != ProcessingState.ERASED,
        )
    )
    return select(cp.conversation_id).where(cp.person_id == subject_id, ~someone_left)


class CommunicationProvider:
    category = DataCategory.COMMUNICATION
    tables = frozenset(
        {"messages", "posts", "comments", "conversations", "conversation_participants"}
    )

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        if not may_have_any(subject_id, Check.MESSAGES, Check.POSTS, Check.COMMENTS):
            return  # a school export found nothing of theirs here
        m = t.messages.c
        messages = (
            select(m.id, m.conversation_id, m.sent_at, m.body, m.source)
            .where(m.author_id == subject_id)
            .order_by(m.id)
        )
        async for msg in stream_rows(conn, messages, (Check.MESSAGES, subject_id)):
            yield ExportItem(
                kind="message",
                fields={
                    "id": msg.id,
                    "conversation_id": msg.conversation_id,
                    "sent_at": msg.sent_at,
                    "body": msg.body,
                },
                source=msg.source,
            )

        p, c = t.posts.c, t.courses.c
        posts = (
            select(
                p.id,
                c.code.label("course_code"),
                c.name.label("course_name"),
                p.created_at,
                p.body,
                p.source,
            )
            .select_from(t.posts.join(t.courses, c.id == p.course_id))
            .where(p.author_id == subject_id)
            .order_by(p.id)
        )
        async for post in stream_rows(conn, posts, (Check.POSTS, subject_id)):
            yield ExportItem(
                kind="post",
                fields={
                    "id": post.id,
                    "course_code": post.course_code,
                    "course_name": post.course_name,
                    "created_at": post.created_at,
                    "body": post.body,
                },
                source=post.source,
            )

        k = t.comments.c
        comments = (
            select(k.id, k.post_id, k.created_at, k.body, k.source)
            .where(k.author_id == subject_id)
            .order_by(k.id)
        )
        async for comment in stream_rows(conn, comments, (Check.COMMENTS, subject_id)):
            yield ExportItem(
                kind="comment",
                fields={
                    "id": comment.id,
                    "post_id": comment.post_id,
                    "created_at": comment.created_at,
                    "body": comment.body,
                },
                source=comment.source,
            )

    async def _authored(self, conn: AsyncConnection, subject_id: int) -> tuple[int, int]:
        """(messages, posts + comments) written by the subject."""
        messages = await count(conn, t.messages, t.messages.c.author_id == subject_id)
        posts = await count(conn, t.posts, t.posts.c.author_id == subject_id)
        comments = await count(conn, t.comments, t.comments.c.author_id == subject_id)
        return messages, posts + comments

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        messages, posts_and_comments = await self._authored(conn, subject_id)
        return effects(self.category, [(Outcome.PSEUDONYMISED, messages + posts_and_comments)])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        m = t.messages.c
        abandoned = abandoned_conversations(subject_id)
        conversations = await count_rows(conn, abandoned)
        deleted_messages = await count(conn, t.messages, m.conversation_id.in_(abandoned))
        own_deleted = await count(
            conn, t.messages, m.author_id == subject_id, m.conversation_id.in_(abandoned)
        )
        messages, posts_and_comments = await self._authored(conn, subject_id)
        return effects(
            self.category,
            [
                (Outcome.PSEUDONYMISED, messages - own_deleted + posts_and_comments),
                (Outcome.DELETED, conversations + deleted_messages),
            ],
        )

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await self.erasure_effects(conn, subject_id)
        # Materialised first: the participant rows the query reads are deleted below.
        ids = list((await conn.execute(abandoned_conversations(subject_id))).scalars())
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            await conn.execute(t.messages.delete().where(t.messages.c.conversation_id.in_(chunk)))
            await conn.execute(
                t.conversation_participants.delete().where(
                    t.conversation_participants.c.conversation_id.in_(chunk)
                )
            )
            await conn.execute(t.conversations.delete().where(t.conversations.c.id.in_(chunk)))
        # Messages, posts and comments that stay keep author_id: rendered as a pseudonym.
        return found
