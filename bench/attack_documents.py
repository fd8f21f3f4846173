"""What a hostile caller sends the gateway, as ready-made HTTP requests.

Each builder returns an :class:`Attack`: one request (method, path, content type, body; or a burst
of the same request for a flood) and the answer docs/security.md requires for it. The load
benchmark's attacker (``bench/load.py --attack``) sends :func:`all_attacks` in a loop while the
normal clients work; tests can send the same requests and check them with :func:`classify`.
This module imports nothing from the gateway, so a test reaches it by putting the repository's
``bench`` folder on ``sys.path`` and importing ``attack_documents``.

The documents are built to be as bad as the gateway's limits allow them to be: an exponential
document has a cost far beyond any limit (``8`` levels of two aliased ``first: 500`` lists), so
on a gateway *without* a cost limit it really runs for minutes and uses gigabytes; send it only
to a gateway that has its limits, or with fewer ``levels``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"

#: The outcome of one attack request (see :func:`classify`).
AS_REQUIRED = "as required"
RATE_LIMITED = "rate limited (429)"
REFUSED_OTHERWISE = "refused, other answer"
EXECUTED = "executed"
SERVER_ERROR = "server error"

#: The GraphQL error codes of the operation limits that refuse a document before execution
#: (gateway/limits/refusal.py).
DOCUMENT_LIMIT_CODES = frozenset(
    {
        "QUERY_TOO_COMPLEX",
        "QUERY_TOO_DEEP",
        "TOO_MANY_ALIASES",
        "TOO_MANY_FIELDS",
        "TOO_MANY_TOKENS",
        "TOO_MANY_MUTATIONS",
    }
)
#: GraphQL error codes that mean "refused before execution" for a document the limits catch;
#: which one a document meets first depends on the order of the checks (validation's own rules
#: included), so an attack that several limits catch accepts any of them.
LIMIT_CODES = DOCUMENT_LIMIT_CODES | {"GRAPHQL_VALIDATION_FAILED"}


@dataclass(frozen=True)
class Attack:
    """One hostile request and what the gateway must answer to it."""

    name: str
    #: what is sent, in a few words
    description: str
    #: the required answer, in words (docs/security.md)
    required: str
    body: bytes | None = None
    method: str = "POST"
    path: str = "/graphql"
    content_type: str | None = JSON
    #: sent with the attacker's bearer token (an authenticated pupil trying things)
    authenticated: bool = True
    #: HTTP statuses that are the required answer
    statuses: frozenset[int] = frozenset()
    #: GraphQL ``extensions.code`` values that are the required answer
    codes: frozenset[str] = frozenset()
    #: send the body as a chunked stream (no Content-Length), as a client that lies about size
    chunked: bool = False
    #: a flood: the same request this many times, ``concurrency`` at once
    repeat: int = 1
    concurrency: int = 1
    #: extra headers (an Origin for the CSRF checks, for example)
    extra_headers: tuple[tuple[str, str], ...] = ()

    def headers(self, token: str | None) -> dict[str, str]:
        sent = dict(self.extra_headers)
        if self.content_type is not None:
            sent["Content-Type"] = self.content_type
        if self.authenticated and token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return sent


@dataclass
class Outcome:
    """What came back for one attack request."""

    kind: str
    status: int
    codes: tuple[str, ...] = field(default_factory=tuple)


def _body(query: str, variables: dict[str, Any] | None = None, name: str | None = None) -> bytes:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    if name is not None:
        payload["operationName"] = name
    return json.dumps(payload).encode()


# --- documents that cost too much -------------------------------------------------------------


def exponential_document(levels: int = 8, first: int = 500) -> str:
    """Aliases x fragments x nested lists: each fragment level selects two aliased
    ``assignments(first:)`` lists whose items lead back to their course and the next level, so
    the expanded selection has ``2**levels`` branches of ``first**levels`` items; the text stays
    near 1-2 KB."""
    fragments = []
    for level in range(levels):
        inner = f"...L{level + 1}" if level + 1 < levels else "id name"
        branch = f"assignments(first: {first}) {{ edges {{ node {{ course {{ {inner} }} }} }} }}"
        fragments.append(f"fragment L{level} on Course {{ a: {branch} b: {branch} }}")
    root = f"courses(first: {first}) {{ edges {{ node {{ ...L0 }} }} }}"
    return f"query Exponential {{ viewer {{ {root} }} }}\n" + "\n".join(fragments)


def exponential_aliases(levels: int = 8, first: int = 500) -> Attack:
    return Attack(
        name="exponential",
        description=f"{levels} levels of aliased fragments over first:{first} lists",
        required="refused before execution (cost, depth or alias limit), in milliseconds",
        body=_body(exponential_document(levels, first), name="Exponential"),
        statuses=frozenset({400}),
        codes=LIMIT_CODES,
    )


def costly_document(first: int = 500) -> str:
    """Three nested lists of ``first`` items, no alias, ten levels deep: within the depth,
    alias and field limits, only the cost analysis (``first**3`` items) can refuse it."""
    return (
        f"query Costly {{ courses(first: {first}) {{ edges {{ node {{ "
        f"students(first: {first}) {{ edges {{ node {{ "
        f"courses(first: {first}) {{ edges {{ node {{ id }} }} }} }} }} }} }} }} }} }}"
    )


def costly(first: int = 500) -> Attack:
    return Attack(
        name="costly",
        description=f"courses x students x courses, first:{first} each",
        required="refused before execution, QUERY_TOO_COMPLEX with extensions.cost and .limit",
        body=_body(costly_document(first), name="Costly"),
        codes=frozenset({"QUERY_TOO_COMPLEX"}),
    )


def many_aliases(
    count: int = 600,
    selection: str = "privacyNotice { controller }",
    name: str = "aliases-public",
) -> Attack:
    """Many aliases of one field; by default the public ``privacyNotice``, sent anonymously.

    600 stay under the default token limit (5000), so the alias cap is what meets them; a few
    thousand (``count=5000``) already meet the token limit."""
    public = selection.startswith("privacyNotice")
    aliases = " ".join(f"a{n}: {selection}" for n in range(count))
    return Attack(
        name=name,
        description=f"{count} aliases of {selection.split()[0]}"
        + (" (anonymous)" if public else ""),
        required="refused before execution (alias / field-count cap, token limit, cost limit)",
        body=_body(f"query Aliases {{ {aliases} }}", name="Aliases"),
        authenticated=not public,
        statuses=frozenset({400}),
        codes=LIMIT_CODES,
    )


def many_expensive_aliases(count: int = 100) -> Attack:
    """Aliases of an expensive selection (two nested lists of 500)."""
    selection = (
        "viewer { courses(first: 500) { edges { node { students(first: 500) { totalCount } } } } }"
    )
    return many_aliases(count, selection, name="aliases-expensive")


def cheap_fields(count: int = 1200) -> Attack:
    """A thousand and more aliased ``__typename`` (graphql-cop's field duplication, scaled up)."""
    fields = " ".join(f"t{n}: __typename" for n in range(count))
    return Attack(
        name="aliases-typename",
        description=f"{count} aliased __typename",
        required="refused before execution (alias / field-count cap)",
        body=_body(f"query Cheap {{ {fields} }}", name="Cheap"),
        statuses=frozenset({400}),
        codes=LIMIT_CODES,
    )


def deep_nesting(depth: int = 60) -> Attack:
    """``viewer { courses { edges { node { students { edges { node { courses ...`` to ``depth``
    levels (``first: 1``, so the data stays small: only the depth limit can refuse it)."""
    blocks = max(1, depth // 6)
    opening = "courses(first: 1) { edges { node { students(first: 1) { edges { node { " * blocks
    query = "query Deep { viewer { " + opening + "id " + "} } } } } } " * blocks + "} }"
    return Attack(
        name="deep",
        description=f"selections nested {blocks * 6 + 1} levels deep",
        required="refused by the depth limit (default 15)",
        body=_body(query, name="Deep"),
        codes=LIMIT_CODES,
    )


def circular_introspection(depth: int = 20) -> Attack:
    """graphql-cop's circular introspection query, deeper."""
    inner = "name"
    for _ in range(depth):
        inner = f"fields {{ type {{ {inner} }} }}"
    return Attack(
        name="introspection-circular",
        description=f"__schema types -> fields -> type x{depth}",
        required="refused (introspection's own depth rule, the depth limit; introspection is "
        "off in production)",
        body=_body(f"query Circular {{ __schema {{ types {{ {inner} }} }} }}", name="Circular"),
        codes=LIMIT_CODES,
    )


def directive_overloading(count: int = 500) -> Attack:
    directives = "@skip(if: false)" * count
    return Attack(
        name="directives",
        description=f"{count} repeated @skip directives on one field",
        required="refused by validation (unique directives), bounded error list",
        body=_body(f"query Directives {{ __typename {directives} }}", name="Directives"),
        statuses=frozenset({400}),
        codes=LIMIT_CODES,
    )


# --- documents and bodies that are too big --------------------------------------------------


def huge_body(size: int = 2 * 1024 * 1024) -> Attack:
    padding = "x" * size
    return Attack(
        name="huge-body",
        description=f"a {size // 1024} KiB JSON body (Content-Length)",
        required="HTTP 413 before parsing",
        body=_body("query Huge { __typename }", {"padding": padding}, name="Huge"),
        statuses=frozenset({413}),
        codes=frozenset({"PAYLOAD_TOO_LARGE"}),
    )


def huge_body_chunked(size: int = 2 * 1024 * 1024) -> Attack:
    attack = huge_body(size)
    return Attack(
        name="huge-body-chunked",
        description=f"a {size // 1024} KiB JSON body, chunked (no Content-Length)",
        required="HTTP 413 once the limit is passed, without reading the rest",
        body=attack.body,
        statuses=attack.statuses,
        chunked=True,
    )


def many_tokens(count: int = 80000) -> Attack:
    """Under the body limit, over any sensible parser token limit."""
    return Attack(
        name="tokens",
        description=f"{count} tokens in {count * 11 // 1024} KiB",
        required="HTTP 400 from the parser's token limit, before authentication work",
        body=_body("query Tokens { " + "__typename " * count + "}", name="Tokens"),
        statuses=frozenset({400}),
        codes=frozenset({"TOO_MANY_TOKENS"}),
    )


def many_mutations(count: int = 50) -> Attack:
    fields = " ".join(
        f'p{n}: setPreference(key: "theme", value: "dark") {{ key }}' for n in range(count)
    )
    return Attack(
        name="mutations",
        description=f"{count} root mutation fields in one request",
        required="refused: at most 10 root mutation fields per request",
        body=_body(f"mutation Many {{ {fields} }}", name="Many"),
        statuses=frozenset({400}),
        codes=LIMIT_CODES,
    )


def batch(count: int = 100) -> Attack:
    """A JSON array of operations (graphql-cop's array batching)."""
    body = json.dumps([{"query": "query Batch { __typename }"}] * count).encode()
    return Attack(
        name="batch",
        description=f"a JSON array of {count} operations",
        required="refused (no batching)",
        body=body,
        statuses=frozenset({400}),
    )


# --- malformed requests --------------------------------------------------------------------


def malformed_requests() -> list[Attack]:
    """Bodies and values that must answer 400 or BAD_USER_INPUT, never 500."""
    required = "HTTP 400 or BAD_USER_INPUT, never 500 or INTERNAL_SERVER_ERROR"
    bad_request = frozenset({400})
    bad_input = frozenset({"BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})
    nested = "[" * 100000 + "]" * 100000
    event = (
        'mutation Event($s: DateTime!, $e: DateTime!) { createCalendarEvent(title: "Prøve", '
        "startsAt: $s, endsAt: $e) { id } }"
    )
    node = "query Node($id: ID!) { node(id: $id) { id } }"

    def make(name: str, description: str, body: bytes, content_type: str | None = JSON) -> Attack:
        return Attack(
            name=name,
            description=description,
            required=required,
            body=body,
            content_type=content_type,
            statuses=bad_request,
            codes=bad_input,
        )

    return [
        make("not-utf8", "a body that is not UTF-8", b'{"query": "{ __typename \xff\xfe }"}'),
        make("json-null", "the JSON body null", b"null"),
        make("json-array-empty", "the JSON body []", b"[]"),
        make("json-number", "the JSON body 42", b"42"),
        make(
            "json-deep",
            "variables nested 100000 arrays deep",
            b'{"query": "query Deep($v: String) { __typename }", "variables": {"v": '
            + nested.encode()
            + b"}}",
        ),
        make(
            "surrogate",
            "a lone surrogate in the document",
            b'{"query": "query Surrogate { viewer { displayName } } # \\ud800"}',
        ),
        make(
            "surrogate-variable",
            "a lone surrogate in a variable",
            _body(
                'mutation Pref($v: String) { setPreference(key: "theme", value: $v) { key } }',
                {"v": "dark\ud800"},
            ),
        ),
        make(
            "naive-datetime",
            "a naive date-time next to one with a time zone",
            _body(event, {"s": "2031-03-01T08:00:00", "e": "2031-03-01T09:00:00+01:00"}),
        ),
        make("id-zero-padded", "the id User:0015", _body(node, {"id": "VXNlcjowMDE1"})),
        make("id-space", "the id 'User: 15'", _body(node, {"id": "VXNlcjogMTU"})),
        make(
            "form-encoded",
            "a form-encoded POST (CSRF: no preflight)",
            b"query=query+Csrf+%7B+__typename+%7D",
            content_type="application/x-www-form-urlencoded",
        ),
    ]


def get_query() -> Attack:
    return Attack(
        name="get-query",
        description="a query in a GET URL (CSRF)",
        required="refused (queries only over POST)",
        method="GET",
        path="/graphql?query=query%20Get%20%7B%20__typename%20%7D",
        content_type=None,
        statuses=frozenset({400, 405, 415}),
    )


def field_suggestions() -> Attack:
    return Attack(
        name="suggestions",
        description="a misspelt field (viewr), fishing for 'Did you mean'",
        required="GRAPHQL_VALIDATION_FAILED without suggestions in production",
        body=_body("query Typo { viewr { id } }", name="Typo"),
        statuses=frozenset({400}),
        codes=frozenset({"GRAPHQL_VALIDATION_FAILED"}),
    )


def flood(count: int = 400, concurrency: int = 20) -> Attack:
    return Attack(
        name="flood",
        description=f"{count} x {{ __typename }}, {concurrency} at a time",
        required="HTTP 429 with Retry-After once the caller's bucket is empty",
        body=_body("query Flood { __typename }", name="Flood"),
        statuses=frozenset({429}),
        repeat=count,
        concurrency=concurrency,
    )


def mutation_flood(count: int = 100, concurrency: int = 10) -> Attack:
    return Attack(
        name="mutation-flood",
        description=f"{count} x setPreference, {concurrency} at a time",
        required="HTTP 429 sooner than for queries (mutations have the stricter bucket)",
        body=_body(
            'mutation Flood { setPreference(key: "theme", value: "dark") { key } }', name="Flood"
        ),
        statuses=frozenset({429}),
        repeat=count,
        concurrency=concurrency,
    )


def all_attacks(levels: int = 8) -> list[Attack]:
    """Every attack above, in the order the benchmark's attacker sends them."""
    return [
        exponential_aliases(levels),
        costly(),
        many_aliases(),
        many_aliases(5000, name="aliases-public-5000"),
        many_expensive_aliases(),
        cheap_fields(),
        deep_nesting(),
        circular_introspection(),
        directive_overloading(),
        huge_body(),
        huge_body_chunked(),
        many_tokens(),
        many_mutations(),
        batch(),
        *malformed_requests(),
        get_query(),
        field_suggestions(),
        flood(),
        mutation_flood(),
    ]


def select(attacks: Iterable[Attack], names: Iterable[str]) -> list[Attack]:
    """The attacks named (unknown names raise ``KeyError``, listing the known ones)."""
    by_name = {attack.name: attack for attack in attacks}
    chosen = []
    for name in names:
        if name not in by_name:
            raise KeyError(f"unknown attack {name!r}; known: {', '.join(by_name)}")
        chosen.append(by_name[name])
    return chosen


# --- reading the answer --------------------------------------------------------------------


def _codes(payload: Any) -> tuple[str, ...]:
    if isinstance(payload, list):
        return tuple(code for item in payload for code in _codes(item))
    if not isinstance(payload, dict):
        return ()
    found = []
    for error in payload.get("errors") or []:
        if isinstance(error, dict):
            code = (error.get("extensions") or {}).get("code")
            found.append(str(code) if code is not None else "(no code)")
    return tuple(found)


def _executed(payload: Any) -> bool:
    """Did any part of the operation run and return data?"""
    if isinstance(payload, list):
        return any(_executed(item) for item in payload)
    if not isinstance(payload, dict):
        return False
    data = payload.get("data")
    return isinstance(data, dict) and any(value is not None for value in data.values())


def classify(attack: Attack, status: int, content: bytes) -> Outcome:
    """Sort one answer: a server error, the required one, a 429 (when the attack does not
    require one), another refusal, or executed."""
    try:
        payload: Any = json.loads(content) if content else None
    except ValueError:
        payload = None
    codes = _codes(payload)
    if status >= 500 or "INTERNAL_SERVER_ERROR" in codes:
        return Outcome(SERVER_ERROR, status, codes)
    if status in attack.statuses or any(code in attack.codes for code in codes):
        return Outcome(AS_REQUIRED, status, codes)
    if status == 429:
        return Outcome(RATE_LIMITED, status, codes)
    if status >= 400 or (codes and not _executed(payload)):
        return Outcome(REFUSED_OTHERWISE, status, codes)
    return Outcome(EXECUTED, status, codes)
