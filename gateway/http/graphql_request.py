"""A ``POST /graphql`` body read strictly, before authentication and before the document is
parsed: anything that is not one GraphQL request in a JSON object is refused with HTTP 400 and
``BAD_REQUEST``, with a message saying what is wrong.

Refused: a content type other than ``application/json`` (a ``charset`` other than UTF-8
included), a body that is not UTF-8, not JSON, JSON nested too deeply for the decoder, the
non-JSON constants ``NaN`` and ``Infinity``, numbers over Python's 4,300 digits, a lone UTF-16
surrogate anywhere (``"\\ud800"`` is valid JSON but not Unicode text: no database can store it),
a body that is not an object (``null``, a number, a string, an array: batches are not accepted),
``query`` missing (unless the request names a persisted document instead, see
``gateway.persisted_queries``), empty or not a string, and ``variables``, ``operationName``,
``extensions``, ``documentId`` or ``doc_id`` of the wrong type. A ``GET`` request's parameters
are checked the same way (``request_from_object``).

The work is CPU-bound (a 1 MiB body takes milliseconds to decode and search, far too long for
one step of the event loop): ``graphql_request`` is called in one of the GraphQL threads
(``gateway.limits.workers``), never on the event loop.
Lone surrogates are found by one regular expression over the body's text; only a body that has
one is walked, once, to say where it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from strawberry.http import GraphQLRequestData

JSON_MEDIA_TYPE = "application/json"


class MalformedRequestError(Exception):
    """Not a GraphQL request; ``str(error)`` is the message for the client."""


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def check_content_type(header: str | None) -> None:
    if not header:
        raise MalformedRequestError(
            f"The request has no Content-Type: send the GraphQL request as {JSON_MEDIA_TYPE}"
        )
    media_type, *parameters = (part.strip() for part in header.split(";"))
    if media_type.lower() != JSON_MEDIA_TYPE:
        raise MalformedRequestError(
            f"Content-Type {media_type[:100]!r} is not accepted: send the GraphQL request as "
            f"{JSON_MEDIA_TYPE}"
        )
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
            "utf-8",
            "utf8",
        }:
            raise MalformedRequestError("The request body must be UTF-8 (charset=utf-8)")


def _refuse_constant(name: str) -> Any:
    raise MalformedRequestError(f"The request body is not JSON: {name} is not a JSON value")


#: Matches the body's JSON text from its start up to its first lone UTF-16 surrogate escape
#: (group 1: the code point's hex digits), and fails if there is none: one scan in C, whatever
#: the body's size. JSON has backslashes only in its strings, and each starts an escape, so the
#: text is read escape by escape: ``\\`` is an escaped backslash (``\\ud800`` is the six
#: characters ``\ud800``), a high surrogate escape followed by a low one is one character (an
#: emoji), and a surrogate escape that is not part of such a pair is lone. The loop is
#: possessive, so a text without a lone surrogate fails at once rather than backtracking.
_LONE_SURROGATE_ESCAPE = re.compile(
    r"""
    (?:
        [^\\]++                                          # text without escapes
      | \\[^u]                                           # a one-character escape, \\ included
      | \\u(?![dD][89a-fA-F])                            # \u of a character, not a surrogate
      | \\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F]     # a surrogate pair
    )*+
    \\u([dD][89a-fA-F][0-9a-fA-F]{2})
    """,
    re.VERBOSE,
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _where(path: list[str | int]) -> str:
    if not path:
        return "The request body"
    text = str(path[0])
    for step in path[1:]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return f"`{text[:200]}`"


def _find_surrogate(value: object) -> tuple[list[str | int], str] | None:
    """The path and code point of the first lone surrogate in ``value`` (in document order),
    without recursion; ``None`` if there is none (a duplicate key can drop the string that had
    it). Each container visited records its parent and its step from it, so a path is built
    only for the string found: the walk costs one step per value, whatever the nesting."""
    #: (parent's index, step from the parent) of each container visited; -1: the root
    links: list[tuple[int, str | int]] = []
    stack: list[tuple[int, str | int | None, object]] = [(-1, None, value)]
    while stack:
        parent, step, item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                return _path(links, parent, step), found.group()
        elif isinstance(item, dict | list):
            links.append((parent, -1 if step is None else step))
            here = len(links) - 1
            if isinstance(item, dict):
                for key in item:
                    found = _SURROGATE.search(key)
                    if found is not None:
                        return _path(links, here, None), found.group()
                stack.extend((here, key, child) for key, child in reversed(item.items()))
            else:
                stack.extend((here, index, item[index]) for index in range(len(item) - 1, -1, -1))
    return None


def _path(links: list[tuple[int, str | int]], at: int, step: str | int | None) -> list[str | int]:
    """The steps from the root to container ``at``, then ``step`` (if any)."""
    path: list[str | int] = [] if step is None else [step]
    while at > 0:
        at, step_here = links[at]
        path.append(step_here)
    path.reverse()
    return path


def decode_body(body: bytes) -> object:
    """The JSON value of a request body, or :class:`MalformedRequestError`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequestError(
            f"The request body is not UTF-8: byte 0x{body[error.start]:02x} at offset {error.start}"
        ) from None
    if not text.strip():
        raise MalformedRequestError("The request body is empty: send a JSON object with a `query`")
    return decode_json(text)


