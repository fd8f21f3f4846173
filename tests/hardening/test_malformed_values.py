"""Malformed values answer BAD_USER_INPUT (or a 400), never INTERNAL_SERVER_ERROR, and write
nothing (docs/security.md, "Input limits"), through HTTP on both backends.

- date-times without a UTC offset, next to one with an offset, or outside what UTC can hold;
- ids and cursors that decode to ours but are not spelled the way the API hands them out;
- text no database can store: NUL (PostgreSQL refuses it in text) and lone UTF-16 surrogates
  (neither driver can encode them), in every text input of every mutation and on the command
  line.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from db_support import BACKENDS
from gateway_support import REPO, LiveGateway, own_gateway
from limits_support import TEXT_CASES, Case, make_targets
from mutation_support import (
    CREATE_ASSIGNMENT,
    CREATE_EVENT,
    CREATE_POST,
    ENDS,
    STARTS,
    count,
    created_pk,
    refused,
)

from config.ids import to_global_id
from resolvers.services import input_limits as limits
from store import tables as t

MAT8 = "c-bjs-mat8"
USER = "query($id: ID!) { user(id: $id) { id } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
COURSES = "query($after: String) { courses(first: 2, after: $after) { edges { cursor } } }"
EVENT = "query($id: ID!) { node(id: $id) { ... on CalendarEvent { startsAt endsAt } } }"


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "malformed-values") as gateway:
        yield gateway


@pytest.fixture(scope="module")
def targets(live: LiveGateway) -> dict[str, str]:
    return make_targets(live)


def post_json(live: LiveGateway, query: str, variables: dict[str, Any], who: str) -> httpx.Response:
    """POST with the body encoded by ``json.dumps``: lone surrogates become ``\\udXXX`` escapes
    (valid JSON) instead of failing to encode in the client."""
    body = json.dumps({"query": query, "variables": variables})
    headers = {
        "Authorization": f"Bearer {live.token(who)}",
        "Content-Type": "application/json",
    }
    return live.client.post(f"{live.url}/graphql", content=body.encode("ascii"), headers=headers)


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# --- date-times ---------------------------------------------------------------------------------

NAIVE = "2031-03-01T08:00:00"


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        pytest.param(NAIVE, "2031-03-01T09:00:00", "no UTC offset", id="both-naive"),
        pytest.param(NAIVE, ENDS, "no UTC offset", id="naive-next-to-an-offset"),
        pytest.param(STARTS, "2031-03-01T09:00", "no UTC offset", id="naive-end"),
        pytest.param("2031-03-01", ENDS, "no UTC offset", id="a-date-only"),
        pytest.param(f"{NAIVE}+01:00[Europe/Oslo]", ENDS, "ISO 8601", id="zone-name-suffix"),
        pytest.param(f"{NAIVE} Europe/Oslo", ENDS, "ISO 8601", id="zone-name-after-a-space"),
        pytest.param(f"{NAIVE}+25:00", ENDS, "ISO 8601", id="offset-out-of-range"),
        pytest.param("9999-12-31T23:00:00-14:00", ENDS, "years 1-9999", id="after-year-9999"),
        pytest.param("0001-01-01T00:00:00+14:00", ENDS, "years 1-9999", id="before-year-1"),
        pytest.param("next tuesday", ENDS, "ISO 8601", id="words"),
        pytest.param(20310301, ENDS, "ISO 8601 string", id="a-number"),
    ],
)
def test_bad_datetimes_are_bad_user_input(
    live: LiveGateway, starts: Any, ends: str, message: str
) -> None:
    before = count(live, t.calendar_events), count(live, t.audit_entries)
    variables = {"title": "Møte", "startsAt": starts, "endsAt": ends}
    result = live.gql(CREATE_EVENT, variables, as_user="elev.ola")
    assert result.data is None
    assert result.codes() == {"BAD_USER_INPUT"}, result.errors
    assert any(message in e["message"] for e in result.errors), result.errors
    assert (count(live, t.calendar_events), count(live, t.audit_entries)) == before


def test_the_refusal_tells_the_client_how_to_send_an_offset(live: LiveGateway) -> None:
    result = live.gql(
        CREATE_EVENT, {"title": "Møte", "startsAt": NAIVE, "endsAt": ENDS}, as_user="elev.ola"
    )
    (error,) = result.errors
    assert "2031-03-01T08:00:00+01:00" in error["message"] and "'Z'" in error["message"]
    assert "$startsAt" in error["message"]


def test_a_naive_due_date_inside_an_input_object(live: LiveGateway) -> None:
    before = count(live, t.assignments)
    variables = {"input": {"courseId": live.course_id(MAT8), "title": "Oppgave", "dueAt": NAIVE}}
    result = live.gql(CREATE_ASSIGNMENT, variables, as_user="larer.hansen")
    assert result.codes() == {"BAD_USER_INPUT"}
    assert "no UTC offset" in result.errors[0]["message"]
    assert count(live, t.assignments) == before


def test_a_naive_literal_in_the_document_fails_validation(live: LiveGateway) -> None:
    document = (
        f'mutation {{ createCalendarEvent(title: "Møte", startsAt: "{NAIVE}", '
        f'endsAt: "{ENDS}") {{ id }} }}'
    )
    before = count(live, t.calendar_events)
    result = live.gql(document, as_user="elev.ola")
    assert result.data is None
    assert result.codes() == {"GRAPHQL_VALIDATION_FAILED"}
    assert "no UTC offset" in result.errors[0]["message"]
    assert count(live, t.calendar_events) == before


def test_offsets_are_kept_as_the_same_moment_in_utc(live: LiveGateway) -> None:
    variables = {
        "title": "Foreldremøte",
        "startsAt": "2031-03-01T08:00:00+01:00",
        "endsAt": "2031-03-01T07:30:00Z",
    }
    event = created_pk(live.gql(CREATE_EVENT, variables, as_user="elev.ola"), "createCalendarEvent")
    read = live.gql(EVENT, {"id": to_global_id("CalendarEvent", event)}, as_user="elev.ola")
    assert read.data["node"] == {
        "startsAt": "2031-03-01T07:00:00+00:00",
        "endsAt": "2031-03-01T07:30:00+00:00",
    }


def test_an_end_before_the_start_is_compared_across_offsets(live: LiveGateway) -> None:
    """08:30+01:00 is 07:30 UTC, before 08:00 UTC: refused although 08:30 > 08:00 on paper."""
    variables = {
        "title": "Bakvendt",
        "startsAt": "2031-03-01T08:00:00Z",
        "endsAt": "2031-03-01T08:30:00+01:00",
    }
    result = live.gql(CREATE_EVENT, variables, as_user="elev.ola")
    refused(result, "BAD_USER_INPUT")
    assert "'endsAt' must not be before 'startsAt'" in result.errors[0]["message"]


# --- ids and cursors: the canonical spelling only -----------------------------------------------


def _unused_bits_variant(global_id: str) -> str | None:
    """The same bytes with the last character's unused low bits set: base64 decodes it alike."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused = {2: 4, 3: 2}.get(len(global_id) % 4)
    if unused is None:
        return None
    last = alphabet.index(global_id[-1])
    return global_id[:-1] + alphabet[last | ((1 << unused) - 1)]


