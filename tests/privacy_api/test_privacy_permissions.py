"""Who may run the privacy tool, and the rules every action follows (docs/privacy-actions.md,
docs/access-policy.md "Administrative objects" and "Write rules", docs/interfaces.md error codes).

* The mutations are for system administrators: everyone else gets FORBIDDEN, an anonymous caller
  UNAUTHENTICATED, and nothing is written.
* The queries' rows are the administrators' alone: ``privacyRequest``/``node`` answer NOT_FOUND,
  ``privacyRequests``, ``auditLog`` and ``recycleBin`` are empty for anyone else.
* Every action needs a justification: blank or missing → JUSTIFICATION_REQUIRED; over 2,000
  characters → BAD_USER_INPUT. The audit log carries it, and ``auditLog(subjectId:)`` filters.
* Erasure is two-step with four eyes (configurable), can be cancelled, and erasing an erased
  person is a CONFLICT.

Gateways of their own per backend: the default one, one with
``require_second_administrator=False``, and a pair without the job worker (graphql-core's
executor and the compiled one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from db_support import BACKENDS, fresh_database
from gateway_support import LiveGateway, run_gateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    CANCEL,
    CONFIRM_ERASURE,
    JUSTIFICATION,
    LIFT,
    NON_ADMINS,
    RECTIFY,
    REQUEST_ERASURE,
    REQUEST_EXPORT,
    RESTRICT,
    confirm_erasure,
    count_rows,
    pk_of,
    privacy_gateway,
    privacy_request,
    processing_state,
    refused,
    request_erasure,
    request_export,
    restrict,
    wait_until_finished,
)
from sqlalchemy import func, select, update

from config.ids import to_global_id
from store import tables as t
from store.tables import PrivacyAction, PrivacyRequestStatus

#: Who the refused attempts are about (nothing may happen to them) ...
TARGET = "elev.filip"
#: ... and the people the administrator acts on in this module, one per test.
IN_RECYCLE_BIN = "elev.isak"
FOUR_EYES = "elev.thea"
ERASED_TWICE = "elev.sander"
CANCELLED = "elev.noah"
SELF_CONFIRMED = "elev.mia"
AUDITED = "elev.elias"

RESTRICT_JUSTIFICATION = "Moved to another municipality; the school asked for the recycle bin"
ERASE_JUSTIFICATION = "Art. 17 request received by letter, case 2026/481"


@dataclass
class Setup:
    live: LiveGateway
    #: the administrator's erasure request for TARGET, left awaiting confirmation
    pending: str
    #: the restriction of IN_RECYCLE_BIN
    restriction: str


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    with privacy_gateway(request.param, tmp_path_factory, "permissions") as live:
        restricted = live.gql(
            RESTRICT,
            {"s": live.person_id(IN_RECYCLE_BIN), "j": RESTRICT_JUSTIFICATION},
            as_user=ADMIN,
        )
        assert restricted.errors == [], restricted.errors
        pending = live.gql(
            REQUEST_ERASURE, {"s": live.person_id(TARGET), "j": ERASE_JUSTIFICATION}, as_user=ADMIN
        )
        assert pending.errors == [], pending.errors
        yield Setup(
            live,
            pending=pending.data["requestErasure"]["id"],
            restriction=restricted.data["restrictProcessing"]["id"],
        )


@pytest.fixture(scope="module", params=BACKENDS)
def one_admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """A gateway configured without the four-eyes rule."""
    with privacy_gateway(
        request.param, tmp_path_factory, "one_admin", require_second_administrator=False
    ) as live:
        yield live


@pytest.fixture(scope="module", params=BACKENDS)
def executors(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveGateway, LiveGateway]]:
    """graphql-core's executor and the compiled one, two gateways on one database, without the
    job worker, whose sweep would write a missing erasure-ledger entry at any moment: here the
    test decides when an entry counts as written."""
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"no-worker-{backend}")
    quiet = {"jobs_enabled": False}
    with (
        fresh_database(backend, folder, prefix="tavle_no_worker") as url,
        run_gateway(backend, url, folder, compiled_execution=False, **quiet) as generic,
        run_gateway(backend, url, folder, compiled_execution=True, **quiet) as compiled,
    ):
        yield generic, compiled


def mutations(setup: Setup) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every privacy mutation, with valid arguments about TARGET."""
    live = setup.live
    subject = live.person_id(TARGET)
    about = {"s": subject, "j": JUSTIFICATION}
    return {
        "requestExport": (REQUEST_EXPORT, {**about, "f": "JSON"}),
        "restrictProcessing": (RESTRICT, about),
        "liftRestriction": (LIFT, about),
        "requestErasure": (REQUEST_ERASURE, about),
        "confirmErasure": (CONFIRM_ERASURE, {"r": setup.pending}),
        "cancelPrivacyRequest": (CANCEL, {"r": setup.pending}),
        "rectifyPersonalData": (RECTIFY, {**about, "input": {"firstName": "Filippo"}}),
    }


