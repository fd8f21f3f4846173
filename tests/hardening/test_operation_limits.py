"""Operation limits (docs/security.md, "Operation limits"): what one document may ask for.

Through HTTP on both backends: exponential documents are refused by the static cost analysis
(``QUERY_TOO_COMPLEX`` with the cost and the limit), thousands of aliases by the alias and field
caps (the public ``privacyNotice`` anonymously too), deep nesting by the depth limit, oversized
documents by the token limit (HTTP 400 before authentication), many mutations by the root
mutation cap, and a slow operation by the execution timeout, which really stops the work and
leaves no trace of reads it never delivered. A refusal before execution runs no SQL beyond
authentication's (the same as ``{ __typename }``), and each refusal is counted and logged without
personal data. A document that does not parse is answered from its one parse. The heaviest real
queries, the tests' and the benchmarks', pass the defaults.
"""

from __future__ import annotations

import ast
import logging
import time
from collections.abc import Iterator
from typing import Any

import authz_overhead
import load_workload
import pytest
from attack_documents import DOCUMENT_LIMIT_CODES, exponential_document
from db_support import BACKENDS
from gateway_support import REPO, LiveGateway, own_gateway
from graphql import GraphQLSyntaxError, parse
from graphql.language.parser import Parser
from mutation_support import count
from operation_limits_support import (
    GRAPHQL_RESPONSE,
    TYPENAME,
    aliases,
    mutations,
    nested,
    only_error,
    repeated,
    send,
    slow_gateway,
    slow_mutations,
    tokens,
)
from sqlalchemy import select
from test_n_plus_one import NESTED

from config.ids import to_global_id
from config.settings import Settings
from gateway import metrics
from gateway.limits import OperationLimits
from gateway.limits.checks import check_document
from gateway.limits.cost import operation_costs
from gateway.limits.counts import document_counts, root_mutation_fields
from gateway.limits.depth import document_depth
from gateway.limits.document import CEILING
from schema.build import build_schema
from store import tables as t

#: what the operation limits answer when they refuse an operation, before or during execution
LIMIT_CODES = DOCUMENT_LIMIT_CODES | {"TIMEOUT"}


def default_settings() -> Settings:
    """The documented defaults, whatever the environment of the test run says."""
    return Settings(
        **{
            name: field.default
            for name, field in Settings.model_fields.items()
            if name.startswith("max_") or name in ("default_page_size", "execution_timeout_seconds")
        }
    )


DEFAULTS = OperationLimits.from_settings(default_settings())


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """Default limits; no job worker, so the SQL counted is the request's own."""
    with own_gateway(request.param, tmp_path_factory, "limits", jobs_enabled=False) as live:
        yield live


def statements_of(live: LiveGateway, query: str, **kwargs: Any) -> tuple[Any, list[str]]:
    with live.count_sql() as statements:
        response = send(live, query, **kwargs)
    return response, list(statements)


def authentication_statements(live: LiveGateway, user: str) -> list[str]:
    """The statements of ``{ __typename }`` as ``user`` once the gateway keeps their viewer
    (resolvers/viewer_cache.py): what authenticating a request costs."""
    send(live, TYPENAME, user=user)
    return statements_of(live, TYPENAME, user=user)[1]


def refusals_of(code: str) -> int:
    return metrics.refusals().get(code, 0)


# --- exponential documents: the static cost analysis ---------------------------------------------


def test_an_exponential_document_is_refused_by_its_cost_before_execution(
    gateway: LiveGateway,
) -> None:
    document = exponential_document(levels=8, first=500)
    assert 1000 < len(document.encode()) < 2000  # the spec's 1-2 KB
    before = refusals_of("QUERY_TOO_COMPLEX")
    baseline = authentication_statements(gateway, "elev.ola")
    started = time.perf_counter()
    response, statements = statements_of(gateway, document, user="elev.ola")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200  # application/json: a request error, GraphQL style
    error = only_error(response)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["limit"] == DEFAULTS.max_cost == 10_000_000
    # 500**8 items and more: beyond what a JSON number holds exactly, so the largest one that
    # does (2**53 - 1)
    assert error["extensions"]["cost"] == CEILING
    assert error["message"].startswith(
        f"The operation may return up to {error['extensions']['cost']}"
    )
    # Before execution: no SQL beyond authentication's, in milliseconds.
    assert len(statements) == len(baseline)
    assert elapsed < 1.0
    assert refusals_of("QUERY_TOO_COMPLEX") == before + 1
    strict = send(gateway, document, user="elev.ola", accept=GRAPHQL_RESPONSE)
    assert strict.status_code == 400
    assert only_error(strict)["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_the_cost_analysis_takes_milliseconds_however_the_document_explodes(
    gateway: LiveGateway,
) -> None:
    """Fragments are costed once each: 40 levels (``2**40`` branches of ``500**40`` items)
    take no longer to analyse than their text takes to read."""
    schema = gateway.state.schema._schema
    document = parse(exponential_document(levels=40, first=500))
    started = time.perf_counter()
    refusal = check_document(schema, document, {}, DEFAULTS)
    elapsed = time.perf_counter() - started
    assert refusal is not None
    assert refusal.extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": CEILING,
        "limit": DEFAULTS.max_cost,
    }
    assert elapsed < 0.1


