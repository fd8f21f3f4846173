"""Rectification through the API (docs/privacy-actions.md §4).

A roster-sourced field is refused with MANAGED_BY_SOURCE unless ``overrideSource: true``; the
overridden value is kept through a later roster import (``roster.import_roster`` of
gateway/demo_data/roster, in the current school year, on an engine of its own, to the gateway's
database), and the import report lists the conflict. A gateway of its own per backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from db_support import BACKENDS, TEST_IDENTITY_KEY
from demo_roster_support import current_demo_roster
from gateway_support import LiveGateway
from privacy_api_support import ADMIN, JUSTIFICATION, RECTIFY, privacy_gateway, refused

from roster import ImportReport, import_roster
from store.db import make_engine

STUDENT = "elev.amina"  # Amina Hassan, u-s-amina, amina.hassan@elev.example.no
PERSON = """
query($id: ID!) { user(id: $id) { id firstName lastName displayName email } }
"""


@dataclass
class Setup:
    live: LiveGateway


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    with privacy_gateway(request.param, tmp_path_factory, "rectify") as live:
        yield Setup(live)


def rectify(live: LiveGateway, username: str, **input: Any) -> Any:
    variables = {"s": live.person_id(username), "input": input, "j": JUSTIFICATION}
    return live.gql(RECTIFY, variables, as_user=ADMIN)


def person(live: LiveGateway, username: str) -> dict[str, Any]:
    result = live.gql(PERSON, {"id": live.person_id(username)}, as_user=ADMIN)
    assert result.errors == [], result.errors
    return result.data["user"]  # type: ignore[no-any-return]


def reimport(live: LiveGateway) -> ImportReport:
    async def run() -> ImportReport:
        engine = make_engine(live.database_url)
        try:
            return await import_roster(
                engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_a_roster_field_is_managed_by_the_source(setup: Setup) -> None:
    live, student = setup.live, "elev.isak"
    before = person(live, student)
    for field, value in (
        ("firstName", "Isaak"),
        ("lastName", "Jenssen"),
        ("email", "isak@example.no"),
    ):
        result = rectify(live, student, **{field: value})
        refused(result, "MANAGED_BY_SOURCE")
        assert result.errors[0]["extensions"]["fields"]
        assert person(live, student) == before
    explicit = rectify(live, student, firstName="Isaak", overrideSource=False)
    refused(explicit, "MANAGED_BY_SOURCE")
    assert person(live, student) == before


def test_an_override_corrects_the_field_and_survives_a_roster_import(setup: Setup) -> None:
    live = setup.live
    result = rectify(live, STUDENT, firstName="Aminah", overrideSource=True)
    assert result.errors == [], result.errors
    assert result.data["rectifyPersonalData"]["firstName"] == "Aminah"
    shown = person(live, STUDENT)
    assert (shown["firstName"], shown["lastName"], shown["displayName"]) == (
        "Aminah",
        "Hassan",
        "Aminah Hassan",
    )
    # Seen by others too, not only the administrator.
    teacher = live.gql(PERSON, {"id": live.person_id(STUDENT)}, as_user="larer.dahl")
    assert teacher.data["user"]["firstName"] == "Aminah"

    # The roster still says "Amina": the import keeps the administrator's value and says so.
    report = reimport(live)
    conflicts = [c for c in report.conflicts if "u-s-amina" in c]
    assert len(conflicts) == 1, report.conflicts
    assert "givenName" in conflicts[0] and "kept" in conflicts[0]
    assert "Conflicts" in report.render() and conflicts[0] in report.render()
    assert person(live, STUDENT)["firstName"] == "Aminah"
    # The fields nobody overrode still follow the roster.
    assert person(live, STUDENT)["email"] == "amina.hassan@elev.example.no"
    # A second import reports the same conflict and changes nothing.
    again = reimport(live)
    assert [c for c in again.conflicts if "u-s-amina" in c] == conflicts
    assert not again.changed


def test_a_rectification_is_a_completed_request_with_its_justification(setup: Setup) -> None:
    live = setup.live
    result = rectify(live, "elev.mia", lastName="Pedersén", overrideSource=True)
    assert result.errors == [], result.errors
    requests = live.gql(
        "query($s: ID!) { privacyRequests(subjectId: $s) { edges { node {"
        " action status justification completedAt } } } }",
        {"s": live.person_id("elev.mia")},
        as_user=ADMIN,
    )
    ((request,),) = [[e["node"] for e in requests.data["privacyRequests"]["edges"]]]
    assert (request["action"], request["status"], request["justification"]) == (
        "RECTIFY",
        "COMPLETED",
        JUSTIFICATION,
    )
    assert request["completedAt"] is not None


def test_a_malformed_email_is_refused(setup: Setup) -> None:
    live = setup.live
    before = person(live, "elev.noah")
    refused(
        rectify(live, "elev.noah", email="not an address", overrideSource=True), "BAD_USER_INPUT"
    )
    refused(rectify(live, "elev.noah", firstName="  ", overrideSource=True), "BAD_USER_INPUT")
    assert person(live, "elev.noah") == before
