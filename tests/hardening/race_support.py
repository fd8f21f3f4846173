"""Requests sent at the same moment: one thread and one HTTP connection each, released together
by a barrier, so the gateway really handles them concurrently."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from gateway_support import GraphQLResult


@dataclass(frozen=True)
class Call:
    token: str
    document: str
    variables: dict[str, Any] = field(default_factory=dict)
    #: seconds to wait after the barrier opens
    delay: float = 0.0


def _post(url: str, call: Call) -> GraphQLResult:
    with httpx.Client(timeout=120) as client:
        response = client.post(
            f"{url}/graphql",
            json={"query": call.document, "variables": call.variables},
            headers={"Authorization": f"Bearer {call.token}"},
        )
    assert response.status_code == 200, response.text
    return GraphQLResult(response.json())


def lanes_at_once(url: str, lanes: list[list[Call]]) -> list[list[GraphQLResult]]:
    """Run each lane (a list of calls, sent one after the other) in a thread of its own, all
    lanes released together; the results lane by lane."""
    barrier = threading.Barrier(len(lanes))
    results: list[list[GraphQLResult] | BaseException | None] = [None] * len(lanes)

    def run(index: int, lane: list[Call]) -> None:
        try:
            barrier.wait(timeout=60)
            done: list[GraphQLResult] = []
            for call in lane:
                if call.delay:
                    time.sleep(call.delay)
                done.append(_post(url, call))
            results[index] = done
        except BaseException as error:  # handed to the main thread below
            results[index] = error

    threads = [
        threading.Thread(target=run, args=(i, lane), name=f"race-{i}", daemon=True)
        for i, lane in enumerate(lanes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    finished: list[list[GraphQLResult]] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None, "a lane did not finish"
        finished.append(result)
    return finished


def at_once(url: str, *calls: Call) -> list[GraphQLResult]:
    """Send ``calls`` concurrently, one thread each; their results in the same order."""
    return [lane[0] for lane in lanes_at_once(url, [[call] for call in calls])]


def succeeded(result: GraphQLResult) -> bool:
    """No errors and a value: the call went through."""
    return not result.errors and all(value is not None for value in (result.data or {}).values())
