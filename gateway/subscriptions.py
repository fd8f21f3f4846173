"""Subscriptions over graphql-transport-ws on ``/graphql`` (docs/interfaces.md, "Subscriptions").

- **Events** reach a process's :class:`~resolvers.events.EventHub` through one
  :class:`EventFeed`: :class:`PostgresFeed` LISTENs on one dedicated asyncpg connection per
  process (opened again when it is lost); :class:`LocalFeed` takes what this process publishes
  (SQLite, one embedded process). The write paths publish with ``resolvers.events.publish``.
- **Connections** (:class:`TransportWSHandler`, Strawberry's protocol handler): the token comes
  in the ``connection_init`` payload (``Authorization: Bearer …`` or ``authToken``, as Apollo's
  and urql's graphql-ws clients send it) or in the upgrade request's ``Authorization`` header;
  a missing, invalid or expired token, or one of a person who may not use Tavle, closes the
  connection with 4403. Once acknowledged, the connection is closed with 4403 when the token
  expires (a timer at ``exp``) and when the person is restricted, erased or disabled (checked
  before every event of theirs and every ``TAVLE_SUBSCRIPTION_CHECK_SECONDS``; an event picked
  as not theirs by the viewer last checked costs no statement); the server pings every
  ``TAVLE_SUBSCRIPTION_PING_SECONDS``.
- **Operations** each get their own context (``resolvers.events.SubscriptionContext``), renewed
  for every event, so an event's denials and audited reads are its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, Protocol, cast

import asyncpg
import jwt
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.websockets import WebSocket, WebSocketState
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from authz.problems import ProblemLog
from authz.viewer import Viewer
from config.errors import CodedError
from gateway.auth import AuthenticationError, Principal
from gateway.authentication import viewer_of
from gateway.error_codes import with_codes
from gateway.metrics import count_refusal
from gateway.persisted_queries import PersistedQueryError, refusal_as_graphql_error
from gateway.read_effects import write_effects
from gateway.state import AppState
from resolvers.context import RequestContext
from resolvers.events import CHANNEL, Event, EventHub, register_sink
from resolvers.subscriptions import SubscriptionContext, SubscriptionSession
from store.db import is_sqlite

log = logging.getLogger("tavle.subscriptions")

#: where the connection of a WebSocket request is kept (its scope)
CONNECTION_SCOPE_KEY = "tavle.subscriptions"
#: graphql-transport-ws: "Forbidden"; also a token that expired or a person who may no longer
#: use Tavle (clients open a new connection with a new token)
FORBIDDEN = 4403


class SubscriptionLimitError(CodedError):
    """The person runs as many subscriptions as they may (``TAVLE_SUBSCRIPTIONS_PER_PERSON``)."""

    code = "SUBSCRIPTION_LIMIT"


#: the listening connection's ``application_name`` (``pg_stat_activity``)
LISTENER_NAME = "tavle-listen"
#: seconds between attempts to open the listening connection again
RECONNECT_SECONDS = 1.0
#: seconds between checks that the listening connection is alive
LISTEN_CHECK_SECONDS = 10.0


# --- event feeds -------------------------------------------------------------------------------


class EventFeed(Protocol):
    """Where a process's hub gets the events of every process from."""

    hub: EventHub

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LocalFeed:
    """The events this process publishes (SQLite: the embedded gateway is one process). A
    publisher on another thread's event loop (a test, a job run in a thread) hands its events
    over to the hub's loop."""

    def __init__(self, engine: AsyncEngine, hub: EventHub) -> None:
        self.engine = engine
        self.hub = hub
        self._unregister: Callable[[], None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def sink(event: Event) -> None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                self.hub.dispatch(event)
            else:
                loop.call_soon_threadsafe(self.hub.dispatch, event)

        self._unregister = register_sink(self.engine, sink)

    async def stop(self) -> None:
        if self._unregister is not None:
            self._unregister()
            self._unregister = None


class PostgresFeed:
    """``LISTEN`` on :data:`~resolvers.events.CHANNEL` over one asyncpg connection of its own,
    opened again whenever it is lost; each notification is handed to the hub."""

    def __init__(self, database_url: str, hub: EventHub) -> None:
        self.dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        self.hub = hub
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: times the listening connection was opened (tests, metrics)
        self.connects = 0

    async def start(self, wait_seconds: float = 10.0) -> None:
        """Start listening; waits (at most ``wait_seconds``) until the connection listens, so a
        gateway that answers requests also receives events."""
        self._task = asyncio.create_task(self._run(), name="tavle-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), wait_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        event = Event.decode(payload)
        if event is not None:
            self.hub.dispatch(event)

    async def _run(self) -> None:
        while True:
            conn: Any = None
            try:
                conn = await asyncpg.connect(
                    self.dsn, server_settings={"application_name": LISTENER_NAME}
                )
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                self.connects += 1
                self.listening.set()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), LISTEN_CHECK_SECONDS)
                    if not lost.is_set():
                        await conn.execute("SELECT 1")  # a dead connection shows up here
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any driver or network error: listen again
                log.warning("listening for subscription events failed: %s", type(error).__name__)
            finally:
                self.listening.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.shield(conn.close(timeout=2))
            await asyncio.sleep(RECONNECT_SECONDS)


