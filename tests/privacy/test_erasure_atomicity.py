"""Erasure is all or nothing and can be retried; restriction is undone exactly.

Through the services (``resolvers.services.privacy``) on a copy of the demo school, on SQLite and
PostgreSQL, with real system administrators (``admin`` requests, ``admin2`` confirms):

* a failure injected half-way through an erasure (the CALENDAR provider raises *after* its real
  erase ran, when COMMUNICATION, TEACHING_MATERIAL and ASSESSMENTS have already changed rows)
  leaves every table exactly as before, inline and as a background job (the job FAILED, or the
  worker crashed or was shut down and the job is claimed again); the retry then completes the
  erasure, exactly once;
* erasing an erased person is a CONFLICT, both when asked for and when a stale request is
  confirmed;
* restrict then lift leaves the person's export as it was, apart from the RESTRICTION_LIFTED
  notification (docs/privacy-actions.md: "an export before restriction and after lifting must be
  identical").
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from graphql import GraphQLError
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.policy import Policy
from config.settings import Settings
from gateway.jobs import JobWorker
from resolvers.services.actor import Actor
from resolvers.services.privacy import (
    confirm_erasure,
    erase_subject,
    erasure_handler,
    lift_restriction,
    request_erasure,
    restrict_processing,
)
from resolvers.viewer import find_person_id, load_viewer
from store import tables as t
from store.db import make_engine
from store.privacy.base import DataCategory, Effect, ExportItem, PrivacyProvider
from store.privacy.export import write_export
from store.privacy.providers import PROVIDERS
from store.tables import PrivacyAction, PrivacyRequestStatus, ProcessingState

T = TypeVar("T")
Status = PrivacyRequestStatus
Rows = dict[str, list[tuple[Any, ...]]]
R = t.privacy_requests.c
GENERATED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WHY = "The pupil has left the school and the parents asked for erasure (case 2026/17)"


# --- helpers ----------------------------------------------------------------------------------


def run(url: str, body: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = make_engine(url)
        try:
            return await body(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


#: the key the tombstone's identity digests are made with in these tests
IDENTITY_KEY = b"test-identity-key-0123456789abcdef"


def settings_for(url: str, folder: Path, background_rows: int) -> Settings:
    return Settings(
        data_dir=folder,
        dev_secret=SecretStr("x" * 40),
        database_url=url,
        erasure_background_rows=background_rows,
    )


async def actor(engine: AsyncEngine, username: str) -> Actor:
    person_id = await find_person_id(engine, username)
    assert person_id is not None, username
    return Actor(engine, Policy(), await load_viewer(engine, person_id))


async def admins(engine: AsyncEngine) -> tuple[Actor, Actor]:
    return await actor(engine, "admin"), await actor(engine, "admin2")


async def person_id(engine: AsyncEngine, username: str) -> int:
    found = await find_person_id(engine, username)
    assert found is not None, username
    return found


async def snapshot_of(conn: AsyncConnection) -> Rows:
    """Every row of every table, in a stable order."""
    rows: Rows = {}
    for table in t.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        result = await conn.execute(select(table).order_by(*order))
        rows[table.name] = [tuple(row) for row in result]
    return rows


async def snapshot(engine: AsyncEngine) -> Rows:
    async with engine.connect() as conn:
        return await snapshot_of(conn)


async def request_row(engine: AsyncEngine, request_id: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(t.privacy_requests).where(R.id == request_id))).one()


async def state_of(engine: AsyncEngine, subject_id: int) -> ProcessingState:
    p = t.people.c
    async with engine.connect() as conn:
        state = (
            await conn.execute(select(p.processing_state).where(p.id == subject_id))
        ).scalar_one()
    return ProcessingState(state)


def without_request(rows: Rows, request_id: int) -> Rows:
    """``rows`` with one privacy request left out (its status is the worker's bookkeeping)."""
    ids = t.privacy_requests.columns.keys().index("id")
    kept = [row for row in rows["privacy_requests"] if row[ids] != request_id]
    return {**rows, "privacy_requests": kept}


def effects_of(recorded: str) -> dict[tuple[str, str], int]:
    """A request's ``effects`` JSON as {(category, outcome): count} (the order is not fixed)."""
    return {(e["category"], e["outcome"]): e["count"] for e in json.loads(recorded)}


def code_of(error: pytest.ExceptionInfo[GraphQLError]) -> Any:
    return (error.value.extensions or {}).get("code")


class InjectedError(RuntimeError):
    """The failure injected half-way through an erasure."""


class WorkerCrash(BaseException):
    """The worker process dying mid-job: not an ``Exception``, so nothing records it."""


class FailAfterErase:
    """A provider that delegates to ``inner`` and, on erase, raises after the real erase ran.

    Before raising it takes a snapshot inside the erasure's transaction (``mid_way``), so the
    test can show that rows had really changed by then.
    """

    def __init__(
        self, inner: PrivacyProvider, failure: type[BaseException] = InjectedError
    ) -> None:
        self.inner = inner
        self.category = inner.category
        self.tables = inner.tables
        self.failure = failure
        self.mid_way: Rows | None = None
        self.erased: list[Effect] = []

    def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        return self.inner.export(conn, subject_id)

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return await self.inner.restriction_effects(conn, subject_id)

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return await self.inner.erasure_effects(conn, subject_id)

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        self.erased = await self.inner.erase(conn, subject_id)
        self.mid_way = await snapshot_of(conn)
        raise self.failure()


def faulty_providers(
    failure: type[BaseException] = InjectedError,
) -> tuple[tuple[PrivacyProvider, ...], FailAfterErase]:
    """The real providers with CALENDAR failing after its erase.

    Erasure runs PERSONAL_DATA last, so by then COMMUNICATION, TEACHING_MATERIAL and ASSESSMENTS
    have done their work and CALENDAR has deleted the personal event.
    """
    wrapper: FailAfterErase | None = None
    providers: list[PrivacyProvider] = []
    for provider in PROVIDERS:
        if provider.category == DataCategory.CALENDAR:
            wrapper = FailAfterErase(provider, failure)
            providers.append(wrapper)
        else:
            providers.append(provider)
    assert wrapper is not None
    return tuple(providers), wrapper


def assert_changed_mid_way(wrapper: FailAfterErase, before: Rows) -> None:
    """The injected failure came after real work: the erasure's transaction had changed rows."""
    assert wrapper.mid_way is not None, "the faulty provider's erase never ran"
    assert wrapper.erased, "the wrapped provider erased nothing: pick a subject with events"
    changed = {name for name, rows in before.items() if wrapper.mid_way[name] != rows}
    # ASSESSMENTS (about Ola: deleted) ran before CALENDAR, which deleted his personal event.
    assert {"assessments", "calendar_events", "documents"} <= changed, changed


# --- (a) inline erasure -------------------------------------------------------------------------


def test_inline_erasure_failing_half_way_changes_nothing_and_the_retry_completes(
    demo_copy: str, tmp_path: Path
) -> None:
    settings = settings_for(demo_copy, tmp_path, background_rows=1_000_000)

    async def body(engine: AsyncEngine) -> None:
        admin, admin2 = await admins(engine)
        ola = await person_id(engine, "elev.ola")
        request_id = await request_erasure(admin, ola, WHY)
        preview = (await request_row(engine, request_id)).effects
        before = await snapshot(engine)

        faulty, wrapper = faulty_providers()
        with pytest.raises(InjectedError):
            await confirm_erasure(
                admin2, request_id, settings, providers=faulty, identity_key=IDENTITY_KEY
            )

        assert_changed_mid_way(wrapper, before)
        assert await snapshot(engine) == before  # request, audit log and all data untouched
        row = await request_row(engine, request_id)
        assert row.status == Status.AWAITING_CONFIRMATION and row.confirmed_by_id is None
        assert await state_of(engine, ola) == ProcessingState.ACTIVE

        outcome = await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)

        assert outcome.request_id == request_id and outcome.background is False
        row = await request_row(engine, request_id)
        assert row.status == Status.COMPLETED
        assert row.confirmed_by_id == admin2.viewer.person_id
        assert row.completed_at is not None
        assert effects_of(row.effects) == effects_of(preview)  # the preview was right
        assert await state_of(engine, ola) == ProcessingState.ERASED
        a = t.assessments.c
        async with engine.connect() as conn:
            left = (await conn.execute(select(a.id).where(a.student_id == ola))).all()
        assert left == []
        # Confirming a finished request again is refused, and changes nothing.
        after = await snapshot(engine)
        with pytest.raises(GraphQLError) as error:
            await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)
        assert code_of(error) == "CONFLICT"
        assert await snapshot(engine) == after

    run(demo_copy, body)


