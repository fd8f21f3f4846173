"""Data requests (docs/data-requests.md): a data subject asks, a system administrator decides
within the deadline and fulfils the request with the privacy tool's actions.

A request is due one calendar month after it was received (GDPR art. 12(3)); it may be extended
once, by two further months, with a reason. It moves RECEIVED -> ACCEPTED | REJECTED (a decision
with a reason, art. 12(4)) or CANCELLED; an ACCEPTED request becomes COMPLETED when every privacy
action linked to it (``privacy_requests.data_request_id``) is COMPLETED. Each step notifies the
person who asked (``resolvers.services.notices``) and the decisions are audited with their
reasons as justifications (whose digests the audit chain covers).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authz.relations import Facts
from config import clock
from resolvers.data_request_list import OPEN, SOON, effective_due, overdue
from resolvers.errors import bad_input, conflict, forbidden, not_found
from resolvers.events import Event, publish
from resolvers.services import input_limits as limits
from resolvers.services.actor import Actor, inserted_id, require_text
from resolvers.services.notices import active_administrators, notify
from store import audit
from store import tables as t
from store.tables import (
    DataRequestKind,
    DataRequestStatus,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
    RequestChannel,
)

Status = DataRequestStatus
_d = t.data_requests.c
_r = t.privacy_requests.c
_p = t.people.c


def add_months(at: datetime, months: int) -> datetime:
    """``at`` plus ``months`` calendar months; a day the target month lacks becomes its last
    day (31 January + 1 month = 28 or 29 February)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def _date(at: datetime) -> str:
    return at.date().isoformat()


async def _publish(engine: AsyncEngine, events: Sequence[Event]) -> None:
    for event in events:
        await publish(engine, event)


async def _reachable(conn: AsyncConnection, person_id: int | None) -> list[int]:
    """``[person_id]`` if they can be told anything (not erased, not restricted), else ``[]``."""
    if person_id is None:
        return []
    state = (await conn.execute(select(_p.processing_state).where(_p.id == person_id))).scalar()
    return [person_id] if state == ProcessingState.ACTIVE else []


async def _load(conn: AsyncConnection, request_id: int, *, lock: bool = False) -> Any:
    stmt = select(t.data_requests).where(_d.id == request_id)
    row = (await conn.execute(stmt.with_for_update() if lock else stmt)).first()
    if row is None:
        raise not_found("No data request with that id")
    return row


async def _move(
    conn: AsyncConnection, request_id: int, expected: Sequence[Status], **values: Any
) -> None:
    """Compare-and-set the request's status: of two administrators acting at once, one wins
    and the other answers CONFLICT."""
    moved = await conn.execute(
        update(t.data_requests)
        .where(_d.id == request_id, _d.status.in_(list(expected)))
        .values(**values)
    )
    if moved.rowcount != 1:
        status = (await conn.execute(select(_d.status).where(_d.id == request_id))).scalar()
        raise conflict(f"The data request is {status}: someone acted on it first")


# --- submitting ------------------------------------------------------------------------------


async def _is_guardian_of(conn: AsyncConnection, guardian_id: int, student_id: int) -> bool:
    g = t.guardianships.c
    found = await conn.execute(
        select(g.guardian_id).where(g.guardian_id == guardian_id, g.student_id == student_id)
    )
    return found.first() is not None


