"""Erasure blanks the free text of the audit entries concerning the person, and the audit chain
still verifies; on a copy of the demo school, SQLite and PostgreSQL, through the services.

"Concerning" is: the person is the entry's subject, or its target (``User``). Entries the person
only wrote, and entries about other people, keep their text.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import Policy
from config.settings import Settings
from resolvers.services.actor import Actor
from resolvers.services.privacy import confirm_erasure, request_erasure, restrict_processing
from resolvers.viewer import find_person_id, load_viewer
from store import audit
from store import tables as t
from store.audit_verify import verify_chain
from store.db import make_engine

T = TypeVar("T")
A = t.audit_entries.c
IDENTITY_KEY = b"test-identity-key-0123456789abcdef"
WHY_ERASE = "Ola Nordmann left the school; his parents asked for erasure (sak 2026/17)"
WHY_NOTE = "Ola's guardian called about the national id"
WHY_OTHER = "Hansen disputes the roster's data"


def run(url: str, body: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = make_engine(url)
        try:
            return await body(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def actor(engine: AsyncEngine, username: str) -> Actor:
    person_id = await find_person_id(engine, username)
    assert person_id is not None, username
    return Actor(engine, Policy(), await load_viewer(engine, person_id))


async def entries(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(t.audit_entries).order_by(A.id))).all())


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_erasure_blanks_the_persons_audit_text_and_the_chain_verifies(
    demo_copy: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        dev_secret=SecretStr("x" * 40),
        database_url=demo_copy,
        erasure_background_rows=1_000_000,
    )

    async def body(engine: AsyncEngine) -> None:
        admin, admin2 = await actor(engine, "admin"), await actor(engine, "admin2")
        ola = await find_person_id(engine, "elev.ola")
        hansen = await find_person_id(engine, "larer.hansen")
        assert ola is not None and hansen is not None
        await restrict_processing(admin, hansen, WHY_OTHER)
        async with engine.begin() as conn:
            # An entry that targets Ola (and has no subject), and one Ola wrote about Hansen.
            target_entry = await audit.append(
                conn,
                audit.AuditEvent(
                    actor_id=admin.viewer.person_id,
                    action="NOTE",
                    target_type="User",
                    target_id=ola,
                    justification=WHY_NOTE,
                ),
            )
            written_by_ola = await audit.append(
                conn,
                audit.AuditEvent(
                    actor_id=ola,
                    action="NOTE",
                    target_type="User",
                    target_id=hansen,
                    subject_id=hansen,
                    justification=WHY_OTHER + " (as Ola saw it)",
                ),
            )
        request_id = await request_erasure(admin, ola, WHY_ERASE)
        before = await entries(engine)
        (asked,) = [e for e in before if e.action == "PRIVACY_ERASE" and e.subject_id == ola]
        assert asked.justification == WHY_ERASE

        outcome = await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)
        assert outcome.background is False

        after = await entries(engine)
        # Every entry stays (and the confirmation is added); none is rewritten but the text.
        assert [e.id for e in after] == [e.id for e in before] + [before[-1].id + 1]
        assert after[-1].action == "PRIVACY_CONFIRM_ERASE"
        by_id = {e.id: e for e in after}
        concerning = {
            e.id
            for e in before
            if e.subject_id == ola or (e.target_type == "User" and e.target_id == ola)
        }
        assert {asked.id, target_entry} <= concerning
        for old in before:
            new = by_id[old.id]
            assert new.hash == old.hash and new.justification_digest == old.justification_digest
            if old.id in concerning:
                assert new.justification is None
            else:
                assert new.justification == old.justification
        assert by_id[asked.id].justification_digest == digest(WHY_ERASE)
        assert by_id[target_entry].justification_digest == digest(WHY_NOTE)
        assert by_id[written_by_ola].justification == WHY_OTHER + " (as Ola saw it)"
        kept = [e for e in after if e.action == "PRIVACY_RESTRICT" and e.subject_id == hansen]
        assert [e.justification for e in kept] == [WHY_OTHER]
        # The erasure's justification and the note are nowhere in the audit table any more.
        async with engine.connect() as conn:
            for text in (WHY_ERASE, WHY_NOTE):
                matches = await conn.execute(select(func.count()).where(A.justification == text))
                assert matches.scalar_one() == 0
        assert all(
            text not in str(value) for e in after for value in e for text in (WHY_ERASE, WHY_NOTE)
        )

        verdict = await verify_chain(engine)
        assert verdict.ok, verdict.render()
        assert verdict.checked == len(after)

    run(demo_copy, body)
