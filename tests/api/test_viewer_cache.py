"""The viewer cache (resolvers/viewer_cache.py) through HTTP: one statement per request once a
person's viewer is kept, and never a kept viewer after a change to its facts has committed.

A gateway of its own per backend. Each test first asks as the person whose facts will change,
so the gateway keeps their viewer, and checks what it answers; then changes the facts the way
the product does: the roster import, an operator's SQL on an engine of its own (another process,
as far as the gateway knows), a mutation, a privacy action, the deletion of a course; then asks
again: the answer follows the change at once. Without migration 0005's triggers (or, for a new
conversation, the conversation links the cache compares) the second answer would be the first.
The tests use different people, so their order does not matter, except that the roster import,
which sets the roster back to its files, comes first.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import DEMO_ROSTER, GraphQLResult, LiveGateway, own_gateway
from sqlalchemy import insert, select, text, update

from config.ids import to_global_id
from gateway.demo_calendar import shifted_copy, years_to_today
from gateway.keyfile import pseudonym_key
from resolvers.viewer_cache import ViewerCache
from roster import import_roster
from store import tables as t
from store.db import MIGRATIONS_DIR, make_engine

JUSTIFICATION = "Request from the person, ticket PV-2026-17 (GDPR chapter 3)"
COURSE = "query($id: ID!) { course(id: $id) { name } }"
USER = "query($id: ID!) { user(id: $id) { displayName } }"


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(request.param, tmp_path_factory, "viewer-cache") as gateway:
        yield gateway


def course_name(live: LiveGateway, username: str, sourced_id: str) -> str | None:
    """The course's name as ``username`` sees it; None when it is not visible to them."""
    result = live.gql(COURSE, {"id": live.course_id(sourced_id)}, as_user=username)
    return _visible(result, "course", "name")


def display_name(live: LiveGateway, username: str, of: str) -> str | None:
    result = live.gql(USER, {"id": live.person_id(of)}, as_user=username)
    return _visible(result, "user", "displayName")


def _visible(result: GraphQLResult, field: str, value: str) -> Any:
    found = result.data[field]
    if found is None:
        assert result.codes() == {"NOT_FOUND"}, result.errors
        return None
    assert result.errors == [], result.errors
    return found[value]


def kept(live: LiveGateway, username: str) -> bool:
    """Whether the gateway keeps ``username``'s viewer: of two requests, the second is
    answered from the cache."""
    live.gql("{ __typename }", as_user=username)
    before = live.state.viewers.hits
    live.gql("{ __typename }", as_user=username)
    return live.state.viewers.hits == before + 1


# --- the roster import ---------------------------------------------------------------------------


def test_the_roster_import_reaches_a_kept_viewer(
    live: LiveGateway, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The demo's roster once more, with Aurora (9B at Sagene) enrolled in Matematikk 8 too."""
    assert course_name(live, "elev.aurora", "c-sag-mat8") is None
    assert kept(live, "elev.aurora")
    years = years_to_today(DEMO_ROSTER, datetime.now(UTC).date())
    roster = shifted_copy(DEMO_ROSTER, tmp_path_factory.mktemp("roster") / "roster", years)
    with (roster / "enrollments.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with (roster / "enrollments.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=header, restval="").writerow(
            {
                "sourcedId": "e-sag-mat8-s-aurora",
                "classSourcedId": "c-sag-mat8",
                "schoolSourcedId": "org-sag",
                "userSourcedId": "u-s-aurora",
                "role": "student",
                "primary": "false",
            }
        )

    async def run_import() -> None:
        engine = make_engine(live.database_url)
        try:
            await import_roster(
                engine,
                roster,
                identity_key=pseudonym_key(live.state.settings),
                actor="test:viewer-cache",
            )
        finally:
            await engine.dispose()

    asyncio.run(run_import())
    assert course_name(live, "elev.aurora", "c-sag-mat8") == "Matematikk 8"


# --- an operator's SQL, from another process -----------------------------------------------------


def test_an_enrolment_and_its_end_reach_a_kept_viewer(live: LiveGateway) -> None:
    assert course_name(live, "elev.amina", "c-sag-nat9") is None
    assert kept(live, "elev.amina")
    (added,) = live.execute(
        insert(t.enrolments).values(
            course_id=live.course_pk("c-sag-nat9"),
            person_id=live.person_pk("elev.amina"),
            role=t.CourseRole.STUDENT,
            source=t.DataSource.ADMINISTRATOR,
        )
    )
    assert course_name(live, "elev.amina", "c-sag-nat9") == "Naturfag 9"
    assert kept(live, "elev.amina")
    live.execute(
        update(t.enrolments)
        .where(t.enrolments.c.id == added.inserted_primary_key[0])
        .values(ended_at=datetime.now(UTC))
    )
    assert course_name(live, "elev.amina", "c-sag-nat9") is None


def test_a_role_reaches_a_kept_viewer(live: LiveGateway) -> None:
    """Berg, a teacher at Bjølsen, becomes school leader at Sagene too."""
    assert display_name(live, "larer.berg", "elev.maja") is None
    assert kept(live, "larer.berg")
    sagene = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == "org-sag"))
    live.execute(
        insert(t.role_assignments).values(
            person_id=live.person_pk("larer.berg"),
            role=t.Role.SCHOOL_LEADER,
            school_id=sagene,
            source=t.DataSource.ADMINISTRATOR,
        )
    )
    assert display_name(live, "larer.berg", "elev.maja") == "Maja Bakke"