def test_first_from_a_variable_weighs_the_lists(gateway: LiveGateway) -> None:
    document = """
    query($n: Int) { viewer { courses(first: $n) { edges { node {
      students(first: $n) { edges { node { courses(first: $n) { edges { node {
        students(first: $n) { totalCount } } } } } } } } } } } }"""
    refused = only_error(send(gateway, document, {"n": 500}, user="larer.hansen"))
    assert refused["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # JSON has one kind of number: 500.0 is the Int 500 to execution, and so to the analysis.
    as_float = only_error(send(gateway, document, {"n": 500.0}, user="larer.hansen"))
    assert as_float["extensions"] == refused["extensions"]
    small = send(gateway, document, {"n": 5}, user="larer.hansen").json()
    assert small["data"]["viewer"]["courses"]["edges"]
    assert not {e["extensions"]["code"] for e in small.get("errors", [])} & LIMIT_CODES


def test_aliases_of_an_expensive_field_are_refused_by_the_cost(gateway: LiveGateway) -> None:
    selection = (
        "viewer { courses(first: 500) { edges { node { students(first: 500) { edges { node { "
        "courses(first: 500) { totalCount } } } } } } } }"
    )
    response, statements = statements_of(gateway, aliases(40, selection), user="larer.hansen")
    baseline = authentication_statements(gateway, "larer.hansen")
    error = only_error(response)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] > error["extensions"]["limit"]
    assert len(statements) == len(baseline)


# --- the cost model, exactly -------------------------------------------------------------------


def cost_of(query: str, variables: dict[str, Any] | None = None) -> int:
    schema = build_schema(None)._schema
    [(_, cost)] = operation_costs(
        schema, parse(query), variables, default_page_size=100, max_page_size=500
    )
    return cost


def test_last_counts_as_first() -> None:
    """Paging backwards: ``last`` is the page size; both (refused by execution) count the
    larger; ``last: null`` is no page size at all."""
    assert cost_of("{ viewer { courses(last: 3) { edges { node { id } } } } }") == 1 + 1 + 1 + 3 * 2
    assert (
        cost_of("{ viewer { courses(first: 2, last: 7) { edges { node { id } } } } }")
        == 1 + 1 + 1 + 7 * 2
    )
    assert cost_of("{ viewer { courses(last: 100000) { edges { node { id } } } } }") == 1003
    assert (
        cost_of(
            "query($n: Int) { viewer { courses(last: $n) { edges { node { id } } } } }", {"n": None}
        )
        == 1 + 1 + 1 + 100 * 2
    )


