"""Persisted queries: a document sent by its id instead of its text, and the safelist.

``TAVLE_PERSISTED_QUERIES`` chooses the mode (docs/interfaces.md, "Persisted queries"):

- ``apq`` (the default): Apollo's Automatic Persisted Queries. A request with
  ``extensions.persistedQuery {version: 1, sha256Hash}`` and no ``query`` runs the document
  remembered under that hash; an unknown hash answers ``PersistedQueryNotFound``
  (``PERSISTED_QUERY_NOT_FOUND``, HTTP 200, never cached), and the client sends the hash again
  with the text. The text's sha256 (hex) must be the hash (``BAD_USER_INPUT``, ``provided sha
  does not match query``); a document that parses is then remembered. The store is a bounded
  LRU in the process (``TAVLE_PERSISTED_QUERY_CACHE_SIZE`` documents): each server process
  learns documents on its own, and a process that has not seen one answers "not found", which
  the protocol's retry turns into one more request.
- ``safelist``: only the operations of ``TAVLE_PERSISTED_QUERY_MANIFEST`` run. A request names
  one by its id (``extensions.persistedQuery.sha256Hash``, or Relay's ``doc_id`` /
  ``documentId``) or sends exactly its text; anything else is refused before it is parsed, with
  ``PERSISTED_QUERY_NOT_LISTED`` (HTTP 400). The manifest is read once at start: Apollo's
  persisted query manifest (``generate-persisted-query-manifest``) or Relay's
  ``persisted-queries.json``; a missing or broken one stops the gateway from starting
  (:class:`ManifestError`).
- ``off``: every request sends its text; one naming a persisted document answers
  ``PersistedQueryNotSupported`` (``PERSISTED_QUERY_NOT_SUPPORTED``, HTTP 200), on which
  Apollo's client stops sending hashes.

A subscription started over the WebSocket is held to the same rules as a request body, in every
mode: its ``subscribe`` payload may name a persisted document the same ways
(:meth:`PersistedQueries.over_websocket`).

A ``GET /graphql`` request (Apollo's ``useGETForHashedQueries``) must name a persisted
document, and may only run a query: a mutation is refused with 405 (:meth:`PersistedQueries.
after_parse`). Its answer says who may cache it (:class:`GetCacheHeaders`).

Resolving runs in one of the GraphQL threads with the request's JSON checks (hashing a large
text takes a while); only the store is shared between them, under a lock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import Message, Scope, Send

from config.settings import Settings
from gateway.http.errors import BAD_REQUEST, METHOD_NOT_ALLOWED, refuse
from gateway.http.graphql_request import (
    DOCUMENT_ID_MEMBERS,
    CheckedRequest,
    MalformedRequestError,
    decode_json,
    graphql_request,
    request_from_object,
)
from gateway.limits.tokens import ParsedDocument

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_NOT_LISTED = "PERSISTED_QUERY_NOT_LISTED"
BAD_USER_INPUT = "BAD_USER_INPUT"
#: the format name in an Apollo persisted query manifest
APOLLO_MANIFEST = "apollo-persisted-query-manifest"
#: characters of text the APQ store holds at most, whatever its number of entries
STORE_CHARACTERS = 8_000_000
#: seconds a shared cache may keep an anonymous ``GET`` answer without errors
PUBLIC_MAX_AGE = 60
#: the answer to a ``GET`` that must not be kept anywhere (an error, a refusal, "not found")
NO_STORE = "no-store"
#: the answer to a ``GET`` with an ``Authorization`` header: the browser only, checked each time
PRIVATE = "private, no-cache"
#: the request headers a GET answer depends on: who asks, the media type, and the language the
#: privacy notice is given in for an anonymous caller (config.language)
_VARY = ("Authorization", "Accept", "Accept-Language")

GET_MUTATION_REFUSED = (
    "A {kind} cannot be sent with GET: POST /graphql with a JSON body. GET runs persisted "
    "queries only"
)


class PersistedQueryError(Exception):
    """A request the persisted-query stage answers itself: its status, code and message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def response(self) -> JSONResponse:
        return refuse(self.status, self.code, self.message, headers=self.headers)


def _not_found() -> PersistedQueryError:
    # HTTP 200 and the message Apollo's client looks for; never cached, since the client is
    # about to send the text and the same request will then be answered.
    return PersistedQueryError(
        200,
        PERSISTED_QUERY_NOT_FOUND,
        "PersistedQueryNotFound",
        {"Cache-Control": "private, no-cache, must-revalidate"},
    )


