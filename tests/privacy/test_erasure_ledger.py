"""The erasure ledger: an erased person never comes back from a backup restore.

On a copy of the demo school, on SQLite and PostgreSQL: back the database up (a file copy;
``pg_dump``), erase a pupil through the services, restore the backup (the file copied back;
``pg_restore`` into a new database), see the pupil back, run the real ``tavle privacy
reapply-erasures`` command, and see them erased again, with a second run changing nothing. The
ledger holds digests only, and an erasure whose ledger entry cannot be written is not reported
complete until the job worker's sweep has written it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from db_support import POSTGRES_SERVER, TEST_IDENTITY_KEY, admin_statement
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import Policy
from config.settings import Settings
from gateway.jobs import JobWorker
from resolvers.kinds import PRIVACY_REQUEST
from resolvers.services.actor import Actor
from resolvers.services.privacy import confirm_erasure, job_handlers, request_erasure
from resolvers.viewer import find_person_id, load_viewer
from store import tables as t
from store.db import is_sqlite, make_engine
from store.erasure_ledger import LedgerEntry, append_entries, read_entries
from store.tables import PrivacyRequestStatus, ProcessingState

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
WHY = "The pupil has left the school and the parents asked for erasure (case 2026/31)"
PUPIL = "elev.ola"
R = t.privacy_requests.c
P = t.people.c


def run(url: str, body: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = make_engine(url)
        try:
            return await body(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def settings_for(url: str, folder: Path, ledger: Path | None = None) -> Settings:
    return Settings(
        data_dir=folder,
        dev_secret=SecretStr("x" * 40),
        pseudonym_key=SecretStr(TEST_IDENTITY_KEY.decode()),
        database_url=url,
        erasure_background_rows=10**9,
        erasure_ledger=ledger,
    )


async def actor(engine: AsyncEngine, username: str) -> Actor:
    found = await find_person_id(engine, username)
    assert found is not None, username
    return Actor(engine, Policy(), await load_viewer(engine, found))


async def erase(engine: AsyncEngine, settings: Settings, username: str) -> tuple[int, int]:
    """Erase ``username`` (admin asks, admin2 confirms); (person id, request id)."""
    subject = await find_person_id(engine, username)
    assert subject is not None
    request_id = await request_erasure(await actor(engine, "admin"), subject, WHY)
    outcome = await confirm_erasure(
        await actor(engine, "admin2"), request_id, settings, identity_key=TEST_IDENTITY_KEY
    )
    assert not outcome.background
    return subject, request_id


async def person(engine: AsyncEngine, person_id: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(t.people).where(P.id == person_id))).one()


async def reported(engine: AsyncEngine, request_id: int) -> tuple[str, bool]:
    """The request's status as the API reports it, and its ``ledger_written`` flag."""
    async with engine.connect() as conn:
        status = (
            await conn.execute(
                select(*PRIVACY_REQUEST.selected)
                .select_from(t.privacy_requests)
                .where(R.id == request_id)
            )
        ).one()
        written = (
            await conn.execute(select(R.ledger_written).where(R.id == request_id))
        ).scalar_one()
    return str(status.status), bool(written)


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    rows = {}
    async with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            result = await conn.execute(select(table).order_by(*order))
            rows[table.name] = [tuple(row) for row in result]
    return rows


# --- backups as an operator takes them ---------------------------------------------------------


def _pg_args(url: str) -> tuple[list[str], str]:
    parsed = make_url(url)
    host_args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    return [*host_args, "-U", parsed.username or "postgres"], str(parsed.database)


def back_up(url: str, folder: Path) -> Path:
    if is_sqlite(url):
        source = Path(str(make_url(url).database))
        target = folder / "backup.sqlite3"
        # The engine is closed: the database is one file (no -wal beside it to copy).
        shutil.copyfile(source, target)
        return target
    args, database = _pg_args(url)
    target = folder / "backup.dump"
    subprocess.run(["pg_dump", *args, "-Fc", "-f", str(target), database], check=True)
    return target


def restore(url: str, backup: Path, name: str) -> str:
    """The backup restored: over the SQLite file, or into a new PostgreSQL database ``name``."""
    if is_sqlite(url):
        target = Path(str(make_url(url).database))
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        shutil.copyfile(backup, target)
        return url
    asyncio.run(admin_statement(f'CREATE DATABASE "{name}"'))
    args, _ = _pg_args(url)
    subprocess.run(["pg_restore", *args, "--no-owner", "-d", name, str(backup)], check=True)
    return f"{POSTGRES_SERVER}/{name}"