def test_each_field_counts_once_per_item_of_the_lists_above_it() -> None:
    # viewer 1 + courses 1 + totalCount 1 + edges 1 + 3 x (node + id + name)
    assert (
        cost_of("{ viewer { courses(first: 3) { totalCount edges { node { id name } } } } }") == 13
    )
    # without `first`: the default page size (100)
    assert cost_of("{ viewer { courses { edges { node { id } } } } }") == 1 + 1 + 1 + 100 * 2
    # a `first` over the largest page counts as the largest page (the connection refuses more)
    assert cost_of("{ viewer { courses(first: 100000) { edges { node { id } } } } }") == 1003
    # from a variable, or the variable's default
    assert (
        cost_of(
            "query($n: Int) { viewer { courses(first: $n) { edges { node { id } } } } }", {"n": 7}
        )
        == 17
    )
    assert (
        cost_of("query($n: Int = 4) { viewer { courses(first: $n) { edges { node { id } } } } }")
        == 11
    )
    # a variable's value as execution coerces it; one that does not coerce, or a literal that is
    # not an Int, counts as the largest page (execution and validation refuse those anyway)
    by_variable = "query($n: Int) { viewer { courses(first: $n) { edges { node { id } } } } }"
    assert cost_of(by_variable, {"n": 7.0}) == 17
    assert cost_of(by_variable, {"n": 500.0}) == cost_of(by_variable, {"n": 500}) == 1003
    for unreadable in (7.5, "7", [7], {"n": 7}, 2**40):
        assert cost_of(by_variable, {"n": unreadable}) == 1003
    assert cost_of(by_variable, {"n": None}) == cost_of(by_variable, {}) == 203
    assert cost_of("{ viewer { courses(first: 7.0) { edges { node { id } } } } }") == 1003
    assert cost_of("{ viewer { courses(first: null) { edges { node { id } } } } }") == 203
    # a list without paging: its assumed size (a submission has few assessments)
    assert cost_of('{ submission(id: "x") { assessments { id } } }') == 1 + 1 + 10 * 1


def test_aliases_fragments_and_inline_fragments_are_expanded() -> None:
    single = cost_of("{ viewer { courses(first: 3) { edges { node { id name } } } } }")
    assert (
        cost_of(
            "{ a: viewer { courses(first: 3) { edges { node { id name } } } } "
            "b: viewer { courses(first: 3) { edges { node { id name } } } } }"
        )
        == 2 * single
    )
    assert (
        cost_of(
            "{ viewer { ...C } } fragment C on User { courses(first: 3) { ...E } } "
            "fragment E on CourseConnection { edges { node { id ... on Course { name } } } }"
        )
        == single
    )


def test_counts_and_depth_expand_fragments() -> None:
    document = parse(
        "query { viewer { ...F ...F } } fragment F on User { a: id b: displayName courses "
        "{ edges { node { id } } } }"
    )
    counts = document_counts(document)
    assert (counts.fields, counts.aliases) == (1 + 2 * 6, 4)
    assert document_depth(document) == 5
    assert root_mutation_fields(parse(mutations(3))) == 3


# --- thousands of aliases and fields -----------------------------------------------------------


def test_thousands_of_public_aliases_are_refused_anonymously(gateway: LiveGateway) -> None:
    """5000 aliases of ``privacyNotice`` are refused by the token limit already; those that fit
    in it, by the alias cap. Neither runs any SQL (no token: no authentication work either)."""
    for accept in (None, GRAPHQL_RESPONSE):
        response, statements = statements_of(gateway, aliases(5000), accept=accept)
        assert response.status_code == 400
        assert only_error(response)["extensions"]["code"] == "TOO_MANY_TOKENS"
        assert statements == []
    response, statements = statements_of(gateway, aliases(800))
    error = only_error(response)
    assert error["extensions"] == {"code": "TOO_MANY_ALIASES", "aliases": 800, "limit": 100}
    assert statements == []


def test_thousands_of_cheap_aliases_are_refused(gateway: LiveGateway) -> None:
    response, statements = statements_of(gateway, aliases(1600, "__typename"), user="elev.ola")
    baseline = authentication_statements(gateway, "elev.ola")
    assert only_error(response)["extensions"] == {
        "code": "TOO_MANY_ALIASES",
        "aliases": 1600,
        "limit": 100,
    }
    assert len(statements) == len(baseline)


def test_the_alias_cap_allows_what_it_says(gateway: LiveGateway) -> None:
    result = send(gateway, aliases(100)).json()
    assert "errors" not in result
    assert len(result["data"]) == 100
    refused = only_error(send(gateway, aliases(101)))
    assert refused["extensions"] == {"code": "TOO_MANY_ALIASES", "aliases": 101, "limit": 100}


def test_one_field_repeated_hundreds_of_times_never_reaches_validation(
    gateway: LiveGateway,
) -> None:
    """600 copies of one field under one response name: graphql-core's overlapping-fields rule
    would compare all 180,000 pairs; the field cap refuses the document before that."""
    started = time.perf_counter()
    response = send(gateway, repeated(600))
    elapsed = time.perf_counter() - started
    assert only_error(response)["extensions"] == {
        "code": "TOO_MANY_FIELDS",
        "fields": 1200,
        "limit": 500,
    }
    assert elapsed < 1.0