async def submit(
    actor: Actor,
    kind: DataRequestKind,
    subject_id: int | None,
    message: str | None,
    channel: RequestChannel,
    requested_by_id: int | None = None,
) -> int:
    """A new RECEIVED request, due one calendar month from now.

    About oneself, or (``subject_id``) about one's child; a system administrator registers a
    request received another way (``channel`` other than SELF_SERVICE) for anyone, naming who
    asked (``requested_by_id``: the subject, the default, or one of their guardians).
    """
    viewer = actor.viewer
    subject = viewer.person_id if subject_id is None else subject_id
    channel = RequestChannel(channel)
    registered = channel != RequestChannel.SELF_SERVICE
    actor.require(
        Facts(person=subject),
        "Mutation.submitDataRequest",
        "you may make a data request about yourself or your child",
    )
    if registered and not viewer.is_sysadmin:
        raise forbidden(
            "Only a system administrator registers a request received by letter, email, "
            "phone or in person"
        )
    if viewer.is_sysadmin and not registered and subject != viewer.person_id:
        raise bad_input(
            "A request made on someone's behalf needs the channel it came through "
            "(LETTER, EMAIL, PHONE or IN_PERSON)"
        )
    if requested_by_id is not None and not registered:
        raise bad_input("'requestedById' is only for requests a system administrator registers")
    text = None
    if message is not None:
        text = limits.check_text(message, "message", limits.DATA_REQUEST_MESSAGE).strip() or None
    received = clock.now()
    async with actor.engine.begin() as conn:
        state = (
            await conn.execute(
                select(_p.processing_state).where(_p.id == subject).with_for_update()
            )
        ).scalar()
        if state is None:
            raise not_found("No person with that id")
        if state == ProcessingState.ERASED:
            raise conflict("The person has been erased")
        requester = viewer.person_id
        if registered:
            requester = subject if requested_by_id is None else requested_by_id
            if requester != subject and not await _is_guardian_of(conn, requester, subject):
                raise bad_input("'requestedById' must be the subject or one of their guardians")
        result = await conn.execute(
            t.data_requests.insert().values(
                kind=DataRequestKind(kind),
                status=Status.RECEIVED,
                channel=channel,
                subject_id=subject,
                requested_by_id=requester,
                registered_by_id=viewer.person_id if registered else None,
                message=text,
                received_at=received,
                due_at=add_months(received, 1),
                identity_verified=False,
            )
        )
        request_id = inserted_id(result)
        # The message is the person's own words: not in the audit log (the request keeps it).
        await actor.audit(conn, "DATA_REQUEST_SUBMIT", "DataRequest", request_id, subject)
        events = await notify(
            conn, [requester], "DATA_REQUEST_RECEIVED", due=_date(add_months(received, 1))
        )
    await _publish(actor.engine, events)
    return request_id


# --- deciding, extending, cancelling ---------------------------------------------------------


def _reason(reason: str, field: str = "reason") -> str:
    return require_text(reason, field, limits.JUSTIFICATION)


async def decide(
    actor: Actor,
    request_id: int,
    accept: bool,
    reason: str,
    identity_verified: bool | None,
) -> int:
    """Accept or reject a RECEIVED request, with the reason the person is told (art. 12(4))."""
    actor.require(Facts(), "Mutation.decideDataRequest", "only a system administrator decides")
    text = _reason(reason)
    at = clock.now()
    async with actor.engine.begin() as conn:
        row = await _load(conn, request_id, lock=True)
        if row.status != Status.RECEIVED:
            raise conflict(f"The data request is {row.status}: it has been decided already")
        values: dict[str, Any] = {}
        if identity_verified is not None:
            values["identity_verified"] = identity_verified
            values["identity_verified_by_id"] = (
                actor.viewer.person_id if identity_verified else None
            )
        await _move(
            conn,
            request_id,
            (Status.RECEIVED,),
            status=Status.ACCEPTED if accept else Status.REJECTED,
            decided_by_id=actor.viewer.person_id,
            decided_at=at,
            decision_reason=text,
            **values,
        )
        action = "DATA_REQUEST_ACCEPT" if accept else "DATA_REQUEST_REJECT"
        await actor.audit(conn, action, "DataRequest", request_id, row.subject_id, text)
        events = await notify(
            conn,
            await _reachable(conn, row.requested_by_id),
            "DATA_REQUEST_ACCEPTED" if accept else "DATA_REQUEST_REJECTED",
        )
    await _publish(actor.engine, events)
    return request_id


async def extend(actor: Actor, request_id: int, reason: str) -> int:
    """Extend an open request once, by two months from its original due date (art. 12(3))."""
    actor.require(Facts(), "Mutation.extendDataRequest", "only a system administrator extends")
    text = _reason(reason)
    async with actor.engine.begin() as conn:
        row = await _load(conn, request_id, lock=True)
        if row.status not in OPEN:
            raise conflict(f"The data request is {row.status}: it can no longer be extended")
        if row.extended_to is not None:
            raise conflict("The data request has been extended already: only once is allowed")
        extended_to = add_months(row.due_at, 2)
        moved = await conn.execute(
            update(t.data_requests)
            .where(_d.id == request_id, _d.extended_to.is_(None), _d.status.in_(OPEN))
            .values(extended_to=extended_to, extension_reason=text)
        )
        if moved.rowcount != 1:
            raise conflict("The data request was extended or closed meanwhile")
        await actor.audit(
            conn, "DATA_REQUEST_EXTEND", "DataRequest", request_id, row.subject_id, text
        )
        events = await notify(
            conn,
            await _reachable(conn, row.requested_by_id),
            "DATA_REQUEST_EXTENDED",
            due=_date(extended_to),
        )
    await _publish(actor.engine, events)
    return request_id