def non_canonical_ids(pk: int) -> dict[str, str]:
    canonical = to_global_id("User", pk)
    arabic = str(pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    variants = {
        "leading-zeros": b64(f"User:00{pk}"),
        "space-before": b64(f"User: {pk}"),
        "space-after": b64(f"User:{pk} "),
        "plus-sign": b64(f"User:+{pk}"),
        "underscore": b64(f"User:{str(pk)[0]}_{str(pk)[1:]}") if pk >= 10 else b64("User:1_0"),
        "other-digits": b64(f"User:{arabic}"),
        "padding": canonical + "=" * (-len(canonical) % 4 or 4),
        "stray-character": canonical[:2] + "!" + canonical[2:],
        "whitespace-around": f" {canonical}\n",
        "standard-alphabet": base64.b64encode(f"User:{pk}".encode()).decode() + "==",
    }
    bits = _unused_bits_variant(canonical)
    if bits is not None:
        variants["unused-bits"] = bits
    return {name: value for name, value in variants.items() if value != canonical}


@pytest.mark.parametrize("document", [USER, NODE], ids=["user", "node"])
def test_non_canonical_ids_are_bad_user_input(live: LiveGateway, document: str) -> None:
    pk = live.person_pk("elev.ola")
    assert live.gql(document, {"id": to_global_id("User", pk)}, as_user="admin").errors == []
    for name, variant in non_canonical_ids(pk).items():
        result = live.gql(document, {"id": variant}, as_user="admin")
        assert next(iter(result.data.values())) is None, name
        assert result.codes() == {"BAD_USER_INPUT"}, (name, result.errors)
        assert "send ids exactly as the API gave them" in result.errors[0]["message"]


@pytest.mark.parametrize(
    ("global_id", "code"),
    [
        pytest.param(to_global_id("User", 999_999), "NOT_FOUND", id="unknown-number"),
        pytest.param(to_global_id("user", 1), "NOT_FOUND", id="unknown-type-name"),
    ],
)
def test_canonical_ids_of_nothing_are_not_found(
    live: LiveGateway, global_id: str, code: str
) -> None:
    result = live.gql(USER, {"id": global_id}, as_user="admin")
    assert result.data == {"user": None}
    assert result.codes() == {code}


def test_a_mutation_with_a_non_canonical_id_writes_nothing(live: LiveGateway) -> None:
    pk = live.course_pk(MAT8)
    before = count(live, t.posts), count(live, t.audit_entries)
    for variant in (b64(f"Course:0{pk}"), b64(f"Course: {pk}"), b64(f"Course:+{pk}")):
        result = live.gql(CREATE_POST, {"courseId": variant, "body": "Hei"}, as_user="elev.ola")
        refused(result, "BAD_USER_INPUT")
    assert (count(live, t.posts), count(live, t.audit_entries)) == before


def test_non_canonical_cursors_are_bad_user_input(live: LiveGateway) -> None:
    first = live.gql(COURSES, {}, as_user="admin")
    cursor = first.data["courses"]["edges"][-1]["cursor"]
    key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":")[1]
    assert live.gql(COURSES, {"after": cursor}, as_user="admin").errors == []
    for variant in (b64(f"cursor:0{key}"), b64(f"cursor: {key}"), cursor + "=="):
        result = live.gql(COURSES, {"after": variant}, as_user="admin")
        assert result.codes() == {"BAD_USER_INPUT"}, (variant, result.errors)