def test_a_guardianship_reaches_a_kept_viewer(live: LiveGateway) -> None:
    children = "{ viewer { children { id } } }"
    assert live.gql(children, as_user="foresatt.linn").data["viewer"]["children"] == [
        {"id": live.person_id("elev.emma")}
    ]
    assert display_name(live, "foresatt.linn", "elev.emil") is None
    assert kept(live, "foresatt.linn")
    live.execute(
        insert(t.guardianships).values(
            guardian_id=live.person_pk("foresatt.linn"),
            student_id=live.person_pk("elev.emil"),
            source=t.DataSource.ADMINISTRATOR,
        )
    )
    assert display_name(live, "foresatt.linn", "elev.emil") == "Emil Holm"
    found = live.gql(children, as_user="foresatt.linn").data["viewer"]["children"]
    assert {child["id"] for child in found} == {
        live.person_id("elev.emma"),
        live.person_id("elev.emil"),
    }


# --- a mutation --------------------------------------------------------------------------------


def test_a_new_conversation_reaches_the_kept_viewer_of_its_other_participant(
    live: LiveGateway,
) -> None:
    """Sofie writes to her teacher Nilsen for the first time. Adding participants raises no
    epoch (every gateway would forget every viewer at each new conversation): the cache sees
    Nilsen's count of conversation links grow instead."""
    inbox = "{ conversations(first: 50) { edges { node { id } } } }"

    def conversations(username: str) -> set[str]:
        result = live.gql(inbox, as_user=username)
        assert result.errors == [], result.errors
        return {edge["node"]["id"] for edge in result.data["conversations"]["edges"]}

    before = conversations("larer.nilsen")
    assert kept(live, "larer.nilsen")
    epoch = live.scalar(select(t.viewer_epoch.c.epoch))
    sent = live.gql(
        'mutation($to: [ID!]) { sendMessage(body: "Hei!", recipientIds: $to) { id } }',
        {"to": [live.person_id("larer.nilsen")]},
        as_user="elev.sofie",
    )
    assert sent.errors == [], sent.errors
    assert live.scalar(select(t.viewer_epoch.c.epoch)) == epoch
    after = conversations("larer.nilsen")
    assert len(after - before) == 1
    message = live.gql(
        "query($id: ID!) { node(id: $id) { ... on Message { body } } }",
        {"id": sent.data["sendMessage"]["id"]},
        as_user="larer.nilsen",
    )
    assert message.data == {"node": {"body": "Hei!"}}, message.errors


# --- privacy actions -----------------------------------------------------------------------------


def test_a_restriction_reaches_kept_viewers(live: LiveGateway) -> None:
    """Ola's restriction puts her guardianship and enrolments out of use: Knut (her father)
    no longer sees her course, and her own token stops working."""
    assert course_name(live, "foresatt.knut", "c-bjs-mat8") == "Matematikk 8"
    assert kept(live, "foresatt.knut")
    assert kept(live, "elev.ola")
    restricted = live.gql(
        "mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, justification: $j) "
        "{ status } }",
        {"s": live.person_id("elev.ola"), "j": JUSTIFICATION},
        as_user="admin",
    )
    assert restricted.data == {"restrictProcessing": {"status": "COMPLETED"}}, restricted.errors
    assert course_name(live, "foresatt.knut", "c-bjs-mat8") is None
    assert live.gql("{ viewer { id } }", as_user="elev.ola").codes() == {"UNAUTHENTICATED"}


