"""The console's pages. Each is a handler wrapped by ``web.page`` and one GraphQL operation.

To add a page: write its operation and handler here (or in a module of its own), a template
under ``templates/``, its words in ``catalog.py`` (both languages), then list it in ``ROUTES``
and, if it belongs in the menu, in ``NAVIGATION`` (docs/console.md, "Adding a page").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from gateway.console import actions, graphql
from gateway.console import queues as work_queues
from gateway.console.audit_log import audit_log, verify
from gateway.console.imports import roster_import, roster_imports
from gateway.console.person_lookup import found_person, person_operation
from gateway.console.web import Visit, page

PEOPLE_PAGE_SIZE = 50


@dataclass(frozen=True)
class MenuItem:
    path: str
    label_key: str


#: the menu: only pages that exist
NAVIGATION = (
    MenuItem("/admin/people", "nav.people"),
    MenuItem("/admin/queues", "nav.queues"),
    MenuItem("/admin/imports", "nav.imports"),
    MenuItem("/admin/audit", "nav.audit"),
)

ROLES = ("SYSTEM_ADMINISTRATOR", "SUPERUSER", "SCHOOL_LEADER", "TEACHER", "STUDENT", "GUARDIAN")
STATES = ("ACTIVE", "RESTRICTED")

_PERSON_SUMMARY = """
fragment ConsolePersonSummary on User {
  id displayName birthDate processingState
  roles { role school { id name } }
  courses(first: 20) { edges { node { id name } } }
}
"""

FIND_PEOPLE = (
    """
query ConsoleFindPeople($search: String, $identifier: String, $schoolId: ID, $role: Role,
                        $state: ProcessingState, $first: Int!, $byName: Boolean!,
                        $byIdentifier: Boolean!) {
  viewer { displayName }
  schools(first: 500) { edges { node { id name } } }
  byName: users(search: $search, schoolId: $schoolId, role: $role, state: $state,
                first: $first) @include(if: $byName) {
    totalCount edges { node { ...ConsolePersonSummary } }
  }
  byIdentifier: users(identifier: $identifier, schoolId: $schoolId, role: $role, state: $state,
                      first: $first) @include(if: $byIdentifier) {
    totalCount edges { node { ...ConsolePersonSummary } }
  }
}
"""
    + _PERSON_SUMMARY
)

#: a person's page: active or restricted (``person_lookup``), with their requests and audit trail
PERSON = person_operation(
    "ConsolePerson",
    """
    id displayName firstName lastName email birthDate processingState preferredLanguage
    roles { role school { id name } }
    courses(first: 100) { totalCount edges { node { id name code school { name } } } }
    erasurePreview { category outcome count }
    """,
    variables=", $audit: Int!",
    more="""
  privacyRequests(subjectId: $id, first: 50) {
    totalCount edges { node { id action status createdAt completedAt } }
  }
  auditLog(subjectId: $id, first: $audit, orderBy: NEWEST_FIRST) {
    totalCount edges { node { id at action targetType actor { displayName } } }
  }""",
)
AUDIT_SHOWN = 50


def _summary(node: dict[str, Any]) -> dict[str, Any]:
    schools = sorted(
        {(r.get("school") or {}).get("name") or "" for r in node.get("roles") or []} - {""}
    )
    return {
        "id": node["id"],
        "name": node.get("displayName") or "",
        "birth_date": node.get("birthDate"),
        "state": node.get("processingState"),
        "schools": schools,
        "roles": sorted({r["role"] for r in node.get("roles") or []}),
        "classes": [e["node"]["name"] for e in (node.get("courses") or {}).get("edges", [])],
    }


def _error(visit: Visit, answer: graphql.Answer) -> Response | None:
    found = answer.first_error()
    if found is None or (answer.data is not None and found[0] in ("FORBIDDEN", "NOT_FOUND")):
        return None
    code, message = found
    return visit.render(
        "error.html",
        status_code=400 if code == "BAD_USER_INPUT" else 500,
        code=code,
        message=message,
    )


async def find_people(visit: Visit) -> Response:
    """Find a person: by name, or exactly by username, e-mail or national id; filters."""
    params = visit.request.query_params
    text = (params.get("q") or "").strip()
    filters = {
        "schoolId": params.get("school") or None,
        "role": params.get("role") if params.get("role") in ROLES else None,
        "state": params.get("state") if params.get("state") in STATES else None,
    }
    searching = bool(text) or any(filters.values())
    # a name search, and an exact one when the text could be an identifier (one word)
    by_identifier = bool(text) and " " not in text
    variables = {
        "search": text or None,
        "identifier": text if by_identifier else None,
        **filters,
        "first": PEOPLE_PAGE_SIZE,
        "byName": searching,
        "byIdentifier": by_identifier,
    }
    answer = await visit.query(FIND_PEOPLE, variables)
    failed = _error(visit, answer)
    if failed is not None:
        return failed
    data = answer.data or {}
    visit.display_name = (data.get("viewer") or {}).get("displayName") or ""
    people: dict[str, dict[str, Any]] = {}
    total = 0
    for alias in ("byIdentifier", "byName"):
        found = data.get(alias)
        if not found:
            continue
        total = max(total, found["totalCount"])
        for edge in found["edges"]:
            people.setdefault(edge["node"]["id"], _summary(edge["node"]))
    schools = [e["node"] for e in (data.get("schools") or {}).get("edges", [])]
    return visit.render(
        "people.html",
        searching=searching,
        people=list(people.values()),
        more=total > PEOPLE_PAGE_SIZE,
        shown=PEOPLE_PAGE_SIZE,
        text=text,
        filters=filters,
        schools=schools,
        roles=ROLES,
        states=STATES,
    )


async def person(visit: Visit) -> Response:
    """A person's page: who they are, roles and classes, data by category, requests, audit."""
    person_id = visit.request.path_params["person_id"]
    answer = await visit.query(
        PERSON,
        {"id": person_id, "audit": AUDIT_SHOWN},
    )
    data = answer.data or {}
    user = found_person(data)
    if user is None:
        found = answer.first_error()
        if found is not None and found[0] != "NOT_FOUND":
            return _error(visit, answer) or visit.render(
                "error.html", status_code=500, code=found[0], message=found[1]
            )
        return visit.render(
            "error.html", status_code=404, code="NOT_FOUND", message_key="error.not_found"
        )
    visit.display_name = (data.get("viewer") or {}).get("displayName") or ""
    return visit.render(
        "person.html",
        user=user,
        summary=_summary(user),
        courses=[e["node"] for e in user["courses"]["edges"]],
        requests=[e["node"] for e in data["privacyRequests"]["edges"]],
        audit=[e["node"] for e in data["auditLog"]["edges"]],
        audit_shown=AUDIT_SHOWN,
    )


ROUTES = [
    Route("/people", page(find_people), methods=["GET"], name="console-people"),
    Route("/people/{person_id}", page(person), methods=["GET"], name="console-person"),
    *actions.ROUTES,
    *work_queues.ROUTES,
    Route("/imports", page(roster_imports), methods=["GET"], name="console-imports"),
    Route("/imports/{run_id}", page(roster_import), methods=["GET"], name="console-import"),
    Route("/audit", page(audit_log), methods=["GET"], name="console-audit"),
    Route("/audit/verify", page(verify), methods=["POST"], name="console-audit-verify"),
]