def event_feed(database_url: str, engine: AsyncEngine, hub: EventHub) -> EventFeed:
    """The feed for the gateway's database."""
    if is_sqlite(database_url):
        return LocalFeed(engine, hub)
    return PostgresFeed(database_url, hub)


# --- one connection ----------------------------------------------------------------------------


def _header_from(params: dict[str, Any], upgrade_header: str | None) -> str | None:
    """The ``Authorization`` value of a connection: the ``connection_init`` payload's
    ``Authorization`` (any case) or ``authToken``/``token`` (the bare token), else the upgrade
    request's header."""
    for key, value in params.items():
        if key.lower() == "authorization" and isinstance(value, str):
            return value
    for key in ("authToken", "token"):
        value = params.get(key)
        if isinstance(value, str):
            return value if value.lower().startswith("bearer ") else f"Bearer {value}"
    return upgrade_header


def _expiry(header: str) -> float | None:
    """The ``exp`` of the (already verified) bearer token in ``header``."""
    try:
        claims = jwt.decode(header.split(None, 1)[1], options={"verify_signature": False})
        return float(claims["exp"])
    except (jwt.PyJWTError, IndexError, KeyError, TypeError, ValueError):
        return None


class Connection:
    """The caller of one WebSocket connection and how to check them again."""

    def __init__(self, state: AppState, websocket: WebSocket) -> None:
        self.state = state
        self.websocket = websocket
        #: the verified token's principal: the caller is found again from it on every check
        self.principal: Principal | None = None
        self.expires_at: float | None = None
        self.viewer: Viewer | None = None
        self.closing = False

    async def authenticate(self, params: dict[str, Any]) -> str | None:
        """Why the connection is refused, or ``None`` with the caller known."""
        header = _header_from(params, self.websocket.headers.get("authorization"))
        if header is None:
            return "authentication required: send the token in the connection_init payload"
        authenticator = self.state.authenticator
        try:
            if self.state.settings.jwks_fetched:
                principal = await asyncio.to_thread(authenticator.authenticate, header)
            else:
                principal = authenticator.authenticate(header)
        except AuthenticationError as error:
            count_refusal("UNAUTHENTICATED")
            return error.reason
        if principal is None:  # pragma: no cover - a header was given
            return "authentication required"
        viewer, why_not = await viewer_of(self.state, principal)
        if viewer is None:
            count_refusal("UNAUTHENTICATED")
            return why_not or "the token names no active person here"
        self.principal = principal
        self.expires_at = _expiry(header)
        self.viewer = viewer
        return None

    def expired(self) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at

    async def current_viewer(self) -> Viewer | None:
        """The caller's viewer now; ``None`` (and the connection closed) when the token expired
        or the person may no longer use Tavle."""
        if self.principal is None or self.closing:
            return None
        if self.expired():
            await self.close(FORBIDDEN, "Forbidden: the token has expired")
            return None
        viewer, _why_not = await viewer_of(self.state, self.principal)
        if viewer is None:
            await self.close(FORBIDDEN, "Forbidden: the person may no longer use Tavle")
            return None
        self.viewer = viewer
        return viewer

    def known_viewer(self) -> Viewer | None:
        """The caller's viewer as last checked (no statement); ``None`` once closing."""
        return None if self.closing else self.viewer

    async def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError):
                await self.websocket.close(code=code, reason=reason)

    def session(self) -> SubscriptionSession:
        return SubscriptionSession(
            hub=self.state.events,
            current_viewer=self.current_viewer,
            known_viewer=self.known_viewer,
            write_effects=write_effects,
            close=self.close,
        )

    def context(self, session: SubscriptionSession) -> SubscriptionContext:
        """A context for one operation, as the caller is now."""
        settings = self.state.settings
        context = SubscriptionContext(
            engine=self.state.engine,
            policy=self.state.policy,
            settings=settings,
            viewer=self.viewer,
            problems=ProblemLog(settings.max_field_errors),
            pseudonyms=self.state.pseudonyms,
            request=self.websocket,
            response=self.websocket,
            access_log=self.state.access_log.buffer,
        )
        context.session = session
        return context


def connection_context(state: AppState, websocket: WebSocket) -> RequestContext:
    """The context of a new WebSocket connection (the view's ``get_context``)."""
    connection = Connection(state, websocket)
    websocket.scope[CONNECTION_SCOPE_KEY] = connection
    return connection.context(connection.session())


