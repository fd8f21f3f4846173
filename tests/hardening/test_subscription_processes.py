"""Subscriptions across gateway processes on PostgreSQL (docs/operations.md, "Subscriptions").

Two real ``tavle serve`` processes on one fresh database: a message sent through the first
gateway reaches its conversation's participants subscribed on either gateway, and nobody else;
each process listens on one connection of its own, and a lost listening connection is opened
again (the test ends it from the server side) and events flow again.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_support import fresh_database
from gateway_support import TEST_DEV_SECRET
from serve_support import ServedGateway, tavle_serve
from sqlalchemy import text
from subscription_support import MESSAGE_ADDED, Subscriber

from config.settings import Settings
from gateway.auth import Authenticator
from gateway.subscriptions import LISTENER_NAME
from store.db import make_engine

SEND = (
    "mutation($to: [ID!], $conv: ID, $body: String!) { sendMessage(recipientIds: $to, "
    "conversationId: $conv, body: $body) { id } }"
)
CONVERSATIONS = """{ conversations(first: 100) { edges { node {
  id messages(first: 100) { edges { node { id } } } } } } }"""


def graphql(served: ServedGateway, token: str, query: str, **variables: Any) -> Any:
    response = httpx.post(
        f"{served.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


def conversation_of(served: ServedGateway, token: str, message: str) -> str:
    """The id of the conversation of ``message``, as a participant lists them."""
    edges = graphql(served, token, CONVERSATIONS)["conversations"]["edges"]
    (found,) = [
        edge["node"]["id"]
        for edge in edges
        if message in {m["node"]["id"] for m in edge["node"]["messages"]["edges"]}
    ]
    return str(found)


def listeners(url: str) -> list[int]:
    """The backend pids of the gateways' listening connections to the database at ``url``."""

    async def run() -> list[int]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
                        "AND datname = current_database()"
                    ),
                    {"name": LISTENER_NAME},
                )
                return sorted(int(row.pid) for row in rows)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def terminate(url: str, pid: int) -> None:
    async def run() -> None:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.mark.postgres
def test_events_cross_gateway_processes(tmp_path: Path) -> None:
    environment = {"TAVLE_DATA_DIR": str(tmp_path / "data"), "TAVLE_DEV_SECRET": TEST_DEV_SECRET}
    authenticator = Authenticator(Settings(data_dir=tmp_path / "data", dev_secret=TEST_DEV_SECRET))

    def token(username: str) -> str:
        return authenticator.mint_development_token(username)

    with (
        fresh_database("postgresql", tmp_path, prefix="tavle_subscriptions") as url,
        tavle_serve(["--database-url", url, "--demo"], tmp_path, environment) as first,
    ):
        first.wait_ready()
        with tavle_serve(["--database-url", url], tmp_path, environment) as second:
            second.wait_ready()
            assert len(listeners(url)) == 2  # one listening connection per process
            dahl = graphql(first, token("larer.dahl"), "{ viewer { id } }")["viewer"]["id"]
            started = graphql(first, token("elev.ola"), SEND, to=[dahl], conv=None, body="Hei")
            conversation = conversation_of(first, token("larer.dahl"), started["sendMessage"]["id"])
            with (
                Subscriber.of(second.url, token("larer.dahl")) as on_second,
                Subscriber.of(first.url, token("larer.dahl")) as on_first,
                Subscriber.of(second.url, token("elev.jakob")) as outsider,
            ):
                for subscriber in (on_second, on_first, outsider):
                    subscriber.subscribe("1", MESSAGE_ADDED)
                time.sleep(0.5)
                sent = graphql(
                    first, token("elev.ola"), SEND, to=None, conv=conversation, body="Syk i dag"
                )["sendMessage"]["id"]
                for subscriber in (on_second, on_first):
                    payload = subscriber.next_payload("1")
                    assert payload["data"]["messageAdded"]["id"] == sent, payload
                    assert payload["data"]["messageAdded"]["body"] == "Syk i dag"
                assert outsider.nothing_within(1.0)

                # The second process's listening connection is lost: it listens again.
                before = listeners(url)
                for pid in before:
                    terminate(url, pid)
                deadline = time.monotonic() + 20
                while True:
                    now = listeners(url)
                    if len(now) == 2 and not set(now) & set(before):
                        break
                    assert time.monotonic() < deadline, (before, now)
                    time.sleep(0.2)
                again = graphql(
                    second, token("elev.ola"), SEND, to=None, conv=conversation, body="Igjen"
                )["sendMessage"]["id"]
                for subscriber in (on_second, on_first):
                    assert subscriber.next_payload("1")["data"]["messageAdded"]["id"] == again
