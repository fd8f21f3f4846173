"""Helpers for the privacy-tool API tests: gateways of their own, the privacy mutations, exports.

Every privacy action here goes through ``POST /graphql`` as a demo system administrator (``admin``;
``admin2`` is the second administrator who confirms erasures), and exports are fetched with
``GET /privacy/exports/{id}`` like the admin console does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from gateway_support import GraphQLResult, LiveGateway, own_gateway
from sqlalchemy import func, select

from config.ids import from_global_id
from store import tables as t

ADMIN = "admin"
ADMIN2 = "admin2"
JUSTIFICATION = "Request from the person, ticket PV-2026-17 (GDPR chapter 3)"

#: One demo person per role (gateway/demo_data/roster/README.md), the system administrator first.
ROLE_VIEWERS: dict[str, str] = {
    "SYSTEM_ADMINISTRATOR": ADMIN,
    "SUPERUSER": "superuser.bjolsen",
    "SCHOOL_LEADER": "rektor.bjolsen",
    "TEACHER": "larer.hansen",
    "STUDENT": "elev.ola",
    "GUARDIAN": "foresatt.kari",
}
NON_ADMINS: dict[str, str] = {
    role: user for role, user in ROLE_VIEWERS.items() if role != "SYSTEM_ADMINISTRATOR"
}

REQUEST_FIELDS = """
  id action status justification createdAt completedAt format downloadUrl expiresAt error
  effects { category outcome count }
  subject { id isPseudonym displayName processingState }
  requestedBy { id } confirmedBy { id }
"""
REQUEST_EXPORT = f"""
mutation($s: ID!, $j: String!, $f: ExportFormat!) {{
  requestExport(subjectId: $s, justification: $j, format: $f) {{ {REQUEST_FIELDS} }}
}}"""
RESTRICT = f"""
mutation($s: ID!, $j: String!) {{
  restrictProcessing(subjectId: $s, justification: $j) {{ {REQUEST_FIELDS} }}
}}"""
LIFT = f"""
mutation($s: ID!, $j: String!) {{
  liftRestriction(subjectId: $s, justification: $j) {{ {REQUEST_FIELDS} }}
}}"""
REQUEST_ERASURE = f"""
mutation($s: ID!, $j: String!) {{
  requestErasure(subjectId: $s, justification: $j) {{ {REQUEST_FIELDS} }}
}}"""
CONFIRM_ERASURE = f"""
mutation($r: ID!) {{ confirmErasure(requestId: $r) {{ {REQUEST_FIELDS} }} }}"""
CANCEL = f"""
mutation($r: ID!) {{ cancelPrivacyRequest(requestId: $r) {{ {REQUEST_FIELDS} }} }}"""
RECTIFY = """
mutation($s: ID!, $input: RectificationInput!, $j: String!) {
  rectifyPersonalData(subjectId: $s, input: $input, justification: $j) {
    id firstName lastName email
  }
}"""
PRIVACY_REQUEST = f"query($id: ID!) {{ privacyRequest(id: $id) {{ {REQUEST_FIELDS} }} }}"


@contextmanager
def privacy_gateway(
    backend: str, factory: pytest.TempPathFactory, name: str, **overrides: Any
) -> Iterator[LiveGateway]:
    """A gateway of its own on a fresh demo database; the job worker polls every 0.1 s."""
    overrides.setdefault("job_poll_seconds", 0.1)
    with own_gateway(backend, factory, name, **overrides) as live:
        yield live


# --- results -----------------------------------------------------------------------------------


def ok(result: GraphQLResult) -> Any:
    """The single root field's value of a request that must succeed."""
    assert result.errors == [], result.errors
    (value,) = result.data.values()
    assert value is not None
    return value


def refused(result: GraphQLResult, code: str) -> None:
    """Refused with exactly ``code``, and nothing returned."""
    assert result.codes() == {code}, result.errors
    assert result.data is None or all(value is None for value in result.data.values()), result