def test_an_export_download_by_a_non_canonical_id_is_not_found(live: LiveGateway) -> None:
    response = live.client.get(
        f"{live.url}/privacy/exports/{b64('PrivacyRequest:01')}",
        headers={"Authorization": f"Bearer {live.token('admin')}"},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


# --- text no database can store -------------------------------------------------------------------


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda c: c.coordinate)
def test_a_nul_character_is_bad_user_input_naming_the_field(
    live: LiveGateway, targets: dict[str, str], case: Case
) -> None:
    variables = case.variables(live, targets, "ab\x00cd")
    before = case.rows(live)
    result = case.send(live, variables)
    refused(result, "BAD_USER_INPUT")
    (error,) = result.errors
    assert error["extensions"]["field"] == case.field
    assert "NUL character (U+0000)" in error["message"]
    assert case.rows(live) == before


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda c: c.coordinate)
@pytest.mark.parametrize("surrogate", ["\ud800", "\udfff"], ids=["high", "low"])
def test_a_lone_surrogate_is_refused_and_writes_nothing(
    live: LiveGateway, targets: dict[str, str], case: Case, surrogate: str
) -> None:
    """The HTTP layer may refuse the body first (400); if it lets it through, the mutation's
    own check answers BAD_USER_INPUT naming the field. Never a 500, never a row."""
    variables = case.variables(live, targets, f"ab{surrogate}cd")
    before = case.rows(live)
    response = post_json(live, case.document, variables, case.who)
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert body.get("data") is None or all(v is None for v in body["data"].values())
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes in ({"BAD_USER_INPUT"}, {"BAD_REQUEST"}), body
    if codes == {"BAD_USER_INPUT"}:
        assert body["errors"][0]["extensions"]["field"] == case.field
    assert case.rows(live) == before


