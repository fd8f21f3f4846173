"""A graphql-transport-ws client for tests: a real WebSocket (``websockets``' synchronous client)
to a real gateway."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from resolvers.events import EventHub, Topic

PROTOCOL = Subprotocol("graphql-transport-ws")

MESSAGE_ADDED = """
subscription($c: ID) { messageAdded(conversationId: $c) { id body author { id } } }"""
NOTIFICATION_ADDED = "subscription { notificationAdded { id kind message } }"


class Subscriber:
    """One graphql-transport-ws connection. ``messages`` answers the server's pings itself and
    collects the pings it saw."""

    def __init__(
        self,
        base_url: str,
        payload: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        *,
        init: bool = True,
    ) -> None:
        url = base_url.replace("http://", "ws://", 1) + "/graphql"
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(url, subprotocols=[PROTOCOL], additional_headers=headers, open_timeout=10)
        )
        self.pings = 0
        if init:
            self.send({"type": "connection_init", "payload": payload or {}})

    @classmethod
    def of(cls, base_url: str, token: str) -> Subscriber:
        """Connected and acknowledged with ``token`` in the Apollo style payload."""
        subscriber = cls(base_url, {"Authorization": f"Bearer {token}"})
        subscriber.expect_ack()
        return subscriber

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message other than a ping (answered with a pong)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message")
            message = json.loads(self.ws.recv(timeout=left))
            if message.get("type") == "ping":
                self.pings += 1
                self.send({"type": "pong"})
                continue
            return dict(message)

    def nothing_within(self, seconds: float) -> bool:
        try:
            message = self.receive(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message: {message}")

    def expect_ack(self) -> None:
        message = self.receive()
        assert message["type"] == "connection_ack", message

    def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        self.send(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    def subscribe_with(self, op_id: str, payload: dict[str, Any]) -> None:
        """A ``subscribe`` message with ``payload`` as it is (an id in place of the text ...)."""
        self.send({"id": op_id, "type": "subscribe", "payload": payload})

    def next_payload(self, op_id: str, timeout: float = 10.0) -> dict[str, Any]:
        message = self.receive(timeout)
        assert message.get("id") == op_id and message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        return payload

    def close_code(self, timeout: float = 10.0) -> tuple[int, str]:
        """The code and reason the server closed the connection with."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.receive(deadline - time.monotonic())
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code, closed.rcvd.reason
        raise AssertionError("the connection stayed open")

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def wait_registered(hub: EventHub, topic: Topic, count: int, timeout: float = 10.0) -> None:
    """Wait until ``hub`` (an in-process gateway's ``AppState.events``) has registered ``count``
    subscribers of ``topic`` since it started (take ``hub.registered(topic)`` before subscribing
    and add the subscriptions started): an event published before a subscription is in place
    is not its."""
    deadline = time.monotonic() + timeout
    while hub.registered(topic) < count:
        assert time.monotonic() < deadline, f"{count} subscribers of {topic} not in {timeout} s"
        time.sleep(0.01)