# --- depth -------------------------------------------------------------------------------------


def test_deep_nesting_is_refused_at_the_depth_limit(gateway: LiveGateway) -> None:
    response, statements = statements_of(gateway, nested(16), user="elev.ola")
    baseline = authentication_statements(gateway, "elev.ola")
    assert only_error(response)["extensions"] == {
        "code": "QUERY_TOO_DEEP",
        "depth": 16,
        "limit": 15,
    }
    assert len(statements) == len(baseline)
    deep = only_error(send(gateway, nested(150), user="elev.ola"))
    assert deep["extensions"]["code"] == "QUERY_TOO_DEEP"


def test_nesting_at_the_depth_limit_runs(gateway: LiveGateway) -> None:
    result = send(gateway, nested(15), user="elev.ola").json()
    assert "errors" not in result, result
    assert result["data"]["viewer"]["courses"]["edges"]


# --- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE, "application/json"])
def test_a_document_over_the_token_limit_is_a_400_before_authentication(
    gateway: LiveGateway, accept: str | None
) -> None:
    before = refusals_of("TOO_MANY_TOKENS")
    response, statements = statements_of(gateway, tokens(6000), user="elev.ola", accept=accept)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = only_error(response)
    assert error["extensions"] == {"code": "TOO_MANY_TOKENS", "limit": 5000}
    assert (
        error["message"] == "The document has more than 5000 tokens, the most this server accepts"
    )
    # A valid token would have cost a lookup of the person: none was made.
    assert statements == []
    assert refusals_of("TOO_MANY_TOKENS") == before + 1


def test_comments_count_as_tokens(gateway: LiveGateway) -> None:
    response = send(gateway, "#\n" * 6000 + TYPENAME)
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "TOO_MANY_TOKENS"


def test_a_document_under_the_token_limit_runs(gateway: LiveGateway) -> None:
    document = "#\n" * 4990 + TYPENAME  # comments are tokens too
    parser = Parser(document, max_tokens=5000)
    parser.parse_document()
    assert 4990 < parser.token_count <= 5000
    assert send(gateway, document).json() == {"data": {"__typename": "Query"}}


def test_a_syntax_error_in_a_long_document_stays_a_syntax_error(gateway: LiveGateway) -> None:
    response = send(gateway, "query { " + "__typename " * 1000 + "")
    error = only_error(response)
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["message"].startswith("Syntax Error")


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE])
def test_a_syntax_error_is_answered_from_the_one_parse(
    gateway: LiveGateway, accept: str | None
) -> None:
    """A megabyte string literal and a missing ``)``: the parse before authentication finds the
    error, and the answer is that error, shaped like any request error (no ``data``, HTTP 200, or
    400 for ``application/graphql-response+json``); the text is not parsed again.
    ``test_responsiveness`` shows that nothing of it runs on the event loop."""
    literal = "x" * 1_000_000
    response = send(
        gateway,
        f'query Broken {{ privacyNotice(note: "{literal}" {{ controller }} }}',
        accept=accept,
    )
    assert response.status_code == (400 if accept == GRAPHQL_RESPONSE else 200)
    assert only_error(response) == {
        "message": "Syntax Error: Expected Name, found '{'.",
        "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
    }


def test_a_document_nested_beyond_the_parser_is_a_syntax_error(gateway: LiveGateway) -> None:
    """Fifteen hundred nested selections are within the token limit but deeper than the parser
    can recurse: answered from the one parse with graphql-core's own syntax error for them, not
    an internal error."""
    document = "query Deep { " + "viewer { " * 1500 + "id" + " }" * 1501
    for accept in (None, GRAPHQL_RESPONSE):
        response = send(gateway, document, user="elev.ola", accept=accept)
        assert response.status_code == (400 if accept == GRAPHQL_RESPONSE else 200)
        assert only_error(response) == {
            "message": "Syntax Error: Document is nested too deeply. Parsing aborted.",
            "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
        }


# --- root mutations ----------------------------------------------------------------------------