def test_the_input_check_names_a_lone_surrogate() -> None:
    """The check behind the mutations and the command line, whatever refused it in HTTP."""
    assert limits.text_problem("ab\ud83dcd", 10) == (
        "contains a lone surrogate (U+D83D), which is not valid Unicode"
    )
    assert limits.text_problem("ab\U0001f600cd", 10) is None  # a real emoji is fine
    assert limits.text_problem("ab\x00", 10) == (
        "contains a NUL character (U+0000), which cannot be stored"
    )


@pytest.mark.parametrize(
    "escaped", ["\\u0000", "\\uD800", "\\uDC00"], ids=["nul", "high-surrogate", "low-surrogate"]
)
def test_escapes_in_a_document_literal_are_refused(live: LiveGateway, escaped: str) -> None:
    """The same characters written as GraphQL string escapes in the document itself."""
    document = (
        f'mutation {{ createPost(courseId: "{live.course_id(MAT8)}", body: "a{escaped}b") '
        "{ id } }"
    )
    before = count(live, t.posts)
    result = live.gql(document, as_user="elev.ola")
    assert result.data is None or result.data.get("createPost") is None
    assert result.codes() <= {"BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED"}, result.errors
    assert count(live, t.posts) == before


@pytest.mark.parametrize("value", ["\ud800", "a\x00b"], ids=["surrogate", "nul"])
@pytest.mark.parametrize("document", [USER, COURSES], ids=["id", "cursor"])
def test_unstorable_text_in_ids_and_cursors(live: LiveGateway, document: str, value: str) -> None:
    variables = {"id": value} if document == USER else {"after": value}
    response = post_json(live, document, variables, "admin")
    assert response.status_code in (200, 400)
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes <= {"BAD_USER_INPUT", "BAD_REQUEST"}, response.text


# --- the command line ---------------------------------------------------------------------------


def allow_recreate(
    live: LiveGateway, tmp: Path, *args: str | bytes
) -> subprocess.CompletedProcess[str]:
    """``tavle roster allow-recreate`` as a process; bytes arguments reach it undecoded."""
    command: list[str | bytes] = [sys.executable, "-m", "gateway.cli", "roster", "allow-recreate"]
    command += [*args, "--database-url", live.database_url]
    return subprocess.run(
        command,
        cwd=REPO,
        env=dict(os.environ, TAVLE_DATA_DIR=str(tmp)),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["u-s-gone", "--justification", b"SIS ticket \xff"],
            "the justification contains a lone surrogate (U+DCFF)",
            id="non-utf8-justification",
        ),
        pytest.param(
            [b"u-s-\xfe", "--justification", "SIS ticket 4711"],
            "the sourcedId contains a lone surrogate (U+DCFE)",
            id="non-utf8-sourced-id",
        ),
        pytest.param(
            ["u-s-gone", "--justification", "x" * (limits.JUSTIFICATION + 1)],
            f"the justification is longer than {limits.JUSTIFICATION} characters",
            id="long-justification",
        ),
        pytest.param(
            ["u" * (limits.SOURCED_ID + 1), "--justification", "SIS ticket 4711"],
            f"the sourcedId is longer than {limits.SOURCED_ID} characters",
            id="long-sourced-id",
        ),
    ],
)
def test_allow_recreate_refuses_unstorable_and_long_text(
    live: LiveGateway, tmp_path: Path, args: list[str | bytes], message: str
) -> None:
    before = count(live, t.recreate_allowances), count(live, t.audit_entries)
    done = allow_recreate(live, tmp_path, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"roster allow-recreate: {message}" in done.stderr
    assert "Traceback" not in done.stderr
    assert (count(live, t.recreate_allowances), count(live, t.audit_entries)) == before
