"""Erased stays erased, end to end: an erasure confirmed through the API leaves keyed digests on
the tombstone, and the next roster import (the CLI's code, with the gateway's pseudonym key)
does not create the person again, until ``allow-recreate`` lifts the block.
A gateway of its own per backend."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from db_support import BACKENDS
from demo_roster_support import current_demo_roster
from gateway_support import LiveGateway
from privacy_api_support import confirm_erasure, privacy_gateway, request_erasure
from sqlalchemy import select

from gateway.keyfile import pseudonym_key
from roster import ImportReport, import_roster
from roster.maintenance import allow_recreate
from store import tables as t
from store.db import make_engine
from store.identity import SOURCED_ID, identity_digest
from store.tables import ProcessingState

STUDENT = "elev.sander"  # u-s-sander


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with privacy_gateway(request.param, tmp_path_factory, "erased-stays") as gateway:
        yield gateway


def _import(live: LiveGateway) -> ImportReport:
    async def run() -> ImportReport:
        engine = make_engine(live.database_url)
        try:
            return await import_roster(
                engine,
                current_demo_roster(),
                identity_key=pseudonym_key(live.state.settings),
                allow_mass_restriction=True,
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_an_erased_person_is_not_imported_again_until_allowed(live: LiveGateway) -> None:
    person_pk = live.person_pk(STUDENT)
    requested = request_erasure(live, STUDENT)
    confirm_erasure(live, requested["id"])
    tomb = live.rows(select(t.people).where(t.people.c.id == person_pk))[0]
    assert tomb.processing_state == ProcessingState.ERASED
    assert tomb.username is None and tomb.national_id is None
    key = pseudonym_key(live.state.settings)
    assert tomb.erased_sourced_id_digest == identity_digest(key, SOURCED_ID, "u-s-sander")
    assert tomb.erased_national_id_digest is not None

    report = _import(live)
    assert [c for c in report.conflicts if "ERASED_IDENTITY" in c] == [
        f"ERASED_IDENTITY: users.csv:{_line('u-s-sander')}: user 'u-s-sander' matches an erased "
        "person and was not created (delete them in the school system too, or lift the block "
        "with `tavle roster allow-recreate`)"
    ]
    assert live.rows(select(t.people.c.id).where(t.people.c.sourced_id == "u-s-sander")) == []
    assert _import(live).conflicts == report.conflicts  # and again: still blocked

    async def lift() -> bool:
        engine = make_engine(live.database_url)
        try:
            return await allow_recreate(engine, "u-s-sander", "re-enrolled", key)
        finally:
            await engine.dispose()

    assert asyncio.run(lift()) is True
    again = _import(live)
    assert not [c for c in again.conflicts if "ERASED_IDENTITY" in c]
    back = live.rows(select(t.people.c.id).where(t.people.c.sourced_id == "u-s-sander"))
    assert len(back) == 1 and back[0].id != person_pk  # a new person, not the tombstone


def _line(sourced_id: str) -> int:
    lines = (current_demo_roster() / "users.csv").read_text(encoding="utf-8-sig").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.startswith(f"{sourced_id},"))
