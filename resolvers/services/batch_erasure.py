"""Erasing many people at once: a batch (a list, or everyone whose retention has expired) and a
whole school at the end of its contract (docs/privacy-actions.md, "Batch erasure" and "School
erasure").

Both work like a single erasure (``resolvers.services.privacy``), in two steps by two system
administrators: the request freezes the people into ``privacy_request_items`` (PENDING) with a
constant number of set-based statements, however many people, and is PREVIEWING; the job worker
computes the combined preview (per category, the sum of each person's erasure preview, counted
person by person: about 30 statements each, too many for the request itself) and makes the
request AWAITING_CONFIRMATION (``_compute_preview``). A different administrator then confirms
(``confirm_batch_erasure``), which queues the job. The job worker then
erases each person exactly as a single erasure does (``erase_subject``), **one transaction per
person**, recording each one's result: ERASED (with its effects), SKIPPED (with a reason code:
already erased, no longer eligible, an acting administrator) or FAILED (the erasure raised: that
person's transaction rolled back, and the others go on). A job interrupted by a crash is claimed
again once its lease runs out (``store.jobs``) and goes on with the people still PENDING. A
finished batch with FAILED people is FAILED; confirming it again retries just those.

A school erasure ends with one more transaction: the school's courses and their content go
(``course_deletion.delete_course``), the remaining people's roles at the school are removed and
the school is archived.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from sqlalchemy import and_, exists, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from config import clock
from config.ids import to_global_id
from config.settings import Settings
from resolvers.errors import bad_input, conflict, not_found
from resolvers.services import course_deletion, privacy
from resolvers.services.actor import Actor, inserted_id
from resolvers.services.school_requests import lock_school_without_pending
from store import audit, jobs
from store import tables as t
from store.filestore import storage_of
from store.filestore.deletions import drain
from store.idlists import in_ids
from store.privacy.base import DataCategory, Effect, Outcome, PrivacyProvider
from store.privacy.expiry import expired_ids, is_expired
from store.privacy.providers import PROVIDERS
from store.privacy.retention import retention_registry
from store.tables import (
    CourseState,
    ItemStatus,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
    RequestOrigin,
    Role,
)

Status = PrivacyRequestStatus
Handler = Callable[[AsyncEngine, int, str], Awaitable[None]]
log = logging.getLogger("tavle.privacy")

_r = t.privacy_requests.c
_i = t.privacy_request_items.c
_p = t.people.c
_ra = t.role_assignments.c
_e = t.enrolments.c
_c = t.courses.c

BATCH_ACTIONS = privacy.BATCH_ACTIONS
PENDING = privacy.BATCH_PENDING
#: the preview job counts this many people per read transaction, then checks that the request is
#: still its own (not cancelled) before going on
PREVIEW_CHUNK = 50


class Basis(enum.StrEnum):
    """Why a person is in the batch; the job checks it again before erasing them."""

    LISTED = "LISTED"
    EXPIRED = "EXPIRED"
    SCHOOL = "SCHOOL"


class Reason(enum.StrEnum):
    """The codes of SKIPPED and FAILED people."""

    ALREADY_ERASED = "ALREADY_ERASED"
    #: EXPIRED basis: the restriction was lifted, or they left again more recently
    NO_LONGER_EXPIRED = "NO_LONGER_EXPIRED"
    #: SCHOOL basis: they are at another school now, or became a system administrator
    NO_LONGER_ONLY_AT_SCHOOL = "NO_LONGER_ONLY_AT_SCHOOL"
    #: the requesting or confirming administrator: nobody erases themselves
    ACTING_ADMINISTRATOR = "ACTING_ADMINISTRATOR"
    #: the erasure raised; that person's transaction rolled back (the server log has the type)
    ERASURE_FAILED = "ERASURE_FAILED"


def combine(previews: Iterable[Sequence[Effect]]) -> list[Effect]:
    """Per (category, outcome), the sum of the counts, in the order first met."""
    totals: dict[tuple[Any, Any], int] = {}
    for effects in previews:
        for e in effects:
            key = (e.category, e.outcome)
            totals[key] = totals.get(key, 0) + e.count
    return [Effect(category, outcome, count) for (category, outcome), count in totals.items()]


def _effects_of(text: str) -> list[Effect]:
    return [
        Effect(DataCategory(e["category"]), Outcome(e["outcome"]), int(e["count"]))
        for e in json.loads(text)
        if "item" not in e or e["item"] is None
    ]


async def _already_pending(conn: AsyncConnection, subject_ids: Sequence[int]) -> set[int]:
    """Of ``subject_ids``, those an erasure (single or batch) is already pending for."""
    if not subject_ids:
        return set()
    single = select(_r.subject_id).where(
        _r.action == PrivacyAction.ERASE, _r.status.in_(PENDING), in_ids(_r.subject_id, subject_ids)
    )
    batched = privacy.batched_pending(_i.subject_id, subject_ids=subject_ids)
    return {int(pk) for pk in (await conn.execute(single.union(batched))).scalars()}


async def _create(
    actor: Actor,
    conn: AsyncConnection,
    action: PrivacyAction,
    justification: str,
    people: Sequence[int],
    basis: Basis,
    order: Sequence[Any] = (_p.id,),
    school_id: int | None = None,
) -> int:
    """The request (PREVIEWING: the job worker computes its preview) and its people, frozen in
    the order ``order`` of ``people`` rows, with one INSERT ... SELECT whatever their number;
    and its audit entry."""
    result = await conn.execute(
        t.privacy_requests.insert().values(
            action=action,
            status=Status.PREVIEWING,
            subject_id=None,
            school_id=school_id,
            origin=RequestOrigin.ADMINISTRATOR,
            requested_by_id=actor.viewer.person_id,
            justification=justification,
            created_at=clock.now(),
            effects="[]",
            attempts=0,
        )
    )
    request_id = inserted_id(result)
    if people:
        frozen = (
            select(
                literal(request_id),
                _p.id,
                literal(ItemStatus.PENDING, _i.status.type),
                literal(basis, _i.basis.type),
                literal("[]"),
                literal(False),
            )
            .where(in_ids(_p.id, people))
            .order_by(*order)
        )
        columns = ["request_id", "subject_id", "status", "basis", "effects", "ledger_written"]
        await conn.execute(t.privacy_request_items.insert().from_select(columns, frozen))
    target = ("School", school_id) if school_id is not None else ("PrivacyRequest", request_id)
    await actor.audit(conn, f"PRIVACY_{action}", target[0], target[1], None, justification)
    return request_id


def _plain(effects: Sequence[Effect]) -> list[dict[str, Any]]:
    return [
        {"category": e.category.value, "outcome": e.outcome.value, "count": e.count}
        for e in effects
    ]


# --- batch -----------------------------------------------------------------------------------


async def request_batch_erasure(
    actor: Actor,
    subject_ids: Sequence[int] | None,
    all_expired: bool | None,
    justification: str,
    *,
    retention_file: Path | None,
) -> int:
    """Step one of a batch erasure: the people (named, or everyone expired now) frozen into a
    PREVIEWING request; once the job worker has computed the combined preview, it awaits
    another administrator's confirmation. A constant number of statements, however many
    people."""
    privacy._require_admin(actor, "requestBatchErasure")
    text = privacy._justification(justification)
    listed = subject_ids is not None
    if listed and not subject_ids:
        raise bad_input("'subjectIds' must not be empty: name at least one person")
    if listed and all_expired:
        raise bad_input("Give either 'subjectIds' or 'allExpired: true', not both")
    if not listed and not all_expired:
        raise bad_input("Give 'subjectIds' (at least one person) or 'allExpired: true'")
    async with actor.engine.begin() as conn:
        if subject_ids:
            people = list(dict.fromkeys(subject_ids))
            # in id order, as every erasure request locks people: two never wait on each other
            stmt = select(_p.id, _p.processing_state).where(in_ids(_p.id, people)).order_by(_p.id)
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update()
            states = {int(row.id): row.processing_state for row in await conn.execute(stmt)}
            missing = [pk for pk in people if pk not in states]
            if missing:
                raise not_found(f"No person with the id(s) {_global(missing)}")
            if actor.viewer.person_id in states:
                raise conflict("You cannot erase your own account: another administrator must")
            erased = [pk for pk in people if states[pk] == ProcessingState.ERASED]
            if erased:
                raise conflict(f"Already erased: {_global(erased)}")
            pending = await _already_pending(conn, people)
            if pending:
                raise conflict(f"An erasure is already pending for {_global(sorted(pending))}")
            basis, order = Basis.LISTED, [_p.id]
        else:
            cutoff = retention_registry(retention_file).expiry_cutoff(clock.now())
            found = [int(pk) for pk in (await conn.execute(expired_ids(cutoff))).scalars()]
            # people whose erasure is already pending are being taken care of: left out
            pending = await _already_pending(conn, found)
            people = [pk for pk in found if pk not in pending]
            if not people:
                raise conflict(
                    "Nobody's retention has expired (or their erasure is already pending): "
                    "the recycle bin has nothing to empty"
                )
            basis, order = Basis.EXPIRED, [_p.restricted_at, _p.id]  # longest gone first
        return await _create(actor, conn, PrivacyAction.ERASE_BATCH, text, people, basis, order)


def _global(pks: Sequence[int]) -> str:
    return ", ".join(to_global_id("User", pk) for pk in pks)


#: a refusal names at most this many of the people whose erasure is already pending
NAMED_IN_REFUSAL = 10


def names_for_refusal(pks: Sequence[int]) -> str:
    """The first ``NAMED_IN_REFUSAL`` of ``pks`` by id, and how many more (a school may have
    thousands)."""
    ordered = sorted(pks)
    named = _global(ordered[:NAMED_IN_REFUSAL])
    more = len(ordered) - NAMED_IN_REFUSAL
    return f"{named} and {more} more" if more > 0 else named


async def _refuse_if_pending(conn: AsyncConnection, people: Sequence[int], then: str) -> None:
    """CONFLICT naming those of ``people`` (whose rows the caller has locked) an erasure, single
    or batch, is already pending for: one erasure at a time speaks for a person."""
    pending = await _already_pending(conn, people)
    if pending:
        named = names_for_refusal(list(pending))
        raise conflict(f"An erasure is already pending for {named}: {then}")


# --- school ----------------------------------------------------------------------------------


def _schools_of() -> Any:
    """(person id, school id) of every tie of a person to a school: a role there, or an
    enrolment (current or ended) in one of its courses."""
    roles = select(_ra.person_id.label("person_id"), _ra.school_id.label("school_id")).where(
        _ra.school_id.is_not(None)
    )
    enrolled = select(_e.person_id.label("person_id"), _c.school_id.label("school_id")).join(
        t.courses, _c.id == _e.course_id
    )
    return roles.union(enrolled).subquery("ties")


def _only_at(school_id: int) -> Any:
    """The condition on ``people`` that the person is at ``school_id`` and at no other school,
    and is not a system administrator."""
    ties = _schools_of()
    admins = select(_ra.person_id).where(_ra.role == Role.SYSTEM_ADMINISTRATOR)
    return and_(
        exists().where(ties.c.person_id == _p.id, ties.c.school_id == school_id),
        ~exists().where(ties.c.person_id == _p.id, ties.c.school_id != school_id),
        _p.id.not_in(admins),
    )


async def request_school_erasure(actor: Actor, school_id: int, justification: str) -> int:
    """Step one of a school erasure: the people only at the school (not the requesting
    administrator, not system administrators) frozen into a PREVIEWING request; the job worker
    computes the combined preview of their erasure and of deleting the school's courses."""
    privacy._require_admin(actor, "requestSchoolErasure")
    text = privacy._justification(justification)
    async with actor.engine.begin() as conn:
        await lock_school_without_pending(
            conn,
            school_id,
            PrivacyAction.ERASE_SCHOOL,
            PENDING,
            "An erasure of this school is already pending",
        )
        members = (
            select(_p.id)
            .where(
                _only_at(school_id),
                _p.processing_state != ProcessingState.ERASED,
                _p.id != actor.viewer.person_id,
            )
            .order_by(_p.id)
        )
        if conn.dialect.name == "postgresql":
            # the people's rows, as requestErasure locks its person's: of a single erasure and
            # this one asked for at once, the second sees the first. NO KEY: rows that only
            # refer to a person are not held up.
            members = members.with_for_update(of=t.people, key_share=True)
        people = [int(pk) for pk in (await conn.execute(members)).scalars()]
        await _refuse_if_pending(
            conn, people, "let it run or cancel it, then ask for the school's erasure"
        )
        return await _create(
            actor, conn, PrivacyAction.ERASE_SCHOOL, text, people, Basis.SCHOOL, school_id=school_id
        )


