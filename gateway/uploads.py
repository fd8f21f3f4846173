"""File uploads on ``POST /graphql``: the GraphQL multipart request spec, read by the admission.

A ``multipart/form-data`` body carries the request as JSON in the ``operations`` field (with
``null`` where each file goes), a ``map`` field (``{"0": ["variables.file"]}``) and the files
(``0``). The admission (``gateway.graphql_admission``) checks ``operations`` exactly as a JSON
body (``gateway.http.graphql_request`` and the persisted-query stage) and this module puts the
files in place of the nulls the map names.

Cross-site request forgery: a browser form can post ``multipart/form-data`` to any site without
a preflight, with the user's cookies. So a multipart request must carry a header no simple
request can: ``Apollo-Require-Preflight`` or ``GraphQL-Require-Preflight`` (any non-empty value;
the spec's recommendation, and what Apollo Client and urql send). Without one it is refused
(400, ``BAD_REQUEST``) before the body is read.

Only a known caller may send one: the admission authenticates a multipart request before it
reads any of its body (``gateway.authentication``), and refuses one without a valid bearer
token of an active person with HTTP 401 (``UNAUTHENTICATED``), the body unread. So an anonymous
client cannot make the gateway spool files.

The body limit (``gateway.http.body_limit``) lets multipart bodies of ``POST /graphql`` be
``TAVLE_MAX_FILE_BYTES`` plus 64 KiB; the JSON ``operations`` field is held to
``TAVLE_MAX_BODY_BYTES``, as a JSON body would be.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request

from config.settings import Settings
from gateway.http.graphql_request import MalformedRequestError
from gateway.persisted_queries import Resolved

MULTIPART = "multipart/form-data"
#: headers that make a browser send a preflight first (any one, non-empty)
PREFLIGHT_HEADERS = ("apollo-require-preflight", "graphql-require-preflight")
#: most files in one request
MAX_FILES = 10
#: where the read form waits for ``close_uploads`` (``request.state``)
_FORM = "tavle_upload_form"


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == MULTIPART


@dataclasses.dataclass(frozen=True)
class UploadRequest:
    operations: bytes
    files_map: dict[str, list[str]]
    files: dict[str, UploadFile]


def _preflighted(request: Request) -> bool:
    return any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS)


def check_preflight(request: Request) -> None:
    """``MalformedRequestError`` unless the request carries a preflight header."""
    if not _preflighted(request):
        raise MalformedRequestError(
            "A multipart request needs the header Apollo-Require-Preflight (or "
            "GraphQL-Require-Preflight) with any non-empty value: it keeps browser forms on "
            "other sites from posting it"
        )


async def read_upload_request(request: Request, settings: Settings) -> UploadRequest:
    """The parts of a multipart GraphQL request; ``MalformedRequestError`` for anything else."""
    check_preflight(request)
    try:
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FILES + 2, max_part_size=settings.max_body_bytes
        )
    except ClientDisconnect:
        raise  # the client left (or the body limit cut it off): nobody to answer
    except Exception as error:  # starlette's MultiPartException and the parser's errors
        raise MalformedRequestError(f"The multipart body could not be read: {error}") from None
    setattr(request.state, _FORM, form)
    operations = form.get("operations")
    files_map_text = form.get("map")
    if not isinstance(operations, str) or not operations:
        raise MalformedRequestError("The multipart request has no `operations` field")
    if not isinstance(files_map_text, str):
        raise MalformedRequestError("The multipart request has no `map` field")
    try:
        files_map = json.loads(files_map_text)
    except ValueError:
        raise MalformedRequestError("The multipart `map` field is not JSON") from None
    if not isinstance(files_map, dict) or not all(
        isinstance(paths, list) and all(isinstance(p, str) for p in paths)
        for paths in files_map.values()
    ):
        raise MalformedRequestError(
            "The multipart `map` must be an object of lists of paths, like "
            '{"0": ["variables.file"]}'
        )
    files: dict[str, UploadFile] = {}
    for name in files_map:
        found = form.get(name)
        if not isinstance(found, UploadFile):
            raise MalformedRequestError(f"The multipart `map` names a file {name[:50]!r} not sent")
        files[name] = found
    return UploadRequest(operations.encode("utf-8"), files_map, files)


async def close_uploads(request: Request) -> None:
    """Close the files of an upload request once it has been answered (their spooled copies,
    in memory or in a temporary file, go with them)."""
    form = getattr(request.state, _FORM, None)
    if form is not None:
        await form.close()


def _put(variables: dict[str, Any], path: str, value: UploadFile) -> None:
    steps = path.split(".")
    if len(steps) < 2 or steps[0] != "variables":
        raise MalformedRequestError(f"A file can only go into a variable, not {path[:100]!r}")
    target: Any = variables
    for step in steps[1:-1]:
        try:
            target = target[int(step)] if isinstance(target, list) else target[step]
        except (KeyError, IndexError, ValueError, TypeError):
            raise MalformedRequestError(
                f"The path {path[:100]!r} is not in the variables"
            ) from None
    last = steps[-1]
    try:
        if isinstance(target, list):
            index = int(last)
            if target[index] is not None:
                raise KeyError(last)
            target[index] = value
        elif isinstance(target, dict) and last in target and target[last] is None:
            target[last] = value
        else:
            raise KeyError(last)
    except (KeyError, IndexError, ValueError):
        raise MalformedRequestError(
            f"The path {path[:100]!r} must name a null placeholder in the variables"
        ) from None


def with_files(resolved: Resolved, upload: UploadRequest) -> Resolved:
    """``resolved`` with each file in place of the placeholder(s) the map names."""
    variables = copy.deepcopy(resolved.request.variables or {})
    for name, paths in upload.files_map.items():
        for path in paths:
            _put(variables, path, upload.files[name])
    return dataclasses.replace(
        resolved, request=dataclasses.replace(resolved.request, variables=variables)
    )
