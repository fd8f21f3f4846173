"""The load benchmark's screens and writes (``bench/load_workload.py``) all succeed, for each role.

``bench/load.py`` counts any GraphQL error as a failed request, so each role's documents must ask
only for what that role may read, pass every operation limit, and each write must be valid as the
benchmark sends it (again and again). This module plays one demo person per role through the
benchmark's own client code against a gateway of its own: discovery, then every screen twice (the
second time a comment has a post to go to, an answer is a resubmission), with no error at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from load import create_bench_assignments
from load_workload import (
    ROLES,
    Client,
    ClientSpec,
    Outcomes,
    Shared,
    demo_people,
)

from store.tables import Role


@pytest.fixture(scope="module", params=BACKENDS)
def played(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[list[str], Outcomes]]]:
    """Each role played on a gateway of its own: role -> (operations sent, errors seen)."""
    with own_gateway(request.param, tmp_path_factory, "load-screens") as live:
        people = demo_people()
        assignments = create_bench_assignments(
            live.url, live.state.authenticator, people[Role.TEACHER]
        )
        yield {role: play(live, role, people[role][0], assignments) for role in ROLES}


def play(
    live: LiveGateway, role: str, username: str, assignments: dict[str, str]
) -> tuple[list[str], Outcomes]:
    """Discovery and every screen of ``role`` twice, as ``username``."""
    spec = ClientSpec(0, role, username, live.token(username), seed=1)
    outcomes = Outcomes()
    sent: list[str] = []

    async def run() -> None:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
            client = Client(spec, http, Shared(assignments), outcomes, think=0.0)
            await client.discover()
            for _ in range(2):
                for _weight, make in client.screens:
                    request = make()
                    assert request is not None, f"{username} has nothing to do on a screen"
                    data = await client.call(request)
                    client.learn(request[0], request[2], data)
                    sent.append(request[0])

    asyncio.run(run())
    return sent, outcomes


@pytest.mark.parametrize("role", ROLES)
def test_every_screen_and_write_of_the_role_succeeds(
    played: dict[str, tuple[list[str], Outcomes]], role: str
) -> None:
    sent, outcomes = played[role]
    assert outcomes.errors == {}
    assert len(set(sent)) >= 6  # every role loads at least six different screens


def test_the_roles_together_send_every_kind_of_screen_and_write(
    played: dict[str, tuple[list[str], Outcomes]],
) -> None:
    sent = {operation for operations, _ in played.values() for operation in operations}
    assert {
        "ViewerHome",
        "CoursePage",
        "Gradebook",
        "AssignmentSubmissions",
        "ChildrenOverview",
        "MyWork",
        "PrivacyQueue",
        "SubmitAnswer",
        "CommentOnPost",
        "CreatePost",
        "SendMessage",
        "Assess",
        "PublishAssessments",
        "RequestExport",
    } <= sent