def _not_supported() -> PersistedQueryError:
    return PersistedQueryError(
        200,
        PERSISTED_QUERY_NOT_SUPPORTED,
        "PersistedQueryNotSupported",
        {"Cache-Control": "private, no-cache, must-revalidate"},
    )


def _not_listed(what: str) -> PersistedQueryError:
    return PersistedQueryError(
        400,
        PERSISTED_QUERY_NOT_LISTED,
        f"{what} is not in this gateway's list of allowed operations: only the operations of "
        "its persisted query manifest run",
    )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ManifestError(Exception):
    """The safelist's manifest is missing or broken; ``str(error)`` says what and where."""


@dataclass(frozen=True)
class Manifest:
    """The operations a safelist allows: by id, and their texts."""

    by_id: Mapping[str, str]
    texts: frozenset[str]
    format: str


def _apollo_operations(data: dict[str, Any], path: Path) -> dict[str, str]:
    if data.get("version") != 1:
        raise ManifestError(
            f"{path}: an Apollo persisted query manifest of version {data.get('version')!r}; "
            "version 1 is read"
        )
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{path}: `operations` must be a list")
    by_id: dict[str, str] = {}
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ManifestError(f"{path}: operations[{index}] is not an object")
        operation_id, body = operation.get("id"), operation.get("body")
        if not isinstance(operation_id, str) or not operation_id:
            raise ManifestError(f"{path}: operations[{index}] has no `id` (a string)")
        if not isinstance(body, str) or not body.strip():
            raise ManifestError(f"{path}: operation {operation_id!r} has no `body` (a string)")
        if by_id.get(operation_id, body) != body:
            raise ManifestError(f"{path}: two operations with the id {operation_id!r}")
        by_id[operation_id] = body
    return by_id


def _relay_operations(data: dict[str, Any], path: Path) -> dict[str, str]:
    for operation_id, body in data.items():
        if not isinstance(body, str) or not body.strip():
            raise ManifestError(
                f"{path}: the value of {operation_id[:100]!r} is not a GraphQL document; a Relay "
                'persisted-queries.json maps ids to texts ({"<id>": "<text>"}), an Apollo '
                f'manifest has "format": "{APOLLO_MANIFEST}"'
            )
    return dict(data)


def load_manifest(path: Path) -> Manifest:
    """The manifest at ``path`` (either format), every document in it parsed, or
    :class:`ManifestError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ManifestError(f"{path}: cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ManifestError(f"{path}: is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: must be a JSON object (an Apollo or a Relay manifest)")
    if data.get("format") == APOLLO_MANIFEST:
        by_id, kind = _apollo_operations(data, path), "apollo"
    else:
        by_id, kind = _relay_operations(data, path), "relay"
    if not by_id:
        raise ManifestError(f"{path}: lists no operations, so nothing could run")
    for operation_id, body in by_id.items():
        try:
            parse(body)
        except GraphQLError as error:
            raise ManifestError(
                f"{path}: operation {operation_id!r} is not a GraphQL document ({error.message})"
            ) from None
    return Manifest(by_id=by_id, texts=frozenset(by_id.values()), format=kind)


class DocumentStore:
    """Documents by hash: a thread-safe LRU bounded in entries and in characters of text."""

    def __init__(self, entries: int, characters: int = STORE_CHARACTERS) -> None:
        self.entries = entries
        self.characters = characters
        self._lock = threading.Lock()
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._size = 0

    def get(self, key: str) -> str | None:
        with self._lock:
            text = self._texts.get(key)
            if text is not None:
                self._texts.move_to_end(key)
            return text

    def put(self, key: str, text: str) -> None:
        if len(text) > self.characters // 4:
            return  # one document may not push out most of the others
        with self._lock:
            if key in self._texts:
                self._texts.move_to_end(key)
                return
            self._texts[key] = text
            self._size += len(text)
            while len(self._texts) > self.entries or self._size > self.characters:
                _key, dropped = self._texts.popitem(last=False)
                self._size -= len(dropped)

    def __len__(self) -> int:
        return len(self._texts)


@dataclass(frozen=True)
class Resolved:
    """A request with its document's text, what the persisted-query stage learnt about it."""

    request: CheckedRequest
    #: the hash to remember the text under once it parsed (``apq``: hash and text both sent)
    remember: str | None = None
    #: the request named a persisted document (a ``GET`` must)
    by_id: bool = False


