"""Privacy actions from a person's page (docs/console.md, "Privacy actions").

Each action is a form on a sub-page of the person (``/admin/people/{id}/export``, ``restrict``,
``lift``, ``erase``, ``rectify``) that shows what the action will do before it is sent (the
export formats; the notification the person will receive; the erasure's preview by category;
the current names and e-mail) and asks for the justification. A sent form runs the mutation
through the schema as the signed-in administrator and, when it succeeds, leads to the request's
own page (``/admin/requests/{id}``: status, effects; an export's page refreshes itself until the
job is done and then offers the download; an erasure's page lets a *different* administrator
confirm it). A refused mutation shows the form again with the error in the page's language (by
its code), and nothing has changed: the mutation runs in one transaction.

The download (``/admin/requests/{id}/download``) streams the file through
``gateway.exports.serve_export``, the same checks, audit entry and access log as
``GET /privacy/exports/{id}`` with a bearer token.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from config.language import choose
from gateway.console import graphql
from gateway.console.catalog import TEXTS
from gateway.console.person_lookup import found_person, person_operation
from gateway.console.web import PREFIX, Visit, page, redirect
from gateway.exports import serve_export
from resolvers.services import notices

FORMATS = ("XML", "JSON")
#: the statuses a job is still working through: its page refreshes itself
WORKING = ("PREVIEWING", "QUEUED", "RUNNING")
REFRESH_SECONDS = 2
#: the fields rectification corrects, in the form's order
RECTIFIABLE = ("firstName", "lastName", "email")
FIELD_KEYS = {
    "firstName": "person.first_name",
    "lastName": "person.last_name",
    "email": "person.email",
}
#: MANAGED_BY_SOURCE's ``fields`` name the service's fields: the form's names for them
FIELD_NAMES = {"first_name": "firstName", "last_name": "lastName"}

#: the person an action page is about, active or restricted (``person_lookup``)
ACTION_PERSON = person_operation(
    "ConsoleActionPerson",
    "id displayName firstName lastName email processingState preferredLanguage "
    "erasurePreview { category outcome count }",
)

_REQUEST_FIELDS = """
  id action status justification createdAt completedAt format expiresAt error downloadUrl
  effects { category outcome count }
  subject { id displayName processingState }
  requestedBy { id displayName } confirmedBy { id displayName }
"""

PRIVACY_REQUEST = f"""
query ConsolePrivacyRequest($id: ID!) {{
  viewer {{ id displayName }}
  privacyRequest(id: $id) {{ {_REQUEST_FIELDS} }}
}}
"""

REQUEST_EXPORT = """
mutation ConsoleRequestExport($subject: ID!, $justification: String!, $format: ExportFormat!) {
  requestExport(subjectId: $subject, justification: $justification, format: $format) { id }
}
"""
RESTRICT = """
mutation ConsoleRestrict($subject: ID!, $justification: String!) {
  restrictProcessing(subjectId: $subject, justification: $justification) { id }
}
"""
LIFT = """
mutation ConsoleLift($subject: ID!, $justification: String!) {
  liftRestriction(subjectId: $subject, justification: $justification) { id }
}
"""
REQUEST_ERASURE = """
mutation ConsoleRequestErasure($subject: ID!, $justification: String!) {
  requestErasure(subjectId: $subject, justification: $justification) { id }
}
"""
CONFIRM_ERASURE = """
mutation ConsoleConfirmErasure($request: ID!) { confirmErasure(requestId: $request) { id } }
"""
RECTIFY = """
mutation ConsoleRectify($subject: ID!, $input: RectificationInput!, $justification: String!) {
  rectifyPersonalData(subjectId: $subject, input: $input, justification: $justification) {
    id
  }
}
"""
LATEST_REQUEST = """
query ConsoleLatestRequest($subject: ID!) {
  privacyRequests(subjectId: $subject, last: 1) { edges { node { id action } } }
}
"""


def error_of(visit: Visit, answer: graphql.Answer) -> dict[str, Any] | None:
    """The answer's first error for the page: its code, the words for it in the page's
    language (``code.<CODE>``, else a general sentence) and the gateway's own message."""
    found = answer.first_error()
    if found is None:
        return None
    code, message = found
    extensions = answer.extensions[0] if answer.extensions else {}
    entry = TEXTS.get(f"code.{code}")
    language = visit.language if visit.language in ("nb", "en") else "nb"
    text = entry[language] if entry else TEXTS["action.failed"][language].format(code=code)
    named = [FIELD_NAMES.get(str(f), str(f)) for f in extensions.get("fields") or []]
    fields = [f for f in named if f in FIELD_KEYS]
    return {
        "code": code,
        "text": text,
        "detail": message,
        "fields": fields,
        "field_labels": [TEXTS[FIELD_KEYS[f]][language] for f in fields],
    }


