"""A ``POST /graphql`` body read strictly, before authentication and before the document is
parsed: anything that is not one GraphQL request in a JSON object is refused with HTTP 400 and
``BAD_REQUEST``, with a message saying what is wrong.

Refused: a content type other than ``application/json`` (a ``charset`` other than UTF-8
included), a body that is not UTF-8, not JSON, JSON nested too deeply for the decoder, the
non-JSON constants ``NaN`` and ``Infinity``, numbers over Python's 4,300 digits, a lone UTF-16
surrogate anywhere (``"\\ud800"`` is valid JSON but not Unicode text: no database can store it),
a body that is not an object (``null``, a number, a string, an array: batches are not accepted),
``query`` missing, empty or not a string, and ``variables``, ``operationName`` or
``extensions`` of the wrong type.
"""

from __future__ import annotations

import json
import re
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


#: a JSON escape of a UTF-16 surrogate; only these can put a surrogate into a decoded string
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _where(path: list[str | int]) -> str:
    if not path:
        return "The request body"
    text = str(path[0])
    for step in path[1:]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return f"`{text[:200]}`"


def _find_surrogate(value: object) -> tuple[list[str | int], str] | None:
    """The path and code point of the first lone surrogate in ``value``, without recursion."""
    stack: list[tuple[list[str | int], object]] = [([], value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                return path, found.group()
        elif isinstance(item, dict):
            for key, child in item.items():
                found = _SURROGATE.search(key)
                if found is not None:
                    return path, found.group()
                stack.append(([*path, key], child))
        elif isinstance(item, list):
            stack.extend(([*path, index], child) for index, child in enumerate(item))
    return None


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
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise MalformedRequestError(
            f"The request body is not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise MalformedRequestError("The request body's JSON is nested too deeply") from None
    except ValueError:  # the only other one: an integer over sys.get_int_max_str_digits()
        raise MalformedRequestError("The request body has a number with too many digits") from None
    if _SURROGATE_ESCAPE.search(text) is not None:
        found = _find_surrogate(value)
        if found is not None:
            path, character = found
            raise MalformedRequestError(
                f"{_where(path)} contains a lone UTF-16 surrogate (\\u{ord(character):04x}), "
                "which is not Unicode text"
            )
    return value


def graphql_request(body: bytes) -> GraphQLRequestData:
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
    query = data.get("query")
    if query is None:
        raise MalformedRequestError("The request has no `query`: send the GraphQL document in it")
    if not isinstance(query, str):
        raise MalformedRequestError(f"`query` must be a string, not {_kind(query)}")
    if not query.strip():
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
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        protocol="http",
    )