def _persisted_query(request: CheckedRequest) -> str | None:
    """The hash of ``extensions.persistedQuery``, checked; None without one."""
    found = (request.extensions or {}).get("persistedQuery")
    if found is None:
        return None
    if not isinstance(found, dict):
        raise PersistedQueryError(
            400, BAD_REQUEST, "`extensions.persistedQuery` must be a JSON object"
        )
    if found.get("version") != 1:
        raise PersistedQueryError(
            400,
            BAD_REQUEST,
            f"Unsupported persisted query version {found.get('version')!r}: send version 1",
        )
    key = found.get("sha256Hash")
    if not isinstance(key, str) or not key:
        raise PersistedQueryError(
            400, BAD_REQUEST, "`extensions.persistedQuery.sha256Hash` must be a non-empty string"
        )
    return key


class PersistedQueries:
    """The persisted-query stage of ``/graphql`` in one mode (the module's docstring)."""

    def __init__(
        self, mode: str = "apq", cache_size: int = 1000, manifest: Manifest | None = None
    ) -> None:
        if mode == "safelist" and manifest is None:
            raise ManifestError("the safelist mode needs a manifest")
        self.mode = mode
        self.manifest = manifest
        self.store = DocumentStore(cache_size)

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedQueries:
        """The stage the settings ask for; :class:`ManifestError` if the safelist's manifest
        is missing or broken."""
        manifest = None
        if settings.persisted_queries == "safelist":
            path = settings.persisted_query_manifest
            if path is None:
                raise ManifestError(
                    "TAVLE_PERSISTED_QUERIES=safelist needs TAVLE_PERSISTED_QUERY_MANIFEST"
                )
            try:
                manifest = load_manifest(path)
            except ManifestError as error:
                raise ManifestError(f"TAVLE_PERSISTED_QUERY_MANIFEST {error}") from None
        return cls(settings.persisted_queries, settings.persisted_query_cache_size, manifest)

    # --- requests -------------------------------------------------------------------------------

    def admit_post(self, body: bytes) -> Resolved:
        """A ``POST`` body checked (``gateway.http.graphql_request``) and resolved."""
        return self.resolve(graphql_request(body))

    def admit_get(self, parameters: Mapping[str, str]) -> Resolved:
        """A ``GET`` request's parameters checked and resolved; it must name a persisted
        document."""
        data: dict[str, Any] = {}
        for name in ("query", "operationName", *DOCUMENT_ID_MEMBERS):
            if name in parameters:
                data[name] = parameters[name]
        for name in ("variables", "extensions"):
            if parameters.get(name):
                data[name] = decode_json(parameters[name], f"The `{name}` parameter")
        resolved = self.resolve(request_from_object(data))
        if not resolved.by_id:
            raise MalformedRequestError(
                "A GET request must name a persisted query (extensions.persistedQuery, "
                "documentId or doc_id); send other queries with POST"
            )
        return resolved

    def resolve(self, request: CheckedRequest) -> Resolved:
        """The request with its document's text, or :class:`PersistedQueryError`."""
        hashed = _persisted_query(request)
        key = hashed if hashed is not None else request.document_id
        if self.mode == "off":
            if key is not None:
                raise _not_supported()
            return Resolved(request)
        if self.mode == "safelist":
            return self._listed(request, key, hashed is not None)
        if key is None:
            return Resolved(request)
        if request.query is None:
            text = self.store.get(key.lower() if hashed is not None else key)
            if text is None:
                raise _not_found()
            return Resolved(replace(request, query=text), by_id=True)
        if hashed is None:
            # A document id sent with a text: the text runs only when the id is its SHA-256
            # hash (as an ``extensions.persistedQuery`` hash would be). Anything else could pass
            # any text off as persisted (a GET must name a persisted document).
            if sha256_hex(request.query) != key.lower():
                raise PersistedQueryError(
                    400, BAD_USER_INPUT, "provided document id does not match query"
                )
            return Resolved(request, remember=key.lower(), by_id=True)
        if sha256_hex(request.query) != hashed.lower():
            raise PersistedQueryError(400, BAD_USER_INPUT, "provided sha does not match query")
        return Resolved(request, remember=hashed.lower(), by_id=True)

    def _listed(self, request: CheckedRequest, key: str | None, hashed: bool) -> Resolved:
        assert self.manifest is not None
        if key is None:
            assert request.query is not None  # a request without an id has its text
            if request.query not in self.manifest.texts:
                raise _not_listed("The document sent")
            return Resolved(request)
        text = self.manifest.by_id.get(key)
        if text is None:
            raise _not_listed(f"The operation id {key[:100]!r}")
        if request.query is not None and request.query != text:
            what = "sha" if hashed else "document id"
            message = f"provided {what} does not match query"
            raise PersistedQueryError(400, BAD_USER_INPUT, message)
        return Resolved(replace(request, query=text), by_id=True)

    def over_websocket(self, payload: Mapping[str, object]) -> Mapping[str, object]:
        """A ``subscribe`` message's payload as it is to run, or :class:`PersistedQueryError`:
        the same rules as over HTTP, so the socket is no way around them. A payload naming a
        persisted document (``extensions.persistedQuery``, ``documentId``, ``doc_id``) gets the
        document's text; in ``safelist`` mode any other text is refused. In ``apq`` mode a hash
        sent with its text is checked but not remembered: the text is parsed only by the
        operation's own parse, under the operation limits (a document is remembered over HTTP,
        where it is parsed within them first). A payload that is malformed as a request body
        is returned as it came for the protocol handler to refuse, except in ``safelist`` mode
        (``BAD_REQUEST``)."""
        try:
            request = request_from_object(dict(payload))
        except MalformedRequestError as error:
            if self.mode == "safelist":
                raise PersistedQueryError(400, BAD_REQUEST, str(error)) from error
            return payload
        resolved = self.resolve(request)
        return {**payload, "query": resolved.request.query}

    def after_parse(
        self, resolved: Resolved, parsed: ParsedDocument | None, method: str
    ) -> PersistedQueryError | None:
        """Once the document parsed: remember it (``apq``), and refuse an operation other than
        a query sent with ``GET`` (405)."""
        if parsed is None or parsed.document is None:
            return None
        if resolved.remember is not None and resolved.request.query is not None:
            self.store.put(resolved.remember, resolved.request.query)
        if method == "GET":
            operation = get_operation_ast(parsed.document, resolved.request.operation_name)
            if operation is not None and operation.operation != OperationType.QUERY:
                return PersistedQueryError(
                    405,
                    METHOD_NOT_ALLOWED,
                    GET_MUTATION_REFUSED.format(kind=operation.operation.value),
                    {"Allow": "POST"},
                )
        return None