async def _form(visit: Visit) -> dict[str, str]:
    form = await visit.request.form()  # already read (and cached) by page()'s CSRF check
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def _person(visit: Visit) -> tuple[dict[str, Any] | None, Response | None]:
    """The person the page is about, or the page to answer instead (not found, an error)."""
    answer = await visit.query(ACTION_PERSON, {"id": visit.request.path_params["person_id"]})
    data = answer.data or {}
    visit.display_name = (data.get("viewer") or {}).get("displayName") or ""
    user = found_person(data)
    if user is not None:
        return user, None
    found = answer.first_error()
    if found is None or found[0] in ("NOT_FOUND", "BAD_USER_INPUT"):  # no such id
        return None, visit.render(
            "error.html", status_code=404, code="NOT_FOUND", message_key="error.not_found"
        )
    return None, visit.render("error.html", status_code=500, code=found[0], message=found[1])


def _request_id(answer: graphql.Answer, field: str) -> str | None:
    return ((answer.data or {}).get(field) or {}).get("id")


def _to_request(request_id: str) -> Response:
    return redirect(f"{PREFIX}/requests/{request_id}")


def _render_action(
    visit: Visit,
    template: str,
    user: dict[str, Any],
    error: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    **values: Any,
) -> Response:
    return visit.render(
        template,
        status_code=200 if error is None else _status(error["code"]),
        user=user,
        error=error,
        form=form or {},
        **values,
    )


def _status(code: str) -> int:
    if code in ("BAD_USER_INPUT", "JUSTIFICATION_REQUIRED", "MANAGED_BY_SOURCE"):
        return 400
    if code in ("FORBIDDEN", "SECOND_ADMINISTRATOR_REQUIRED"):
        return 403
    if code == "NOT_FOUND":
        return 404
    if code == "CONFLICT":
        return 409
    return 500


# --- export ----------------------------------------------------------------------------------


async def export(visit: Visit) -> Response:
    """Request an export of the person's data as XML or JSON."""
    user, other = await _person(visit)
    if user is None:
        return other  # type: ignore[return-value]
    if visit.request.method == "GET":
        return _render_action(visit, "action_export.html", user, formats=FORMATS)
    form = await _form(visit)
    chosen = form.get("format") if form.get("format") in FORMATS else "XML"
    answer = await visit.query(
        REQUEST_EXPORT,
        {"subject": user["id"], "justification": form.get("justification", ""), "format": chosen},
    )
    request_id = _request_id(answer, "requestExport")
    if request_id is None:
        return _render_action(
            visit, "action_export.html", user, error_of(visit, answer), form, formats=FORMATS
        )
    return _to_request(request_id)


async def download(visit: Visit) -> Response:
    """The finished export's file, through the same checks and audit as the HTTP endpoint."""
    assert visit.viewer is not None
    response = await serve_export(
        visit.state, visit.request.path_params["request_id"], visit.viewer
    )
    if not isinstance(response, JSONResponse):
        return response
    problem = json.loads(bytes(response.body)).get("error") or {}
    code = str(problem.get("code") or "INTERNAL_SERVER_ERROR")
    return visit.render(
        "error.html",
        status_code=response.status_code,
        code=code,
        message_key=f"download.{code}" if f"download.{code}" in TEXTS else None,
        message=str(problem.get("message") or ""),
    )


# --- restriction -----------------------------------------------------------------------------


def _notice(user: dict[str, Any], kind: str | None) -> dict[str, str] | None:
    """The notification the person will be sent, in their language; None: none is sent."""
    if kind is None:
        return None
    language = choose((user.get("preferredLanguage") or "").lower() or None)
    return {"language": language, "text": notices.text(kind, language)}


async def _restriction(visit: Visit, lift: bool) -> Response:
    user, other = await _person(visit)
    if user is None:
        return other  # type: ignore[return-value]
    template = "action_restriction.html"
    values: dict[str, Any] = {
        "lift": lift,
        "title_key": "lift.title" if lift else "restrict.title",
        # lifting tells the person (art. 18(3)); restricting sends nothing
        "notice": _notice(user, "RESTRICTION_LIFTED" if lift else None),
    }
    if visit.request.method == "GET":
        return _render_action(visit, template, user, **values)
    form = await _form(visit)
    field = "liftRestriction" if lift else "restrictProcessing"
    answer = await visit.query(
        LIFT if lift else RESTRICT,
        {"subject": user["id"], "justification": form.get("justification", "")},
    )
    request_id = _request_id(answer, field)
    if request_id is None:
        return _render_action(visit, template, user, error_of(visit, answer), form, **values)
    return _to_request(request_id)


async def restrict(visit: Visit) -> Response:
    """Restrict processing of the person's data (the recycle bin)."""
    return await _restriction(visit, lift=False)