MUTATIONS = [
    "requestExport",
    "restrictProcessing",
    "liftRestriction",
    "requestErasure",
    "confirmErasure",
    "cancelPrivacyRequest",
    "rectifyPersonalData",
]
JUSTIFIED = [
    "requestExport",
    "restrictProcessing",
    "liftRestriction",
    "requestErasure",
    "rectifyPersonalData",
]


def state(setup: Setup) -> tuple[Any, ...]:
    """In one query: the number of privacy requests and audit entries, TARGET's processing state
    and name, and the status of the pending erasure."""
    live = setup.live
    people, r = t.people.c, t.privacy_requests.c
    count = func.count()
    return tuple(
        live.rows(
            select(
                select(count).select_from(t.privacy_requests).scalar_subquery(),
                select(count).select_from(t.audit_entries).scalar_subquery(),
                people.processing_state,
                people.given_name,
                select(r.status).where(r.id == pk_of(setup.pending)).scalar_subquery(),
            ).where(people.id == live.person_pk(TARGET))
        )[0]
    )


def untouched(setup: Setup, before: tuple[Any, ...]) -> None:
    """Nothing was written: no request row, no audit entry, TARGET as before (ACTIVE, the
    roster's name), the pending erasure still pending."""
    assert state(setup) == before
    assert before[2:] == ("ACTIVE", "Filip", "AWAITING_CONFIRMATION")


# --- only system administrators ----------------------------------------------------------------


@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_privacy_mutations_are_for_system_administrators_only(
    setup: Setup, role: str, mutation: str
) -> None:
    before = state(setup)
    query, variables = mutations(setup)[mutation]
    refused(setup.live.gql(query, variables, as_user=NON_ADMINS[role]), "FORBIDDEN")
    untouched(setup, before)


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_anonymous_callers_are_unauthenticated(setup: Setup, mutation: str) -> None:
    before = state(setup)
    query, variables = mutations(setup)[mutation]
    refused(setup.live.gql(query, variables), "UNAUTHENTICATED")
    untouched(setup, before)


QUERIES = """
query($id: ID!, $subject: ID!) {
  privacyRequest(id: $id) { id }
  node(id: $id) { id }
  privacyRequests(first: 100) { totalCount edges { node { id } } }
  subjectRequests: privacyRequests(subjectId: $subject) { totalCount edges { node { id } } }
  waitingRequests: privacyRequests(status: AWAITING_CONFIRMATION) {
    totalCount edges { node { id } }
  }
  erasureRequests: privacyRequests(action: [ERASE, RESTRICT]) { totalCount edges { node { id } } }
  waitingErasures: privacyRequests(subjectId: $subject, status: AWAITING_CONFIRMATION,
                                   action: [ERASE]) { totalCount edges { node { id } } }
  auditLog(first: 100) { totalCount edges { node { id } } }
  subjectLog: auditLog(subjectId: $subject) { totalCount edges { node { id } } }
  recycleBin(first: 100) { totalCount edges { node { id } } }
}"""
EMPTY = {"totalCount": 0, "edges": []}


@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_privacy_queries_show_others_nothing(setup: Setup, role: str) -> None:
    live = setup.live
    variables = {"id": setup.pending, "subject": live.person_id(TARGET)}
    result = live.gql(QUERIES, variables, as_user=NON_ADMINS[role])
    assert result.data == {
        "privacyRequest": None,
        "node": None,
        "privacyRequests": EMPTY,
        "subjectRequests": EMPTY,
        "waitingRequests": EMPTY,
        "erasureRequests": EMPTY,
        "waitingErasures": EMPTY,
        "auditLog": EMPTY,
        "subjectLog": EMPTY,
        "recycleBin": EMPTY,
    }
    assert result.code_at("privacyRequest") == "NOT_FOUND"
    assert result.code_at("node") == "NOT_FOUND"
    assert len(result.errors) == 2, result.errors