def refusal_as_graphql_error(error: PersistedQueryError) -> GraphQLError:
    """The refusal as a GraphQL error (a WebSocket ``error`` message carries no status)."""
    return GraphQLError(error.message, extensions={"code": error.code})


def names_persisted_query(parameters: Mapping[str, str]) -> bool:
    """Whether a ``GET`` request's parameters name a persisted document (not a GraphiQL page)."""
    return any(name in parameters for name in ("extensions", *DOCUMENT_ID_MEMBERS))


class GetCacheHeaders:
    """The answer to a persisted ``GET``, with who may keep it (``send`` wrapped).

    It varies with ``Authorization`` (and ``Accept``, which picks the media type, and
    ``Accept-Language``, which picks the language of the privacy notice). A ``200``
    without errors to a request without ``Authorization`` may be kept by shared caches (a CDN)
    for :data:`PUBLIC_MAX_AGE` seconds: it is the same for every anonymous caller. One to an
    authenticated caller is ``private, no-cache`` (a shared cache never keeps it, the browser
    asks again each time); any other answer (an error, a refusal, "not found") is
    ``no-store``.
    """

    def __init__(self, scope: Scope, send: Send) -> None:
        self.send = send
        self.authenticated = "authorization" in Headers(scope=scope)
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self.chunks)
        start, self.start = self.start, None
        await self.send(self._with_headers(start, body))
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    def _with_headers(self, start: Message, body: bytes) -> Message:
        headers = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() not in (b"cache-control", b"vary")
        ]
        vary = [
            value.decode("latin-1")
            for name, value in start.get("headers", [])
            if name.lower() == b"vary"
        ]
        vary_names = {v.strip().lower() for line in vary for v in line.split(",")}
        vary += [name for name in _VARY if name.lower() not in vary_names]
        if start["status"] != 200 or b'"errors"' in body:
            control = NO_STORE
        elif self.authenticated:
            control = PRIVATE
        else:
            control = f"public, max-age={PUBLIC_MAX_AGE}"
        headers.append((b"cache-control", control.encode("latin-1")))
        headers.append((b"vary", ", ".join(vary).encode("latin-1")))
        return {**start, "headers": headers}
