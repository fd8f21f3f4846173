"""Privacy actions racing each other: every state change is a compare-and-set, so of two
administrators acting on the same request or person at the same moment exactly one proceeds and
the other gets ``CONFLICT`` (docs/security.md, "Integrity"; docs/privacy-actions.md).

Real concurrency through HTTP on both backends: two requests released together by a barrier,
several rounds each, on a gateway of its own. After each round the end state, the requests and
the audit log are checked: the erasure (or cancellation) happened once and was audited once,
and the audit chain still verifies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    CANCEL,
    CONFIRM_ERASURE,
    JUSTIFICATION,
    REQUEST_ERASURE,
    RESTRICT,
    pk_of,
    privacy_gateway,
    privacy_request,
    processing_state,
    request_erasure,
    wait_until_finished,
)
from race_support import Call, at_once, succeeded
from sqlalchemy import func, select, update

from store import tables as t
from store.audit_verify import verify_chain
from store.db import make_engine
from store.tables import DataSource, Role

#: a third system administrator for the races between two confirmers (admin asks)
ADMIN3 = "superuser.sagene"
CONFIRM_COURSE_DELETION = "mutation($r: ID!) { confirmCourseDeletion(requestId: $r) { id status } }"
REQUEST_COURSE_DELETION = """
mutation($c: ID!, $j: String!) { requestCourseDeletion(courseId: $c, justification: $j) { id } }
"""


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with privacy_gateway(request.param, tmp_path_factory, "privacy-races") as gateway:
        gateway.execute(
            t.role_assignments.insert().values(
                person_id=gateway.person_pk(ADMIN3),
                role=Role.SYSTEM_ADMINISTRATOR,
                school_id=None,
                source=DataSource.ADMINISTRATOR,
            )
        )
        yield gateway


def audit_count(live: LiveGateway, action: str, target: int) -> int:
    a = t.audit_entries.c
    return int(
        live.scalar(
            select(func.count()).where(
                a.action == action, a.target_type == "PrivacyRequest", a.target_id == target
            )
        )
    )


def one_won(results: list[GraphQLResult]) -> tuple[int, GraphQLResult]:
    """Exactly one result succeeded and every other one is CONFLICT; (winner index, loser)."""
    winners = [i for i, result in enumerate(results) if succeeded(result)]
    assert len(winners) == 1, [r.errors for r in results]
    (loser,) = [r for i, r in enumerate(results) if i != winners[0]]
    assert loser.codes() == {"CONFLICT"}, loser.errors
    assert all(value is None for value in (loser.data or {}).values())
    return winners[0], loser


def assert_chain_intact(live: LiveGateway) -> None:
    async def verify() -> Any:
        engine = make_engine(live.database_url)
        try:
            return await verify_chain(engine)
        finally:
            await engine.dispose()

    verdict = asyncio.run(verify())
    assert verdict.ok, verdict.render()


@pytest.mark.parametrize("subject", ["elev.filip", "elev.frida", "elev.elias"])
def test_two_administrators_confirming_one_erasure_at_once(live: LiveGateway, subject: str) -> None:
    request = request_erasure(live, subject, who=ADMIN)
    confirm = {"r": request["id"]}
    results = at_once(
        live.url,
        Call(live.token(ADMIN2), CONFIRM_ERASURE, confirm),
        Call(live.token(ADMIN3), CONFIRM_ERASURE, confirm),
    )
    winner, loser = one_won(results)
    message = loser.errors[0]["message"]
    assert "acted on it first" in message or (
        "already been erased" in message or "COMPLETED, not AWAITING_CONFIRMATION" in message
    ), message

    done = privacy_request(live, request["id"])
    assert done["status"] == "COMPLETED"
    assert done["confirmedBy"]["id"] == live.person_id((ADMIN2, ADMIN3)[winner])
    assert processing_state(live, subject) == "ERASED"
    assert audit_count(live, "PRIVACY_CONFIRM_ERASE", pk_of(request["id"])) == 1
    assert_chain_intact(live)


@pytest.mark.parametrize("subject", ["elev.magnus", "elev.astrid", "elev.henrik"])
def test_cancel_and_confirm_of_one_erasure_at_once(live: LiveGateway, subject: str) -> None:
    request = request_erasure(live, subject, who=ADMIN)
    target = {"r": request["id"]}
    results = at_once(
        live.url,
        Call(live.token(ADMIN), CANCEL, target),
        Call(live.token(ADMIN2), CONFIRM_ERASURE, target),
    )
    winner, _ = one_won(results)
    done = privacy_request(live, request["id"])
    cancels = audit_count(live, "PRIVACY_CANCEL", pk_of(request["id"]))
    confirms = audit_count(live, "PRIVACY_CONFIRM_ERASE", pk_of(request["id"]))
    if winner == 0:
        assert done["status"] == "CANCELLED"
        assert processing_state(live, subject) == "ACTIVE"
        assert (cancels, confirms) == (1, 0)
    else:
        assert done["status"] == "COMPLETED"
        assert processing_state(live, subject) == "ERASED"
        assert (cancels, confirms) == (0, 1)
    assert_chain_intact(live)


def test_two_confirmations_of_a_background_erasure_at_once(live: LiveGateway) -> None:
    """An erasure too large to run inline is QUEUED by the confirmation: queued once, erased
    once by the job worker."""
    settings = live.state.settings
    threshold = settings.erasure_background_rows
    settings.erasure_background_rows = 0
    try:
        request = request_erasure(live, "elev.emma", who=ADMIN)
        confirm = {"r": request["id"]}
        results = at_once(
            live.url,
            Call(live.token(ADMIN2), CONFIRM_ERASURE, confirm),
            Call(live.token(ADMIN3), CONFIRM_ERASURE, confirm),
        )
    finally:
        settings.erasure_background_rows = threshold
    one_won(results)
    done = wait_until_finished(live, request["id"])
    assert done["status"] == "COMPLETED", done
    assert processing_state(live, "elev.emma") == "ERASED"
    assert audit_count(live, "PRIVACY_CONFIRM_ERASE", pk_of(request["id"])) == 1
    assert_chain_intact(live)


@pytest.mark.parametrize("subject", ["elev.sara", "elev.thea"])
def test_two_restrictions_of_one_person_at_once(live: LiveGateway, subject: str) -> None:
    variables = {"s": live.person_id(subject), "j": JUSTIFICATION}
    results = at_once(
        live.url,
        Call(live.token(ADMIN), RESTRICT, variables),
        Call(live.token(ADMIN2), RESTRICT, variables),
    )
    one_won(results)
    assert processing_state(live, subject) == "RESTRICTED"
    r = t.privacy_requests.c
    restrictions = live.scalar(
        select(func.count()).where(
            r.subject_id == live.person_pk(subject), r.action == t.PrivacyAction.RESTRICT
        )
    )
    assert restrictions == 1
    assert_chain_intact(live)


@pytest.mark.parametrize("subject", ["elev.isak", "elev.noah"])
def test_two_erasure_requests_for_one_person_at_once(live: LiveGateway, subject: str) -> None:
    variables = {"s": live.person_id(subject), "j": JUSTIFICATION}
    results = at_once(
        live.url,
        Call(live.token(ADMIN), REQUEST_ERASURE, variables),
        Call(live.token(ADMIN2), REQUEST_ERASURE, variables),
    )
    _, loser = one_won(results)
    assert "already pending" in loser.errors[0]["message"]
    r = t.privacy_requests.c
    pending = live.scalar(
        select(func.count()).where(
            r.subject_id == live.person_pk(subject),
            r.action == t.PrivacyAction.ERASE,
            r.status == t.PrivacyRequestStatus.AWAITING_CONFIRMATION,
        )
    )
    assert pending == 1
    assert_chain_intact(live)


def test_two_confirmations_of_one_course_deletion_at_once(live: LiveGateway) -> None:
    course = "c-sag-nat9"
    c = t.courses.c
    live.execute(
        update(t.courses).where(c.id == live.course_pk(course)).values(state=t.CourseState.ARCHIVED)
    )
    asked = live.gql(
        REQUEST_COURSE_DELETION,
        {"c": live.course_id(course), "j": JUSTIFICATION},
        as_user=ADMIN,
    )
    assert asked.errors == [], asked.errors
    confirm = {"r": asked.data["requestCourseDeletion"]["id"]}
    results = at_once(
        live.url,
        Call(live.token(ADMIN2), CONFIRM_COURSE_DELETION, confirm),
        Call(live.token(ADMIN3), CONFIRM_COURSE_DELETION, confirm),
    )
    one_won(results)
    a = t.audit_entries.c
    confirmed = live.scalar(
        select(func.count()).where(
            a.action == "COURSE_DELETION_CONFIRMED", a.target_id == live.course_pk(course)
        )
    )
    assert confirmed == 1
    assert live.scalar(select(func.count()).where(c.id == live.course_pk(course))) == 0
    assert_chain_intact(live)