def test_privacy_queries_need_authentication(setup: Setup) -> None:
    live = setup.live
    result = live.gql(QUERIES, {"id": setup.pending, "subject": live.person_id(TARGET)})
    assert result.codes() == {"UNAUTHENTICATED"}
    assert result.data is None or all(v is None for v in result.data.values())


def test_the_administrators_see_the_privacy_tool(setup: Setup) -> None:
    live = setup.live
    for admin in (ADMIN, ADMIN2):
        variables = {"id": setup.pending, "subject": live.person_id(TARGET)}
        result = live.gql(QUERIES, variables, as_user=admin)
        assert result.errors == []
        data = result.data
        assert data["privacyRequest"] == data["node"] == {"id": setup.pending}
        assert setup.pending in [e["node"]["id"] for e in data["privacyRequests"]["edges"]]
        assert [e["node"]["id"] for e in data["subjectRequests"]["edges"]] == [setup.pending]
        assert [e["node"]["id"] for e in data["waitingErasures"]["edges"]] == [setup.pending]
        assert data["auditLog"]["totalCount"] > data["subjectLog"]["totalCount"] > 0
        assert live.person_id(IN_RECYCLE_BIN) in [
            e["node"]["id"] for e in data["recycleBin"]["edges"]
        ]


# --- justification -------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\n\t "], ids=["empty", "spaces", "whitespace"])
@pytest.mark.parametrize("mutation", JUSTIFIED)
def test_a_blank_justification_is_refused(setup: Setup, mutation: str, blank: str) -> None:
    before = state(setup)
    query, variables = mutations(setup)[mutation]
    result = setup.live.gql(query, {**variables, "j": blank}, as_user=ADMIN)
    refused(result, "JUSTIFICATION_REQUIRED")
    untouched(setup, before)


MISSING = {
    "requestExport": "requestExport(subjectId: $s, format: JSON) { id }",
    "restrictProcessing": "restrictProcessing(subjectId: $s) { id }",
    "liftRestriction": "liftRestriction(subjectId: $s) { id }",
    "requestErasure": "requestErasure(subjectId: $s) { id }",
    "rectifyPersonalData": 'rectifyPersonalData(subjectId: $s, input: {firstName: "F"}) { id }',
}


@pytest.mark.parametrize("mutation", JUSTIFIED)
def test_a_missing_justification_is_refused(setup: Setup, mutation: str) -> None:
    live = setup.live
    before = state(setup)
    result = live.gql(
        f"mutation($s: ID!) {{ {MISSING[mutation]} }}", {"s": live.person_id(TARGET)}, as_user=ADMIN
    )
    refused(result, "JUSTIFICATION_REQUIRED")
    untouched(setup, before)


@pytest.mark.parametrize("mutation", JUSTIFIED)
def test_a_justification_is_at_most_2000_characters(setup: Setup, mutation: str) -> None:
    before = state(setup)
    query, variables = mutations(setup)[mutation]
    result = setup.live.gql(query, {**variables, "j": "x" * 2001}, as_user=ADMIN)
    refused(result, "BAD_USER_INPUT")
    untouched(setup, before)


def test_a_justification_of_2000_characters_is_accepted(setup: Setup) -> None:
    text = "Begrunnelse. " * 153 + "x" * 11
    assert len(text) == 2000
    live = setup.live
    done = live.gql(
        REQUEST_EXPORT, {"s": live.person_id(TARGET), "j": text, "f": "XML"}, as_user=ADMIN
    )
    assert done.errors == [], done.errors
    request = done.data["requestExport"]
    assert request["justification"] == text
    assert wait_until_finished(live, request["id"])["status"] == "COMPLETED"


# --- the audit log -------------------------------------------------------------------------------

AUDIT = """
query($s: ID) { auditLog(subjectId: $s, first: 500) {
  totalCount edges { node { id action targetType targetId justification actor { id } } } } }
"""


