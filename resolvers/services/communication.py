"""Writes on communication: course posts, comments and direct messages."""

from __future__ import annotations

from authz.relations import Facts
from resolvers import kinds as k
from resolvers.errors import bad_input
from resolvers.events import Event, Topic, publish
from resolvers.services import input_limits as limits
from resolvers.services.actor import Actor, inserted_id, now, require_text
from store import tables as t
from store.tables import DataSource


async def create_post(actor: Actor, course_id: int, body: str) -> int:
    body = require_text(body, "body", limits.POST_BODY)
    async with actor.engine.begin() as conn:
        course = await actor.visible_row(conn, k.COURSE, course_id, "Course")
        actor.require(
            Facts(course=course_id, school=course["school_id"]),
            "Mutation.createPost",
            "only members of the course may post in it",
        )
        await actor.require_active_course(conn, course)
        result = await conn.execute(
            t.posts.insert().values(
                course_id=course_id,
                author_id=actor.viewer.person_id,
                body=body,
                created_at=now(),
                source=DataSource.PERSON,
            )
        )
        post_id = inserted_id(result)
        await actor.audit(conn, "CREATE_POST", "Post", post_id)
    return post_id


async def comment_on_post(actor: Actor, post_id: int, body: str) -> int:
    body = require_text(body, "body", limits.COMMENT_BODY)
    async with actor.engine.begin() as conn:
        post = await actor.visible_row(conn, k.POST, post_id, "Post")
        actor.require(
            Facts(course=post["course_id"], school=post["school_id"]),
            "Mutation.commentOnPost",
            "only members of the course may comment",
        )
        await actor.require_active_course(conn, post)
        result = await conn.execute(
            t.comments.insert().values(
                post_id=post_id,
                author_id=actor.viewer.person_id,
                body=body,
                created_at=now(),
                source=DataSource.PERSON,
            )
        )
        comment_id = inserted_id(result)
        await actor.audit(conn, "COMMENT_ON_POST", "Comment", comment_id)
    return comment_id


async def send_message(
    actor: Actor, body: str, recipient_ids: list[int] | None, conversation_id: int | None
) -> int:
    """Send to an existing conversation, or start one with ``recipient_ids`` (whom the viewer
    must be able to see)."""
    body = require_text(body, "body", limits.MESSAGE_BODY)
    me = actor.viewer.person_id
    if (conversation_id is None) == (not recipient_ids):
        raise bad_input("Give either 'conversationId' or a non-empty 'recipientIds', not both")
    if recipient_ids:
        limits.check_count(recipient_ids, "recipientIds", limits.RECIPIENTS_PER_MESSAGE)
    #: the participants of a conversation this message opens (the event names them)
    opened: tuple[int, ...] = ()
    async with actor.engine.begin() as conn:
        if conversation_id is not None:
            await actor.visible_row(conn, k.CONVERSATION, conversation_id, "Conversation")
            actor.require(
                Facts(conversation=conversation_id),
                "Mutation.sendMessage.conversation",
                "only participants may write in a conversation",
            )
        else:
            assert recipient_ids is not None
            others = sorted(set(recipient_ids) - {me})
            if not others:
                raise bad_input("'recipientIds' must name someone other than yourself")
            for person_id in others:
                await actor.visible_row(conn, k.USER, person_id, "User")
                actor.require(
                    Facts(person=person_id), "Mutation.sendMessage.recipient", "recipient"
                )
            result = await conn.execute(t.conversations.insert().values(created_at=now()))
            conversation_id = inserted_id(result)
            opened = (me, *others)
            await conn.execute(
                t.conversation_participants.insert(),
                [{"conversation_id": conversation_id, "person_id": pid} for pid in opened],
            )
        result = await conn.execute(
            t.messages.insert().values(
                conversation_id=conversation_id,
                author_id=me,
                body=body,
                sent_at=now(),
                source=DataSource.PERSON,
            )
        )
        message_id = inserted_id(result)
        await actor.audit(conn, "SEND_MESSAGE", "Message", message_id)
    await publish(actor.engine, Event(Topic.MESSAGE, message_id, conversation_id, opened))
    return message_id
