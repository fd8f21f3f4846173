"""The console's work queues (``/admin/queues``): what waits for an administrator.

One page, five sections, one GraphQL read: erasures waiting for a second administrator (paged,
and on the first page the batch or school erasures whose preview is still being computed, in a
short list of their own), open data requests (overdue
ones first, then by due date), people whose retention has expired, the incident register with
its 72-hour clocks, and the recycle bin. Each action is a small form that posts to its own
path here and runs one GraphQL mutation as the signed-in administrator; on success the browser
is sent back to the page (a status line says what was done), on an error the page is shown
again with the error in the page's language, by its code, and nothing has changed (each
mutation is one transaction in the gateway).

Who may confirm is the schema's rule (another administrator than the one who asked); the page
only leaves the Confirm button out for the one who asked, so they are not offered a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from config import clock
from gateway.console.catalog import TEXTS
from gateway.console.dates import SKIPPED_HOUR, SkippedHourError, utc_from_local
from gateway.console.web import PREFIX, Visit, page, redirect

PAGE_SIZE = 100
#: how many erasures still being previewed the first page lists, the oldest first (the job
#: worker computes a preview in moments, so few wait in that state)
PREVIEWING_SHOWN = 20
#: the actions the erasure queue lists: a person's, a batch's and a school's erasure
ERASURES = ("ERASE", "ERASE_BATCH", "ERASE_SCHOOL")
OPEN_DATA_REQUESTS = ("RECEIVED", "ACCEPTED")
CATEGORIES = (
    "PERSONAL_DATA",
    "COMMUNICATION",
    "TEACHING_MATERIAL",
    "ASSESSMENTS",
    "CALENDAR",
    "STUDENT_ANSWERS",
    "FILES",
    "DATA_REQUESTS",
    "INTERNAL_LOGIC",
)
SCOPE_KINDS = ("SCHOOL", "COURSES", "PERSONS", "READ_BY")
#: the status codes an error code answers with
STATUS = {
    "BAD_USER_INPUT": 400,
    "FORBIDDEN": 403,
    "SECOND_ADMINISTRATOR_REQUIRED": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
}

_USER = "id displayName"
_DATA_REQUEST = f"""
  id kind status channel receivedAt dueAt extendedTo identityVerified
  subject {{ {_USER} }} requestedBy {{ {_USER} }}
"""
_WAITING_REQUEST = f"""
  id action status createdAt justification
  effects {{ category outcome count }}
  itemCounts {{ total }}
  subject {{ {_USER} }} school {{ id name }} requestedBy {{ {_USER} }}
"""
#: the erasures (``$erasures``: ``ERASURES``) waiting for a second administrator, oldest first,
#: a page at a time (``after``: the cursor of the page before), and, on the first page only
#: (``$firstPage``), the oldest ``$previewing`` of those still being previewed; a course deletion
#: waits too, but on its request's own page
QUEUES = f"""
query ConsoleQueues(
  $first: Int!, $after: String, $erasures: [PrivacyAction!]!, $previewing: Int!,
  $firstPage: Boolean!
) {{
  viewer {{ {_USER} }}
  awaiting: privacyRequests(
    status: AWAITING_CONFIRMATION, action: $erasures, first: $first, after: $after
  ) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {_WAITING_REQUEST} }} }}
  }}
  previewing: privacyRequests(status: PREVIEWING, action: $erasures, first: $previewing)
    @include(if: $firstPage) {{
    totalCount edges {{ node {{ {_WAITING_REQUEST} }} }}
  }}
  received: dataRequests(status: RECEIVED, first: $first) {{
    totalCount edges {{ node {{ {_DATA_REQUEST} }} }}
  }}
  accepted: dataRequests(status: ACCEPTED, first: $first) {{
    totalCount edges {{ node {{ {_DATA_REQUEST} }} }}
  }}
  expiredSubjects(first: $first) {{ totalCount edges {{ node {{ {_USER} }} }} }}
  incidents(first: $first) {{
    totalCount edges {{ node {{
      id description detectedAt reportDueAt status affectedCount overdue
      authorityNotifiedAt peopleNotifiedAt categories scope {{ kind }}
    }} }}
  }}
  recycleBin(first: $first) {{ totalCount edges {{ node {{ {_USER} }} }} }}
  schools(first: 500) {{ edges {{ node {{ id name }} }} }}
}}
"""

_RESULT = "id status"
CONFIRM_ERASURE = (
    f"mutation ConsoleConfirmErasure($id: ID!) {{ confirmErasure(requestId: $id) {{ {_RESULT} }} }}"
)
CONFIRM_BATCH = (
    "mutation ConsoleConfirmBatch($id: ID!) "
    f"{{ confirmBatchErasure(requestId: $id) {{ {_RESULT} }} }}"
)
CANCEL = (
    "mutation ConsoleCancelErasure($id: ID!) "
    f"{{ cancelPrivacyRequest(requestId: $id) {{ {_RESULT} }} }}"
)
DECIDE = """
mutation ConsoleDecide($id: ID!, $accept: Boolean!, $reason: String!, $verified: Boolean) {
  decideDataRequest(requestId: $id, accept: $accept, reason: $reason,
                    identityVerified: $verified) { id status }
}
"""
EXTEND = """
mutation ConsoleExtend($id: ID!, $reason: String!) {
  extendDataRequest(requestId: $id, reason: $reason) { id status extendedTo }
}
"""
EMPTY_BIN = """
mutation ConsoleEmptyBin($justification: String!) {
  requestBatchErasure(allExpired: true, justification: $justification) { id status }
}
"""
RECORD_INCIDENT = """
mutation ConsoleRecordIncident($input: IncidentInput!) {
  recordIncident(input: $input) { id reportDueAt }
}
"""
NOTIFY = """
mutation ConsoleNotifyAffected($id: ID!) {
  notifyAffected(incidentId: $id) { id peopleNotifiedAt }
}
"""


class FormError(Exception):
    """A form the page refuses before asking the gateway: a catalog key for the message."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Failure:
    """What the page says went wrong: a catalog key, or a GraphQL error's code and message."""

    key: str | None = None
    code: str | None = None
    message: str | None = None

    @property
    def status(self) -> int:
        return 400 if self.key is not None else STATUS.get(self.code or "", 500)