def test_more_root_mutations_than_the_cap_are_refused_and_none_run(gateway: LiveGateway) -> None:
    person = gateway.person_pk("elev.ola")
    mine = (t.preferences.c.person_id == person, t.preferences.c.key.like("cap-%"))
    before = count(gateway, t.preferences, *mine)
    response, statements = statements_of(gateway, mutations(11, "cap"), user="elev.ola")
    baseline = authentication_statements(gateway, "elev.ola")
    assert only_error(response)["extensions"] == {
        "code": "TOO_MANY_MUTATIONS",
        "mutations": 11,
        "limit": 10,
    }
    assert len(statements) == len(baseline)
    assert count(gateway, t.preferences, *mine) == before
    done = send(gateway, mutations(10, "cap"), user="elev.ola").json()
    assert "errors" not in done, done
    assert count(gateway, t.preferences, *mine) == before + 10


# --- refusals are counted and logged -------------------------------------------------------------


def test_each_refusal_is_counted_and_logged_without_personal_data(
    gateway: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    attacks = {
        "QUERY_TOO_COMPLEX": exponential_document(),
        "TOO_MANY_ALIASES": aliases(150, "displayName"),
        "TOO_MANY_FIELDS": repeated(300, "viewer { displayName }"),
        "QUERY_TOO_DEEP": nested(20),
        "TOO_MANY_MUTATIONS": mutations(12),
        "TOO_MANY_TOKENS": tokens(6000),
    }
    for code, document in attacks.items():
        before = refusals_of(code)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tavle.limits"):
            response = send(gateway, document, user="elev.ola")
        assert only_error(response)["extensions"]["code"] == code
        assert refusals_of(code) == before + 1
        [line] = [r.getMessage() for r in caplog.records if r.name == "tavle.limits"]
        assert line.startswith(f"refused {code} ")
        for secret in ("elev.ola", "Ola", "displayName", "setPreference", "__typename"):
            assert secret not in line


# --- the timeout -------------------------------------------------------------------------------

#: mutations run one after the other: this many take about two seconds on either backend
SLOW_MUTATIONS = 400


@pytest.fixture(scope="module", params=BACKENDS)
def slow(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """A gateway whose limits let a long document through, with a half-second timeout."""
    with slow_gateway(request.param, tmp_path_factory, "limits-slow", 0.5) as live:
        yield live


def test_a_slow_operation_is_stopped_at_the_timeout(slow: LiveGateway) -> None:
    owner = slow.person_pk("larer.hansen")
    written = (t.documents.c.owner_id == owner, t.documents.c.title.like("slow-%"))
    with slow.count_sql() as statements:
        response = send(slow, slow_mutations(SLOW_MUTATIONS, "slow"), user="larer.hansen")
        answered = len(statements)
        time.sleep(1.5)
        later = len(statements)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "TIMEOUT", "timeoutSeconds": 0.5}
    assert error["message"] == "The operation did not finish within 0.5 seconds and was stopped"
    # The work stopped with the answer: no statement after it, and most documents never made.
    assert later == answered
    made = count(slow, t.documents, *written)
    assert 0 < made < SLOW_MUTATIONS
    # The gateway is fine afterwards, and the documents made are whole (audited ones only).
    assert send(slow, TYPENAME, user="larer.hansen").json() == {"data": {"__typename": "Query"}}
    audited = slow.rows(
        select(t.audit_entries.c.target_id).where(
            t.audit_entries.c.action == "CREATE_DOCUMENT", t.audit_entries.c.actor_id == owner
        )
    )
    ids = {row[0] for row in slow.rows(select(t.documents.c.id).where(*written))}
    assert ids <= {row[0] for row in audited}


def national_id_reads(live: LiveGateway, actor: str, subject: str) -> int:
    entries = t.audit_entries.c
    return count(
        live,
        t.audit_entries,
        entries.action == "READ_NATIONAL_ID",
        entries.actor_id == live.person_pk(actor),
        entries.target_id == live.person_pk(subject),
    )


def test_a_timed_out_operation_audits_no_national_id_read(slow: LiveGateway) -> None:
    """The first root field reads Ola's national id; the documents after it run into the
    timeout. The answer is ``"data": null``: the id never reached the caller, so no read is
    audited. A read that is answered is audited."""
    subject = slow.person_id("elev.ola")
    export = (
        f'e: requestExport(subjectId: "{subject}", justification: "A timed-out export") '
        "{ id subject { nationalId } }"
    )
    before = national_id_reads(slow, "admin", "elev.ola")
    response = send(slow, slow_mutations(SLOW_MUTATIONS, "audit", export), user="admin")
    assert response.json()["data"] is None
    assert codes_of(response) == {"TIMEOUT"}
    requests = t.privacy_requests.c
    asked = slow.rows(select(requests.id).where(requests.justification == "A timed-out export"))
    assert len(asked) == 1, "the first field ran, and read the id, before the timeout"
    assert national_id_reads(slow, "admin", "elev.ola") == before
    read = f'query Answered {{ user(id: "{subject}") {{ nationalId }} }}'
    # this gateway's timeout is short: on a loaded machine even this read may run into it, and
    # then (as above) audits nothing; the one that is answered is audited once
    for _attempt in range(10):
        sent = send(slow, read, user="admin")
        if sent.json()["data"] is not None:
            break
        assert codes_of(sent) == {"TIMEOUT"}
    assert sent.json()["data"]["user"]["nationalId"]
    assert national_id_reads(slow, "admin", "elev.ola") == before + 1


def test_a_timed_out_operation_marks_no_answer_opened(slow: LiveGateway) -> None:
    """A teacher's first root field assesses an answer and reads it; the rest runs into the
    timeout. The student is not told that the teacher opened an answer the teacher never got."""
    teacher = slow.person_pk("larer.hansen")
    s, a, e = t.submissions.c, t.assignments.c, t.enrolments.c
    [(submission, student, course)] = slow.rows(
        select(s.id, s.student_id, a.course_id)
        .join(t.assignments, s.assignment_id == a.id)
        .join(t.enrolments, e.course_id == a.course_id)
        .where(
            e.person_id == teacher,
            e.role == t.CourseRole.TEACHER,
            s.last_opened_at.is_(None),
        )
        .order_by(s.id)
        .limit(1)
    )
    assess = (
        f'a: assess(input: {{submissionId: "{to_global_id("Submission", submission)}", '
        f'studentId: "{to_global_id("User", student)}", '
        f'courseId: "{to_global_id("Course", course)}", kind: FEEDBACK, comment: "Seen"}}) '
        "{ id submission { body } }"
    )
    response = send(slow, slow_mutations(SLOW_MUTATIONS, "opened", assess), user="larer.hansen")
    assert response.json()["data"] is None
    assert codes_of(response) == {"TIMEOUT"}
    feedback = t.assessments.c
    assert slow.rows(
        select(feedback.id).where(feedback.submission_id == submission, feedback.comment == "Seen")
    ), "the first field ran, and read the answer, before the timeout"
    [(opened_at,)] = slow.rows(select(s.last_opened_at).where(s.id == submission))
    assert opened_at is None


# --- the heaviest real queries pass the defaults -------------------------------------------------

#: Files whose GraphQL documents are hostile on purpose.
HOSTILE = {"bench/attack_documents.py", "tests/hardening/test_operation_limits.py"}

#: A guardian's overview of their children (three in a family): courses, work and grades.
GUARDIAN_OVERVIEW = """
query GuardianOverview {
  viewer {
    id displayName
    children {
      id displayName firstName lastName
      courses(first: 20) { totalCount edges { node {
        id code name teachers { id displayName email }
        assignments(first: 20) { totalCount edges { node { id title dueAt } } }
      } } }
      submissions(first: 50) { totalCount edges { node { id status submittedAt
        assignment { id title dueAt course { id name } } } } }
      assessments(first: 100) { totalCount edges { node {
        id kind grade comment published createdAt courseCode courseName assessorName } } }
    }
  }
}"""


def gradebook_of_courses(course_pks: list[int]) -> str:
    """``bench/authz_overhead.py``'s teacher gradebook: one aliased course per pk (it measures
    six), each with ``students(first: 100)`` and their ``submissions(first: 100)`` with
    assessments."""
    return str(authz_overhead.gradebook_query(course_pks))


def load_benchmark_screens() -> dict[str, str]:
    """The documents of the load benchmark's screens and writes (``bench/load_workload.py``)."""
    screens = {}
    for name, value in vars(load_workload).items():
        if name.isupper() and isinstance(value, str) and "{" in value:
            try:
                parse(value)
            except GraphQLSyntaxError:
                continue
            screens[name] = value
    return screens


def repository_documents() -> Iterator[tuple[str, str]]:
    """Every GraphQL document written as a string literal in the tests and benchmarks."""
    for path in sorted([*REPO.glob("tests/**/*.py"), *REPO.glob("bench/*.py")]):
        where = str(path.relative_to(REPO))
        if where in HOSTILE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if "{" not in node.value:
                continue
            try:
                document = parse(node.value)
            except GraphQLSyntaxError:
                continue
            if document.definitions:
                yield f"{where}:{node.lineno}", node.value


def measures(query: str) -> dict[str, int]:
    schema = build_schema(None)._schema
    parser = Parser(query, max_tokens=10**9)
    document = parser.parse_document()
    counts = document_counts(document)
    costs = operation_costs(
        schema,
        document,
        {},
        default_page_size=DEFAULTS.default_page_size,
        max_page_size=DEFAULTS.max_page_size,
    )
    return {
        "cost": max(cost for _, cost in costs),
        "depth": document_depth(document),
        "fields": counts.fields,
        "aliases": counts.aliases,
        "tokens": parser.token_count,
        "mutations": root_mutation_fields(document),
    }


def within_defaults(figures: dict[str, int]) -> bool:
    return (
        figures["cost"] <= DEFAULTS.max_cost
        and figures["depth"] <= DEFAULTS.max_depth
        and figures["fields"] <= DEFAULTS.max_fields
        and figures["aliases"] <= DEFAULTS.max_aliases
        and figures["tokens"] <= DEFAULTS.max_tokens
        and figures["mutations"] <= DEFAULTS.max_root_mutations
    )


def test_every_document_in_the_tests_and_benchmarks_is_within_the_defaults() -> None:
    documents = dict(repository_documents())
    assert len(documents) > 150
    over = {where: measures(query) for where, query in documents.items()}
    over = {where: figures for where, figures in over.items() if not within_defaults(figures)}
    assert over == {}


def test_the_heaviest_real_queries_are_within_the_defaults() -> None:
    """The figures docs/security.md gives for the heaviest queries the frontends make, and the
    room the cost limit leaves above the heaviest of them: twice it, a gradebook over twelve
    courses."""
    gradebook = measures(gradebook_of_courses([1, 2, 3, 4, 5, 6]))
    assert gradebook == {
        "cost": 4_625_442,
        "depth": 9,
        "fields": 180,
        "aliases": 6,
        "tokens": 400,
        "mutations": 0,
    }
    assert 2 * gradebook["cost"] <= DEFAULTS.max_cost
    assert within_defaults(measures(gradebook_of_courses(list(range(1, 13)))))
    assert not within_defaults(measures(gradebook_of_courses(list(range(1, 14)))))
    assert measures(NESTED) == {
        "cost": 462_202,
        "depth": 11,
        "fields": 14,
        "aliases": 0,
        "tokens": 51,
        "mutations": 0,
    }
    screens = {name: measures(query) for name, query in load_benchmark_screens().items()}
    assert len(screens) > 20
    heaviest = max(screens, key=lambda name: screens[name]["cost"])
    assert (heaviest, screens[heaviest]["cost"]) == ("GRADEBOOK", 241_610)
    assert all(within_defaults(figures) for figures in screens.values())
    assert measures(GUARDIAN_OVERVIEW) == {
        "cost": 39_234,
        "depth": 9,
        "fields": 53,
        "aliases": 0,
        "tokens": 111,
        "mutations": 0,
    }
    for figures in (gradebook, measures(NESTED), measures(GUARDIAN_OVERVIEW)):
        assert within_defaults(figures)


def codes_of(response: Any) -> set[str]:
    return {str(e.get("extensions", {}).get("code")) for e in response.json().get("errors", [])}


def test_the_heaviest_real_queries_run_through_the_gateway(gateway: LiveGateway) -> None:
    six = [row[0] for row in gateway.rows(select(t.courses.c.id).order_by(t.courses.c.id))][:6]
    assert len(six) == 6
    gradebook = send(gateway, gradebook_of_courses(six), user="admin")
    assert not codes_of(gradebook) & LIMIT_CODES
    assert gradebook.json()["data"]["c0"]["id"] == to_global_id("Course", six[0])
    nested_result = send(gateway, NESTED, user="admin")
    assert not codes_of(nested_result) & LIMIT_CODES
    assert nested_result.json()["data"]["courses"]["edges"]
    overview = send(gateway, GUARDIAN_OVERVIEW, user="foresatt.kari")
    assert not codes_of(overview) & LIMIT_CODES
    assert len(overview.json()["data"]["viewer"]["children"]) >= 2
