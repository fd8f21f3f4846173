"""Migration 0003 (the school year) on a database that has data in it, from revision 0002.

The demo school with its activity is made at head, copied row by row (the columns 0002 has)
into a fresh database at revision 0002, and that database is upgraded. Nothing may be lost:
every row and value is still there, every course and school is ACTIVE, every enrolment current,
every assessment carries its course's code, name and school, and the audit chain still verifies.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from db_support import POSTGRES_SERVER, TEST_IDENTITY_KEY, admin_statement
from demo_roster_support import current_demo_roster
from roster_support import run_with_engine
from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from config.settings import Settings
from gateway.demo import ensure_demo
from roster import import_roster
from store import audit
from store.audit_verify import verify_chain
from store.db import alembic_config, make_engine
from store.tables import CourseState, metadata

Rows = dict[str, list[dict[str, Any]]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at revision 0002."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
        command.upgrade(alembic_config(url), "0002")
        yield url
        return
    request.getfixturevalue("roster_db_url")  # fails in CI (skips elsewhere) without PostgreSQL
    name = f"tavle_mig_{secrets.token_hex(6)}"
    asyncio.run(admin_statement(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_SERVER}/{name}"
    try:
        command.upgrade(alembic_config(url), "0002")
        yield url
    finally:
        asyncio.run(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _reflect(engine: AsyncEngine) -> MetaData:
    reflected = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(reflected.reflect)
    return reflected


async def _rows(engine: AsyncEngine, tables: MetaData) -> Rows:
    found: Rows = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name not in tables.tables:
                continue
            old = tables.tables[table.name]
            columns = [table.c[column.name] for column in old.columns]
            rows = await conn.execute(select(*columns).order_by(*table.primary_key.columns))
            found[table.name] = [dict(row._mapping) for row in rows]
    return found


async def _copy(engine: AsyncEngine, tables: MetaData, rows: Rows) -> None:
    async with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if rows.get(table.name):
                old: Table = tables.tables[table.name]
                await conn.execute(old.insert(), rows[table.name])
        if conn.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                if table.name in tables.tables and "id" in table.c and rows.get(table.name):
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )


def _as_0002_log(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit log as 0002 would have written it: without the import's entries (which carry
    fields 0002 lacks), renumbered and re-chained."""
    chained: list[dict[str, Any]] = []
    prev_hash = audit.GENESIS
    for entry in entries:
        if entry["action"].startswith("ROSTER_"):
            continue
        entry = {**entry, "id": len(chained) + 1, "prev_hash": prev_hash}
        event = audit.AuditEvent(
            actor_id=entry["actor_id"],
            action=entry["action"],
            target_type=entry["target_type"],
            target_id=entry["target_id"],
            subject_id=entry["subject_id"],
            justification=entry["justification"],
            trace_id=entry["trace_id"],
        )
        entry["hash"] = audit.chain_hash(
            prev_hash, audit.canonical(entry["id"], entry["at"], event)
        )
        prev_hash = entry["hash"]
        chained.append(entry)
    return chained


def test_upgrade_from_0002_keeps_everything(
    old_db_url: str, roster_db_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=roster_db_url)
    asyncio.run(ensure_demo(settings, current_demo_roster()))

    async def scenario(old: AsyncEngine) -> None:
        old_tables = await _reflect(old)
        assert "roster_imports" not in old_tables.tables
        source = make_engine(roster_db_url)
        try:
            before = await _rows(source, old_tables)
        finally:
            await source.dispose()
        before.pop("roster_imports", None)
        before["audit_entries"] = _as_0002_log(before["audit_entries"])
        assert before["assessments"] and before["enrolments"] and before["audit_entries"]
        await _copy(old, old_tables, before)
        await asyncio.to_thread(command.upgrade, alembic_config(old_db_url), "head")
        after = await _rows(old, old_tables)
        for name, rows in before.items():
            assert after[name] == rows, name
        async with old.connect() as conn:
            states = {
                state
                for table in ("courses", "schools")
                for (state,) in await conn.execute(text(f"SELECT state FROM {table}"))
            }
            ended = (
                await conn.execute(
                    text("SELECT count(*) FROM enrolments WHERE ended_at IS NOT NULL")
                )
            ).scalar_one()
            snapshots = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM assessments a JOIN courses c ON c.id = a.course_id "
                        "WHERE a.course_code IS NOT DISTINCT FROM c.code "
                        "AND a.course_name = c.name AND a.school_id = c.school_id"
                    )
                )
            ).scalar_one()
        assert states == {CourseState.ACTIVE.value}
        assert ended == 0
        assert snapshots == len(before["assessments"])
        assert (await verify_chain(old)).ok
        # The upgraded database works with the new importer: the same roster changes nothing.
        report = await import_roster(old, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        assert report.users.created == 0 and report.enrollments.created == 0
        assert report.classes.created == 0 and report.classes.removed == 0

    run_with_engine(old_db_url, scenario)


def test_downgrade_refuses_to_lose_what_0003_added(roster_db_url: str) -> None:
    """Back to 0002 works on a database without school-year data, and is refused when an
    assessment outlives its course or an enrolment has ended (0002 would lose or reopen them)."""
    command.downgrade(alembic_config(roster_db_url), "0002")
    command.upgrade(alembic_config(roster_db_url), "head")

    async def end_an_enrolment(engine: AsyncEngine) -> None:
        now = "2026-11-29 10:00:00+00"
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO schools (id, sourced_id, name, org_type, state) "
                "VALUES (1, 'org', 'Skole', 'school', 'ACTIVE')",
                "INSERT INTO courses (id, sourced_id, school_id, name, is_homeroom, state) "
                "VALUES (1, 'c', 1, 'Klasse', false, 'ACTIVE')",
                "INSERT INTO people (id, sourced_id, given_name_source, family_name_source, "
                "email_source, national_id_source, enabled, processing_state, created_at, "
                f"updated_at) VALUES (1, 'p', 'ROSTER', 'ROSTER', 'ROSTER', 'ROSTER', true, "
                f"'ACTIVE', '{now}', '{now}')",
                "INSERT INTO enrolments (id, course_id, person_id, role, source, ended_at) "
                f"VALUES (1, 1, 1, 'STUDENT', 'ROSTER', '{now}')",
            ):
                await conn.execute(text(statement))

    run_with_engine(roster_db_url, end_an_enrolment)
    with pytest.raises(RuntimeError, match="1 enrolment\\(s\\) have ended"):
        command.downgrade(alembic_config(roster_db_url), "0002")
