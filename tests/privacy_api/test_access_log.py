"""The staff access log through the HTTP API (docs/privacy-actions.md, "Staff access log").

A staff member receiving another person's answer, assessment or national id, or downloading
their export, leaves one entry per (staff member, person, kind) per operation, with the
operation's name and nothing else of the request; students and guardians reading their own or
their child's data leave none. Entries are buffered and written in batches: the tests write the
buffer with ``AppState.access_log.flush_from_thread()`` (the flush the background task does
every second), never by waiting. A gateway of its own per backend; the two execution paths are
compared on twin gateways over one database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS, fresh_database
from gateway_support import LiveGateway, run_gateway
from privacy_api_support import (
    ADMIN,
    confirm_erasure,
    export_json,
    privacy_gateway,
    request_erasure,
    wait_until_finished,
)
from sqlalchemy import delete, event, func, select

from config import clock
from config.clock import ManualClock
from gateway.jobs import JobWorker
from store import tables as t
from store.access_log import people_read_by
from store.db import make_engine
from store.privacy.retention import parse_duration

TEACHER = "larer.hansen"  # teaches 8A and Matematikk 8, where elev.ola is
STUDENT = "elev.ola"
GUARDIAN = "foresatt.kari"  # elev.ola's guardian
COURSE = "c-bjs-mat8"
#: the background flush's interval here: the tests flush themselves (no write in between)
HOUR = 3600.0
#: in the variables only: must never reach the log
MARKER = "do-not-log-this-value-7f3a"

WORK = """
query %s($u: ID!, $c: ID!, $marker: String) {
  user(id: $u) {
    displayName
    submissions(first: 50, courseId: $c) {
      edges { node { body assessments { grade comment } } }
    }
    again: submissions(first: 50, courseId: $c) { edges { node { body } } }
    assessments(first: 50, courseId: $c) { edges { node { grade comment } } }
  }
  other: user(id: $u) { submissions(first: 50) { edges { node { status } } } }
  users(search: $marker, first: 1) { totalCount }
}"""
NATIONAL_ID = "query ReadNationalId($u: ID!) { user(id: $u) { nationalId } }"
NO_CONTENT = """
query ListsOnly($u: ID!) {
  user(id: $u) { submissions(first: 50) { edges { node { status submittedAt } } } }
}"""

_a = t.access_log.c


def flush(live: LiveGateway) -> int:
    return live.state.access_log.flush_from_thread()


def entries(live: LiveGateway) -> list[tuple[int, int, str, str | None]]:
    """Every entry as (staff, person, what, operation), in the order written."""
    flush(live)
    rows = live.rows(select(_a.staff_id, _a.person_id, _a.what, _a.operation).order_by(_a.id))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def clear(live: LiveGateway) -> None:
    flush(live)
    live.execute(delete(t.access_log))


def read_work(
    live: LiveGateway, viewer: str, operation: str = "TeacherReadsWork", *, strict: bool = True
) -> Any:
    """The student's answers and assessments in Matematikk 8 (the teacher's course), read by
    ``viewer`` in an operation named ``operation``; the whole response unless ``strict``."""
    variables = {"u": live.person_id(STUDENT), "c": live.course_id(COURSE), "marker": MARKER}
    result = live.gql(WORK % operation, variables, as_user=viewer)
    if not strict:
        return result
    assert result.errors == [], result.errors
    return result.data


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with privacy_gateway(
        request.param, tmp_path_factory, "access-log", access_log_flush_seconds=HOUR
    ) as gateway:
        yield gateway


@pytest.fixture(autouse=True)
def empty_log(live: LiveGateway) -> None:
    clear(live)


def test_a_teacher_reading_answers_and_assessments_is_logged_once_per_operation(
    live: LiveGateway,
) -> None:
    data = read_work(live, TEACHER)
    edges = data["user"]["submissions"]["edges"]
    assert any(e["node"]["body"] for e in edges), "the demo student has answers"
    assert any(e["node"]["grade"] for e in data["user"]["assessments"]["edges"])
    teacher, student = live.person_pk(TEACHER), live.person_pk(STUDENT)
    # each answer and assessment was delivered several times (aliases): one entry per kind
    assert sorted(entries(live)) == [
        (teacher, student, "ASSESSMENT", "TeacherReadsWork"),
        (teacher, student, "SUBMISSION", "TeacherReadsWork"),
    ]
    # the next operation is a new one
    read_work(live, TEACHER, "AgainLater")
    assert [e[3] for e in entries(live)].count("AgainLater") == 2


def test_what_carries_no_content_is_not_logged(live: LiveGateway) -> None:
    result = live.gql(NO_CONTENT, {"u": live.person_id(STUDENT)}, as_user=TEACHER)
    assert result.errors == [] and result.data["user"]["submissions"]["edges"]
    assert entries(live) == []


@pytest.mark.parametrize("viewer", [STUDENT, GUARDIAN])
def test_the_person_and_their_guardian_are_not_logged(live: LiveGateway, viewer: str) -> None:
    # the guardian may not read the answers themselves (FORBIDDEN), the published assessments yes
    data = read_work(live, viewer, "OwnWork", strict=False).data
    assert any(e["node"]["grade"] for e in data["user"]["assessments"]["edges"])
    if viewer == STUDENT:
        assert any(e["node"]["body"] for e in data["user"]["submissions"]["edges"])
    assert entries(live) == []


def test_a_national_id_read_by_an_administrator_is_logged(live: LiveGateway) -> None:
    result = live.gql(NATIONAL_ID, {"u": live.person_id(STUDENT)}, as_user=ADMIN)
    assert result.data["user"]["nationalId"]
    own = live.gql(NATIONAL_ID, {"u": live.person_id(ADMIN)}, as_user=ADMIN)
    assert own.errors == []
    assert entries(live) == [
        (live.person_pk(ADMIN), live.person_pk(STUDENT), "NATIONAL_ID", "ReadNationalId")
    ]


def test_an_anonymous_operation_is_logged_without_a_name(live: LiveGateway) -> None:
    result = live.gql(
        '{ user(id: "' + live.person_id(STUDENT) + '") { nationalId } }', as_user=ADMIN
    )
    assert result.data["user"]["nationalId"]
    assert entries(live) == [(live.person_pk(ADMIN), live.person_pk(STUDENT), "NATIONAL_ID", None)]


def test_no_value_of_the_request_or_the_answer_is_stored(live: LiveGateway) -> None:
    data = read_work(live, TEACHER)
    bodies = [e["node"]["body"] for e in data["user"]["submissions"]["edges"]]
    flush(live)
    stored = [str(value) for row in live.rows(select(t.access_log)) for value in row]
    assert stored
    for value in stored:
        assert MARKER not in value
        assert all(body not in value for body in bodies if body)
        assert live.person_id(STUDENT) not in value  # no variable
    assert {len(row) for row in live.rows(select(t.access_log))} == {6}


def test_an_export_download_by_an_administrator_is_logged(live: LiveGateway) -> None:
    exported = export_json(live, STUDENT)
    assert exported
    assert (
        live.person_pk(ADMIN),
        live.person_pk(STUDENT),
        "EXPORT",
        "GET /privacy/exports/{requestId}",
    ) in entries(live)


def test_the_batched_write_is_one_insert_per_flush(live: LiveGateway) -> None:
    """One INSERT per flush; on PostgreSQL one ``COPY`` instead (the driver's bulk path, which
    the statement events do not see: the entries are read back)."""
    for n in range(3):
        read_work(live, TEACHER, f"Read{n}")
    live.gql(NATIONAL_ID, {"u": live.person_id(STUDENT)}, as_user=ADMIN)
    with writer_statements(live) as statements:
        written = flush(live)
    assert written == 7
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    if live.backend == "postgresql":
        assert inserts == []
        assert live.scalar(select(func.count()).select_from(t.access_log)) == 7
    else:
        assert len(inserts) == 1 and "access_log" in inserts[0]
    assert len(statements) <= 3  # the INSERT, and the transaction's BEGIN/COMMIT at most
    # nothing left: the next flush writes nothing
    with writer_statements(live) as statements:
        assert flush(live) == 0
    assert statements == []


@contextmanager
def writer_statements(live: LiveGateway) -> Iterator[list[str]]:
    """The statements the access log's writer (on its own engine) runs inside the block."""
    engine = live.state.access_log.engine
    assert engine is not None
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)