def test_deleting_a_course_reaches_a_kept_viewer(live: LiveGateway) -> None:
    """Jakob (Bjølsen) and Lukas (Sagene) were classmates only in an archived course: Jakob
    sees Lukas's name (``former_course_member``) until the course is deleted."""
    bjolsen = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == "org-bjs"))
    (course,) = live.execute(
        insert(t.courses).values(
            sourced_id="c-bjs-old",
            name="Valgfag (avsluttet)",
            school_id=bjolsen,
            is_homeroom=False,
            state=t.CourseState.ARCHIVED,
            archived_at=datetime.now(UTC),
        )
    )
    course_id = course.inserted_primary_key[0]
    live.execute(
        *[
            insert(t.enrolments).values(
                course_id=course_id,
                person_id=live.person_pk(student),
                role=t.CourseRole.STUDENT,
                source=t.DataSource.ROSTER,
            )
            for student in ("elev.jakob", "elev.lukas")
        ]
    )
    assert display_name(live, "elev.jakob", "elev.lukas") == "Lukas Solberg"
    assert kept(live, "elev.jakob")
    requested = live.gql(
        "mutation($c: ID!, $j: String!) { requestCourseDeletion(courseId: $c, justification: $j) "
        "{ id } }",
        {"c": to_global_id("Course", course_id), "j": JUSTIFICATION},
        as_user="admin",
    )
    assert requested.errors == [], requested.errors
    confirmed = live.gql(
        "mutation($r: ID!) { confirmCourseDeletion(requestId: $r) { status } }",
        {"r": requested.data["requestCourseDeletion"]["id"]},
        as_user="admin2",
    )
    assert confirmed.data == {"confirmCourseDeletion": {"status": "COMPLETED"}}, confirmed.errors
    assert display_name(live, "elev.jakob", "elev.lukas") is None


# --- what a kept viewer costs --------------------------------------------------------------------


def test_a_kept_viewer_costs_one_statement(live: LiveGateway) -> None:
    """``{ viewer { id } }``: the first request finds the caller and loads their viewer (one
    statement each); from the second on, the caller's statement, which also reads what the
    kept viewer is checked against, is all the viewer costs. What the ``viewer`` field itself
    reads (the person's row) comes on top."""
    who = "larer.dahl"
    expected = {"viewer": {"id": live.person_id(who)}}

    def statements(query: str) -> list[str]:
        with live.count_sql() as executed:
            result = live.gql(query, as_user=who)
        assert result.errors == [], result.errors
        return list(executed)

    first = statements("{ viewer { id } }")
    warm = statements("{ viewer { id } }")
    bare = statements("{ __typename }")
    assert live.gql("{ viewer { id } }", as_user=who).data == expected

    def loads(statements: list[str]) -> int:
        return sum("viewer_courses" in statement for statement in statements)

    def callers(statements: list[str]) -> int:
        return sum("FROM viewer_epoch" in statement for statement in statements) - loads(statements)

    assert (callers(first), loads(first)) == (1, 1), first
    assert (callers(warm), loads(warm)) == (1, 0)
    assert len(warm) == len(first) - 1
    assert len(warm) <= 3, warm  # the caller, the person's row, their school memberships
    assert len(bare) == 1, bare


def test_the_cache_keeps_the_most_recently_used_viewers_only(live: LiveGateway) -> None:
    async def run() -> tuple[int, int, int]:
        engine = make_engine(live.database_url)
        try:
            cache = ViewerCache(max_people=2)
            for username in ("elev.mia", "elev.noah", "elev.thea", "elev.noah"):
                assert await cache.viewer_for(engine, username) is not None
            kept, loads = len(cache), cache.loads
            await cache.viewer_for(engine, "elev.mia")  # the least recently used: dropped
            return kept, loads, cache.loads
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == (2, 3, 4)


# --- the triggers --------------------------------------------------------------------------------


def _migration_0005() -> ModuleType:
    path = MIGRATIONS_DIR / "versions" / "0005_viewer_epoch.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_trigger_exists_and_the_demo_seeding_raised_the_epoch(live: LiveGateway) -> None:
    """A later migration that rebuilds a watched table (SQLite's batch mode) must create its
    triggers again. The gateway's start loaded the demo school into an empty database: those
    writes raised the counter like any other."""
    migration = _migration_0005()
    expected = {name for table in migration.WATCHED for name in migration.trigger_names(table)}
    if live.backend == "sqlite":
        query = text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        query = text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    found = {name for (name,) in live.rows(query)}
    assert expected <= found, expected - found
    assert live.scalar(select(t.viewer_epoch.c.epoch)) > 0


def test_migration_0005_runs_down_and_up_again(tmp_path: Path) -> None:
    """The downgrade removes the counter and every trigger; the upgrade brings them back."""
    from alembic import command

    from store.db import alembic_config, migrate

    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    asyncio.run(migrate(url))

    def triggers() -> set[str]:
        async def read() -> set[str]:
            engine = make_engine(url)
            try:
                async with engine.connect() as conn:
                    rows = await conn.execute(
                        text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                    )
                    return {name for (name,) in rows}
            finally:
                await engine.dispose()

        return asyncio.run(read())

    assert triggers()
    command.downgrade(alembic_config(url), "0004")
    assert triggers() == set()
    command.upgrade(alembic_config(url), "head")
    migration = _migration_0005()
    assert triggers() == {
        name for table in migration.WATCHED for name in migration.trigger_names(table)
    }
