"""The audit log pages: the log filtered by person, actor, action and time, a page at a time
(Relay cursors), and the check of its hash chain (``Mutation.verifyAuditLog``, as
``tavle audit verify``).

The entries show the time, who acted, the action and what it was about; people as links to
their pages, erased people by their pseudonym. A justification is never shown: only that there
is one, by the start of its digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from config.errors import BadUserInputError
from config.ids import from_global_id, pseudonym_label
from gateway.console.catalog import TEXTS, translator
from gateway.console.dates import SKIPPED_HOUR, SkippedHourError, utc_from_local
from gateway.console.paging import cursor_variables, page_links
from gateway.console.web import Visit

PAGE_SIZE = 50
#: the filters' names in the page's address, and the GraphQL variables they fill
FILTERS = {
    "person": "subjectId",
    "actor": "actorId",
    "action": "action",
    "from": "from",
    "to": "to",
}
#: the longest filter value passed on (longer ones are the schema's to refuse)
VALUE_MAX = 200

AUDIT_LOG = """
query ConsoleAuditLog($subjectId: ID, $actorId: ID, $action: String, $from: DateTime,
                      $to: DateTime, $first: Int, $after: String, $last: Int, $before: String) {
  viewer { displayName }
  auditLog(subjectId: $subjectId, actorId: $actorId, action: $action, from: $from, to: $to,
           first: $first, after: $after, last: $last, before: $before, orderBy: NEWEST_FIRST) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node {
      id at action targetType targetId justificationDigest
      actor { id displayName }
      subject { id displayName }
    } }
  }
}
"""

VERIFY = """
mutation ConsoleVerifyAuditLog {
  verifyAuditLog { ok checked brokenEntryId reason headHash }
}
"""

VIEWER = "query ConsoleViewer { viewer { displayName } }"


@dataclass(frozen=True)
class Party:
    """A person an entry names: a link to their page, or a pseudonym (erased)."""

    name: str
    link: str | None


def _party(found: dict[str, Any] | None) -> Party | None:
    if not found:
        return None
    global_id = str(found.get("id") or "")
    name = found.get("displayName") or ""
    if pseudonym_label(global_id) is not None:
        return Party(name, None)
    return Party(name, f"/admin/people/{global_id}")


def local_id(global_id: str | None) -> str:
    """The number inside a global id (an entry's), for showing; the id itself if not ours."""
    if not global_id:
        return ""
    try:
        return str(from_global_id(global_id)[1])
    except BadUserInputError:
        return global_id


def _target(node: dict[str, Any]) -> tuple[str, str | None]:
    """An entry's target as text and, for a person, a link to their page."""
    kind, global_id = node.get("targetType"), node.get("targetId")
    if not kind:
        return "", None
    if kind == "User" and global_id:
        return f"{kind} {local_id(global_id)}", f"/admin/people/{global_id}"
    return f"{kind} {local_id(global_id)}".strip(), None


def _entry(node: dict[str, Any]) -> dict[str, Any]:
    target, target_link = _target(node)
    digest = node.get("justificationDigest")
    return {
        "number": local_id(node["id"]),
        "at": node["at"],
        "action": node["action"],
        "actor": _party(node.get("actor")),
        "subject": _party(node.get("subject")),
        "target": target,
        "target_link": target_link,
        "digest": digest[:12] if digest else None,
    }


def _time(name: str, value: str, language: str) -> tuple[str | None, str | None]:
    """A time from the form (``datetime-local``: no offset, read as Norwegian time) as the
    schema's DateTime in UTC, or None and what is wrong with it."""
    try:
        return utc_from_local(value).isoformat(), None
    except SkippedHourError:
        return None, translator(language)(SKIPPED_HOUR)
    except ValueError:
        return None, f"'{name}' is not a time"


def problem_key(code: str) -> str:
    """The catalog's words for a GraphQL error code (a general one for codes it has none for)."""
    key = f"audit.problem.{code}"
    return key if key in TEXTS else "audit.problem.other"


def _filters(visit: Visit) -> dict[str, str]:
    params = visit.request.query_params
    return {
        name: (params.get(name) or "").strip()[:VALUE_MAX]
        for name in FILTERS
        if (params.get(name) or "").strip()
    }


def _link(filters: dict[str, str], **cursor: str) -> str:
    return "/admin/audit?" + urlencode({**filters, **cursor})


async def audit_log(visit: Visit) -> Response:
    """The audit log, newest first, filtered by the form's values."""
    filters = _filters(visit)
    params = visit.request.query_params
    variables: dict[str, Any] = {FILTERS[name]: value for name, value in filters.items()}
    problem: tuple[str, str] | None = None
    for name in ("from", "to"):
        if name in filters:
            converted, wrong = _time(name, filters[name], visit.language)
            if wrong is not None:
                problem = ("BAD_USER_INPUT", wrong)
            variables[name] = converted
    variables.update(cursor_variables(params, PAGE_SIZE))
    data: dict[str, Any] = {}
    if problem is None:
        answer = await visit.query(AUDIT_LOG, variables)
        data = answer.data or {}
        if data.get("auditLog") is None:
            problem = answer.first_error()
    else:
        answer = await visit.query(VIEWER)
        data = answer.data or {}
    visit.display_name = (data.get("viewer") or {}).get("displayName") or ""
    log = data.get("auditLog")
    if problem is not None or log is None:
        code = problem[0] if problem else "INTERNAL_SERVER_ERROR"
        return visit.render(
            "audit_log.html",
            status_code=400 if code in ("BAD_USER_INPUT", "NOT_FOUND") else 500,
            filters=filters,
            problem=problem or (code, ""),
            problem_key=problem_key(code),
            entries=None,
        )
    previous_link, next_link = page_links(
        log["pageInfo"], params, lambda **cursor: _link(filters, **cursor)
    )
    return visit.render(
        "audit_log.html",
        filters=filters,
        problem=None,
        entries=[_entry(edge["node"]) for edge in log["edges"]],
        total=log["totalCount"],
        next_link=next_link,
        previous_link=previous_link,
    )


async def verify(visit: Visit) -> Response:
    """Check the hash chain now (POST, with the form's CSRF token) and show the verdict."""
    answer = await visit.query(VERIFY)
    verdict = (answer.data or {}).get("verifyAuditLog")
    if verdict is None:
        code, message = answer.first_error() or ("INTERNAL_SERVER_ERROR", "")
        return visit.render(
            "error.html",
            status_code=403 if code == "FORBIDDEN" else 500,
            code=code,
            message=message,
        )
    viewer = await visit.query(VIEWER)
    visit.display_name = ((viewer.data or {}).get("viewer") or {}).get("displayName") or ""
    return visit.render(
        "audit_verify.html",
        verdict=verdict,
        broken=local_id(verdict.get("brokenEntryId")),
    )