def audit_entries(live: LiveGateway, username: str | None) -> list[dict[str, Any]]:
    subject = None if username is None else live.person_id(username)
    result = live.gql(AUDIT, {"s": subject}, as_user=ADMIN)
    assert result.errors == [], result.errors
    page = result.data["auditLog"]
    assert page["totalCount"] == len(page["edges"])
    return [edge["node"] for edge in page["edges"]]


def request_ids(live: LiveGateway, username: str) -> set[str]:
    result = live.gql(
        "query($s: ID!) { privacyRequests(subjectId: $s) { edges { node { id } } } }",
        {"s": live.person_id(username)},
        as_user=ADMIN,
    )
    assert result.errors == [], result.errors
    return {edge["node"]["id"] for edge in result.data["privacyRequests"]["edges"]}


def test_audit_log_filters_by_subject_and_privacy_entries_carry_the_justification(
    setup: Setup,
) -> None:
    live = setup.live
    justifications = {
        "PRIVACY_EXPORT": "Access request by the guardian, case 2026/17",
        "PRIVACY_RESTRICT": "Disputed accuracy of the class list (art. 18(1)(a))",
        "PRIVACY_LIFT_RESTRICTION": "Accuracy verified with the school office",
        "PRIVACY_RECTIFY": "Name spelt wrong in the school system",
    }
    subject = live.person_id(AUDITED)
    done = [
        live.gql(
            REQUEST_EXPORT,
            {"s": subject, "j": justifications["PRIVACY_EXPORT"], "f": "JSON"},
            as_user=ADMIN,
        ),
        live.gql(RESTRICT, {"s": subject, "j": justifications["PRIVACY_RESTRICT"]}, as_user=ADMIN),
        live.gql(
            LIFT, {"s": subject, "j": justifications["PRIVACY_LIFT_RESTRICTION"]}, as_user=ADMIN
        ),
        live.gql(
            RECTIFY,
            {
                "s": subject,
                "j": justifications["PRIVACY_RECTIFY"],
                "input": {"lastName": "Pettersén", "overrideSource": True},
            },
            as_user=ADMIN,
        ),
    ]
    assert all(result.errors == [] for result in done), [r.errors for r in done]
    # the export's job done: nothing of it changes the log (or the requests) after this point
    wait_until_finished(live, done[0].data["requestExport"]["id"])

    everything = audit_entries(live, None)
    mine = audit_entries(live, AUDITED)
    others = audit_entries(live, IN_RECYCLE_BIN)
    ids = {e["id"] for e in mine}
    assert ids <= {e["id"] for e in everything}
    assert ids.isdisjoint(e["id"] for e in others)
    assert len(mine) < len(everything)

    own_requests = request_ids(live, AUDITED)
    assert len(own_requests) == 4
    privacy_entries = [e for e in mine if e["action"].startswith("PRIVACY_")]
    assert {e["action"]: e["justification"] for e in privacy_entries} == justifications
    for entry in privacy_entries:
        assert entry["targetType"] == "PrivacyRequest"
        assert entry["targetId"] in own_requests
        assert entry["actor"] == {"id": live.person_id(ADMIN)}
    # The other subject's privacy entries are about their own requests only.
    restricted = [e for e in others if e["action"].startswith("PRIVACY_")]
    assert [(e["action"], e["justification"], e["targetId"]) for e in restricted] == [
        ("PRIVACY_RESTRICT", RESTRICT_JUSTIFICATION, setup.restriction)
    ]


def test_privacy_requests_filter_by_subject(setup: Setup) -> None:
    live = setup.live
    assert request_ids(live, IN_RECYCLE_BIN) == {setup.restriction}
    assert setup.pending in request_ids(live, TARGET)
    assert setup.restriction not in request_ids(live, TARGET)


FILTERED = """
query($s: ID, $status: PrivacyRequestStatus, $action: [PrivacyAction!], $after: String) {
  privacyRequests(subjectId: $s, status: $status, action: $action, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id status action } }
  }
}"""


