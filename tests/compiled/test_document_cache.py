"""Parsed and validated documents are remembered by their text (``gateway.document_cache``).

A document sent again is neither parsed nor validated again: the same parsed document serves
both requests, and a request without variables is not checked against the operation limits
again. What depends on more than the text is not cached: a syntax error or a refusal (counted
each time), a document with validation errors, and the operation limits of a request with
variables, whose cost depends on them.
"""

from __future__ import annotations

from graphql import GraphQLError
from twins import Twins

from authz.policy import Policy
from config.settings import Settings
from gateway.document_cache import (
    PARSED,
    VALID,
    TextCache,
    check_cached,
    parse_cached,
    validate_cached,
)
from gateway.limits.checks import check_document
from gateway.limits.config import OperationLimits
from gateway.limits.tokens import ParsedDocument
from schema.build import build_schema

LIMITS = OperationLimits.from_settings(Settings(max_tokens=5000))


def test_a_document_is_parsed_once() -> None:
    text = "query ParsedOnce { viewer { id displayName } }"
    first = parse_cached(text, LIMITS)
    hits = PARSED.hits
    second = parse_cached(text, LIMITS)
    assert isinstance(first, ParsedDocument) and first.document is not None
    assert second is first
    assert PARSED.hits == hits + 1


def test_syntax_errors_and_refusals_are_not_kept() -> None:
    broken = "query Broken { viewer { id }"
    outcome = parse_cached(broken, LIMITS)
    assert isinstance(outcome, ParsedDocument) and outcome.error is not None
    assert parse_cached(broken, LIMITS) is not outcome
    too_long = "{ " + " ".join(f"a{n}: __typename" for n in range(2000)) + " }"
    assert not isinstance(parse_cached(too_long, LIMITS), ParsedDocument)
    assert PARSED.get(too_long, LIMITS.max_tokens) is None


def test_only_valid_documents_skip_validation() -> None:
    schema = build_schema(Policy())._schema
    calls: list[str] = []
    for text, errors in (("{ viewer { id } }", []), ("{ viewer { nope } }", ["error"])):
        parsed = parse_cached(text, LIMITS)
        assert isinstance(parsed, ParsedDocument) and parsed.document is not None
        for _ in range(3):
            validate_cached(
                schema, parsed.document, (), False, lambda t=text, e=errors: calls.append(t) or e
            )
    assert calls.count("{ viewer { id } }") == 1
    assert calls.count("{ viewer { nope } }") == 3


def test_only_passed_checks_without_variables_are_skipped() -> None:
    schema = build_schema(Policy())._schema
    small = LIMITS
    tight = OperationLimits.from_settings(Settings(max_tokens=5000, max_query_cost=2))
    text = "query Checked($first: Int) { courses(first: $first) { edges { node { id code } } } }"
    parsed = parse_cached(text, LIMITS)
    assert isinstance(parsed, ParsedDocument) and parsed.document is not None
    document = parsed.document
    calls: list[tuple[object, ...]] = []

    def checked(variables: dict[str, int] | None, limits: OperationLimits) -> GraphQLError | None:
        def check() -> GraphQLError | None:
            calls.append((limits.max_cost, None if variables is None else tuple(variables)))
            return check_document(schema, document, variables, limits, "Checked")

        return check_cached(schema, document, variables, limits, "Checked", check)

    assert [checked(None, small) for _ in range(3)] == [None] * 3
    assert calls == [(small.max_cost, None)]  # passed once: not checked again
    assert all(checked({"first": 1}, small) is None for _ in range(2))
    assert calls.count((small.max_cost, ("first",))) == 2  # with variables: each time
    refusals = [checked(None, tight) for _ in range(2)]
    assert all(refused is not None for refused in refusals)
    assert calls.count((tight.max_cost, None)) == 2  # a refusal is not kept


def test_the_caches_are_bounded_in_entries_and_characters() -> None:
    cache: TextCache[int] = TextCache(entries=3, characters=100)
    for n in range(5):
        cache.put(f"text {n}", None, n)
    assert len(cache) == 3 and cache.get("text 0", None) is None
    cache.put("x" * 20, None, 1)
    cache.put("y" * 20, None, 2)
    assert cache.get("x" * 20, None) == 1
    cache.put("z" * 30, None, 3)  # over a quarter of the characters: not kept
    assert cache.get("z" * 30, None) is None


def test_the_gateway_parses_and_validates_a_repeated_document_once(twins: Twins) -> None:
    text = "query Repeated($first: Int) { courses(first: $first) { totalCount } }"
    twins.compiled.gql(text, {"first": 1}, as_user="elev.ola")
    parsed, valid = PARSED.hits, VALID.hits
    again = twins.compiled.gql(text, {"first": 2}, as_user="elev.ola")
    assert again.data is not None
    assert PARSED.hits > parsed and VALID.hits > valid


def test_the_operation_limits_still_read_the_variables(twins: Twins) -> None:
    text = """query Costly($first: Int) { courses(first: $first) { edges { node {
      students(first: $first) { edges { node {
        submissions(first: $first) { edges { node { id } } } } } }
    } } } }"""
    assert twins.compiled.gql(text, {"first": 1}, as_user="elev.ola").data is not None
    refused = twins.compiled.gql(text, {"first": 500}, as_user="elev.ola")
    assert refused.codes() == {"QUERY_TOO_COMPLEX"}