# --- (b) background erasure ---------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["error", "crash", "shutdown"])
def test_background_erasure_failing_half_way_changes_nothing_and_the_retry_completes(
    demo_copy: str, tmp_path: Path, failure: str
) -> None:
    """``error``: the handler raises, the worker marks the job FAILED; the retry is a new
    request. ``crash``: the worker dies mid-job, the job stays RUNNING until its lease runs out,
    then another worker takes it over. ``shutdown``: the worker is cancelled mid-job and queues
    it again at once. Either way nothing of the half-done erasure is left behind."""
    settings = settings_for(demo_copy, tmp_path, background_rows=0)
    exports = tmp_path / "exports"
    raised: type[BaseException] = {
        "error": InjectedError,
        "crash": WorkerCrash,
        "shutdown": asyncio.CancelledError,
    }[failure]

    async def body(engine: AsyncEngine) -> None:
        admin, admin2 = await admins(engine)
        ola = await person_id(engine, "elev.ola")
        request_id = await request_erasure(admin, ola, WHY)
        preview = (await request_row(engine, request_id)).effects
        outcome = await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)
        assert outcome.background is True
        assert (await request_row(engine, request_id)).status == Status.QUEUED
        before = await snapshot(engine)

        faulty, wrapper = faulty_providers(raised)
        broken = JobWorker(
            engine,
            {PrivacyAction.ERASE: erasure_handler(faulty, identity_key=IDENTITY_KEY)},
            export_dir=exports,
            lease_seconds=60,
        )
        real = JobWorker(
            engine,
            {PrivacyAction.ERASE: erasure_handler(identity_key=IDENTITY_KEY)},
            export_dir=exports,
            lease_seconds=60,
        )
        if failure == "error":
            assert await broken.run_once() is True
        else:
            with pytest.raises(raised):
                await broken.run_once()

        assert_changed_mid_way(wrapper, before)
        after = await snapshot(engine)
        assert without_request(after, request_id) == without_request(before, request_id)
        assert await state_of(engine, ola) == ProcessingState.ACTIVE
        row = await request_row(engine, request_id)
        assert row.attempts == 1
        assert row.effects == preview  # still the preview: nothing was recorded as done

        if failure == "error":
            assert row.status == Status.FAILED
            assert row.error == "the erase job failed (InjectedError); see the server log"
            # A FAILED job is not run again by itself...
            assert await real.run_once() is False
            # ...the same request is retried by confirming it again (it rolled back whole).
            assert (
                await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)
            ).background is True
            attempts = 2
        elif failure == "crash":
            assert row.status == Status.RUNNING and row.worker == broken.worker_id
            assert await real.run_once() is False  # the lease is still the dead worker's
            async with engine.begin() as conn:  # ...until it runs out
                await conn.execute(
                    update(t.privacy_requests)
                    .where(R.id == request_id)
                    .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
                )
            attempts = 2
        else:
            assert row.status == Status.QUEUED and row.worker is None
            attempts = 2

        assert await real.run_once() is True

        row = await request_row(engine, request_id)
        assert row.status == Status.COMPLETED and row.error is None
        assert row.worker == real.worker_id and row.attempts == attempts
        assert effects_of(row.effects) == effects_of(preview)
        assert await state_of(engine, ola) == ProcessingState.ERASED
        # Exactly once: nothing is left for this worker or another.
        done = await snapshot(engine)
        assert await real.run_once() is False
        other = JobWorker(
            engine,
            {PrivacyAction.ERASE: erasure_handler(identity_key=IDENTITY_KEY)},
            export_dir=exports,
            lease_seconds=60,
        )
        assert await other.run_once() is False
        assert await snapshot(engine) == done

    run(demo_copy, body)