def effects_of(request: dict[str, Any]) -> list[tuple[str, str, int]]:
    """A request's effects as sorted (category, outcome, count) triples."""
    return sorted((e["category"], e["outcome"], e["count"]) for e in request["effects"])


def pk_of(global_id: str) -> int:
    return from_global_id(global_id)[1]


# --- the privacy mutations ---------------------------------------------------------------------


def restrict(live: LiveGateway, username: str, who: str = ADMIN) -> dict[str, Any]:
    variables = {"s": live.person_id(username), "j": JUSTIFICATION}
    return ok(live.gql(RESTRICT, variables, as_user=who))  # type: ignore[no-any-return]


def lift(live: LiveGateway, username: str, who: str = ADMIN) -> dict[str, Any]:
    variables = {"s": live.person_id(username), "j": JUSTIFICATION}
    return ok(live.gql(LIFT, variables, as_user=who))  # type: ignore[no-any-return]


def request_erasure(live: LiveGateway, username: str, who: str = ADMIN) -> dict[str, Any]:
    variables = {"s": live.person_id(username), "j": JUSTIFICATION}
    return ok(live.gql(REQUEST_ERASURE, variables, as_user=who))  # type: ignore[no-any-return]


def confirm_erasure(live: LiveGateway, request_id: str, who: str = ADMIN2) -> dict[str, Any]:
    return ok(live.gql(CONFIRM_ERASURE, {"r": request_id}, as_user=who))  # type: ignore[no-any-return]


def privacy_request(live: LiveGateway, request_id: str, who: str = ADMIN) -> dict[str, Any]:
    return ok(live.gql(PRIVACY_REQUEST, {"id": request_id}, as_user=who))  # type: ignore[no-any-return]


def request_export(
    live: LiveGateway, username: str, fmt: str = "XML", who: str = ADMIN
) -> dict[str, Any]:
    variables = {"s": live.person_id(username), "j": JUSTIFICATION, "f": fmt}
    return ok(live.gql(REQUEST_EXPORT, variables, as_user=who))  # type: ignore[no-any-return]


def wait_until_finished(live: LiveGateway, request_id: str, timeout: float = 30) -> dict[str, Any]:
    """Poll ``privacyRequest(id)`` (as the console does) until COMPLETED or FAILED."""
    deadline = time.monotonic() + timeout
    while True:
        request = privacy_request(live, request_id)
        if request["status"] in {"COMPLETED", "FAILED"}:
            return request
        assert time.monotonic() < deadline, f"the request is still {request['status']}"
        time.sleep(0.05)


def download(live: LiveGateway, url: str, who: str | None = ADMIN) -> httpx.Response:
    headers = {} if who is None else {"Authorization": f"Bearer {live.token(who)}"}
    return live.client.get(f"{live.url}{url}", headers=headers)


def export(live: LiveGateway, username: str, fmt: str = "JSON") -> tuple[dict[str, Any], bytes]:
    """Request an export, wait for the job, download it as the administrator."""
    queued = request_export(live, username, fmt)
    assert queued["status"] in {"QUEUED", "RUNNING", "COMPLETED"}, queued
    finished = wait_until_finished(live, queued["id"])
    assert finished["status"] == "COMPLETED", finished
    response = download(live, finished["downloadUrl"])
    assert response.status_code == 200, response.text
    return finished, response.content


def export_json(live: LiveGateway, username: str) -> dict[str, Any]:
    return json.loads(export(live, username, "JSON")[1])  # type: ignore[no-any-return]


def count_rows(live: LiveGateway, table: Any, *where: Any) -> int:
    return int(live.scalar(select(func.count()).select_from(table).where(*where)))


def processing_state(live: LiveGateway, username: str) -> str:
    p = t.people.c
    return str(live.scalar(select(p.processing_state).where(p.id == live.person_pk(username))))
