"""Every stored text has a length limit and every list input a count limit (docs/security.md,
"Input limits"), through HTTP on both backends.

The limits live in one table (``resolvers/services/input_limits.py``); these tests walk it:
the schema's mutation inputs and the table must name the same fields, every text one over its
limit answers ``BAD_USER_INPUT`` naming the field and the limit and writes nothing, and one at
its limit is stored (on PostgreSQL that also proves the limit fits the column).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from limits_support import LIST_CASES, TEXT_CASES, Case, make_targets, text_of_length
from mutation_support import SUBMIT_ANSWER, count, refused

from resolvers.services import input_limits as limits
from schema.build import build_schema
from store import tables as t

BODY_LIMIT = 32 * 1024 * 1024
TEXT_BY_COORDINATE = {case.coordinate: case for case in TEXT_CASES}
LIST_BY_COORDINATE = {case.coordinate: case for case in LIST_CASES}


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    # A body limit far above the default (1 MiB): the text limits must hold on their own.
    with own_gateway(
        request.param, tmp_path_factory, "input-limits", max_body_bytes=BODY_LIMIT
    ) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def targets(live: LiveGateway) -> dict[str, str]:
    return make_targets(live)


# --- the table and the schema agree ---------------------------------------------------------


def test_every_text_and_list_input_of_the_mutations_has_a_limit() -> None:
    texts, lists = limits.input_coordinates(build_schema(None)._schema)
    assert texts == set(limits.TEXT_LIMITS), "TEXT_LIMITS and the schema's String inputs differ"
    assert lists == set(limits.LIST_LIMITS), "LIST_LIMITS and the schema's list inputs differ"


def test_every_limit_has_a_case_here() -> None:
    assert set(TEXT_BY_COORDINATE) == set(limits.TEXT_LIMITS)
    assert set(LIST_BY_COORDINATE) == set(limits.LIST_LIMITS)


def test_a_text_input_without_a_limit_stops_the_schema() -> None:
    @strawberry.type
    class Query:
        ping: str = "pong"

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def shout(self, words: str) -> str:
            return words

    schema = strawberry.Schema(query=Query, mutation=Mutation)
    with pytest.raises(LookupError, match=r"Mutation\.shout\(words:\) has no length limit"):
        limits.install_input_limits(schema._schema)


# --- over the limit: refused, naming the field; nothing written ------------------------------


def assert_refused_for(result: Any, case: Case, limit: int) -> None:
    refused(result, "BAD_USER_INPUT")
    (error,) = result.errors
    assert error["extensions"]["field"] == case.field, error
    assert error["extensions"]["limit"] == limit, error
    assert case.field in error["message"] and str(limit) in error["message"], error


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda c: c.coordinate)
def test_text_over_its_limit_is_refused(
    live: LiveGateway, targets: dict[str, str], case: Case
) -> None:
    limit = limits.TEXT_LIMITS[case.coordinate]
    variables = case.variables(live, targets, text_of_length(case, limit + 1))
    before = case.rows(live)
    assert_refused_for(case.send(live, variables), case, limit)
    assert case.rows(live) == before


@pytest.mark.parametrize("case", LIST_CASES, ids=lambda c: c.coordinate)
def test_list_over_its_limit_is_refused(
    live: LiveGateway, targets: dict[str, str], case: Case
) -> None:
    limit = limits.LIST_LIMITS[case.coordinate]
    variables = case.variables(live, targets, limit + 1)
    before = case.rows(live)
    assert_refused_for(case.send(live, variables), case, limit)
    assert case.rows(live) == before


# --- at the limit: stored -----------------------------------------------------------------------


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda c: c.coordinate)
def test_text_at_its_limit_is_stored(
    live: LiveGateway, targets: dict[str, str], case: Case
) -> None:
    limit = limits.TEXT_LIMITS[case.coordinate]
    result = case.send(live, case.variables(live, targets, text_of_length(case, limit)))
    assert result.errors == [], result.errors
    assert all(value is not None for value in result.data.values())


@pytest.mark.parametrize("case", LIST_CASES, ids=lambda c: c.coordinate)
def test_list_at_its_limit_is_accepted(
    live: LiveGateway, targets: dict[str, str], case: Case
) -> None:
    limit = limits.LIST_LIMITS[case.coordinate]
    result = case.send(live, case.variables(live, targets, limit))
    assert result.errors == [], result.errors


def test_a_full_answer_with_all_its_attachments_is_stored_whole(
    live: LiveGateway, targets: dict[str, str]
) -> None:
    body = "å" * limits.ANSWER_BODY
    attachments = [
        {"filename": f"{i:02d}" + "f" * (limits.ATTACHMENT_FILENAME - 2)}
        for i in range(limits.ATTACHMENTS_PER_ANSWER)
    ]
    variables = {
        "input": {"assignmentId": targets["assignment"], "body": body, "attachments": attachments}
    }
    result = live.gql(SUBMIT_ANSWER, variables, as_user="elev.ola")
    assert result.errors == [], result.errors
    submission = result.data["submitAnswer"]["id"]
    query = "query($id: ID!) { submission(id: $id) { body attachments { filename } } }"
    stored = live.gql(query, {"id": submission}, as_user="elev.ola").data["submission"]
    assert stored["body"] == body
    assert [a["filename"] for a in stored["attachments"]] == [a["filename"] for a in attachments]


# --- independent of the HTTP body limit ---------------------------------------------------------


@pytest.mark.parametrize(
    "coordinate",
    ["SubmitAnswerInput.body", "Mutation.createPost(body:)", "Mutation.setPreference(value:)"],
)
def test_ten_megabytes_of_text_are_refused_naming_the_field(
    live: LiveGateway, targets: dict[str, str], coordinate: str
) -> None:
    """With the body limit raised out of the way, a 10 MB text reaches the mutation, and its
    own limit refuses it."""
    case = TEXT_BY_COORDINATE[coordinate]
    variables = case.variables(live, targets, "x" * 10_000_000)
    before = case.rows(live)
    assert_refused_for(case.send(live, variables), case, limits.TEXT_LIMITS[coordinate])
    assert case.rows(live) == before


def test_a_200_kb_answer_is_refused_by_its_own_limit(
    live: LiveGateway, targets: dict[str, str]
) -> None:
    """200,000 characters fit in a default request body (1 MiB) but not in an answer
    (100,000 characters)."""
    case = TEXT_BY_COORDINATE["SubmitAnswerInput.body"]
    variables = case.variables(live, targets, "x" * 200_000)
    before = count(live, t.submissions), count(live, t.audit_entries)
    assert_refused_for(case.send(live, variables), case, limits.ANSWER_BODY)
    assert (count(live, t.submissions), count(live, t.audit_entries)) == before


def test_limits_are_checked_only_after_the_caller_may_call_at_all(
    live: LiveGateway, targets: dict[str, str]
) -> None:
    """An anonymous caller learns nothing from the limits: UNAUTHENTICATED comes first."""
    case = TEXT_BY_COORDINATE["Mutation.createPost(body:)"]
    variables = case.variables(live, targets, "x" * (limits.POST_BODY + 1))
    result = live.gql(case.document, variables)
    refused(result, "UNAUTHENTICATED")


def test_each_item_of_a_list_is_checked(live: LiveGateway, targets: dict[str, str]) -> None:
    """The last of several attachments over the limit is found, not only the first."""
    case = TEXT_BY_COORDINATE["AttachmentInput.filename"]
    long_name = "x" * (limits.ATTACHMENT_FILENAME + 1)
    variables = case.variables(live, targets, long_name)
    assert variables["input"]["attachments"][-1]["filename"] == long_name
    before = case.rows(live)
    assert_refused_for(case.send(live, variables), case, limits.ATTACHMENT_FILENAME)
    assert case.rows(live) == before
