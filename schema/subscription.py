"""The ``Subscription`` root (graphql-transport-ws, ``gateway.subscriptions``).

Each subscription waits for the events of its topic (``resolvers.events``). An event is first
matched against the viewer as last checked (``SubscriptionSession.known_viewer``: their
conversations, their person), without a statement, so the events of other people's
conversations and notifications cost a subscriber nothing. An event that may be the viewer's
checks the viewer again (``SubscriptionSession.current_viewer``: restricted, erased or disabled
people get no more events, and the gateway closes their connection), is matched again against
the viewer as they are now (someone removed from a conversation gets none of its events), and
its row is reloaded through the viewer's scope and handed to the normal types and field guards:
an event answers exactly what a query for the same row would. Rows the viewer may not see are
skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable

import strawberry

from authz.viewer import Viewer
from config.errors import NotFoundError
from config.ids import expect_id, not_found
from resolvers import kinds as k
from resolvers.context import Info, RequestContext
from resolvers.events import Event, Topic
from resolvers.subscriptions import SubscriptionContext, SubscriptionSession
from schema.communication import Message
from schema.registry import to_object
from schema.user import Notification


def _start(info: Info, coordinate: str) -> tuple[SubscriptionContext, SubscriptionSession]:
    """The operation's context and session, after the root field's own checks."""
    ctx = info.context
    if not isinstance(ctx, SubscriptionContext) or ctx.session is None:
        raise NotFoundError("Subscriptions are served over graphql-transport-ws on /graphql")
    ctx.require_viewer()
    if not ctx.policy.allows(ctx.root_relations, coordinate, "read"):
        ctx.problems.report("FORBIDDEN", coordinate, info._raw_info)
    return ctx, ctx.session


#: whether an event is (still) the viewer's
Concerns = Callable[[Event, Viewer], bool]


async def _events(
    ctx: SubscriptionContext,
    session: SubscriptionSession,
    topic: Topic,
    may_concern: Concerns,
    concerns: Concerns,
) -> AsyncGenerator[tuple[Event, RequestContext], None]:
    """The events of ``topic`` that are the viewer's, each with the context renewed for it.

    ``may_concern`` picks the events worth a look by the viewer last checked, without a
    statement; only those check the viewer again (one statement while it is unchanged) and
    must then satisfy ``concerns`` with the viewer as they are now. An event's effects (audited
    reads) are written once its answer was sent: the protocol handler asks for the next event
    only then. Ends when the viewer may no longer use the connection."""
    person_id = ctx.require_viewer().person_id
    try:
        async for event in session.hub.events(topic):
            known = session.known_viewer()
            if known is None:
                return
            if not may_concern(event, known):
                continue
            viewer = await session.current_viewer()
            if viewer is None or viewer.person_id != person_id:
                return
            if not concerns(event, viewer):
                continue
            ctx.renew(viewer)
            yield event, ctx
            # shielded: an operation ending (cancelled) while the event's reads are being
            # written does not cut the write short; the ``finally`` then finds them taken
            await asyncio.shield(session.write_effects(ctx))
    finally:
        # the last event's audited reads; the operation may be ending by cancellation
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await session.write_effects(ctx)


def _in_conversation(event: Event, viewer: Viewer) -> bool:
    return event.key in viewer.conversations


def _maybe_in_conversation(event: Event, viewer: Viewer) -> bool:
    """A conversation the viewer took part in when last checked, or one the message opened
    with them (``Event.people``): checked against the viewer loaded again."""
    return event.key in viewer.conversations or viewer.person_id in event.people


def _addressed_to(event: Event, viewer: Viewer) -> bool:
    return event.key == viewer.person_id


async def _messages(
    ctx: SubscriptionContext, session: SubscriptionSession, only: int | None
) -> AsyncGenerator[Message, None]:
    def may_concern(event: Event, viewer: Viewer) -> bool:
        return (only is None or event.key == only) and _maybe_in_conversation(event, viewer)

    async for event, current in _events(ctx, session, Topic.MESSAGE, may_concern, _in_conversation):
        found = await current.loaders.by_id(k.MESSAGE.type_name).load(event.id)
        if found is not None:
            yield to_object(found)


async def _notifications(
    ctx: SubscriptionContext, session: SubscriptionSession
) -> AsyncGenerator[Notification, None]:
    async for event, current in _events(
        ctx, session, Topic.NOTIFICATION, _addressed_to, _addressed_to
    ):
        # through the Notification row rule: the viewer's own only
        found = await current.loaders.by_id(k.NOTIFICATION.type_name).load(event.id)
        if found is not None:
            yield to_object(found)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Messages as they are sent in the viewer's conversations, or in the one "
        "conversation named (NOT_FOUND if the viewer does not take part in it)."
    )
    async def message_added(
        self, info: Info, conversation_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Message, None]:
        ctx, session = _start(info, "Subscription.messageAdded")
        only: int | None = None
        if conversation_id is not None:
            only = expect_id(conversation_id, "Conversation")
            if only not in ctx.require_viewer().conversations:
                raise not_found("Conversation", conversation_id)
        return _messages(ctx, session, only)

    @strawberry.subscription(description="The viewer's own notifications as they are created.")
    async def notification_added(self, info: Info) -> AsyncGenerator[Notification, None]:
        ctx, session = _start(info, "Subscription.notificationAdded")
        return _notifications(ctx, session)
