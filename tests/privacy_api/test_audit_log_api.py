"""``auditLog``'s filters and ``verifyAuditLog`` through the HTTP API, on both backends
(docs/console.md, "The audit log").

* ``auditLog(subjectId, actorId, action, from, to)``: every filter given holds, alone and
  together, and the counts are the database's; paging keeps the filters; bad values are precise
  errors (BAD_USER_INPUT, NOT_FOUND for an id of another type); others see nothing.
* ``AuditEntry.subject`` and ``justificationDigest``: the person an entry is about, and the
  justification's digest (never needed to read its text).
* ``verifyAuditLog``: OK with the number of entries for a system administrator; FORBIDDEN for
  everyone else, UNAUTHENTICATED without a token; the first altered entry named after tampering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    JUSTIFICATION,
    NON_ADMINS,
    RESTRICT,
    ok,
    privacy_gateway,
)
from sqlalchemy import func, select, update

from config.ids import to_global_id
from store import tables as t

A = t.audit_entries.c

LOG = """
query($subject: ID, $actor: ID, $action: String, $from: DateTime, $to: DateTime,
      $first: Int, $after: String) {
  auditLog(subjectId: $subject, actorId: $actor, action: $action, from: $from, to: $to,
           first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id at action justificationDigest actor { id } subject { id } } }
  }
}"""

#: the audit action of ``restrictProcessing`` (``PRIVACY_`` and the request's action)
RESTRICTED = "PRIVACY_RESTRICT"
VERIFY = "mutation { verifyAuditLog { ok checked brokenEntryId reason headHash } }"


@dataclass(frozen=True)
class Setup:
    live: LiveGateway
    #: the action restricting processing is audited with
    restrict_action: str
    #: the audit entry of admin's restriction of elev.nora
    nora_entry: Any


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    with privacy_gateway(request.param, tmp_path_factory, "audit-log-api") as live:
        for admin, subject in ((ADMIN, "elev.nora"), (ADMIN2, "larer.dahl")):
            variables = {"s": live.person_id(subject), "j": JUSTIFICATION}
            ok(live.gql(RESTRICT, variables, as_user=admin))
        nora = live.person_pk("elev.nora")
        entry = live.rows(
            select(t.audit_entries).where(A.subject_id == nora, A.action == RESTRICTED)
        )[-1]
        yield Setup(live, RESTRICTED, entry)


def log(setup: Setup, as_user: str = ADMIN, **variables: Any) -> Any:
    return ok(setup.live.gql(LOG, variables, as_user=as_user))


def count(setup: Setup, *conditions: Any) -> int:
    stmt = select(func.count()).select_from(t.audit_entries).where(*conditions)
    return int(setup.live.scalar(stmt))


def test_filter_by_action(setup: Setup) -> None:
    found = log(setup, action=setup.restrict_action, first=100)
    assert found["totalCount"] == count(setup, A.action == setup.restrict_action) >= 2
    assert {e["node"]["action"] for e in found["edges"]} == {setup.restrict_action}


def test_filter_by_actor(setup: Setup) -> None:
    live = setup.live
    admin2 = live.person_id(ADMIN2)
    found = log(setup, actor=admin2, first=100)
    assert found["totalCount"] == count(setup, A.actor_id == live.person_pk(ADMIN2)) >= 1
    assert {e["node"]["actor"]["id"] for e in found["edges"]} == {admin2}


def test_filter_by_subject_and_action_together(setup: Setup) -> None:
    live = setup.live
    nora = live.person_id("elev.nora")
    found = log(setup, subject=nora, action=setup.restrict_action, actor=live.person_id(ADMIN))
    assert found["totalCount"] == count(
        setup,
        A.subject_id == live.person_pk("elev.nora"),
        A.action == setup.restrict_action,
        A.actor_id == live.person_pk(ADMIN),
    )
    (node,) = [
        e["node"]
        for e in found["edges"]
        if e["node"]["id"] == to_global_id("AuditEntry", setup.nora_entry.id)
    ]
    assert node["subject"] == {"id": nora}
    assert node["justificationDigest"] == hashlib.sha256(JUSTIFICATION.encode()).hexdigest()
    assert log(setup, subject=nora, actor=live.person_id(ADMIN2))["totalCount"] == count(
        setup, A.subject_id == live.person_pk("elev.nora"), A.actor_id == live.person_pk(ADMIN2)
    )


def test_filter_by_time_from_inclusive_to_exclusive(setup: Setup) -> None:
    at = setup.nora_entry.at
    if at.tzinfo is None:  # as stored: UTC
        at = at.replace(tzinfo=UTC)
    since = log(setup, **{"from": at.isoformat()})
    assert since["totalCount"] == count(setup, A.at >= at) >= 1
    until = log(setup, to=at.isoformat(), first=100)
    assert until["totalCount"] == count(setup, A.at < at)
    ids = {e["node"]["id"] for e in until["edges"]}
    assert to_global_id("AuditEntry", setup.nora_entry.id) not in ids
    window = log(
        setup,
        **{"from": at.isoformat(), "to": (at + timedelta(microseconds=1)).isoformat()},
        action=setup.restrict_action,
    )
    assert to_global_id("AuditEntry", setup.nora_entry.id) in {
        e["node"]["id"] for e in window["edges"]
    }


def test_paging_keeps_the_filters(setup: Setup) -> None:
    first = log(setup, action=setup.restrict_action, first=1)
    assert first["pageInfo"]["hasNextPage"]
    second = log(setup, action=setup.restrict_action, first=1, after=first["pageInfo"]["endCursor"])
    assert second["totalCount"] == first["totalCount"]
    assert second["edges"][0]["node"]["action"] == setup.restrict_action
    assert second["edges"][0]["node"]["id"] != first["edges"][0]["node"]["id"]


@pytest.mark.parametrize(
    ("variables", "code", "words"),
    [
        ({"action": ""}, "BAD_USER_INPUT", "'action' must be 1 to 64"),
        ({"action": "X" * 65}, "BAD_USER_INPUT", "'action' must be 1 to 64"),
        (
            {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            "BAD_USER_INPUT",
            "'from' must be before 'to'",
        ),
        ({"actor": "not-an-id"}, "BAD_USER_INPUT", "is not a valid id"),
        ({"actor": to_global_id("Course", 1)}, "NOT_FOUND", ""),
        ({"subject": to_global_id("School", 1)}, "NOT_FOUND", ""),
    ],
)
def test_bad_filter_values_are_precise_errors(
    setup: Setup, variables: dict[str, Any], code: str, words: str
) -> None:
    result = setup.live.gql(LOG, variables, as_user=ADMIN)
    assert result.code_at("auditLog") == code, result.errors
    assert words in result.errors[0]["message"]


def test_a_time_without_an_offset_is_refused(setup: Setup) -> None:
    result = setup.live.gql(LOG, {"from": "2026-01-01T00:00:00"}, as_user=ADMIN)
    assert result.codes() == {"BAD_USER_INPUT"}, result.errors


@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_others_see_no_entries_with_any_filter(setup: Setup, role: str) -> None:
    found = log(setup, as_user=NON_ADMINS[role], action=setup.restrict_action)
    assert found == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


def test_verify_answers_ok_with_the_entry_count(setup: Setup) -> None:
    verdict = ok(setup.live.gql(VERIFY, as_user=ADMIN))
    assert verdict["ok"] is True
    assert verdict["checked"] == count(setup)
    assert verdict["brokenEntryId"] is None and verdict["reason"] is None
    last = setup.live.scalar(select(A.hash).order_by(A.id.desc()).limit(1))
    assert verdict["headHash"] == last


@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_verify_is_for_system_administrators(setup: Setup, role: str) -> None:
    result = setup.live.gql(VERIFY, as_user=NON_ADMINS[role])
    assert result.codes() == {"FORBIDDEN"}
    assert result.data is None


def test_verify_needs_authentication(setup: Setup) -> None:
    assert setup.live.gql(VERIFY).codes() == {"UNAUTHENTICATED"}


def test_verify_names_the_first_altered_entry(setup: Setup) -> None:
    live, entry = setup.live, setup.nora_entry
    live.execute(update(t.audit_entries).where(A.id == entry.id).values(action="TAMPERED"))
    try:
        verdict = ok(live.gql(VERIFY, as_user=ADMIN))
        assert verdict["ok"] is False
        assert verdict["brokenEntryId"] == to_global_id("AuditEntry", entry.id)
        assert verdict["checked"] == entry.id
        assert "altered" in verdict["reason"]
    finally:
        live.execute(update(t.audit_entries).where(A.id == entry.id).values(action=entry.action))
    assert ok(live.gql(VERIFY, as_user=ADMIN))["ok"] is True