def requests_in(
    live: LiveGateway,
    status: str | None,
    subject: str | None = None,
    actions: list[str] | None = None,
) -> list[str]:
    """The ids ``privacyRequests(status:, subjectId:, action:)`` lists, walked two at a time;
    each in ``status`` and of one of ``actions`` (when given)."""
    found: list[str] = []
    after = None
    while True:
        variables = {"s": subject, "status": status, "action": actions, "after": after}
        result = live.gql(FILTERED, variables, as_user=ADMIN)
        assert result.errors == [], result.errors
        page = result.data["privacyRequests"]
        nodes = [edge["node"] for edge in page["edges"]]
        if status is not None:
            assert {node["status"] for node in nodes} <= {status}
        if actions is not None:
            assert {node["action"] for node in nodes} <= set(actions)
        found += [node["id"] for node in nodes]
        assert page["totalCount"] >= len(found)
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(found)
            return found
        after = page["pageInfo"]["endCursor"]


def test_privacy_requests_filter_by_status(setup: Setup) -> None:
    """``status`` lists the requests in that status, oldest first, and no others; with
    ``subjectId`` both must hold. Everyone else sees none (``test_privacy_queries_show_others_
    nothing``)."""
    live = setup.live
    r = t.privacy_requests.c
    for status in ("AWAITING_CONFIRMATION", "COMPLETED"):
        stored = [
            str(pk) for (pk,) in live.rows(select(r.id).where(r.status == status).order_by(r.id))
        ]
        assert [str(pk_of(i)) for i in requests_in(live, status)] == stored
    waiting = requests_in(live, "AWAITING_CONFIRMATION")
    assert setup.pending in waiting and setup.restriction not in waiting
    assert setup.restriction in requests_in(live, "COMPLETED")
    target, binned = live.person_id(TARGET), live.person_id(IN_RECYCLE_BIN)
    assert setup.pending in requests_in(live, "AWAITING_CONFIRMATION", target)
    assert requests_in(live, "AWAITING_CONFIRMATION", binned) == []
    assert requests_in(live, "COMPLETED", binned) == [setup.restriction]


def test_privacy_requests_filter_by_action(setup: Setup) -> None:
    """``action`` lists the requests of the actions it names, oldest first, and no others (a
    repeated action counts once, an empty list keeps none); with ``status`` and ``subjectId``
    every filter must hold. Everyone else sees none (``test_privacy_queries_show_others_
    nothing``)."""
    live = setup.live
    r = t.privacy_requests.c

    def stored(*conditions: Any) -> list[str]:
        rows = live.rows(select(r.id).where(*conditions).order_by(r.id))
        return [to_global_id("PrivacyRequest", pk) for (pk,) in rows]

    for actions in (["ERASE"], ["RESTRICT"], ["ERASE", "RESTRICT"], ["ERASE_BATCH"]):
        assert requests_in(live, None, actions=actions) == stored(r.action.in_(actions))
    erasures = requests_in(live, None, actions=["ERASE"])
    assert setup.pending in erasures and setup.restriction not in erasures
    both = requests_in(live, None, actions=["RESTRICT", "ERASE"])
    assert {setup.pending, setup.restriction} <= set(both)
    assert requests_in(live, None, actions=["ERASE", "ERASE"]) == erasures
    assert requests_in(live, None, actions=[]) == []
    # with status
    waiting = requests_in(live, "AWAITING_CONFIRMATION", actions=["ERASE"])
    assert waiting == stored(r.action == "ERASE", r.status == "AWAITING_CONFIRMATION")
    assert setup.pending in waiting
    assert setup.pending not in requests_in(live, "COMPLETED", actions=["ERASE"])
    assert setup.restriction in requests_in(live, "COMPLETED", actions=["RESTRICT", "ERASE"])
    assert requests_in(live, "AWAITING_CONFIRMATION", actions=["RESTRICT"]) == stored(
        r.action == "RESTRICT", r.status == "AWAITING_CONFIRMATION"
    )
    # with subjectId, and with both
    target, binned = live.person_id(TARGET), live.person_id(IN_RECYCLE_BIN)
    assert requests_in(live, None, binned, ["RESTRICT"]) == [setup.restriction]
    assert requests_in(live, None, binned, ["ERASE"]) == []
    assert requests_in(live, None, target, ["ERASE"]) == stored(
        r.action == "ERASE", r.subject_id == live.person_pk(TARGET)
    )
    assert setup.pending in requests_in(live, "AWAITING_CONFIRMATION", target, ["ERASE"])
    assert requests_in(live, "AWAITING_CONFIRMATION", target, ["RESTRICT"]) == []
    assert requests_in(live, "COMPLETED", binned, ["RESTRICT", "ERASE"]) == [setup.restriction]
    assert requests_in(live, "AWAITING_CONFIRMATION", binned, ["RESTRICT"]) == []