async def cancel(actor: Actor, request_id: int) -> int:
    """Withdraw a request: the person who asked while it is RECEIVED, a system administrator
    while it is open. Others: NOT_FOUND, as for a request they cannot see."""
    viewer = actor.viewer
    async with actor.engine.begin() as conn:
        row = await _load(conn, request_id, lock=True)
        facts = Facts(owner=row.requested_by_id)
        if not (
            viewer.is_sysadmin
            or row.requested_by_id == viewer.person_id
            or (row.subject_id == viewer.person_id)
        ):
            raise not_found("No data request with that id")
        actor.require(facts, "Mutation.cancelDataRequest", "only the person who asked cancels")
        allowed = OPEN if viewer.is_sysadmin else (Status.RECEIVED,)
        if row.status not in allowed:
            raise conflict(f"The data request is {row.status}: it can no longer be cancelled")
        await _move(conn, request_id, allowed, status=Status.CANCELLED)
        await actor.audit(conn, "DATA_REQUEST_CANCEL", "DataRequest", request_id, row.subject_id)
    return request_id


# --- fulfilling: linked privacy actions ------------------------------------------------------


async def check_link(conn: AsyncConnection, data_request_id: int, subject_id: int) -> None:
    """A privacy action may fulfil ``data_request_id`` only if it is ACCEPTED and about the
    same person (called in the action's transaction, before its row is written)."""
    row = (
        await conn.execute(
            select(_d.status, _d.subject_id).where(_d.id == data_request_id).with_for_update()
        )
    ).first()
    if row is None:
        raise not_found("No data request with that id")
    if row.status != Status.ACCEPTED:
        raise conflict(f"The data request is {row.status}, not ACCEPTED")
    if row.subject_id != subject_id:
        raise bad_input("The data request is about another person")


async def complete_if_done(conn: AsyncConnection, data_request_id: int | None) -> list[Event]:
    """Complete the ACCEPTED request when every linked action (cancelled ones aside) is
    COMPLETED; the notifications to publish after commit. Called wherever an action completes
    or is cancelled (the mutations and the job worker's handlers)."""
    if data_request_id is None:
        return []
    statuses = (
        (
            await conn.execute(
                select(_r.status).where(
                    _r.data_request_id == data_request_id,
                    _r.status != PrivacyRequestStatus.CANCELLED,
                )
            )
        )
        .scalars()
        .all()
    )
    if not statuses or any(s != PrivacyRequestStatus.COMPLETED for s in statuses):
        return []
    row = (
        await conn.execute(
            select(_d.requested_by_id, _d.subject_id).where(_d.id == data_request_id)
        )
    ).first()
    done = await conn.execute(
        update(t.data_requests)
        .where(_d.id == data_request_id, _d.status == Status.ACCEPTED)
        .values(status=Status.COMPLETED, completed_at=clock.now())
    )
    if row is None or done.rowcount != 1:
        return []
    await audit.append(
        conn,
        audit.AuditEvent(
            actor_id=None,
            action="DATA_REQUEST_COMPLETE",
            target_type="DataRequest",
            target_id=data_request_id,
            subject_id=row.subject_id,
        ),
    )
    recipients = await _reachable(conn, row.requested_by_id)
    return await notify(conn, recipients, "DATA_REQUEST_COMPLETED")


async def complete_for_action(conn: AsyncConnection, privacy_request_id: int) -> list[Event]:
    """``complete_if_done`` for the data request the privacy action fulfils, if any."""
    linked = (
        await conn.execute(select(_r.data_request_id).where(_r.id == privacy_request_id))
    ).scalar()
    return await complete_if_done(conn, linked)