async def lift(visit: Visit) -> Response:
    """Lift the restriction; the person is told, in their language."""
    return await _restriction(visit, lift=True)


# --- erasure ---------------------------------------------------------------------------------


async def erase(visit: Visit) -> Response:
    """Ask for the person's erasure, with the preview by category; a second administrator
    confirms on the request's page."""
    user, other = await _person(visit)
    if user is None:
        return other  # type: ignore[return-value]
    if visit.request.method == "GET":
        return _render_action(visit, "action_erase.html", user)
    form = await _form(visit)
    answer = await visit.query(
        REQUEST_ERASURE,
        {"subject": user["id"], "justification": form.get("justification", "")},
    )
    request_id = _request_id(answer, "requestErasure")
    if request_id is None:
        return _render_action(visit, "action_erase.html", user, error_of(visit, answer), form)
    return _to_request(request_id)


# --- rectification ---------------------------------------------------------------------------


async def rectify(visit: Visit) -> Response:
    """Correct the given name, family name and e-mail. Fields the roster manages are refused
    unless the administrator ticks the override; the refusal names them."""
    user, other = await _person(visit)
    if user is None:
        return other  # type: ignore[return-value]
    if visit.request.method == "GET":
        return _render_action(visit, "action_rectify.html", user, fields=RECTIFIABLE)
    form = await _form(visit)
    changes: dict[str, str | None] = {}
    for field in RECTIFIABLE:
        value = form.get(field)
        if value is None or value.strip() == (user.get(field) or ""):
            continue
        # an emptied e-mail clears it; an emptied name is sent as given (and refused)
        changes[field] = None if field == "email" and not value.strip() else value
    override = form.get("overrideSource") == "on"
    answer = await visit.query(
        RECTIFY,
        {
            "subject": user["id"],
            "input": {**changes, "overrideSource": override},
            "justification": form.get("justification", ""),
        },
    )
    if (answer.data or {}).get("rectifyPersonalData") is None:
        return _render_action(
            visit,
            "action_rectify.html",
            user,
            error_of(visit, answer),
            form,
            fields=RECTIFIABLE,
        )
    latest = await visit.query(LATEST_REQUEST, {"subject": user["id"]})
    edges = ((latest.data or {}).get("privacyRequests") or {}).get("edges") or []
    if edges and edges[-1]["node"]["action"] == "RECTIFY":
        return _to_request(edges[-1]["node"]["id"])
    return redirect(f"{PREFIX}/people/{user['id']}")


# --- a request's page and the confirmation ---------------------------------------------------


async def _request_page(visit: Visit, error: dict[str, Any] | None = None) -> Response:
    answer = await visit.query(PRIVACY_REQUEST, {"id": visit.request.path_params["request_id"]})
    data = answer.data or {}
    visit.display_name = (data.get("viewer") or {}).get("displayName") or ""
    request = data.get("privacyRequest")
    if request is None:
        found = answer.first_error()
        if found is not None and found[0] not in ("NOT_FOUND", "BAD_USER_INPUT"):
            return visit.render("error.html", status_code=500, code=found[0], message=found[1])
        return visit.render(
            "error.html", status_code=404, code="NOT_FOUND", message_key="request.not_found"
        )
    viewer_id = (data.get("viewer") or {}).get("id")
    requester = (request.get("requestedBy") or {}).get("id")
    return visit.render(
        "privacy_request.html",
        status_code=200 if error is None else _status(error["code"]),
        request=request,
        error=error,
        working=request["status"] in WORKING,
        refresh=REFRESH_SECONDS,
        own_request=requester is not None and requester == viewer_id,
    )


async def privacy_request(visit: Visit) -> Response:
    """A privacy request: status, effects; the download; an erasure's confirmation."""
    return await _request_page(visit)


async def confirm(visit: Visit) -> Response:
    """Confirm an erasure (another administrator than the one who asked)."""
    answer = await visit.query(
        CONFIRM_ERASURE, {"request": visit.request.path_params["request_id"]}
    )
    if _request_id(answer, "confirmErasure") is None:
        return await _request_page(visit, error_of(visit, answer))
    return _to_request(visit.request.path_params["request_id"])


ROUTES = [
    Route("/people/{person_id}/export", page(export), methods=["GET", "POST"]),
    Route("/people/{person_id}/restrict", page(restrict), methods=["GET", "POST"]),
    Route("/people/{person_id}/lift", page(lift), methods=["GET", "POST"]),
    Route("/people/{person_id}/erase", page(erase), methods=["GET", "POST"]),
    Route("/people/{person_id}/rectify", page(rectify), methods=["GET", "POST"]),
    Route("/requests/{request_id}", page(privacy_request), methods=["GET"]),
    Route("/requests/{request_id}/confirm", page(confirm), methods=["POST"]),
    Route("/requests/{request_id}/download", page(download), methods=["GET"]),
]