def test_privacy_requests_filter_by_the_status_shown(
    executors: tuple[LiveGateway, LiveGateway],
) -> None:
    """``status`` filters on the status ``PrivacyRequest.status`` shows: an erasure stored
    COMPLETED whose erasure-ledger entry is not written yet shows RUNNING, and is listed and
    counted under RUNNING, not under COMPLETED; once its entry is written, under COMPLETED. Both
    executors answer alike, the compiled one with its plans."""
    generic, compiled = executors
    r = t.privacy_requests.c
    running, completed = requests_in(generic, "RUNNING"), requests_in(generic, "COMPLETED")
    now = datetime.now(UTC)
    (inserted,) = generic.execute(
        t.privacy_requests.insert()
        .values(
            action=PrivacyAction.ERASE,
            status=PrivacyRequestStatus.COMPLETED,
            subject_id=generic.person_pk(TARGET),
            requested_by_id=generic.person_pk(ADMIN),
            confirmed_by_id=generic.person_pk(ADMIN2),
            justification=ERASE_JUSTIFICATION,
            created_at=now,
            completed_at=now,
            ledger_written=False,
        )
        .returning(r.id)
    )
    pk = int(inserted.scalar_one())
    erasure = to_global_id("PrivacyRequest", pk)
    target = generic.person_id(TARGET)
    for live in executors:
        assert privacy_request(live, erasure)["status"] == "RUNNING"
        # requests_in: every node listed shows the status asked for; totalCount counts them all
        assert requests_in(live, "RUNNING") == [*running, erasure]
        assert requests_in(live, "COMPLETED") == completed
        assert requests_in(live, "RUNNING", target, ["ERASE"]) == [erasure]
        assert requests_in(live, "COMPLETED", target, ["ERASE"]) == []

    generic.execute(update(t.privacy_requests).where(r.id == pk).values(ledger_written=True))
    for live in executors:
        assert privacy_request(live, erasure)["status"] == "COMPLETED"
        assert requests_in(live, "RUNNING") == running
        assert requests_in(live, "COMPLETED") == sorted([*completed, erasure], key=pk_of)
        assert requests_in(live, "COMPLETED", target, ["ERASE"]) == [erasure]
        assert requests_in(live, "RUNNING", target, ["ERASE"]) == []
    plans = compiled.state.compiled
    assert plans is not None and plans.stats.compiled_runs > 0 and plans.stats.fallbacks == {}


# --- erasure: four eyes, conflict, cancel --------------------------------------------------------


def test_erasure_needs_a_second_administrator(setup: Setup) -> None:
    live = setup.live
    requested = request_erasure(live, FOUR_EYES, who=ADMIN)
    assert requested["status"] == "AWAITING_CONFIRMATION"
    assert requested["completedAt"] is None
    assert requested["requestedBy"] == {"id": live.person_id(ADMIN)}
    assert ("PERSONAL_DATA", "DELETED") in {
        (e["category"], e["outcome"]) for e in requested["effects"]
    }

    refused(
        live.gql(CONFIRM_ERASURE, {"r": requested["id"]}, as_user=ADMIN),
        "SECOND_ADMINISTRATOR_REQUIRED",
    )
    assert privacy_request(live, requested["id"])["status"] == "AWAITING_CONFIRMATION"
    assert processing_state(live, FOUR_EYES) == "ACTIVE"
    visible = live.gql(
        "query($id: ID!) { user(id: $id) { id } }", {"id": live.person_id(FOUR_EYES)}, as_user=ADMIN
    )
    assert visible.errors == []

    confirmed = confirm_erasure(live, requested["id"], who=ADMIN2)
    assert confirmed["status"] == "COMPLETED"
    assert confirmed["completedAt"] is not None
    assert confirmed["confirmedBy"] == {"id": live.person_id(ADMIN2)}
    assert confirmed["requestedBy"] == {"id": live.person_id(ADMIN)}
    assert processing_state(live, FOUR_EYES) == "ERASED"