def test_the_writer_has_a_connection_of_its_own(live: LiveGateway) -> None:
    """Its writes never count among (nor wait for) the requests' statements."""
    assert live.state.access_log.engine is not live.state.engine
    read_work(live, TEACHER, "ReadOwn")
    with live.count_sql() as statements:
        assert flush(live) >= 1
    assert not any("access_log" in s for s in statements)


def test_reading_adds_no_statement_to_the_request(live: LiveGateway) -> None:
    read_work(live, TEACHER)  # warm (viewer cache, opened stamps)
    with live.count_sql() as statements:
        read_work(live, TEACHER)
    assert not any("access_log" in s for s in statements)


def test_people_read_by_gives_the_people_a_staff_member_read(live: LiveGateway) -> None:
    read_work(live, TEACHER)
    flush(live)
    now = clock.now()
    teacher = live.person_pk(TEACHER)

    async def read(start_offset: timedelta, end_offset: timedelta) -> set[int]:
        engine = make_engine(live.database_url)
        try:
            async with engine.connect() as conn:
                return await people_read_by(conn, teacher, now + start_offset, now + end_offset)
        finally:
            await engine.dispose()

    assert asyncio.run(read(timedelta(minutes=-5), timedelta(minutes=5))) == {
        live.person_pk(STUDENT)
    }
    assert asyncio.run(read(timedelta(minutes=5), timedelta(minutes=10))) == set()


