"""``tavle audit verify``: an intact hash chain passes; an altered, a removed and two swapped
entries each fail, naming the first bad entry; on SQLite and PostgreSQL.

The chain is rebuilt for every test (the tampering tests damage it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from db_support import BACKENDS, fresh_database
from sqlalchemy import delete, event, select, update

from gateway.cli import main
from store import audit
from store import tables as t
from store.audit_verify import verify_chain
from store.db import make_engine, migrate

A = t.audit_entries.c
ENTRIES = 8

EVENTS = [
    audit.AuditEvent(actor_id=1, action="CREATE_POST", target_type="Post", target_id=10),
    audit.AuditEvent(
        actor_id=2,
        action="REQUEST_ERASURE",
        target_type="PrivacyRequest",
        target_id=3,
        subject_id=7,
        justification="Begjæring fra eleven, «art. 17» — sak 2026/14",
        trace_id="0123456789abcdef0123456789abcdef",
    ),
    audit.AuditEvent(actor_id=None, action="IMPORT_ROSTER"),
    audit.AuditEvent(actor_id=3, action="READ_NATIONAL_ID", target_type="User", target_id=7),
]


@pytest.fixture(scope="module", params=BACKENDS)
def module_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"audit-{backend}")
    with fresh_database(backend, folder, prefix="tavle_audit") as url:
        asyncio.run(migrate(url))
        yield url


def execute(url: str, *statements: Any) -> None:
    async def run() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(statement)
        finally:
            await engine.dispose()

    asyncio.run(run())


def rows(url: str) -> list[Any]:
    async def run() -> list[Any]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(select(t.audit_entries).order_by(A.id))).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def url(module_url: str) -> str:
    """The module's database with a fresh chain of ``ENTRIES`` entries."""

    async def rebuild() -> None:
        engine = make_engine(module_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(delete(t.audit_entries))
            for i in range(ENTRIES):
                async with engine.begin() as conn:
                    await audit.append(conn, EVENTS[i % len(EVENTS)])
        finally:
            await engine.dispose()

    asyncio.run(rebuild())
    return module_url


def verify(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--database-url", url, *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_an_intact_chain_is_ok(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = verify(url, capsys)
    assert code == 0, output
    assert f"OK: {ENTRIES} entries" in output
    assert rows(url)[-1].hash in output


def test_an_intact_chain_is_ok_across_batches(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = verify(url, capsys, "--batch-size", "3")
    assert code == 0, output
    assert f"OK: {ENTRIES} entries" in output


def test_an_empty_log_is_ok(module_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    execute(module_url, delete(t.audit_entries))
    code, output = verify(module_url, capsys)
    assert code == 0 and "OK: 0 entries" in output


def test_timestamps_read_back_give_the_hash_they_were_written_with(
    module_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Microseconds and the UTC normalisation survive the round trip on both backends."""
    oslo = timezone(timedelta(hours=2))
    stamps = [
        datetime(2026, 3, 29, 1, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 0, 0, 1, tzinfo=oslo),
        datetime(2026, 11, 23, 10, 0, 0, 0, tzinfo=UTC),
    ]
    prev, inserts = audit.GENESIS, []
    for entry_id, at in enumerate(stamps, start=1):
        event = audit.AuditEvent(actor_id=entry_id, action="TEST")
        digest = audit.entry_hash(prev, entry_id, at, event)
        inserts.append(
            t.audit_entries.insert().values(
                id=entry_id,
                at=at,
                actor_id=entry_id,
                action="TEST",
                hash_format=audit.DIGEST_FORMAT,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    execute(module_url, delete(t.audit_entries), *inserts)

    assert [row.at for row in rows(module_url)] == stamps
    code, output = verify(module_url, capsys)
    assert code == 0, output


def test_an_altered_entry_is_named(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    execute(url, update(t.audit_entries).where(A.id == 4).values(actor_id=99))
    code, output = verify(url, capsys)
    assert code == 1
    assert "entry 4:" in output and "altered" in output


def test_an_altered_justification_is_named(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    execute(url, update(t.audit_entries).where(A.id == 2).values(justification="nothing to see"))
    code, output = verify(url, capsys, "--batch-size", "1")
    assert code == 1
    assert "entry 2:" in output and "altered" in output


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = rows(url)[4]  # id 5
    forged = audit.AuditEvent(
        actor_id=42,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        subject_id=entry.subject_id,
        justification=entry.justification,
        trace_id=entry.trace_id,
    )
    digest = audit.entry_hash(entry.prev_hash, entry.id, entry.at, forged)
    execute(url, update(t.audit_entries).where(A.id == 5).values(actor_id=42, hash=digest))
    code, output = verify(url, capsys)
    assert code == 1
    assert "entry 6:" in output and "removed or reordered" in output


def test_a_removed_entry_is_named(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    execute(url, delete(t.audit_entries).where(A.id == 4))
    code, output = verify(url, capsys, "--batch-size", "3")
    assert code == 1
    assert "entry 5:" in output and "entry 4 is missing (removed)" in output


def test_the_first_entry_removed_is_named(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    execute(url, delete(t.audit_entries).where(A.id == 1))
    code, output = verify(url, capsys)
    assert code == 1
    assert "entry 2:" in output and "entry 1 is missing" in output


def test_two_swapped_entries_are_named(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Entries 3 and 4 trade places: each keeps its content and hashes, under the other's id."""
    third, fourth = rows(url)[2:4]
    content = ["at", "actor_id", "action", "target_type", "target_id", "subject_id"]
    content += ["justification", "justification_digest", "trace_id", "prev_hash", "hash"]
    execute(
        url,
        update(t.audit_entries).where(A.id == 3).values({c: fourth._mapping[c] for c in content}),
        update(t.audit_entries).where(A.id == 4).values({c: third._mapping[c] for c in content}),
    )
    code, output = verify(url, capsys)
    assert code == 1
    assert "entry 3:" in output and "reordered" in output


def test_verify_reads_in_batches(url: str) -> None:
    """The verifier never asks for more rows than one batch at a time."""
    limits: list[Any] = []

    async def run() -> bool:
        engine = make_engine(url)

        def before(_c: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
            if "audit_entries" in statement:
                limits.append(params)

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        try:
            return (await verify_chain(engine, batch_size=3)).ok
        finally:
            await engine.dispose()

    assert asyncio.run(run())
    # 8 entries in batches of 3: 3 + 3 + 2, then an empty read ends the walk
    assert len(limits) == 4
