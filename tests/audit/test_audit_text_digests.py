"""The audit log's free text can be blanked without breaking the chain; on SQLite and PostgreSQL.

A database is made at revision 0008 with entries written by the formula of that time (the hash
covers the justification's text), and upgraded (migration 0009). New entries are appended, and
the justifications of the entries concerning person 7 are blanked as erasure does
(``store.audit.blank_free_text``). Then:

* the chain verifies, old entries keep the hashes they were written with, and blanked entries
  keep their digests while their text is gone (entries person 7 only wrote keep theirs);
* changing any field of an entry, its text, its digest, its format or its seal is named, for old
  and new entries, blanked or not; so is rewriting an old blanked entry with its seals recomputed,
  and removing an old entry.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from db_support import BACKENDS, fresh_database
from sqlalchemy import delete, select, update

from gateway.cli import main
from store import audit
from store import tables as t
from store.db import alembic_config, make_engine

A = t.audit_entries.c
ERASED = 7
NAMED = "Kari Nordmann (7b) asked for erasure, sak 2026/14 «art. 17»"

#: the audit table as revision 0008 has it
OLD_ENTRIES = sa.table(
    "audit_entries",
    *(
        sa.column(name, t.audit_entries.c[name].type)
        for name in [
            "id",
            "at",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "subject_id",
            "justification",
            "trace_id",
            "roster_import_id",
            "detail",
            "prev_hash",
            "hash",
        ]
    ),
)

#: entries 1-6, written before the migration
OLD_EVENTS = [
    audit.AuditEvent(actor_id=1, action="CREATE_POST", target_type="Post", target_id=10),
    audit.AuditEvent(
        actor_id=2,
        action="PRIVACY_ERASE",
        target_type="PrivacyRequest",
        target_id=3,
        subject_id=ERASED,
        justification=NAMED,
        trace_id="0123456789abcdef0123456789abcdef",
    ),
    audit.AuditEvent(
        actor_id=2,
        action="WITHDRAW_ASSESSMENT",
        target_type="Assessment",
        target_id=4,
        subject_id=8,
        justification="Registrert på feil elev",
    ),
    audit.AuditEvent(actor_id=3, action="READ_NATIONAL_ID", target_type="User", target_id=ERASED),
    audit.AuditEvent(
        actor_id=None,
        action="NOTE",
        target_type="User",
        target_id=ERASED,
        justification="Kari's guardian phoned",
        detail="fields: email",
    ),
    audit.AuditEvent(
        actor_id=ERASED,
        action="PRIVACY_RESTRICT",
        target_type="PrivacyRequest",
        target_id=5,
        subject_id=9,
        justification="Written by person 7 about person 9",
    ),
]
#: entries 7-10, appended after it
NEW_EVENTS = [
    audit.AuditEvent(
        actor_id=2,
        action="PRIVACY_RESTRICT",
        target_type="PrivacyRequest",
        target_id=6,
        subject_id=ERASED,
        justification="Kari Nordmann's parents asked",
    ),
    audit.AuditEvent(
        actor_id=2,
        action="WITHDRAW_ASSESSMENT",
        target_type="Assessment",
        target_id=11,
        subject_id=8,
        justification="Feil karakter",
    ),
    audit.AuditEvent(
        actor_id=4,
        action="NOTE",
        target_type="User",
        target_id=ERASED,
        justification="About Kari, by target",
        roster_import_id=2,
    ),
    audit.AuditEvent(actor_id=1, action="CREATE_POST", target_type="Post", target_id=12),
]
BLANKED = {2, 5, 7, 9}
KEPT = {3: OLD_EVENTS[2], 6: OLD_EVENTS[5], 8: NEW_EVENTS[1]}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def run_sql(url: str, *statements: Any) -> None:
    async def body() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(statement)
        finally:
            await engine.dispose()

    asyncio.run(body())


def rows(url: str) -> dict[int, Any]:
    async def body() -> dict[int, Any]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(select(t.audit_entries).order_by(A.id))
                return {row.id: row for row in found}
        finally:
            await engine.dispose()

    return asyncio.run(body())


def old_log() -> list[dict[str, Any]]:
    """Entries 1-6 as 0008 wrote them: the hash covers the justification's text."""
    start = datetime(2026, 11, 23, 10, 0, 0, 123_456, tzinfo=UTC)
    prev, entries = audit.GENESIS, []
    for entry_id, event in enumerate(OLD_EVENTS, start=1):
        at = start + timedelta(minutes=entry_id)
        digest_ = audit.chain_hash(prev, audit.canonical(entry_id, at, event))
        entries.append(
            {
                "id": entry_id,
                "at": at,
                "actor_id": event.actor_id,
                "action": event.action,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "subject_id": event.subject_id,
                "justification": event.justification,
                "trace_id": event.trace_id,
                "roster_import_id": event.roster_import_id,
                "detail": event.detail,
                "prev_hash": prev,
                "hash": digest_,
            }
        )
        prev = digest_
    return entries