class _SubscriptionsOnly:
    """The schema as a WebSocket runs it: subscription operations only (queries and mutations
    go over HTTP, through its admission and limits), and every event's errors coded and
    unexpected ones masked as on HTTP (``gateway.error_codes``)."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Any = None,
    ) -> AsyncGenerator[Any, None]:
        source = await self._schema.stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=(OperationType.SUBSCRIPTION,),
        )
        return _coded(source)


async def _coded(source: Any) -> AsyncGenerator[Any, None]:
    async with contextlib.aclosing(source):
        async for result in source:
            if isinstance(result, ExecutionResult) and result.errors:
                result.errors = with_codes(result.errors)
            yield result


class TransportWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """Strawberry's graphql-transport-ws handler with Tavle's authentication at
    ``connection_init``, a context per operation, the connection's watch (token expiry, the
    person's state) and keep-alive pings."""

    _connection_context: RequestContext
    _watch: asyncio.Task[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = cast("BaseSchema", _SubscriptionsOnly(self.schema))

    @property
    def context(self) -> RequestContext:
        """A new context each time Strawberry reads it: at ``connection_init`` and once per
        operation it starts. They share the connection's session."""
        base = self._connection_context
        connection = self._connection
        if not isinstance(base, SubscriptionContext) or base.session is None or connection is None:
            return base
        return connection.context(base.session)

    @context.setter
    def context(self, value: RequestContext) -> None:
        self._connection_context = value

    @property
    def _connection(self) -> Connection | None:
        found = self._connection_context.request.scope.get(CONNECTION_SCOPE_KEY)
        return found if isinstance(found, Connection) else None

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Strawberry's, after the person's limit in this process
        (``TAVLE_SUBSCRIPTIONS_PER_PERSON``): an operation over it answers an ``error`` message
        (``SUBSCRIPTION_LIMIT``); one that starts is counted until its task ends."""
        connection = self._connection
        viewer = None if connection is None else connection.viewer
        if (
            connection is None
            or viewer is None
            or not self.connection_acknowledged
            or message["id"] in self.operations
        ):
            await super().handle_subscribe(message)
            return
        payload = message.get("payload")
        if isinstance(payload, Mapping):  # anything else is the protocol handler's to refuse
            try:
                resolved = connection.state.persisted_queries.over_websocket(payload)
            except PersistedQueryError as refused:  # not listed, an unknown id, another text ...
                refusal = refusal_as_graphql_error(refused)
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [refusal.formatted]}
                )
                return
            message = cast(SubscribeMessage, {**message, "payload": resolved})
        # the operation starts with the caller as they are now (their conversations ...)
        viewer = await connection.current_viewer()
        if viewer is None:  # closed: the token expired or the person may no longer use Tavle
            return
        hub = connection.state.events
        limit = connection.state.settings.subscriptions_per_person
        if not hub.acquire(viewer.person_id, limit):
            error = SubscriptionLimitError(
                f"At most {limit} subscriptions may be open at once per person"
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        try:
            await super().handle_subscribe(message)
        except BaseException:  # a malformed message (the connection is closed with 4400)
            hub.release(viewer.person_id)
            raise
        operation = self.operations.get(message["id"])
        if operation is None or operation.task is None:  # refused by the connection's limit
            hub.release(viewer.person_id)
            return
        person_id = viewer.person_id
        operation.task.add_done_callback(lambda _task: hub.release(person_id))

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        connection = self._connection
        payload = message.get("payload")
        if (
            connection is not None
            and not self.connection_init_received
            and not self.connection_timed_out
            and isinstance(payload, dict | None)
        ):
            refusal = await connection.authenticate(payload or {})
            if refusal is not None:
                self.connection_init_received = True
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                await connection.close(FORBIDDEN, f"Forbidden: {refusal}"[:120])
                return
            if payload is None:
                message = {"type": "connection_init", "payload": {}}
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._watch is None and connection is not None:
            self._watch = asyncio.create_task(self._watch_connection(connection))

    async def _watch_connection(self, connection: Connection) -> None:
        settings = connection.state.settings
        ping_every = settings.subscription_ping_seconds
        check_every = settings.subscription_check_seconds
        next_ping = time.monotonic() + ping_every
        next_check = time.monotonic() + check_every
        try:
            while not connection.closing:
                now = time.monotonic()
                wait = min(next_ping, next_check) - now
                if connection.expires_at is not None:
                    wait = min(wait, connection.expires_at - time.time())
                await asyncio.sleep(max(wait, 0.0))
                if connection.expired():
                    await connection.close(FORBIDDEN, "Forbidden: the token has expired")
                    return
                now = time.monotonic()
                if now >= next_check:
                    next_check = now + check_every
                    if await connection.current_viewer() is None:
                        return
                if now >= next_ping:
                    next_ping = now + ping_every
                    await self.send_message({"type": "ping"})
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the connection went away under the watch
            log.debug("connection watch ended: %s", type(error).__name__)

    async def shutdown(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
        await super().shutdown()