READ_BY_INCIDENT = """
mutation($input: IncidentInput!) {
  recordIncident(input: $input) {
    affectedCount affectedPeople(first: 50) { edges { node { person { id } } } }
  }
}"""


def test_an_incident_scoped_to_a_staff_members_reads_finds_the_people_read(
    live: LiveGateway,
) -> None:
    """End to end: a teacher reads a pupil's work through the API; the log is written; an
    incident "everyone whose data this teacher read in the last hour" resolves to that pupil,
    and one for the hour before to nobody."""
    clear(live)
    read_work(live, TEACHER, "BeforeTheBreach")
    flush(live)
    now = clock.now()

    def affected(start: datetime, end: datetime) -> set[str]:
        scope = {
            "readBy": {
                "staffId": live.person_id(TEACHER),
                "from": start.isoformat(),
                "to": end.isoformat(),
            }
        }
        incident = {
            "description": "A teacher's account was used by someone else",
            "detectedAt": now.isoformat(),
            "categories": ["STUDENT_ANSWERS", "ASSESSMENTS"],
            "scope": scope,
        }
        found = live.gql(READ_BY_INCIDENT, {"input": incident}, as_user=ADMIN)
        assert found.errors == [], found.errors
        edges = found.data["recordIncident"]["affectedPeople"]["edges"]
        return {edge["node"]["person"]["id"] for edge in edges}

    assert affected(now - timedelta(hours=1), now) == {live.person_id(STUDENT)}
    assert affected(now - timedelta(hours=2), now - timedelta(hours=1)) == set()


def test_retention_purge_in_the_daily_run(live: LiveGateway, tmp_path: Path) -> None:
    read_work(live, TEACHER)
    assert len(entries(live)) == 2
    start = clock.now()

    def daily_at(moment: Any) -> None:
        async def run() -> None:
            engine = make_engine(live.database_url)
            try:
                worker = JobWorker(
                    engine,
                    {},
                    export_dir=tmp_path,
                    access_log_retention=parse_duration("P12M"),
                )
                await worker.daily()
            finally:
                await engine.dispose()

        with clock.using(ManualClock(moment)):
            asyncio.run(run())

    daily_at(start + timedelta(days=300))  # 10 months on: kept
    assert len(entries(live)) == 2
    daily_at(start + timedelta(days=367))  # past 12 months: deleted
    assert entries(live) == []


def test_the_export_lists_who_read_the_person(live: LiveGateway) -> None:
    read_work(live, TEACHER)
    flush(live)
    exported = export_json(live, STUDENT)
    reads = [
        item["fields"]
        for item in exported["data"]["personal_data"]
        if item["kind"] == "access_log_entry"
    ]
    teacher = live.person_pk(TEACHER)
    assert {(r["reader_id"], r["what"], r["operation"]) for r in reads} >= {
        (teacher, "SUBMISSION", "TeacherReadsWork"),
        (teacher, "ASSESSMENT", "TeacherReadsWork"),
    }