def _sum_items(
    per_course: Iterable[Sequence[course_deletion.ItemEffect]],
) -> list[dict[str, Any]]:
    """The courses' effects summed per (item, category, outcome), as ``effects`` lines."""
    totals: dict[tuple[str, str, str], int] = {}
    for effects in per_course:
        for e in effects:
            key = (e.item, e.category.value, e.outcome.value)
            totals[key] = totals.get(key, 0) + e.count
    return [
        {"category": category, "outcome": outcome, "count": count, "item": item}
        for (item, category, outcome), count in totals.items()
    ]


# --- confirmation ----------------------------------------------------------------------------


async def confirm_batch_erasure(actor: Actor, request_id: int, settings: Settings) -> int:
    """Step two, by another system administrator: queue the job. A FAILED batch confirmed again
    retries the people who failed. The confirming administrator, if among the people, is
    skipped (ACTING_ADMINISTRATOR)."""
    privacy._require_admin(actor, "confirmBatchErasure")
    me = actor.viewer.person_id
    async with actor.engine.begin() as conn:
        request = (
            await conn.execute(
                select(_r.action, _r.status, _r.requested_by_id, _r.confirmed_by_id).where(
                    _r.id == request_id
                )
            )
        ).first()
        if request is None or request.action not in BATCH_ACTIONS:
            raise not_found("No batch or school erasure request with that id")
        if request.status == Status.PREVIEWING:
            raise conflict(
                "The request's preview is still being computed: confirm it once it is "
                "AWAITING_CONFIRMATION"
            )
        if request.status == Status.FAILED and request.confirmed_by_id is None:
            # never confirmed: it is its preview that failed, and nothing is to be retried
            raise conflict("The request's preview could not be computed: request the erasure again")
        confirmable = (Status.AWAITING_CONFIRMATION, Status.FAILED)
        if request.status not in confirmable:
            raise conflict(f"The request is {request.status}, not AWAITING_CONFIRMATION")
        if settings.require_second_administrator and request.requested_by_id == me:
            raise GraphQLError(
                "Another system administrator must confirm this erasure",
                extensions={"code": "SECOND_ADMINISTRATOR_REQUIRED"},
            )
        if request.status == Status.FAILED:
            await _refuse_if_pending(
                conn,
                await _failed_people(conn, request_id),
                "let it run or cancel it before this request's failed people are retried",
            )
        await privacy._move_request(
            conn,
            request_id,
            confirmable,
            status=Status.QUEUED,
            confirmed_by_id=me,
            error=None,
            worker=None,
            lease_until=None,
            completed_at=None,
        )
        await conn.execute(
            update(t.privacy_request_items)
            .where(_i.request_id == request_id, _i.status == ItemStatus.FAILED)
            .values(status=ItemStatus.PENDING, reason=None, done_at=None)
        )
        await conn.execute(
            update(t.privacy_request_items)
            .where(
                _i.request_id == request_id,
                _i.status == ItemStatus.PENDING,
                _i.subject_id == me,
            )
            .values(
                status=ItemStatus.SKIPPED,
                reason=Reason.ACTING_ADMINISTRATOR,
                done_at=clock.now(),
            )
        )
        await actor.audit(conn, f"PRIVACY_CONFIRM_{request.action}", "PrivacyRequest", request_id)
    return request_id