def test_erasing_an_erased_person_is_a_conflict(setup: Setup) -> None:
    live = setup.live
    requested = request_erasure(live, ERASED_TWICE, who=ADMIN2)
    first = confirm_erasure(live, requested["id"], who=ADMIN)
    assert first["status"] == "COMPLETED"
    subject = live.person_id(ERASED_TWICE)
    for who in (ADMIN, ADMIN2):
        refused(
            live.gql(REQUEST_ERASURE, {"s": subject, "j": JUSTIFICATION}, as_user=who), "CONFLICT"
        )
        refused(live.gql(CONFIRM_ERASURE, {"r": requested["id"]}, as_user=who), "CONFLICT")
    assert privacy_request(live, requested["id"])["status"] == "COMPLETED"
    assert processing_state(live, ERASED_TWICE) == "ERASED"


def test_an_erasure_request_can_be_cancelled(setup: Setup) -> None:
    live = setup.live
    enrolments = count_rows(
        live, t.enrolments, t.enrolments.c.person_id == live.person_pk(CANCELLED)
    )
    requested = request_erasure(live, CANCELLED, who=ADMIN)
    refused(live.gql(CANCEL, {"r": requested["id"]}, as_user="rektor.bjolsen"), "FORBIDDEN")
    cancelled = live.gql(CANCEL, {"r": requested["id"]}, as_user=ADMIN2)
    assert cancelled.errors == [], cancelled.errors
    assert cancelled.data["cancelPrivacyRequest"]["status"] == "CANCELLED"
    assert cancelled.data["cancelPrivacyRequest"]["id"] == requested["id"]
    # Abandoned: it cannot be confirmed or cancelled again, and nothing happened to the person.
    refused(live.gql(CONFIRM_ERASURE, {"r": requested["id"]}, as_user=ADMIN2), "CONFLICT")
    refused(live.gql(CANCEL, {"r": requested["id"]}, as_user=ADMIN), "CONFLICT")
    assert privacy_request(live, requested["id"])["status"] == "CANCELLED"
    assert processing_state(live, CANCELLED) == "ACTIVE"
    person = live.gql(
        "query($id: ID!) { user(id: $id) { id displayName } }",
        {"id": live.person_id(CANCELLED)},
        as_user="larer.hansen",
    )
    assert person.errors == [] and person.data["user"]["displayName"] == "Noah Andersen"
    assert (
        count_rows(live, t.enrolments, t.enrolments.c.person_id == live.person_pk(CANCELLED))
        == enrolments
        > 0
    )
    actions = [e["action"] for e in audit_entries(live, CANCELLED)]
    assert actions[-2:] == ["PRIVACY_ERASE", "PRIVACY_CANCEL"]
    # A new request can be made afterwards.
    again = request_erasure(live, CANCELLED, who=ADMIN)
    assert again["status"] == "AWAITING_CONFIRMATION" and again["id"] != requested["id"]
    assert live.gql(CANCEL, {"r": again["id"]}, as_user=ADMIN).errors == []


def test_a_finished_request_cannot_be_cancelled(setup: Setup) -> None:
    live = setup.live
    refused(live.gql(CANCEL, {"r": setup.restriction}, as_user=ADMIN), "CONFLICT")
    assert privacy_request(live, setup.restriction)["status"] == "COMPLETED"


def test_without_four_eyes_the_requester_may_confirm(one_admin: LiveGateway) -> None:
    live = one_admin
    requested = request_erasure(live, SELF_CONFIRMED, who=ADMIN)
    confirmed = confirm_erasure(live, requested["id"], who=ADMIN)
    assert confirmed["status"] == "COMPLETED"
    assert confirmed["requestedBy"] == confirmed["confirmedBy"] == {"id": live.person_id(ADMIN)}
    assert processing_state(live, SELF_CONFIRMED) == "ERASED"
    # Still administrators only.
    other = request_erasure(live, "elev.isak", who=ADMIN)
    refused(live.gql(CONFIRM_ERASURE, {"r": other["id"]}, as_user="rektor.bjolsen"), "FORBIDDEN")


def test_restricting_and_exporting_need_no_second_administrator(setup: Setup) -> None:
    """Only erasure is two-step: the other actions complete for one administrator."""
    live = setup.live
    restricted = restrict(live, "elev.astrid")
    assert restricted["status"] == "COMPLETED" and restricted["confirmedBy"] is None
    exported = request_export(live, "elev.astrid", "XML")
    assert wait_until_finished(live, exported["id"])["status"] == "COMPLETED"
