"""Events for subscriptions: what a write publishes after its commit, and the fan-out to the
subscribers of one gateway process.

An event names rows by id only (a message and its conversation, a notification and its person),
never their content: a subscriber loads the row again through the normal scopes and field guards
as the viewer it is at that moment, and an event whose row it may not see is dropped.

Publishing (:func:`publish`), called by the write paths (``resolvers.services``) once their
transaction has committed:

- on PostgreSQL, ``pg_notify`` on the channel :data:`CHANNEL`; every gateway process listens on
  it with one dedicated connection (``gateway.subscriptions``) and hands what arrives to its
  :class:`EventHub`, so an event reaches subscribers on every process, the publisher's included;
- on SQLite (one embedded process), straight to the hubs of this process registered for the
  same database (:func:`register_sink`).

Delivery is at most once: an event published while a process's listening connection is being
opened again is lost for that process's subscribers (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import reader

log = logging.getLogger("tavle.events")

#: the PostgreSQL channel every gateway process LISTENs on
CHANNEL = "tavle_events"
#: events waiting for one subscriber before the oldest are dropped (a client that reads slowly)
QUEUE_SIZE = 256


class Topic(enum.StrEnum):
    MESSAGE = "m"
    NOTIFICATION = "n"


@dataclass(frozen=True, slots=True)
class Event:
    """A row written: ``id`` of a message (``key``: its conversation) or of a notification
    (``key``: the person it is addressed to).

    ``people``: for a message that opened its conversation, the conversation's participants
    (ids only). A subscriber picks the events that may be its own from what it already knows of
    its viewer (their conversations, their person) before it asks the database anything; a
    conversation begun after that is known only from this hint, and is then checked against
    the viewer loaded again."""

    topic: Topic
    id: int
    key: int
    people: tuple[int, ...] = ()

    def encode(self) -> str:
        encoded = f"{self.topic.value}:{self.id}:{self.key}"
        if self.people:
            encoded += ":" + ",".join(str(person) for person in self.people)
        return encoded

    @classmethod
    def decode(cls, payload: str) -> Event | None:
        """The event of a NOTIFY payload; ``None`` for anything else."""
        try:
            topic, pk, key, *rest = payload.split(":")
            if len(rest) > 1:
                return None
            people = tuple(int(person) for person in rest[0].split(",")) if rest else ()
            return cls(Topic(topic), int(pk), int(key), people)
        except ValueError:
            return None


class EventHub:
    """One process's subscribers, each with a bounded queue of the events of its topic."""

    def __init__(self) -> None:
        self._queues: dict[Topic, set[asyncio.Queue[Event]]] = {t: set() for t in Topic}
        self._registered: dict[Topic, int] = dict.fromkeys(Topic, 0)
        #: operations running per person in this process (``TAVLE_SUBSCRIPTIONS_PER_PERSON``)
        self._per_person: dict[int, int] = {}
        self.delivered = 0

    def dispatch(self, event: Event) -> None:
        for queue in self._queues[event.topic]:
            if queue.full():  # a subscriber that does not keep up loses its oldest event
                queue.get_nowait()
            queue.put_nowait(event)
            self.delivered += 1

    def registered(self, topic: Topic) -> int:
        """How many subscribers of ``topic`` this process has registered since it started,
        ended ones included: a count that only grows, so a test can wait for its own
        subscriptions to be in place before it publishes, whatever others end meanwhile."""
        return self._registered[topic]

    def acquire(self, person_id: int, limit: int) -> bool:
        """Count one more running operation of ``person_id`` unless they run ``limit``."""
        running = self._per_person.get(person_id, 0)
        if running >= limit:
            return False
        self._per_person[person_id] = running + 1
        return True

    def release(self, person_id: int) -> None:
        left = self._per_person.get(person_id, 1) - 1
        if left > 0:
            self._per_person[person_id] = left
        else:
            self._per_person.pop(person_id, None)

    async def events(self, topic: Topic) -> AsyncIterator[Event]:
        """The events of ``topic`` from now on, until the caller stops iterating."""
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self._queues[topic].add(queue)
        self._registered[topic] += 1
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[topic].discard(queue)


#: what receives the events published in this process, by database URL (without PostgreSQL)
_LOCAL_SINKS: dict[str, set[Callable[[Event], None]]] = {}


def _url_key(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=True)


def register_sink(engine: AsyncEngine, sink: Callable[[Event], None]) -> Callable[[], None]:
    """Hand what is published in this process for ``engine``'s database to ``sink`` (SQLite);
    returns the function that stops it."""
    key = _url_key(engine)
    _LOCAL_SINKS.setdefault(key, set()).add(sink)

    def unregister() -> None:
        sinks = _LOCAL_SINKS.get(key)
        if sinks is not None:
            sinks.discard(sink)
            if not sinks:
                del _LOCAL_SINKS[key]

    return unregister


async def publish(engine: AsyncEngine, *events: Event) -> None:
    """Tell the subscribers of every gateway process about ``events`` (rows committed)."""
    if not events:
        return
    if engine.dialect.name == "postgresql":
        try:
            async with reader(engine).connect() as conn:
                for event in events:
                    await conn.execute(
                        text("SELECT pg_notify(:channel, :payload)"),
                        {"channel": CHANNEL, "payload": event.encode()},
                    )
        except Exception:  # the write has committed: a lost event must not fail it
            log.exception("publishing %d subscription event(s) failed", len(events))
        return
    for sink in tuple(_LOCAL_SINKS.get(_url_key(engine), ())):
        for event in events:
            sink(event)