# --- (c) erasing an erased person ---------------------------------------------------------------


def test_erasing_an_erased_person_is_a_conflict(demo_copy: str, tmp_path: Path) -> None:
    settings = settings_for(demo_copy, tmp_path, background_rows=1_000_000)

    async def body(engine: AsyncEngine) -> None:
        admin, admin2 = await admins(engine)
        ola = await person_id(engine, "elev.ola")
        request_id = await request_erasure(admin, ola, WHY)
        await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)
        assert await state_of(engine, ola) == ProcessingState.ERASED
        before = await snapshot(engine)

        for who in (admin, admin2):
            with pytest.raises(GraphQLError, match="already been erased") as error:
                await request_erasure(who, ola, WHY)
            assert code_of(error) == "CONFLICT"
        assert await snapshot(engine) == before

    run(demo_copy, body)


@pytest.mark.parametrize("background", [False, True])
def test_a_stale_erasure_request_for_an_erased_person(
    demo_copy: str, tmp_path: Path, background: bool
) -> None:
    """The person was erased by other means after the request was made (for example by a data
    fix, or a job of an earlier version): confirming it is a CONFLICT; a job already queued for
    it finishes without erasing anything and without crashing the worker."""
    settings = settings_for(demo_copy, tmp_path, background_rows=0 if background else 1_000_000)

    async def body(engine: AsyncEngine) -> None:
        admin, admin2 = await admins(engine)
        kari = await person_id(engine, "foresatt.kari")
        request_id = await request_erasure(admin, kari, WHY)
        if background:
            assert (
                await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)
            ).background is True
        async with engine.begin() as conn:
            await erase_subject(conn, kari, identity_key=IDENTITY_KEY)
        assert await state_of(engine, kari) == ProcessingState.ERASED
        before = await snapshot(engine)

        if not background:
            with pytest.raises(GraphQLError, match="already been erased") as error:
                await confirm_erasure(admin2, request_id, settings, identity_key=IDENTITY_KEY)
            assert code_of(error) == "CONFLICT"
            assert await snapshot(engine) == before
            row = await request_row(engine, request_id)
            assert row.status == Status.AWAITING_CONFIRMATION
            return

        worker = JobWorker(
            engine,
            {PrivacyAction.ERASE: erasure_handler(identity_key=IDENTITY_KEY)},
            export_dir=tmp_path / "exports",
            lease_seconds=60,
        )
        assert await worker.run_once() is True
        after = await snapshot(engine)
        assert without_request(after, request_id) == without_request(before, request_id)
        row = await request_row(engine, request_id)
        assert row.status == Status.FAILED
        assert row.error == "already erased"
        assert await worker.run_once() is False
        assert await state_of(engine, kari) == ProcessingState.ERASED

    run(demo_copy, body)