def reapply(url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """The real ``tavle privacy reapply-erasures`` command, in a process of its own."""
    env = {
        **os.environ,
        "TAVLE_DATA_DIR": str(folder),
        "TAVLE_PSEUDONYM_KEY": TEST_IDENTITY_KEY.decode(),
        "TAVLE_DEV_SECRET": "x" * 40,
    }
    env.pop("TAVLE_ERASURE_LEDGER", None)
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "privacy", "reapply-erasures", "--database-url", url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def count_of(output: str, label: str) -> int:
    for line in output.splitlines():
        if line.strip().startswith(label):
            return int(line.rsplit(":", 1)[1])
    raise AssertionError(f"no {label!r} in {output!r}")


# --- tests --------------------------------------------------------------------------------------


def test_restore_then_reapply_erases_again(demo_copy: str, tmp_path: Path) -> None:
    settings = settings_for(demo_copy, tmp_path)
    ledger = tmp_path / "erasure-ledger.jsonl"
    assert settings.erasure_ledger_path == ledger
    subject = run(demo_copy, lambda e: find_person_id(e, PUPIL))
    assert subject is not None
    clear = run(demo_copy, lambda e: person(e, subject))
    backup = back_up(demo_copy, tmp_path)

    _, request_id = run(demo_copy, lambda e: erase(e, settings, PUPIL))
    assert run(demo_copy, lambda e: reported(e, request_id)) == ("COMPLETED", True)

    # The ledger: owner-only, this erasure's entry, and nothing in clear.
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    entries = read_entries(ledger)
    mine = [e for e in entries if e.request_id == request_id]
    assert len(mine) == 1 and set(mine[0].digests) == {"sourced_id", "username"} | (
        {"national_id"} if clear.national_id else set()
    )
    text = ledger.read_text()
    for value in (
        clear.sourced_id,
        clear.username,
        clear.national_id,
        clear.given_name,
        clear.family_name,
        clear.email,
    ):
        if value:
            assert value not in text

    restored = restore(demo_copy, backup, f"{make_url(demo_copy).database}_restored")
    try:
        back = run(restored, lambda e: person(e, subject))
        assert back.processing_state == ProcessingState.ACTIVE
        assert back.username == clear.username

        first = reapply(restored, tmp_path)
        assert first.returncode == 0, first.stderr
        assert count_of(first.stdout, "erased again") == 1
        assert count_of(first.stdout, "Erasure ledger entries read") == len(entries)
        again = run(restored, lambda e: person(e, subject))
        assert again.processing_state == ProcessingState.ERASED
        assert again.username is None or again.username != clear.username
        assert again.erased_username_digest == mine[0].digests["username"]

        async def reapplied(engine: AsyncEngine) -> list[Any]:
            async with engine.connect() as conn:
                return list(
                    (
                        await conn.execute(
                            select(R.status, R.justification, R.requested_by_id).where(
                                R.subject_id == subject, R.justification.like("Re-applied%")
                            )
                        )
                    ).all()
                )

        rows = run(restored, reapplied)
        assert [(r.status, r.requested_by_id) for r in rows] == [
            (PrivacyRequestStatus.COMPLETED, None)
        ]

        before = run(restored, snapshot)
        second = reapply(restored, tmp_path)
        assert second.returncode == 0, second.stderr
        assert count_of(second.stdout, "erased again") == 0
        assert count_of(second.stdout, "already erased") >= 1
        assert run(restored, snapshot) == before
        assert read_entries(ledger) == entries  # re-applying adds no entries
    finally:
        if restored != demo_copy:
            name = make_url(restored).database
            asyncio.run(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_ledger_write_failure_is_retried_by_the_worker(demo_copy: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the ledger's folder should be")
    ledger = blocker / "erasure-ledger.jsonl"
    settings = settings_for(demo_copy, tmp_path, ledger)

    subject, request_id = run(demo_copy, lambda e: erase(e, settings, PUPIL))
    # Erased in the database, but not reported complete without its ledger entry.
    assert run(demo_copy, lambda e: person(e, subject)).processing_state == ProcessingState.ERASED
    assert run(demo_copy, lambda e: reported(e, request_id)) == ("RUNNING", False)

    async def sweep(engine: AsyncEngine) -> None:
        await JobWorker(engine, {}, export_dir=tmp_path, erasure_ledger=ledger).sweep()

    run(demo_copy, sweep)  # the ledger still cannot be written: nothing changes
    assert run(demo_copy, lambda e: reported(e, request_id)) == ("RUNNING", False)

    blocker.unlink()
    blocker.mkdir()
    run(demo_copy, sweep)
    assert run(demo_copy, lambda e: reported(e, request_id)) == ("COMPLETED", True)
    assert [e.request_id for e in read_entries(ledger)].count(request_id) == 1
    run(demo_copy, sweep)  # nothing pending: nothing appended twice
    assert [e.request_id for e in read_entries(ledger)].count(request_id) == 1


def test_torn_last_line_is_skipped_and_not_glued_to_the_next(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    ledger = tmp_path / "ledger.jsonl"
    first = LedgerEntry(1, datetime(2026, 1, 1, tzinfo=UTC), {"username": "a" * 64})
    second = LedgerEntry(2, datetime(2026, 1, 2, tzinfo=UTC), {"sourced_id": "b" * 64})
    append_entries(ledger, [first])
    with open(ledger, "a") as out:
        out.write('{"request":9,"erased')  # an append cut short by a crash
    assert read_entries(ledger) == [first]
    append_entries(ledger, [second])
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert read_entries(ledger) == [first, second]
    with open(ledger, "a") as out:
        out.write('{"request": 3, "erased_at": "2026-01-03T00:00:00+00:00"}\n')
    with pytest.raises(OSError):
        read_entries(ledger)  # JSON, but not an entry: damaged, not torn


def test_background_erasure_writes_its_entry(demo_copy: str, tmp_path: Path) -> None:
    settings = settings_for(demo_copy, tmp_path).model_copy(update={"erasure_background_rows": 0})

    async def body(engine: AsyncEngine) -> int:
        subject = await find_person_id(engine, PUPIL)
        assert subject is not None
        request_id = await request_erasure(await actor(engine, "admin"), subject, WHY)
        outcome = await confirm_erasure(
            await actor(engine, "admin2"), request_id, settings, identity_key=TEST_IDENTITY_KEY
        )
        assert outcome.background
        assert await reported(engine, request_id) == ("QUEUED", False)
        worker = JobWorker(
            engine,
            job_handlers(settings, TEST_IDENTITY_KEY),
            export_dir=tmp_path,
            erasure_ledger=None,  # the handler itself writes the entry, not the sweep
        )
        assert await worker.run_once()
        assert await reported(engine, request_id) == ("COMPLETED", True)
        return request_id

    request_id = run(demo_copy, body)
    assert [e.request_id for e in read_entries(settings.erasure_ledger_path)].count(request_id) == 1