async def release_export(actor: Actor, privacy_request_id: int) -> int:
    """Let the person who asked download a finished export made for their ACCESS request
    (``GET /privacy/exports/{id}``) until it expires."""
    actor.require(Facts(), "Mutation.releaseExport", "only a system administrator releases")
    async with actor.engine.begin() as conn:
        row = (
            await conn.execute(
                select(
                    _r.action,
                    _r.status,
                    _r.data_request_id,
                    _r.released_at,
                    _r.expires_at,
                    _r.subject_id,
                )
                .where(_r.id == privacy_request_id)
                .with_for_update()
            )
        ).first()
        if row is None or row.action != PrivacyAction.EXPORT:
            raise not_found("No export with that id")
        if row.status != PrivacyRequestStatus.COMPLETED:
            raise conflict(f"The export is {row.status}, not COMPLETED")
        if row.expires_at is not None and row.expires_at <= clock.now():
            raise conflict("The export has expired")
        if row.released_at is not None:
            raise conflict("The export has been released already")
        if row.data_request_id is None:
            raise conflict("The export fulfils no data request: there is nobody to release it to")
        request = await _load(conn, row.data_request_id)
        if request.kind != DataRequestKind.ACCESS or request.status not in (
            Status.ACCEPTED,
            Status.COMPLETED,
        ):
            raise conflict("Only an export for an accepted ACCESS request can be released")
        await conn.execute(
            update(t.privacy_requests)
            .where(_r.id == privacy_request_id)
            .values(released_at=clock.now())
        )
        await actor.audit(
            conn, "PRIVACY_RELEASE_EXPORT", "PrivacyRequest", privacy_request_id, row.subject_id
        )
        recipients = await _reachable(conn, request.requested_by_id)
        expires = _date(row.expires_at) if row.expires_at is not None else ""
        events = await notify(conn, recipients, "DATA_EXPORT_RELEASED", expires=expires)
    await _publish(actor.engine, events)
    return privacy_request_id


async def released_to(conn: AsyncConnection, privacy_request_id: int) -> int | None:
    """The person a released export may be downloaded by besides system administrators: who
    asked for its ACCESS request, while the subject is not erased and, when a guardian asked,
    while they still are the subject's guardian; None if it is not released (or no longer
    theirs to have)."""
    d = t.data_requests
    g = t.guardianships.c
    still_guardian = exists(
        select(g.guardian_id).where(
            g.guardian_id == _d.requested_by_id, g.student_id == _d.subject_id
        )
    )
    row = (
        await conn.execute(
            select(_d.requested_by_id)
            .select_from(
                t.privacy_requests.join(d, _d.id == _r.data_request_id).join(
                    t.people, _p.id == _d.subject_id
                )
            )
            .where(
                _r.id == privacy_request_id,
                _r.released_at.is_not(None),
                _d.kind == DataRequestKind.ACCESS,
                _d.status.in_([Status.ACCEPTED, Status.COMPLETED]),
                _p.processing_state != ProcessingState.ERASED,
                or_(_d.requested_by_id == _d.subject_id, still_guardian),
            )
        )
    ).first()
    return None if row is None else row.requested_by_id


# --- the daily reminder ----------------------------------------------------------------------


async def remind(engine: AsyncEngine) -> bool:
    """Tell every system administrator how many open requests are overdue or due within a week:
    once a day, however many workers run it (the day's row in ``data_request_reminders`` is
    written in the same transaction; a second writer fails on its key and sends nothing).
    True if this call sent it."""
    at = clock.now()
    try:
        async with engine.begin() as conn:
            await conn.execute(
                t.data_request_reminders.insert().values(reminded_on=clock.today(), sent_at=at)
            )
            late = await _count(conn, overdue(at))
            soon = await _count(
                conn, _d.status.in_(OPEN), effective_due >= at, effective_due <= at + SOON
            )
            events: list[Event] = []
            if late or soon:
                admins = await active_administrators(conn)
                events = await notify(
                    conn, admins, "DATA_REQUESTS_REMINDER", overdue=str(late), soon=str(soon)
                )
    except IntegrityError:
        return False
    await _publish(engine, events)
    return True


async def _count(conn: AsyncConnection, *where: Any) -> int:
    found = await conn.execute(select(func.count()).select_from(t.data_requests).where(*where))
    return int(found.scalar_one())