# --- (d) restriction is undone exactly ----------------------------------------------------------


async def export_json(engine: AsyncEngine, subject_id: int) -> dict[str, Any]:
    out = io.BytesIO()
    async with engine.connect() as conn:
        await write_export(
            conn, subject_id, "JSON", out, Settings().privacy_notices(), GENERATED_AT, 7
        )
    parsed: dict[str, Any] = json.loads(out.getvalue())
    return parsed


def is_lift_notice(item: dict[str, Any]) -> bool:
    return bool(item["kind"] == "notification" and item["fields"]["kind"] == "RESTRICTION_LIFTED")


@pytest.mark.parametrize("username", ["elev.ola", "larer.hansen"])
def test_restrict_then_lift_leaves_the_export_as_it_was(demo_copy: str, username: str) -> None:
    async def body(engine: AsyncEngine) -> None:
        admin, admin2 = await admins(engine)
        subject = await person_id(engine, username)
        export_before = await export_json(engine, subject)
        rows_before = await snapshot(engine)

        await restrict_processing(admin, subject, "Disputed accuracy: checking the roster")
        restricted = await export_json(engine, subject)
        profile = restricted["data"]["personal_data"][0]
        assert profile["kind"] == "profile"
        assert profile["fields"]["processing_state"] == "RESTRICTED"
        assert profile["fields"]["restricted_at"] is not None

        await lift_restriction(admin2, subject, "The roster was right; processing may resume")
        export_after = await export_json(engine, subject)
        rows_after = await snapshot(engine)

        section = export_after["data"]["personal_data"]
        notices = [item for item in section if is_lift_notice(item)]
        assert len(notices) == 1, "the person is told that the restriction was lifted"
        section.remove(notices[0])
        assert export_after == export_before
        assert not any(is_lift_notice(i) for i in export_before["data"]["personal_data"])

        # The database too: the same rows but the request bookkeeping and the notice (and the
        # viewer cache's counter, which both actions raised: migration 0005).
        bookkeeping = {"privacy_requests", "audit_entries", "notifications", "viewer_epoch"}
        for table in rows_before:
            if table not in bookkeeping:
                assert rows_after[table] == rows_before[table], table
        assert len(rows_after["notifications"]) == len(rows_before["notifications"]) + 1
        assert set(rows_before["notifications"]) <= set(rows_after["notifications"])

    run(demo_copy, body)
