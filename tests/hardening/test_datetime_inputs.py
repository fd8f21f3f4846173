"""Date-times from browser forms (docs/interfaces.md, "Date-times"), through HTTP on both
backends.

An ``<input type="datetime-local">`` gives ``2026-03-01T10:00``: no seconds and no offset. The
``DateTime`` scalar refuses it as a variable with ``BAD_USER_INPUT`` and, written as a literal in
the document, with ``GRAPHQL_VALIDATION_FAILED``, both saying to send an offset, and never
with ``INTERNAL_SERVER_ERROR``; nothing is written. With an offset the same value is accepted,
and every output is the moment in UTC with its offset, from the mutation (graphql-core) and from
a read (the compiled executor) alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway, own_gateway
from mutation_support import CREATE_ASSIGNMENT, CREATE_EVENT, count, created_pk

from config.ids import to_global_id
from store import tables as t

MAT8 = "c-bjs-mat8"
LOCAL = "2026-03-01T10:00"
ENDS = "2026-03-01T12:00:00Z"
EVENT = "query($id: ID!) { node(id: $id) { ... on CalendarEvent { startsAt endsAt } } }"
#: what a browser form or a hand-written client may send without an offset
NAIVE = [LOCAL, "2026-03-01T10:00:00", "2026-03-01T10:00:00.000", "2026-03-01 10:00"]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "datetime-inputs") as gateway:
        yield gateway


def _says_to_send_an_offset(message: str, value: str) -> None:
    assert f"'{value}' has no UTC offset" in message, message
    assert "+01:00" in message and "'Z'" in message, message


@pytest.mark.parametrize("value", NAIVE)
def test_a_value_without_offset_as_a_variable_is_bad_user_input(
    live: LiveGateway, value: str
) -> None:
    before = count(live, t.calendar_events), count(live, t.audit_entries)
    for variables in [
        {"title": "Møte", "startsAt": value, "endsAt": ENDS},
        {"title": "Møte", "startsAt": "2026-03-01T09:00:00Z", "endsAt": value},
    ]:
        result = live.gql(CREATE_EVENT, variables, as_user="elev.ola")
        assert result.data is None
        assert result.codes() == {"BAD_USER_INPUT"}, result.errors
        _says_to_send_an_offset(result.errors[0]["message"], value)
    assert (count(live, t.calendar_events), count(live, t.audit_entries)) == before


@pytest.mark.parametrize("value", NAIVE)
def test_a_value_without_offset_as_a_literal_fails_validation(
    live: LiveGateway, value: str
) -> None:
    before = count(live, t.calendar_events), count(live, t.assignments)
    documents = [
        f'mutation {{ createCalendarEvent(title: "Møte", startsAt: "{value}", endsAt: "{ENDS}") '
        "{ id } }",
        'mutation { createAssignment(input: {courseId: "'
        + live.course_id(MAT8)
        + f'", title: "Oppgave", dueAt: "{value}"}}) {{ id }} }}',
    ]
    for document in documents:
        result = live.gql(document, as_user="larer.hansen")
        assert result.data is None
        assert result.codes() == {"GRAPHQL_VALIDATION_FAILED"}, result.errors
        _says_to_send_an_offset(result.errors[0]["message"], value)
    assert (count(live, t.calendar_events), count(live, t.assignments)) == before


def test_a_value_without_offset_inside_an_input_object_is_bad_user_input(
    live: LiveGateway,
) -> None:
    before = count(live, t.assignments)
    variables = {"input": {"courseId": live.course_id(MAT8), "title": "Oppgave", "dueAt": LOCAL}}
    result = live.gql(CREATE_ASSIGNMENT, variables, as_user="larer.hansen")
    assert result.codes() == {"BAD_USER_INPUT"}, result.errors
    _says_to_send_an_offset(result.errors[0]["message"], LOCAL)
    assert count(live, t.assignments) == before


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (f"{LOCAL}+01:00", "2026-03-01T09:00:00+00:00"),
        (f"{LOCAL}Z", "2026-03-01T10:00:00+00:00"),
        (f"{LOCAL}-05:30", "2026-03-01T15:30:00+00:00"),
    ],
)
def test_with_an_offset_the_same_value_is_kept_and_answered_in_utc(
    live: LiveGateway, sent: str, stored: str
) -> None:
    variables = {"title": "Møte", "startsAt": sent, "endsAt": "2026-03-01T18:00:00+00:00"}
    document = CREATE_EVENT.replace("id title", "id title startsAt endsAt")
    created = live.gql(document, variables, as_user="elev.ola")
    assert created.errors == []
    assert created.data["createCalendarEvent"]["startsAt"] == stored
    event = created_pk(created, "createCalendarEvent")
    read = live.gql(EVENT, {"id": to_global_id("CalendarEvent", event)}, as_user="elev.ola")
    assert read.data["node"] == {"startsAt": stored, "endsAt": "2026-03-01T18:00:00+00:00"}

    literal = (
        f'mutation {{ createCalendarEvent(title: "Møte", startsAt: "{sent}", '
        'endsAt: "2026-03-01T18:00:00Z") { startsAt } }'
    )
    result = live.gql(literal, as_user="elev.ola")
    assert result.data == {"createCalendarEvent": {"startsAt": stored}}, result.errors