def failure_key(failure: Failure) -> str:
    """The catalog key that says what went wrong: the form's, else the error code's."""
    if failure.key is not None:
        return failure.key
    by_code = f"queues.error.{failure.code}"
    return by_code if by_code in TEXTS else "queues.error.other"


def plain(value: Any) -> Any:
    """The operation's data with its times as ISO 8601 text (in-process, the schema hands back
    ``datetime`` objects; the page shows and sorts them as the API would send them)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _when(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)


def clock_text(due: datetime, now: datetime) -> tuple[bool, int, int]:
    """Whether ``due`` has passed, and the hours and minutes left (or past)."""
    left = due - now
    passed = left < timedelta(0)
    minutes = int(abs(left).total_seconds() // 60)
    return passed, minutes // 60, minutes % 60


def _data_requests(data: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The open data requests, overdue ones first, then by (extended) due date."""
    rows = []
    for alias in ("received", "accepted"):
        for edge in (data.get(alias) or {}).get("edges", []):
            node = dict(edge["node"])
            due = _when(node.get("extendedTo")) or _when(node["dueAt"])
            assert due is not None
            node["due"] = due
            node["overdue"] = due < now
            rows.append(node)
    rows.sort(key=lambda node: (not node["overdue"], node["due"], node["receivedAt"]))
    return rows


def _erasures(data: dict[str, Any], alias: str, viewer_id: str) -> list[dict[str, Any]]:
    """The erasures ``alias`` lists, in its order (the longest waiting first); ``mine``: the
    viewer asked."""
    rows = []
    for edge in (data.get(alias) or {}).get("edges", []):
        node = dict(edge["node"])
        node["mine"] = (node.get("requestedBy") or {}).get("id") == viewer_id
        rows.append(node)
    return rows


def _waiting(data: dict[str, Any]) -> dict[str, Any]:
    """How many erasures wait for a second administrator (all that the list pages through),
    and where the next page of them starts (None: this is the last)."""
    awaiting = data.get("awaiting") or {}
    more = (awaiting.get("pageInfo") or {}).get("hasNextPage")
    return {
        "total": awaiting.get("totalCount", 0),
        "next": awaiting["pageInfo"]["endCursor"] if more else None,
    }


def _previewing(data: dict[str, Any], viewer_id: str) -> dict[str, Any] | None:
    """The erasures whose preview is being computed: the oldest ones (``rows``, at most
    ``PREVIEWING_SHOWN``) and how many there are (``total``); None on a later page, which does
    not ask for them."""
    previewing = data.get("previewing")
    if previewing is None:
        return None
    return {
        "rows": _erasures(data, "previewing", viewer_id),
        "total": previewing.get("totalCount", 0),
    }