def decode_json(text: str, where: str = "The request body") -> object:
    """The JSON value of ``text`` (a body, or a parameter of a ``GET`` request named in
    ``where``), or :class:`MalformedRequestError`."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise MalformedRequestError(
            f"{where} is not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except MalformedRequestError as error:
        raise MalformedRequestError(str(error).replace("The request body", where, 1)) from None
    except RecursionError:
        raise MalformedRequestError(f"{where}'s JSON is nested too deeply") from None
    except ValueError:  # the only other one: an integer over sys.get_int_max_str_digits()
        raise MalformedRequestError(f"{where} has a number with too many digits") from None
    if _LONE_SURROGATE_ESCAPE.match(text) is not None:
        found = _find_surrogate(value)
        if found is not None:
            path, character = found
            raise MalformedRequestError(
                f"{_where(path) if path else where} contains a lone UTF-16 surrogate "
                f"(\\u{ord(character):04x}), which is not Unicode text"
            )
    return value


@dataclass
class CheckedRequest(GraphQLRequestData):
    """A checked GraphQL request, with the id of a persisted document a client sent in place of
    its text (Relay's ``doc_id``, or ``documentId``; Apollo's hash is in ``extensions``):
    ``gateway.persisted_queries`` puts the text in ``query``."""

    document_id: str | None = None


#: the top-level members naming a persisted document by its id (Relay, GraphQL over HTTP drafts)
DOCUMENT_ID_MEMBERS = ("documentId", "doc_id")


def _has_persisted_query(extensions: object) -> bool:
    return isinstance(extensions, dict) and extensions.get("persistedQuery") is not None


def graphql_request(body: bytes) -> CheckedRequest:
    """One GraphQL request from a ``POST /graphql`` body, or :class:`MalformedRequestError`."""
    data = decode_body(body)
    if isinstance(data, list):
        raise MalformedRequestError(
            "The request body is an array: batched requests are not accepted, send one "
            "JSON object with a `query` per request"
        )
    if not isinstance(data, dict):
        raise MalformedRequestError(
            f"The request body must be a JSON object with a `query`, not {_kind(data)}"
        )
    return request_from_object(data)


def request_from_object(data: dict[str, Any]) -> CheckedRequest:
    """The request in a JSON object (a ``POST`` body, or a ``GET`` request's parameters), or
    :class:`MalformedRequestError`. ``query`` may be left out when the request names a
    persisted document instead (``extensions.persistedQuery``, ``documentId``, ``doc_id``)."""
    document_id: str | None = None
    for member in DOCUMENT_ID_MEMBERS:
        value = data.get(member)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise MalformedRequestError(
                    f"`{member}` must be a non-empty string, not {_kind(value)}"
                )
            document_id = value
    query = data.get("query")
    persisted = document_id is not None or _has_persisted_query(data.get("extensions"))
    if query is None and not persisted:
        raise MalformedRequestError("The request has no `query`: send the GraphQL document in it")
    if query is not None and not isinstance(query, str):
        raise MalformedRequestError(f"`query` must be a string, not {_kind(query)}")
    if query is not None and not query.strip():
        raise MalformedRequestError("`query` is empty: send the GraphQL document in it")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise MalformedRequestError(f"`variables` must be a JSON object, not {_kind(variables)}")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise MalformedRequestError(
            f"`operationName` must be a string, not {_kind(operation_name)}"
        )
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise MalformedRequestError(f"`extensions` must be a JSON object, not {_kind(extensions)}")
    return CheckedRequest(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        protocol="http",
        document_id=document_id,
    )