async def _failed_people(conn: AsyncConnection, request_id: int) -> list[int]:
    """The people a FAILED batch failed to erase (their rows locked on PostgreSQL, as
    requestErasure locks its person's), whom confirming it again puts back."""
    failed = select(_i.subject_id).where(
        _i.request_id == request_id, _i.status == ItemStatus.FAILED
    )
    stmt = select(_p.id).where(_p.id.in_(failed)).order_by(_p.id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(key_share=True)
    return [int(pk) for pk in (await conn.execute(stmt)).scalars()]


# --- the job ---------------------------------------------------------------------------------


async def _skip_reason(
    conn: AsyncConnection,
    subject_id: int,
    basis: str,
    request: Any,
    retention_file: Path | None,
) -> Reason | None:
    """Why the person is no longer to be erased, looked at with their row locked; None: erase."""
    if subject_id in (request.requested_by_id, request.confirmed_by_id):
        return Reason.ACTING_ADMINISTRATOR
    stmt = select(_p.processing_state).where(_p.id == subject_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    state = (await conn.execute(stmt)).scalar()
    if state is None or state == ProcessingState.ERASED:
        return Reason.ALREADY_ERASED
    if basis == Basis.EXPIRED:
        cutoff = retention_registry(retention_file).expiry_cutoff(clock.now())
        still = (
            await conn.execute(select(literal(1)).where(_p.id == subject_id, is_expired(cutoff)))
        ).first()
        if still is None:
            return Reason.NO_LONGER_EXPIRED
    if basis == Basis.SCHOOL and request.school_id is not None:
        still = (
            await conn.execute(
                select(literal(1)).where(_p.id == subject_id, _only_at(int(request.school_id)))
            )
        ).first()
        if still is None:
            return Reason.NO_LONGER_ONLY_AT_SCHOOL
    return None


async def _still_ours(conn: AsyncConnection, request_id: int, worker_id: str) -> None:
    """LostLease (rolling the person's transaction back) if the job is no longer ours."""
    stmt = select(_r.id).where(
        _r.id == request_id, _r.worker == worker_id, _r.status == Status.RUNNING
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    if (await conn.execute(stmt)).first() is None:
        raise jobs.LostLease(request_id, worker_id)


async def _erase_one(
    engine: AsyncEngine,
    request: Any,
    item: Any,
    worker_id: str,
    providers: Sequence[PrivacyProvider],
    identity_key: bytes,
    retention_file: Path | None,
) -> None:
    """One person, in a transaction of their own: erased, or skipped with a reason."""
    async with engine.begin() as conn:
        await _still_ours(conn, request.id, worker_id)
        claim = select(_i.status).where(_i.id == item.id)
        if conn.dialect.name == "postgresql":
            claim = claim.with_for_update()
        if (await conn.execute(claim)).scalar() != ItemStatus.PENDING:
            return  # done meanwhile (an earlier owner of the job committed it)
        subject_id = int(item.subject_id)
        reason = await _skip_reason(conn, subject_id, item.basis, request, retention_file)
        if reason is not None:
            await _set_item(conn, item.id, ItemStatus.SKIPPED, reason)
            return
        effects = await privacy.erase_subject(
            conn, subject_id, providers, identity_key=identity_key
        )
        await _set_item(conn, item.id, ItemStatus.ERASED, None, effects)
        await audit.append(
            conn,
            audit.AuditEvent(
                actor_id=request.confirmed_by_id,
                action=f"PRIVACY_{request.action}_PERSON",
                target_type="PrivacyRequest",
                target_id=request.id,
                subject_id=subject_id,
            ),
        )


async def _set_item(
    conn: AsyncConnection,
    item_id: int,
    status: ItemStatus,
    reason: Reason | None,
    effects: Sequence[Effect] = (),
) -> None:
    await conn.execute(
        update(t.privacy_request_items)
        .where(_i.id == item_id, _i.status == ItemStatus.PENDING)
        .values(
            status=status,
            reason=reason,
            effects=privacy.effects_json(effects),
            done_at=clock.now(),
        )
    )


async def _fail_item(engine: AsyncEngine, request_id: int, item_id: int, worker_id: str) -> None:
    async with engine.begin() as conn:
        await _still_ours(conn, request_id, worker_id)
        await _set_item(conn, item_id, ItemStatus.FAILED, Reason.ERASURE_FAILED)


async def _end_of_school(conn: AsyncConnection, school_id: int) -> list[dict[str, Any]]:
    """Delete the school's courses and their content, remove the remaining people's roles at
    the school and archive it; the courses' effects (summed per item)."""
    courses = list(
        (await conn.execute(select(_c.id).where(_c.school_id == school_id).order_by(_c.id)))
        .scalars()
        .all()
    )
    done = [await course_deletion.delete_course(conn, int(pk)) for pk in courses]
    await conn.execute(t.role_assignments.delete().where(_ra.school_id == school_id))
    sc = t.schools.c
    await conn.execute(
        update(t.schools)
        .where(sc.id == school_id, sc.state != CourseState.ARCHIVED)
        .values(state=CourseState.ARCHIVED, archived_at=clock.now())
    )
    return _sum_items(done)


async def _finish(engine: AsyncEngine, request: Any, worker_id: str) -> None:
    """The last transaction: the school's end (if any), the combined result, the status."""
    async with engine.begin() as conn:
        await _still_ours(conn, request.id, worker_id)
        rows = (
            await conn.execute(select(_i.status, _i.effects).where(_i.request_id == request.id))
        ).all()
        erased = combine(
            _effects_of(row.effects) for row in rows if row.status == ItemStatus.ERASED
        )
        lines = _plain(erased)
        if request.action == PrivacyAction.ERASE_SCHOOL and request.school_id is not None:
            lines += await _end_of_school(conn, int(request.school_id))
        failed = sum(1 for row in rows if row.status == ItemStatus.FAILED)
        values: dict[str, Any] = {"effects": json.dumps(lines)}
        if failed:
            values["status"] = Status.FAILED
            values["error"] = (
                f"{failed} of {len(rows)} people could not be erased (the others were); "
                "confirm the request again to retry them"
            )
        await jobs.finish(conn, request.id, worker_id, **values)


# --- the preview (a job of its own, before confirmation) -----------------------------------


async def _still_previewing(conn: AsyncConnection, request_id: int, worker_id: str) -> None:
    """LostLease if the request is no longer this worker's to preview (cancelled, taken over)."""
    stmt = select(_r.id).where(
        _r.id == request_id, _r.worker == worker_id, _r.status == Status.PREVIEWING
    )
    if (await conn.execute(stmt)).first() is None:
        raise jobs.LostLease(request_id, worker_id)


async def _compute_preview(
    engine: AsyncEngine, request: Any, worker_id: str, providers: Sequence[PrivacyProvider]
) -> None:
    """Count what erasing the request's people (and, for a school, deleting its courses) would
    do, and make the request AWAITING_CONFIRMATION with that preview.

    The people are counted ``PREVIEW_CHUNK`` at a time, each chunk on a connection of its own
    (no transaction held open across the whole batch), checking before each that the request
    is still ours: a cancelled request stops the counting. Nothing is written until the end,
    in one transaction with ``jobs.finish``: a worker that dies meanwhile leaves the request
    PREVIEWING, and the worker that claims it next (when the lease runs out) counts again from
    the start. A person erased meanwhile (the job would skip them) counts nothing.
    """
    async with engine.connect() as conn:
        people = [
            int(pk)
            for pk in (
                await conn.execute(
                    select(_i.subject_id)
                    .where(_i.request_id == request.id, _i.subject_id.is_not(None))
                    .order_by(_i.id)
                )
            ).scalars()
        ]
    previews: list[list[Effect]] = []
    for start in range(0, len(people), PREVIEW_CHUNK):
        chunk = people[start : start + PREVIEW_CHUNK]
        async with engine.connect() as conn:
            await _still_previewing(conn, request.id, worker_id)
            alive = set(
                (
                    await conn.execute(
                        select(_p.id).where(
                            in_ids(_p.id, chunk), _p.processing_state != ProcessingState.ERASED
                        )
                    )
                ).scalars()
            )
            for subject_id in chunk:
                if subject_id not in alive:
                    continue
                effects: list[Effect] = []
                for provider in providers:
                    effects.extend(await provider.erasure_effects(conn, subject_id))
                previews.append(effects)
    lines = _plain(combine(previews))
    async with engine.begin() as conn:
        await _still_previewing(conn, request.id, worker_id)
        if request.action == PrivacyAction.ERASE_SCHOOL and request.school_id is not None:
            courses = (
                await conn.execute(
                    select(_c.id).where(_c.school_id == request.school_id).order_by(_c.id)
                )
            ).scalars()
            lines += _sum_items([await course_deletion.preview(conn, pk) for pk in courses])
        await jobs.finish(
            conn,
            request.id,
            worker_id,
            status=Status.AWAITING_CONFIRMATION,
            effects=json.dumps(lines),
            # the preview's claims do not count against the erasure job's MAX_ATTEMPTS
            attempts=0,
            worker=None,
            completed_at=None,
        )


# --- the job's handlers ----------------------------------------------------------------------


def batch_handler(
    providers: Sequence[PrivacyProvider] = PROVIDERS,
    *,
    identity_key: bytes,
    retention_file: Path | None = None,
    ledger: Path | None = None,
) -> Handler:
    """The job of a batch or school erasure. PREVIEWING (just requested): compute the combined
    preview (``_compute_preview``). Confirmed: every PENDING person in a transaction of their
    own (a person whose erasure raises is FAILED, the others go on), then the last transaction
    (``_finish``), then the erasure ledger's entries."""

    async def run(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        async with engine.connect() as conn:
            request = (
                await conn.execute(
                    select(
                        _r.id,
                        _r.action,
                        _r.status,
                        _r.school_id,
                        _r.requested_by_id,
                        _r.confirmed_by_id,
                    ).where(_r.id == request_id)
                )
            ).one()
            items = (
                await conn.execute(
                    select(_i.id, _i.subject_id, _i.basis)
                    .where(_i.request_id == request_id, _i.status == ItemStatus.PENDING)
                    .order_by(_i.id)
                )
            ).all()
        if request.status == Status.PREVIEWING:
            await _compute_preview(engine, request, worker_id, providers)
            return
        for item in items:
            if item.subject_id is None:
                continue
            try:
                await _erase_one(
                    engine, request, item, worker_id, providers, identity_key, retention_file
                )
            except jobs.LostLease:
                raise
            except Exception as exc:  # that person failed; the others go on
                log.warning(
                    "privacy request %d: item %d failed (%s)",
                    request_id,
                    item.id,
                    type(exc).__name__,
                )
                await _fail_item(engine, request_id, int(item.id), worker_id)
        await _finish(engine, request, worker_id)
        if ledger is not None:
            await privacy.record_in_ledger(engine, ledger)

    return run


def job_handlers(settings: Settings, identity_key: bytes) -> dict[PrivacyAction, Handler]:
    handler = batch_handler(
        identity_key=identity_key,
        retention_file=settings.retention_file,
        ledger=settings.erasure_ledger_path,
    )

    async def run(engine: AsyncEngine, request_id: int, worker_id: str) -> None:
        await handler(engine, request_id, worker_id)
        # the erased files' bytes, now that their rows are gone (store/filestore/deletions.py);
        # after a preview there are none
        await drain(engine, storage_of(settings))

    return {PrivacyAction.ERASE_BATCH: run, PrivacyAction.ERASE_SCHOOL: run}


__all__ = [
    "Basis",
    "Reason",
    "batch_handler",
    "combine",
    "confirm_batch_erasure",
    "job_handlers",
    "request_batch_erasure",
    "request_school_erasure",
]