@pytest.fixture(scope="module", params=BACKENDS)
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A database with entries 1-6 from revision 0008, upgraded, then 7-10 appended and person
    7's text blanked. Yields its URL and the old entries as written."""
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"audit-digests-{backend}")
    with fresh_database(backend, folder, prefix="tavle_audit_digest") as url:
        command.upgrade(alembic_config(url), "0008")
        old = old_log()
        run_sql(url, OLD_ENTRIES.insert().values(old))
        command.upgrade(alembic_config(url), "head")

        async def append_and_blank() -> int:
            engine = make_engine(url)
            try:
                for event in NEW_EVENTS:
                    async with engine.begin() as conn:
                        await audit.append(conn, event)
                async with engine.begin() as conn:
                    return await audit.blank_free_text(conn, ERASED)
            finally:
                await engine.dispose()

        assert asyncio.run(append_and_blank()) == len(BLANKED)
        yield url, old


def verify(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify", "--database-url", url, "--batch-size", "4"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_migrated_log_with_blanked_text_verifies(
    migrated: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, old = migrated
    code, output = verify(url, capsys)
    assert code == 0, output
    assert "OK: 10 entries" in output
    found = rows(url)
    # Old entries keep the hash and format they were written with; new ones use digests.
    for entry in old:
        row = found[entry["id"]]
        assert (row.hash, row.prev_hash, row.hash_format) == (entry["hash"], entry["prev_hash"], 1)
        assert row.legacy_seal is not None
    assert {found[i].hash_format for i in range(7, 11)} == {audit.DIGEST_FORMAT}
    assert {found[i].legacy_seal for i in range(7, 11)} == {None}


def test_the_erased_persons_text_is_gone_and_the_entries_stay(
    migrated: tuple[str, list[dict[str, Any]]],
) -> None:
    url, old = migrated
    found = rows(url)
    assert sorted(found) == list(range(1, 11))
    written = {e["id"]: e["justification"] for e in old}
    written.update({6 + i: e.justification for i, e in enumerate(NEW_EVENTS, start=1)})
    for entry_id in BLANKED:
        row = found[entry_id]
        assert row.justification is None
        assert row.justification_digest == digest(written[entry_id])
    assert all(NAMED not in str(value) for row in found.values() for value in row)
    assert all("Kari" not in str(row.justification) for row in found.values())
    # Entries person 7 only wrote, and entries about others, keep their text.
    for entry_id, event in KEPT.items():
        assert found[entry_id].justification == event.justification
        assert found[entry_id].justification_digest == digest(str(event.justification))
    assert found[1].justification is None and found[1].justification_digest is None


TAMPERINGS = [
    # old entry, blanked
    pytest.param(2, {"actor_id": 99}, id="old-blanked-actor"),
    pytest.param(2, {"justification_digest": digest("other")}, id="old-blanked-digest"),
    pytest.param(2, {"justification": "Someone else"}, id="old-blanked-text-put-back-wrong"),
    pytest.param(2, {"hash_format": 2}, id="old-blanked-format"),
    pytest.param(2, {"legacy_seal": "0" * 64}, id="old-blanked-seal"),
    pytest.param(5, {"detail": "fields: name"}, id="old-blanked-detail"),
    # old entry with its text
    pytest.param(3, {"justification": "Registrert på riktig elev"}, id="old-text"),
    pytest.param(3, {"justification_digest": digest("x")}, id="old-digest"),
    pytest.param(
        3,
        {"justification": "Registrert på riktig elev", "justification_digest": digest("x")},
        id="old-text-and-digest",
    ),
    pytest.param(3, {"justification": None, "justification_digest": None}, id="old-text-removed"),
    pytest.param(3, {"subject_id": 1}, id="old-subject"),
    pytest.param(3, {"hash_format": 2}, id="old-format"),
    pytest.param(1, {"target_id": 5}, id="old-no-text-target"),
    pytest.param(4, {"justification_digest": digest("x")}, id="old-no-text-digest-added"),
    pytest.param(6, {"at": datetime(2026, 1, 1, tzinfo=UTC)}, id="old-at"),
    # new entry, blanked
    pytest.param(7, {"actor_id": 99}, id="new-blanked-actor"),
    pytest.param(7, {"justification_digest": digest("other")}, id="new-blanked-digest"),
    pytest.param(7, {"hash_format": 1}, id="new-blanked-format"),
    pytest.param(7, {"hash_format": 1, "legacy_seal": "0" * 64}, id="new-blanked-format-and-seal"),
    pytest.param(9, {"roster_import_id": 3}, id="new-blanked-roster-import"),
    # new entry with its text
    pytest.param(8, {"justification": "Riktig karakter"}, id="new-text"),
    pytest.param(8, {"justification_digest": digest("x")}, id="new-digest"),
    pytest.param(8, {"target_type": "Post"}, id="new-target-type"),
    pytest.param(10, {"action": "DELETE_POST"}, id="new-no-text-action"),
    pytest.param(10, {"trace_id": "f" * 32}, id="new-no-text-trace"),
]


@pytest.mark.parametrize(("entry_id", "values"), TAMPERINGS)
def test_tampering_is_named(
    migrated: tuple[str, list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
    entry_id: int,
    values: dict[str, Any],
) -> None:
    url, _ = migrated
    original = rows(url)[entry_id]._mapping
    run_sql(url, update(t.audit_entries).where(A.id == entry_id).values(values))
    try:
        code, output = verify(url, capsys)
    finally:
        run_sql(
            url,
            update(t.audit_entries)
            .where(A.id == entry_id)
            .values({name: original[name] for name in values}),
        )
    assert code == 1, output
    assert f"entry {entry_id}:" in output and "altered" in output
    assert verify(url, capsys)[0] == 0  # restored


def test_an_old_blanked_entry_rewritten_with_its_seals_is_caught_by_the_first_new_entry(
    migrated: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Entry 5 (old, blanked) gets another actor and seals recomputed for 5 and 6: the old
    entries then check out, but entry 7's hash covers entry 6's seal."""
    url, _ = migrated
    found = rows(url)
    seal_4 = found[4].legacy_seal

    def event_of(row: Any, **changed: Any) -> audit.AuditEvent:
        values = {
            "actor_id": row.actor_id,
            "action": row.action,
            "target_type": row.target_type,
            "target_id": row.target_id,
            "subject_id": row.subject_id,
            "justification": row.justification,
            "trace_id": row.trace_id,
            "roster_import_id": row.roster_import_id,
            "detail": row.detail,
        }
        return audit.AuditEvent(**{**values, **changed})

    seal_5 = audit.seal(
        seal_4, 5, found[5].at, event_of(found[5], actor_id=99), found[5].justification_digest
    )
    seal_6 = audit.seal(seal_5, 6, found[6].at, event_of(found[6]), found[6].justification_digest)
    run_sql(
        url,
        update(t.audit_entries).where(A.id == 5).values(actor_id=99, legacy_seal=seal_5),
        update(t.audit_entries).where(A.id == 6).values(legacy_seal=seal_6),
    )
    try:
        code, output = verify(url, capsys)
    finally:
        run_sql(
            url,
            update(t.audit_entries)
            .where(A.id == 5)
            .values(actor_id=found[5].actor_id, legacy_seal=found[5].legacy_seal),
            update(t.audit_entries).where(A.id == 6).values(legacy_seal=found[6].legacy_seal),
        )
    assert code == 1, output
    assert "entry 7:" in output and "altered" in output
    assert verify(url, capsys)[0] == 0


def test_a_removed_old_entry_is_named(
    migrated: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = migrated
    removed = rows(url)[3]._mapping
    run_sql(url, delete(t.audit_entries).where(A.id == 3))
    try:
        code, output = verify(url, capsys)
    finally:
        run_sql(url, t.audit_entries.insert().values(dict(removed)))
    assert code == 1, output
    assert "entry 4:" in output and "entry 3 is missing (removed)" in output
    assert verify(url, capsys)[0] == 0
