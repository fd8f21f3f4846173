"""Helpers for the work queue tests: the GraphQL calls that put something in a queue, and the job
worker run by hand (the test gateways run without one, so a test decides when a batch
erasure's preview is computed)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from gateway_support import LiveGateway
from gateway_support import run_jobs as run_jobs  # the browser tests take it from here
from sqlalchemy import select, update

from store import tables as t
from store.tables import ProcessingState

T = TypeVar("T")
JUSTIFICATION = "Ryddes etter avtale med skolen"


def ok(result: Any) -> Any:
    assert not result.errors, result.errors
    return result.data


def submit_data_request(live: LiveGateway, username: str, kind: str = "ACCESS") -> str:
    """A data request the person makes about themselves (self-service); its id."""
    data = ok(
        live.gql(
            "mutation($k: DataRequestKind!) { submitDataRequest(kind: $k) { id } }",
            {"k": kind},
            as_user=username,
        )
    )
    return str(data["submitDataRequest"]["id"])


def data_request(live: LiveGateway, request_id: str) -> dict[str, Any]:
    data = ok(
        live.gql(
            "query($id: ID!) { node(id: $id) { ... on DataRequest { status extendedTo } } }",
            {"id": request_id},
            as_user="admin",
        )
    )
    return dict(data["node"])


def data_request_status(live: LiveGateway, request_id: str) -> str:
    return str(data_request(live, request_id)["status"])


def request_batch_erasure(live: LiveGateway, usernames: list[str], who: str = "admin") -> str:
    data = ok(
        live.gql(
            "mutation($ids: [ID!], $j: String!) "
            "{ requestBatchErasure(subjectIds: $ids, justification: $j) { id } }",
            {"ids": [live.person_id(name) for name in usernames], "j": JUSTIFICATION},
            as_user=who,
        )
    )
    return str(data["requestBatchErasure"]["id"])


def request_erasure(live: LiveGateway, username: str, who: str = "admin") -> str:
    data = ok(
        live.gql(
            "mutation($s: ID!, $j: String!) "
            "{ requestErasure(subjectId: $s, justification: $j) { id } }",
            {"s": live.person_id(username), "j": JUSTIFICATION},
            as_user=who,
        )
    )
    return str(data["requestErasure"]["id"])


def privacy_request_status(live: LiveGateway, request_id: str) -> str:
    data = ok(
        live.gql(
            "query($id: ID!) { privacyRequest(id: $id) { status } }",
            {"id": request_id},
            as_user="admin",
        )
    )
    return str(data["privacyRequest"]["status"])


def left_long_ago(live: LiveGateway, username: str) -> None:
    """The person was restricted (left) so long ago that every retention has passed."""
    live.execute(
        update(t.people)
        .where(t.people.c.username == username)
        .values(
            processing_state=ProcessingState.RESTRICTED,
            restricted_at=datetime.now(UTC) - timedelta(days=4000),
        )
    )


def count(live: LiveGateway, table: Any) -> int:
    from sqlalchemy import func

    return int(live.scalar(select(func.count()).select_from(table)))


def in_thread(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` in a thread of its own: the helpers that reach the database run an event
    loop (``asyncio.run``), which cannot start while Playwright's synchronous API runs one in
    the test's thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call, *args).result()