def test_erasure_removes_the_entries_of_both_sides(live: LiveGateway) -> None:
    """Near the end of the module: it erases the teacher and a student."""
    read_work(live, TEACHER)
    other = "elev.jakob"
    live.gql(NATIONAL_ID, {"u": live.person_id(other)}, as_user=ADMIN)
    teacher, student = live.person_pk(TEACHER), live.person_pk(STUDENT)
    assert {(e[0], e[1]) for e in entries(live)} == {
        (teacher, student),
        (live.person_pk(ADMIN), live.person_pk(other)),
    }
    # the reader erased: their entries go
    finished = wait_until_finished(
        live, confirm_erasure(live, request_erasure(live, TEACHER)["id"])["id"]
    )
    assert finished["status"] == "COMPLETED", finished
    assert {(e[0], e[1]) for e in entries(live)} == {(live.person_pk(ADMIN), live.person_pk(other))}
    # the one read about erased: theirs go too
    finished = wait_until_finished(
        live, confirm_erasure(live, request_erasure(live, other)["id"])["id"]
    )
    assert finished["status"] == "COMPLETED", finished
    assert entries(live) == []
    assert live.scalar(select(func.count()).select_from(t.access_log)) == 0


def test_entries_still_in_memory_about_an_erased_person_are_not_written(
    live: LiveGateway,
) -> None:
    """Read, then erased before the buffer is written (this module's gateway writes only when
    a test flushes): the entry about the erased person never reaches the table; one about
    someone else in the same flush does."""
    clear(live)
    reader, erased, other = live.person_pk(ADMIN), "elev.amina", "elev.filip"
    live.gql(NATIONAL_ID, {"u": live.person_id(erased)}, as_user=ADMIN)
    live.gql(NATIONAL_ID, {"u": live.person_id(other)}, as_user=ADMIN)
    finished = wait_until_finished(
        live, confirm_erasure(live, request_erasure(live, erased)["id"])["id"]
    )
    assert finished["status"] == "COMPLETED", finished
    assert [(e[0], e[1]) for e in entries(live)] == [(reader, live.person_pk(other))]


# --- the two execution paths -------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def twins(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveGateway, LiveGateway]]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"access-log-paths-{backend}")
    with (
        fresh_database(backend, folder, prefix="tavle_access_paths") as url,
        run_gateway(
            backend, url, folder, compiled_execution=False, access_log_flush_seconds=HOUR
        ) as generic,
        run_gateway(
            backend, url, folder, compiled_execution=True, access_log_flush_seconds=HOUR
        ) as compiled,
    ):
        yield generic, compiled


QUERIES = [
    ("TeacherReadsWork", TEACHER),
    ("SchoolLeaderReadsWork", "rektor.bjolsen"),
    ("SuperuserReadsWork", "superuser.bjolsen"),
    ("AdminReadsWork", ADMIN),
    ("OwnWork", STUDENT),
    ("ChildsWork", GUARDIAN),
]


def test_both_execution_paths_log_the_same(twins: tuple[LiveGateway, LiveGateway]) -> None:
    generic, compiled = twins
    for gateway in twins:
        clear(gateway)
    for operation, viewer in QUERIES:
        answers = [read_work(gateway, viewer, operation, strict=False) for gateway in twins]
        assert answers[0].data == answers[1].data
        assert sorted(map(str, answers[0].errors)) == sorted(map(str, answers[1].errors))
        for gateway in twins:
            gateway.gql(NATIONAL_ID, {"u": gateway.person_id(STUDENT)}, as_user=viewer)
    stats = compiled.state.compiled
    assert stats is not None and stats.stats.compiled_runs > 0
    # one database: each gateway's entries in turn
    generic_entries = entries(generic)
    clear(generic)
    compiled_entries = entries(compiled)
    assert generic_entries and sorted(generic_entries) == sorted(compiled_entries)
    logged_viewers = {e[0] for e in compiled_entries}
    assert compiled.person_pk(STUDENT) not in logged_viewers
    assert compiled.person_pk(GUARDIAN) not in logged_viewers
    assert compiled.person_pk(TEACHER) in logged_viewers
