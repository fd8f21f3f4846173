"""The privacy tool (docs/privacy-actions.md): export, restriction, erasure, rectification.

System administrators only, each with a logged justification. Every action is a
``privacy_requests`` row; the slow ones (export, large erasures) are finished by the job worker
(``gateway.jobs``) through the handlers made by ``job_handlers``. The per-category work is done
by the privacy providers (``store.privacy.providers``), which these functions iterate over.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.relations import Facts
from config.errors import JustificationRequiredError
from config.ids import to_global_id
from config.settings import Settings
from resolvers.errors import bad_input, conflict, not_found
from resolvers.events import publish
from resolvers.services import data_requests as requests
from resolvers.services import input_limits as limits
from resolvers.services.actor import Actor, inserted_id, now
from resolvers.services.notices import notify
from store import audit, jobs
from store import tables as t
from store.erasure_ledger import write_pending
from store.files import create_private_file, private_folder
from store.filestore import storage_of
from store.filestore.deletions import drain
from store.identity import keep_erased_identity
from store.idlists import in_ids
from store.privacy.base import Effect, PrivacyProvider
from store.privacy.export import write_export
from store.privacy.providers import PROVIDERS
from store.privacy.providers.files import exporting_bytes_from
from store.tables import (
    DataSource,
    ExportFormat,
    ItemStatus,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RECTIFIABLE = {"first_name": "given_name", "last_name": "family_name", "email": "email"}
#: each rectifiable field's name in ``RectificationInput`` and its length limit
RECTIFICATION_LIMITS = {
    "first_name": ("input.firstName", limits.PERSON_NAME),
    "last_name": ("input.lastName", limits.PERSON_NAME),
    "email": ("input.email", limits.EMAIL),
}

Status = PrivacyRequestStatus
log = logging.getLogger("tavle.privacy")
_r = t.privacy_requests.c
_i = t.privacy_request_items.c
_p = t.people.c

#: the erasures of many people at once (``resolvers.services.batch_erasure``)
BATCH_ACTIONS = (PrivacyAction.ERASE_BATCH, PrivacyAction.ERASE_SCHOOL)
#: a batch is under way (its people are spoken for) while its request is in one of these
BATCH_PENDING = (Status.PREVIEWING, Status.AWAITING_CONFIRMATION, Status.QUEUED, Status.RUNNING)


def justification_required(message: str) -> GraphQLError:
    return JustificationRequiredError(message)


def _justification(text: str | None) -> str:
    if text is None or not text.strip():
        raise justification_required("A justification is required for every privacy action")
    return limits.check_text(text, "justification", limits.JUSTIFICATION).strip()


def _require_admin(actor: Actor, mutation: str) -> None:
    actor.require(
        Facts(), f"Mutation.{mutation}", "only a system administrator runs privacy actions"
    )


def effects_json(effects: Sequence[Effect]) -> str:
    return json.dumps(
        [
            {"category": e.category.value, "outcome": e.outcome.value, "count": e.count}
            for e in effects
        ]
    )


async def _subject_state(
    conn: AsyncConnection, subject_id: int, *, lock: bool = False
) -> ProcessingState:
    """The person's processing state; NOT_FOUND if there is no such person.

    ``lock``: hold the person's row until the transaction ends (PostgreSQL; on SQLite the write
    transaction holds the database), so that actions on one person run one after the other and
    each sees what the one before it did: two administrators requesting an erasure of the same
    person at once get one request, not two.
    """
    stmt = select(_p.processing_state).where(_p.id == subject_id)
    state = (await conn.execute(stmt.with_for_update() if lock else stmt)).scalar()
    if state is None:
        raise not_found("No person with that id")
    return ProcessingState(state)


async def _move_person(
    conn: AsyncConnection,
    subject_id: int,
    expected: ProcessingState,
    target: ProcessingState,
    **values: Any,
) -> None:
    """Compare-and-set the person's state from ``expected`` to ``target``; CONFLICT if another
    action moved them first."""
    moved = await conn.execute(
        update(t.people)
        .where(_p.id == subject_id, _p.processing_state == expected)
        .values(processing_state=target, **values)
    )
    if moved.rowcount != 1:
        state = await _subject_state(conn, subject_id)
        raise conflict(f"The person is {state.value}, not {expected.value}")


async def _move_request(
    conn: AsyncConnection,
    request_id: int,
    expected: Sequence[PrivacyRequestStatus],
    **values: Any,
) -> None:
    """Compare-and-set a request's status (and ``values``) if it is still in ``expected``.

    The one way a request leaves AWAITING_CONFIRMATION, QUEUED or FAILED by an administrator's
    hand: of two administrators confirming (or one confirming, one cancelling) at once, exactly
    one UPDATE matches, and the other answers CONFLICT with the state the first one left.
    PostgreSQL makes the second UPDATE wait for the first transaction and re-checks the
    condition; SQLite runs the two write transactions one after the other.
    """
    moved = await conn.execute(
        update(t.privacy_requests)
        .where(_r.id == request_id, _r.status.in_(list(expected)))
        .values(**values)
    )
    if moved.rowcount != 1:
        status = (await conn.execute(select(_r.status).where(_r.id == request_id))).scalar()
        raise conflict(
            f"The request has just become {status}: another administrator (or the job worker) "
            "acted on it first"
        )


async def _record(
    actor: Actor,
    conn: AsyncConnection,
    action: PrivacyAction,
    status: PrivacyRequestStatus,
    subject_id: int,
    justification: str,
    effects: Sequence[Effect] = (),
    **values: Any,
) -> int:
    """Insert the request row and its audit entry (with the justification) in ``conn``."""
    at = now()
    result = await conn.execute(
        t.privacy_requests.insert().values(
            action=action,
            status=status,
            subject_id=subject_id,
            requested_by_id=actor.viewer.person_id,
            justification=justification,
            created_at=at,
            completed_at=at if status == Status.COMPLETED else None,
            effects=effects_json(effects),
            attempts=0,
            **values,
        )
    )
    request_id = inserted_id(result)
    await actor.audit(
        conn, f"PRIVACY_{action}", "PrivacyRequest", request_id, subject_id, justification
    )
    return request_id


async def _collect(
    providers: Sequence[PrivacyProvider],
    step: Callable[[PrivacyProvider], Awaitable[list[Effect]]],
) -> list[Effect]:
    effects: list[Effect] = []
    for provider in providers:
        effects.extend(await step(provider))
    return effects


# --- export ----------------------------------------------------------------------------------


async def request_export(
    actor: Actor,
    subject_id: int,
    justification: str,
    fmt: ExportFormat,
    data_request_id: int | None = None,
) -> int:
    """Queue an export (art. 15/20); works for ACTIVE and RESTRICTED people. ``data_request_id``:
    the ACCEPTED data request about the same person it fulfils (docs/data-requests.md)."""
    _require_admin(actor, "requestExport")
    text = _justification(justification)
    async with actor.engine.begin() as conn:
        if await _subject_state(conn, subject_id, lock=True) == ProcessingState.ERASED:
            raise conflict("The person has been erased: there is nothing left to export")
        if data_request_id is not None:
            await requests.check_link(conn, data_request_id, subject_id)
        return await _record(
            actor,
            conn,
            PrivacyAction.EXPORT,
            Status.QUEUED,
            subject_id,
            text,
            format=fmt,
            data_request_id=data_request_id,
        )


def export_handler(settings: Settings) -> Callable[[AsyncEngine, int, str], Awaitable[None]]:
    """The job that writes an export file and completes its request, exactly once."""

    async def run(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(_r.subject_id, _r.format).where(_r.id == request_id))
            ).one()
        fmt = ExportFormat(row.format or ExportFormat.XML)
        suffix = "xml" if fmt == ExportFormat.XML else "json"
        file_name = f"export-{request_id}.{suffix}"
        target = jobs.export_path(settings.export_dir, file_name)
        private_folder(target.parent)
        partial = target.with_name(f".{file_name}.{worker_id.replace(':', '_')}.part")
        partial.unlink(missing_ok=True)  # left by an earlier attempt of this worker that died
        generated_at = now()
        try:
            async with engine.connect() as conn:
                # Owner-only from the start (docs/security.md); the rename keeps the mode.
                with (
                    os.fdopen(create_private_file(partial), "wb") as out,
                    exporting_bytes_from(storage_of(settings)),
                ):
                    effects = await write_export(
                        conn,
                        row.subject_id,
                        "XML" if fmt == ExportFormat.XML else "JSON",
                        out,
                        settings.privacy_notices(),
                        generated_at,
                        request_id,
                    )
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        async with engine.begin() as conn:
            await jobs.finish(
                conn,
                request_id,
                worker_id,
                file_name=file_name,
                expires_at=generated_at + timedelta(days=settings.export_ttl_days),
                effects=effects_json(effects),
            )
            completed = await requests.complete_for_action(conn, request_id)
        for event in completed:
            await publish(engine, event)

    return run


# --- restriction -----------------------------------------------------------------------------


async def restrict_processing(
    actor: Actor,
    subject_id: int,
    justification: str,
    providers: Sequence[PrivacyProvider] = PROVIDERS,
    data_request_id: int | None = None,
) -> int:
    """Move the person to the recycle bin (art. 18): a soft delete, nothing rewritten.

    What others then see is decided at read time (row scopes hide, author fields pseudonymise);
    the effects recorded are the providers' counts of what that does.
    """
    _require_admin(actor, "restrictProcessing")
    text = _justification(justification)
    if subject_id == actor.viewer.person_id:
        raise conflict("You cannot restrict processing of your own account")
    async with actor.engine.begin() as conn:
        state = await _subject_state(conn, subject_id, lock=True)
        if state != ProcessingState.ACTIVE:
            raise conflict(f"The person is {state.value}, not ACTIVE")
        if data_request_id is not None:
            await requests.check_link(conn, data_request_id, subject_id)
        effects = await _collect(providers, lambda p: p.restriction_effects(conn, subject_id))
        await _move_person(
            conn,
            subject_id,
            ProcessingState.ACTIVE,
            ProcessingState.RESTRICTED,
            restricted_at=now(),
        )
        request_id = await _record(
            actor,
            conn,
            PrivacyAction.RESTRICT,
            Status.COMPLETED,
            subject_id,
            text,
            effects,
            data_request_id=data_request_id,
        )
        completed = await requests.complete_if_done(conn, data_request_id)
    for event in completed:
        await publish(actor.engine, event)
    return request_id


async def lift_restriction(
    actor: Actor,
    subject_id: int,
    justification: str,
    providers: Sequence[PrivacyProvider] = PROVIDERS,
) -> int:
    """Restore the person exactly as before and tell them (art. 18(3))."""
    _require_admin(actor, "liftRestriction")
    text = _justification(justification)
    async with actor.engine.begin() as conn:
        state = await _subject_state(conn, subject_id, lock=True)
        if state != ProcessingState.RESTRICTED:
            raise conflict(f"The person is {state.value}, not RESTRICTED")
        effects = await _collect(providers, lambda p: p.restriction_effects(conn, subject_id))
        await _move_person(
            conn,
            subject_id,
            ProcessingState.RESTRICTED,
            ProcessingState.ACTIVE,
            restricted_at=None,
        )
        request_id = await _record(
            actor,
            conn,
            PrivacyAction.LIFT_RESTRICTION,
            Status.COMPLETED,
            subject_id,
            text,
            effects,
        )
        notified = await notify(conn, [subject_id], "RESTRICTION_LIFTED")
    for event in notified:
        await publish(actor.engine, event)
    return request_id


# --- erasure ---------------------------------------------------------------------------------


def batched_pending(*columns: Any, subject_ids: Sequence[int]) -> Select[Any]:
    """``columns`` (of ``privacy_requests`` and ``privacy_request_items``) of each of
    ``subject_ids`` still PENDING in a pending batch or school erasure: someone it is to erase,
    whom another erasure must leave to it."""
    return (
        select(*columns)
        .select_from(t.privacy_request_items)
        .join(t.privacy_requests, _r.id == _i.request_id)
        .where(
            _r.action.in_(BATCH_ACTIONS),
            _r.status.in_(BATCH_PENDING),
            _i.status == ItemStatus.PENDING,
            in_ids(_i.subject_id, subject_ids),
        )
    )


async def request_erasure(
    actor: Actor,
    subject_id: int,
    justification: str,
    providers: Sequence[PrivacyProvider] = PROVIDERS,
    data_request_id: int | None = None,
) -> int:
    """Step one of erasure (art. 17): a request with the preview, awaiting confirmation."""
    _require_admin(actor, "requestErasure")
    text = _justification(justification)
    async with actor.engine.begin() as conn:
        state = await _subject_state(conn, subject_id, lock=True)
        if state == ProcessingState.ERASED:
            raise conflict("The person has already been erased")
        pending = (
            await conn.execute(
                select(_r.id).where(
                    _r.subject_id == subject_id,
                    _r.action == PrivacyAction.ERASE,
                    _r.status.in_([Status.AWAITING_CONFIRMATION, Status.QUEUED, Status.RUNNING]),
                )
            )
        ).first()
        if pending is not None:
            raise conflict("An erasure of this person is already pending")
        batch = (
            await conn.execute(batched_pending(_r.id, subject_ids=[subject_id]).order_by(_r.id))
        ).first()
        if batch is not None:
            raise conflict(
                "The person is named in a pending batch or school erasure "
                f"({to_global_id('PrivacyRequest', int(batch.id))}): cancel it first, or let it "
                "run"
            )
        if data_request_id is not None:
            await requests.check_link(conn, data_request_id, subject_id)
        preview = await _collect(providers, lambda p: p.erasure_effects(conn, subject_id))
        return await _record(
            actor,
            conn,
            PrivacyAction.ERASE,
            Status.AWAITING_CONFIRMATION,
            subject_id,
            text,
            preview,
            data_request_id=data_request_id,
        )


@dataclass(frozen=True)
class ErasureOutcome:
    request_id: int
    background: bool


async def confirm_erasure(
    actor: Actor,
    request_id: int,
    settings: Settings,
    providers: Sequence[PrivacyProvider] = PROVIDERS,
    *,
    identity_key: bytes,
) -> ErasureOutcome:
    """Step two (``_confirm_erasure``), then the erasure ledger's entry once it has committed.

    If the ledger cannot be written, the erasure stays committed and its request is reported
    RUNNING until the job worker writes the entry (``store.erasure_ledger``).
    """
    outcome = await _confirm_erasure(
        actor, request_id, settings, providers, identity_key=identity_key
    )
    if not outcome.background:
        await record_in_ledger(actor.engine, settings.erasure_ledger_path)
    return outcome


async def record_in_ledger(engine: AsyncEngine, ledger: Path) -> bool:
    """Write the erasure ledger's pending entries; False (logged, retried by the job worker's
    sweep) if the ledger cannot be written."""
    try:
        await write_pending(engine, ledger)
    except OSError as exc:
        log.warning("erasure ledger: write failed (%s); retried later", type(exc).__name__)
        return False
    return True


async def _confirm_erasure(
    actor: Actor,
    request_id: int,
    settings: Settings,
    providers: Sequence[PrivacyProvider] = PROVIDERS,
    *,
    identity_key: bytes,
) -> ErasureOutcome:
    """Step two: carry the erasure out, atomically (or queue it when the subject is large).

    ``identity_key`` (the pseudonym key) makes the tombstone's identity digests.
    """
    _require_admin(actor, "confirmErasure")
    async with actor.engine.begin() as conn:
        request = (
            await conn.execute(
                select(_r.action, _r.status, _r.subject_id, _r.requested_by_id, _r.effects).where(
                    _r.id == request_id
                )
            )
        ).first()
        if request is None or request.action != PrivacyAction.ERASE:
            raise not_found("No erasure request with that id")
        if request.status not in (Status.AWAITING_CONFIRMATION, Status.FAILED):
            # FAILED: an earlier attempt rolled back completely, so confirming again retries it.
            raise conflict(f"The request is {request.status}, not AWAITING_CONFIRMATION")
        if (
            settings.require_second_administrator
            and request.requested_by_id == actor.viewer.person_id
        ):
            raise GraphQLError(
                "Another system administrator must confirm this erasure",
                extensions={"code": "SECOND_ADMINISTRATOR_REQUIRED"},
            )
        subject_id = int(request.subject_id)
        if await _subject_state(conn, subject_id, lock=True) == ProcessingState.ERASED:
            raise conflict("The person has already been erased")
        # Only deletions are work: pseudonymised and kept rows are not rewritten.
        rows = sum(
            int(e["count"]) for e in json.loads(request.effects) if e["outcome"] == "DELETED"
        )
        confirmable = (Status.AWAITING_CONFIRMATION, Status.FAILED)
        if rows > settings.erasure_background_rows:
            await _move_request(
                conn,
                request_id,
                confirmable,
                status=Status.QUEUED,
                confirmed_by_id=actor.viewer.person_id,
                error=None,
                worker=None,
                lease_until=None,
            )
            await actor.audit(
                conn, "PRIVACY_CONFIRM_ERASE", "PrivacyRequest", request_id, subject_id
            )
            return ErasureOutcome(request_id, background=True)
        # Claimed before the work: a second confirmation at the same moment stops here.
        await _move_request(
            conn,
            request_id,
            confirmable,
            status=Status.COMPLETED,
            confirmed_by_id=actor.viewer.person_id,
            completed_at=now(),
            error=None,
        )
        effects = await erase_subject(conn, subject_id, providers, identity_key=identity_key)
        await conn.execute(
            update(t.privacy_requests)
            .where(_r.id == request_id)
            .values(effects=effects_json(effects))
        )
        await actor.audit(conn, "PRIVACY_CONFIRM_ERASE", "PrivacyRequest", request_id, subject_id)
        completed = await requests.complete_for_action(conn, request_id)
    for event in completed:
        await publish(actor.engine, event)
    return ErasureOutcome(request_id, background=False)


async def erase_subject(
    conn: AsyncConnection,
    subject_id: int,
    providers: Sequence[PrivacyProvider] = PROVIDERS,
    *,
    identity_key: bytes,
) -> list[Effect]:
    """Every provider erases its rows in the caller's transaction: all of it, or none.

    PERSONAL_DATA goes last: the other providers still need the person's links (enrolments,
    guardianships) to find what is theirs. Before anything is cleared, the tombstone gets keyed
    digests of the person's identifiers, so the roster import does not create them again.
    The justifications of the audit entries concerning the person are blanked (their digests
    stay, so the hash chain still verifies).
    """
    await keep_erased_identity(conn, subject_id, identity_key)
    ordered = sorted(providers, key=lambda p: p.category.value == "PERSONAL_DATA")
    effects = await _collect(ordered, lambda p: p.erase(conn, subject_id))
    await audit.blank_free_text(conn, subject_id)
    return effects


def erasure_handler(
    providers: Sequence[PrivacyProvider] = PROVIDERS,
    *,
    identity_key: bytes,
    ledger: Path | None = None,
) -> Callable[[AsyncEngine, int, str], Awaitable[None]]:
    """The job for a large confirmed erasure: the same atomic erasure, finished exactly once,
    then its entry in the erasure ledger at ``ledger`` (the job worker's sweep retries it)."""

    async def run(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        async with engine.begin() as conn:
            subject_id = (
                await conn.execute(select(_r.subject_id).where(_r.id == request_id))
            ).scalar_one()
            if await _subject_state(conn, subject_id, lock=True) == ProcessingState.ERASED:
                await jobs.finish(
                    conn,
                    request_id,
                    worker_id,
                    status=Status.FAILED,
                    error="already erased",
                    effects="[]",
                )
                return
            effects = await erase_subject(conn, subject_id, providers, identity_key=identity_key)
            await jobs.finish(conn, request_id, worker_id, effects=effects_json(effects))
            completed = await requests.complete_for_action(conn, request_id)
        for event in completed:
            await publish(engine, event)
        if ledger is not None:
            await record_in_ledger(engine, ledger)

    return run


async def cancel_request(actor: Actor, request_id: int) -> int:
    _require_admin(actor, "cancelPrivacyRequest")
    async with actor.engine.begin() as conn:
        request = (
            await conn.execute(select(_r.status, _r.subject_id).where(_r.id == request_id))
        ).first()
        if request is None:
            raise not_found("No privacy request with that id")
        cancellable = (Status.PREVIEWING, Status.AWAITING_CONFIRMATION, Status.QUEUED)
        if request.status not in cancellable:
            raise conflict(f"A {request.status} request cannot be cancelled")
        # A QUEUED job may be claimed by a worker meanwhile: then it is RUNNING, and no longer
        # cancellable. A PREVIEWING one may be, even while a worker computes its preview: the
        # worker's last write then finds the request no longer its own and rolls back.
        await _move_request(
            conn,
            request_id,
            cancellable,
            status=Status.CANCELLED,
            completed_at=now(),
        )
        await actor.audit(conn, "PRIVACY_CANCEL", "PrivacyRequest", request_id, request.subject_id)
        # The other actions of its data request may all be done now.
        completed = await requests.complete_for_action(conn, request_id)
    for event in completed:
        await publish(actor.engine, event)
    return request_id


# --- rectification ---------------------------------------------------------------------------


def managed_by_source(fields: Sequence[str]) -> GraphQLError:
    return GraphQLError(
        f"{', '.join(fields)} come(s) from the school's roster: correct it there, or pass "
        "overrideSource: true to keep an administrator's value through later imports",
        extensions={"code": "MANAGED_BY_SOURCE", "fields": list(fields)},
    )


async def rectify_personal_data(
    actor: Actor,
    subject_id: int,
    changes: dict[str, str | None],
    override_source: bool,
    justification: str,
    data_request_id: int | None = None,
) -> int:
    """Correct names and email (art. 16). Roster-managed fields need ``override_source``; an
    overridden field is marked ADMINISTRATOR and the import keeps it (and reports the conflict).
    """
    _require_admin(actor, "rectifyPersonalData")
    text = _justification(justification)
    if not changes:
        raise bad_input("Give at least one of firstName, lastName, email")
    for field, value in changes.items():
        if value is not None:
            limits.check_text(value, *RECTIFICATION_LIMITS[field])
        if field == "email" and value is not None and not EMAIL.match(value):
            raise bad_input("'email' is not an email address")
        if field != "email" and (value is None or not value.strip()):
            raise bad_input(f"'{field}' must not be blank")
    async with actor.engine.begin() as conn:
        state = await _subject_state(conn, subject_id, lock=True)
        if state == ProcessingState.ERASED:
            raise conflict("The person has been erased")
        if data_request_id is not None:
            await requests.check_link(conn, data_request_id, subject_id)
        columns = {RECTIFIABLE[f]: v for f, v in changes.items()}
        sources = (
            await conn.execute(
                select(*[getattr(_p, f"{c}_source") for c in columns]).where(_p.id == subject_id)
            )
        ).one()
        managed = [
            field
            for field, source in zip(changes, sources, strict=True)
            if source == DataSource.ROSTER
        ]
        if managed and not override_source:
            raise managed_by_source(managed)
        values: dict[str, Any] = {}
        for column, value in columns.items():
            values[column] = value.strip() if isinstance(value, str) else value
            values[f"{column}_source"] = DataSource.ADMINISTRATOR
        values["updated_at"] = now()
        await conn.execute(update(t.people).where(_p.id == subject_id).values(**values))
        request_id = await _record(
            actor,
            conn,
            PrivacyAction.RECTIFY,
            Status.COMPLETED,
            subject_id,
            text,
            data_request_id=data_request_id,
        )
        completed = await requests.complete_if_done(conn, data_request_id)
    for event in completed:
        await publish(actor.engine, event)
    return request_id


def job_handlers(
    settings: Settings, identity_key: bytes
) -> dict[PrivacyAction, Callable[[AsyncEngine, int, str], Awaitable[None]]]:
    return {
        PrivacyAction.EXPORT: export_handler(settings),
        PrivacyAction.ERASE: _then_drain(
            erasure_handler(identity_key=identity_key, ledger=settings.erasure_ledger_path),
            settings,
        ),
    }


def _then_drain(
    handler: Callable[[AsyncEngine, int, str], Awaitable[None]], settings: Settings
) -> Callable[[AsyncEngine, int, str], Awaitable[None]]:
    """``handler``, then the deletion of the bytes of the files it deleted (after its commit:
    ``store.filestore.deletions``)."""

    async def run(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        await handler(engine, request_id, worker_id)
        await drain(engine, storage_of(settings))

    return run
