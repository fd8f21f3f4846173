"""Parsed and validated documents, remembered by their text.

Clients send the same few documents again and again (a frontend's queries are constants), and a
large one costs milliseconds to parse and more to validate (the gradebook's: about 1.5 ms and
5 ms). Both outcomes depend on the text alone (and the token limit, the schema and the rule
set), so they are kept in bounded LRUs shared by the GraphQL threads:

- a document that parsed (``gateway.limits.tokens.parse_within_limit``) is kept; a syntax error
  or a refusal is not (a refusal is counted each time, and an error is cheap: the parse stops
  there);
- a document that passed validation is remembered as valid for the schema and the rules it was
  validated with; documents with errors are validated again each time;
- a request without variables whose document was within the operation limits
  (``gateway.limits.checks``) is remembered as within them for the schema, the limits and the
  operation name (the gradebook's check costs about a millisecond). With variables the check
  runs each time (the cost depends on them), and so does a refusal (it is counted each time).

graphql-core's documents are never modified after parsing, so one parsed document serves every
request with its text. Each cache holds at most ``entries`` documents and ``characters`` of
text in all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, GraphQLSchema

from gateway.limits.config import OperationLimits
from gateway.limits.tokens import ParsedDocument, parse_within_limit

V = TypeVar("V")
ENTRIES = 512
CHARACTERS = 8_000_000


class TextCache(Generic[V]):
    """A thread-safe LRU of values keyed by a document's text (and more), bounded in entries
    and in characters of text."""

    def __init__(self, entries: int = ENTRIES, characters: int = CHARACTERS) -> None:
        self.entries = entries
        self.characters = characters
        self._lock = threading.Lock()
        self._values: OrderedDict[tuple[str, Hashable], V] = OrderedDict()
        self._size = 0
        self.hits = 0

    def get(self, text: str, key: Hashable) -> V | None:
        with self._lock:
            found = self._values.get((text, key))
            if found is not None:
                self._values.move_to_end((text, key))
                self.hits += 1
            return found

    def put(self, text: str, key: Hashable, value: V) -> None:
        if len(text) > self.characters // 4:
            return  # one document may not push out most of the others
        with self._lock:
            if (text, key) in self._values:
                return
            self._values[(text, key)] = value
            self._size += len(text)
            while len(self._values) > self.entries or self._size > self.characters:
                (dropped, _key), _value = self._values.popitem(last=False)
                self._size -= len(dropped)

    def __len__(self) -> int:
        return len(self._values)


PARSED: TextCache[ParsedDocument] = TextCache()
VALID: TextCache[bool] = TextCache()
WITHIN_LIMITS: TextCache[bool] = TextCache()


def parse_cached(
    query: str, limits: OperationLimits, operation_name: str | None = None
) -> ParsedDocument | GraphQLError:
    """``parse_within_limit``, the document taken from :data:`PARSED` when it parsed before."""
    found = PARSED.get(query, limits.max_tokens)
    if found is not None:
        return found
    outcome = parse_within_limit(query, limits, operation_name)
    if isinstance(outcome, ParsedDocument) and outcome.document is not None:
        PARSED.put(query, limits.max_tokens, outcome)
    return outcome


def validate_cached(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type, ...],
    suggestions: bool,
    validate: Callable[[], list[GraphQLError]],
) -> list[GraphQLError]:
    """``validate()``, skipped for a document known to be valid for ``schema`` and ``rules``."""
    location = document.loc
    if location is None:
        return validate()
    text = location.source.body
    key = (id(schema), rules, suggestions)
    if VALID.get(text, key):
        return []
    errors = validate()
    if not errors:
        VALID.put(text, key, True)
    return errors


def check_cached(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: OperationLimits,
    operation_name: str | None,
    check: Callable[[], GraphQLError | None],
) -> GraphQLError | None:
    """``check()`` (the operation limits), skipped for a request without variables whose
    document passed it before for ``schema``, ``limits`` and ``operation_name``."""
    location = document.loc
    if location is None or variables:
        return check()
    text = location.source.body
    key = (id(schema), limits, operation_name)
    if WITHIN_LIMITS.get(text, key):
        return None
    refused = check()
    if refused is None:
        WITHIN_LIMITS.put(text, key, True)
    return refused