def _incidents(data: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for edge in (data.get("incidents") or {}).get("edges", []):
        node = dict(edge["node"])
        due = _when(node["reportDueAt"])
        assert due is not None
        node["running"] = node["status"] == "OPEN"
        node["passed"], node["hours"], node["minutes"] = clock_text(due, now)
        rows.append(node)
    return rows


def _nodes(data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in (data.get(field) or {}).get("edges", [])]


async def show(
    visit: Visit, failure: Failure | None = None, form: dict[str, Any] | None = None
) -> Response:
    """The queues page; with ``failure``, the error it shows and the status it answers with."""
    after = visit.request.query_params.get("erasures") or None
    answer = await visit.query(
        QUEUES,
        {
            "first": PAGE_SIZE,
            "after": after,
            "erasures": list(ERASURES),
            "previewing": PREVIEWING_SHOWN,
            "firstPage": after is None,
        },
    )
    found = answer.first_error()
    if answer.data is None and found is not None:
        code, message = found
        return visit.render(
            "error.html", status_code=STATUS.get(code, 500), code=code, message=message
        )
    data = plain(answer.data or {})
    viewer = data.get("viewer") or {}
    visit.display_name = viewer.get("displayName") or ""
    now = clock.now()
    done = visit.request.query_params.get("done")
    return visit.render(
        "queues.html",
        status_code=200 if failure is None else failure.status,
        failure=failure,
        failure_key=None if failure is None else failure_key(failure),
        done=done if done in DONE else None,
        form=form or {},
        now=now,
        erasures=_erasures(data, "awaiting", viewer.get("id") or ""),
        waiting=_waiting(data),
        previewing=_previewing(data, viewer.get("id") or ""),
        erasures_paged=after is not None,
        data_requests=_data_requests(data, now),
        expired=_nodes(data, "expiredSubjects"),
        expired_total=(data.get("expiredSubjects") or {}).get("totalCount", 0),
        incidents=_incidents(data, now),
        recycle_bin=_nodes(data, "recycleBin"),
        recycle_total=(data.get("recycleBin") or {}).get("totalCount", 0),
        schools=_nodes(data, "schools"),
        categories=CATEGORIES,
        scope_kinds=SCOPE_KINDS,
        page_size=PAGE_SIZE,
    )


async def queues(visit: Visit) -> Response:
    """The work queues."""
    return await show(visit)


#: what a successful action says on the page it returns to, and where on that page
DONE = {
    "confirmed": "erasures",
    "cancelled": "erasures",
    "accepted": "data-requests",
    "rejected": "data-requests",
    "extended": "data-requests",
    "emptying": "erasures",
    "recorded": "incidents",
    "notified": "incidents",
}


async def _act(
    visit: Visit,
    document: str,
    variables: dict[str, Any],
    done: str,
    form: dict[str, Any] | None = None,
) -> Response:
    """Run one mutation; back to the page on success, the page with the error otherwise."""
    answer = await visit.query(
        document,
        variables,
    )
    found = answer.first_error()
    if found is not None:
        return await show(visit, Failure(code=found[0], message=found[1]), form)
    return redirect(f"{PREFIX}/queues?done={done}#{DONE[done]}")


async def _form(visit: Visit) -> dict[str, Any]:
    """The posted form's text fields (``categories``: a list, the boxes ticked)."""
    form = await visit.request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["categories"] = [v for v in form.getlist("categories") if isinstance(v, str)]
    return values


def _text(form: dict[str, Any], key: str, missing: str) -> str:
    value = form.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise FormError(missing)
    return text


async def confirm_erasure(visit: Visit) -> Response:
    """Confirm a waiting erasure: a person's (confirmErasure) or a batch or school's."""
    form = await _form(visit)
    document = CONFIRM_ERASURE if form.get("action") == "ERASE" else CONFIRM_BATCH
    request_id = visit.request.path_params["request_id"]
    return await _act(visit, document, {"id": request_id}, "confirmed")


async def cancel_erasure(visit: Visit) -> Response:
    request_id = visit.request.path_params["request_id"]
    return await _act(visit, CANCEL, {"id": request_id}, "cancelled")


async def decide_data_request(visit: Visit) -> Response:
    """Accept or reject a received data request, with the reason the person is told."""
    form = await _form(visit)
    decision = form.get("decision")
    try:
        if decision not in ("accept", "reject"):
            raise FormError("queues.missing_decision")
        reason = _text(form, "reason", "queues.missing_reason")
    except FormError as error:
        return await show(visit, Failure(key=error.key), form)
    variables = {
        "id": visit.request.path_params["request_id"],
        "accept": decision == "accept",
        "reason": reason,
        "verified": form.get("identity_verified") == "yes",
    }
    done = "accepted" if decision == "accept" else "rejected"
    return await _act(visit, DECIDE, variables, done, form)


async def extend_data_request(visit: Visit) -> Response:
    """Extend an open data request once (by two months), with the reason the person is told."""
    form = await _form(visit)
    try:
        reason = _text(form, "reason", "queues.missing_reason")
    except FormError as error:
        return await show(visit, Failure(key=error.key), form)
    variables = {"id": visit.request.path_params["request_id"], "reason": reason}
    return await _act(visit, EXTEND, variables, "extended", form)


async def empty_recycle_bin(visit: Visit) -> Response:
    """Ask to erase everyone whose retention has expired (a batch erasure, confirmed by
    another administrator)."""
    form = await _form(visit)
    try:
        justification = _text(form, "justification", "queues.missing_justification")
    except FormError as error:
        return await show(visit, Failure(key=error.key), form)
    return await _act(visit, EMPTY_BIN, {"justification": justification}, "emptying", form)


def _detected(text: str) -> str:
    """A ``datetime-local`` value (Norwegian time, as the label says) as a DateTime in UTC."""
    try:
        return utc_from_local(text).isoformat()
    except SkippedHourError:
        raise FormError(SKIPPED_HOUR) from None
    except ValueError:
        raise FormError("queues.bad_time") from None


def _ids(form: dict[str, Any], key: str) -> list[str]:
    value = form.get(key)
    text = value if isinstance(value, str) else ""
    ids = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    if not ids:
        raise FormError("queues.missing_scope")
    return ids


def incident_input(form: dict[str, Any]) -> dict[str, Any]:
    """The ``IncidentInput`` the form describes (``FormError`` for what is missing)."""
    description = _text(form, "description", "queues.missing_description")
    detected = _detected(_text(form, "detected_at", "queues.missing_detected"))
    chosen = form.get("categories") or []
    categories = [c for c in ([chosen] if isinstance(chosen, str) else chosen) if c in CATEGORIES]
    if not categories:
        raise FormError("queues.missing_categories")
    kind = form.get("scope")
    scope: dict[str, Any]
    if kind == "SCHOOL":
        scope = {"schoolId": _text(form, "school_id", "queues.missing_scope")}
    elif kind == "COURSES":
        scope = {"courseIds": _ids(form, "course_ids")}
    elif kind == "PERSONS":
        scope = {"personIds": _ids(form, "person_ids")}
    elif kind == "READ_BY":
        scope = {
            "readBy": {
                "staffId": _text(form, "staff_id", "queues.missing_scope"),
                "from": _detected(_text(form, "read_from", "queues.missing_scope")),
                "to": _detected(_text(form, "read_to", "queues.missing_scope")),
            }
        }
    else:
        raise FormError("queues.missing_scope")
    actions = form.get("actions_taken")
    given: dict[str, Any] = {
        "description": description,
        "detectedAt": detected,
        "categories": categories,
        "scope": scope,
    }
    if isinstance(actions, str) and actions.strip():
        given["actionsTaken"] = actions.strip()
    return given


async def record_incident(visit: Visit) -> Response:
    """Record a personal data breach; its report to the authority is due 72 hours after it
    became known."""
    form = await _form(visit)
    try:
        given = incident_input(form)
    except FormError as error:
        return await show(visit, Failure(key=error.key), form)
    return await _act(visit, RECORD_INCIDENT, {"input": given}, "recorded", form)


async def notify_affected(visit: Visit) -> Response:
    incident_id = visit.request.path_params["incident_id"]
    return await _act(visit, NOTIFY, {"id": incident_id}, "notified")


ROUTES = [
    Route("/queues", page(queues), methods=["GET"], name="console-queues"),
    Route("/queues/erasures/{request_id}/confirm", page(confirm_erasure), methods=["POST"]),
    Route("/queues/erasures/{request_id}/cancel", page(cancel_erasure), methods=["POST"]),
    Route("/queues/data-requests/{request_id}/decide", page(decide_data_request), methods=["POST"]),
    Route("/queues/data-requests/{request_id}/extend", page(extend_data_request), methods=["POST"]),
    Route("/queues/recycle-bin/empty", page(empty_recycle_bin), methods=["POST"]),
    Route("/queues/incidents", page(record_incident), methods=["POST"]),
    Route("/queues/incidents/{incident_id}/notify", page(notify_affected), methods=["POST"]),
]
