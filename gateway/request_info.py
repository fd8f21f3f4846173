"""What the gateway notes about the request it is serving, for the request's log line and metrics.

The request middleware (``gateway.request_observer``) puts a :class:`RequestInfo` into a context
variable; the GraphQL layer fills in the operation and the caller, and the engine event counts SQL
statements into it. Tasks and SQLAlchemy's greenlets copy or share the context, and they all see
the same object, so a count made deep inside a DataLoader batch lands on the right request.

Only internal ids, names chosen by the client application (operation names) and codes go in here,
never personal data.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

from graphql import GraphQLError

#: An incoming ``X-Request-Id`` is used when it is 1-128 characters of this set (UUIDs, ULIDs,
#: proxies' ids); anything else is replaced by a generated id.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
#: Operation names longer than this are cut wherever they are written: log lines (the request's
#: and the refusals'), spans and metric labels (a GraphQL name has no length limit of its own).
MAX_OPERATION_NAME = 100


@dataclass
class RequestInfo:
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    #: the trace id (32 hex digits) of the request's span, or of the caller's trace
    trace_id: str | None = None
    #: the executed operation's name as written in the document; None when anonymous or unparsed
    operation: str | None = None
    #: ``query``, ``mutation`` or ``subscription`` once the document parsed
    operation_type: str | None = None
    #: the authenticated caller's internal person id
    person_id: int | None = None
    #: the document passed the operation limits and validation (``gateway.limits.extension``)
    validated: bool = False
    #: SQL statements executed for this request (all engines the gateway instruments)
    statements: int = 0
    #: ``ok``, ``partial`` (data and field errors) or ``error`` (errors only) once a GraphQL
    #: result exists
    graphql_outcome: str | None = None
    #: the ``extensions.code`` of each error in the GraphQL result
    error_codes: list[str] = field(default_factory=list)
    #: set once the request's line is written: contexts copied during the request (a timer
    #: uvicorn schedules as the response goes out, a task the request started) outlive it, and
    #: what runs in them later is not part of the request
    done: bool = False


_current: ContextVar[RequestInfo | None] = ContextVar("tavle_request", default=None)


def current_request() -> RequestInfo | None:
    """The request being served in this context, or None (jobs, start-up, command line)."""
    info = _current.get()
    return None if info is None or info.done else info


def begin_request(info: RequestInfo) -> Token[RequestInfo | None]:
    """Make ``info`` the current request; returns the token for :func:`end_request`."""
    return _current.set(info)


def end_request(token: Token[RequestInfo | None]) -> None:
    _current.reset(token)


def count_statement() -> None:
    """One more SQL statement for the current request (called from the engine event)."""
    info = _current.get()
    if info is not None and not info.done:
        info.statements += 1


def acceptable_request_id(value: str | None) -> str | None:
    """``value`` when it is a sane request id, else None."""
    if value is not None and REQUEST_ID.fullmatch(value):
        return value
    return None


def operation_name(name: str | None) -> str | None:
    """An operation name as logged and traced: cut to :data:`MAX_OPERATION_NAME` characters."""
    if not name:
        return None
    return name[:MAX_OPERATION_NAME]


def note_graphql_result(has_data: bool, errors: Sequence[GraphQLError] | None) -> None:
    """The GraphQL response of the current request: its outcome and error codes (called with
    the errors as they leave, each with its ``extensions.code``)."""
    info = current_request()
    if info is None:
        return
    info.error_codes = [str((error.extensions or {}).get("code", "")) for error in errors or ()]
    if not info.error_codes:
        info.graphql_outcome = "ok"
    else:
        info.graphql_outcome = "partial" if has_data else "error"
