"""The staff access log: which staff member read whose submission, assessment, national id or
export, when, in which operation (docs/privacy-actions.md, "Staff access log").

Reads only *note* what they delivered (``resolvers.effects.RequestEffects.accessed``: pairs of a
person id and a kind code); after the operation the gateway adds one entry per (staff member,
person, kind) to this process's :class:`AccessLogBuffer`, and a background flusher
(``gateway.access_log``) writes the buffer in one statement about every second (a multi-row
INSERT; a ``COPY`` on PostgreSQL). An entry holds ids, a kind, a time and the operation's name,
never a variable or a value.

No foreign keys: an entry is deleted by either side's erasure (the privacy provider
``store.privacy.providers.access_log``) and by the daily retention purge
(``TAVLE_ACCESS_LOG_RETENTION``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.idlists import in_ids
from store.tables import AccessKind, ProcessingState

#: Kind codes, as the hot read path notes them (an int pair is cheaper than an enum member,
#: whose hash is a Python call); ``KINDS[code]`` is the stored kind.
SUBMISSION, ASSESSMENT, NATIONAL_ID, EXPORT = range(4)
KINDS: tuple[AccessKind, ...] = (
    AccessKind.SUBMISSION,
    AccessKind.ASSESSMENT,
    AccessKind.NATIONAL_ID,
    AccessKind.EXPORT,
)
#: the ``operation`` column's length: longer operation names are cut
OPERATION_LENGTH = 128
#: rows per INSERT statement: 5 parameters a row stays below SQLite's and PostgreSQL's limits
ROWS_PER_STATEMENT = 1000

#: one buffered entry: (at, staff_id, person_id, kind code, operation)
Entry = tuple[datetime, int, int, int, str | None]

_a = t.access_log.c
_INSERT = (
    insert(t.access_log)
    .returning(_a.id)
    .execution_options(insertmanyvalues_page_size=ROWS_PER_STATEMENT)
)


@dataclass
class AccessLogBuffer:
    """The entries of this process not yet written. Used from the event loop only.

    ``limit`` bounds the memory a database outage can make it hold: beyond it the oldest
    entries are dropped (counted in ``dropped``; the flusher logs the count).
    """

    limit: int = 100_000
    entries: list[Entry] = field(default_factory=list)
    dropped: int = 0
    #: called when the buffer reaches ``wake_at`` entries (the flusher's wake-up)
    wake_at: int = 500
    on_full: Callable[[], None] | None = None

    def add(
        self,
        at: datetime,
        staff_id: int,
        accessed: Iterable[tuple[int, int]],
        operation: str | None,
    ) -> None:
        """One entry per (person, kind) ``staff_id`` read in one operation."""
        if operation is not None and len(operation) > OPERATION_LENGTH:
            operation = operation[:OPERATION_LENGTH]
        entries = self.entries
        entries.extend((at, staff_id, person, kind, operation) for person, kind in accessed)
        if len(entries) > self.limit:
            excess = len(entries) - self.limit
            del entries[:excess]
            self.dropped += excess
        if len(entries) >= self.wake_at and self.on_full is not None:
            self.on_full()

    def take(self) -> list[Entry]:
        """Every buffered entry, the buffer emptied."""
        taken, self.entries = self.entries, []
        return taken

    def put_back(self, entries: list[Entry]) -> None:
        """Entries whose write failed, ahead of those added since (kept for the next flush)."""
        self.entries[:0] = entries
        if len(self.entries) > self.limit:
            excess = len(self.entries) - self.limit
            del self.entries[:excess]
            self.dropped += excess

    def __len__(self) -> int:
        return len(self.entries)


async def write(conn: AsyncConnection, entries: list[Entry]) -> None:
    """``entries`` in one multi-row INSERT (one per :data:`ROWS_PER_STATEMENT` entries); on
    PostgreSQL in one ``COPY`` (``_copy``).

    Given as an executemany with ``RETURNING``: SQLAlchemy then sends one ``INSERT ... VALUES
    (...), (...)`` per page ("insertmanyvalues") from a statement compiled once, where a
    ``.values([...])`` of the rows would build and compile thousands of bound parameters
    every flush (about six times the CPU, on the event loop the requests share).
    """
    if not entries:
        return
    # Entries wait in memory (up to a flush interval; longer while the database is away): one
    # about a person erased meanwhile, as reader or as the one read about, is not written, as
    # erasure deleted theirs (docs/privacy-actions.md).
    erased = await _erased(conn, {e[1] for e in entries} | {e[2] for e in entries})
    kept = [e for e in entries if e[1] not in erased and e[2] not in erased]
    if not kept:
        return
    if conn.dialect.name == "postgresql":
        await _copy(conn, kept)
        return
    await conn.execute(
        _INSERT,
        [
            {
                "at": at,
                "staff_id": staff,
                "person_id": person,
                "what": KINDS[kind].value,
                "operation": operation,
            }
            for at, staff, person, kind, operation in kept
        ],
    )


#: the columns ``_copy`` fills, in the order of its records
_COPIED = ("at", "staff_id", "person_id", "what", "operation")


async def _copy(conn: AsyncConnection, entries: list[Entry]) -> None:
    """PostgreSQL: ``entries`` with ``COPY``, the driver's bulk path, in ``conn``'s transaction.

    A gradebook leaves a few hundred entries per request: as an INSERT they cost the gateway's
    process about 3 ms of CPU per write (each value bound and encoded as a parameter, the ids
    returned) and PostgreSQL a statement of some thousand parameters to parse; ``COPY`` streams
    the rows instead, for about a third less of the process's CPU.
    """
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None, "a connection checked out of the pool has its driver's"
    await driver.copy_records_to_table(
        t.access_log.name,
        records=[
            (_utc(at), staff, person, KINDS[kind].value, operation)
            for at, staff, person, kind, operation in entries
        ],
        columns=_COPIED,
    )


def _utc(at: datetime) -> datetime:
    """What ``UTCDateTime`` binds (``COPY`` passes values to the driver unprocessed)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def _erased(conn: AsyncConnection, people: set[int]) -> set[int]:
    p = t.people.c
    found = await conn.execute(
        select(p.id).where(
            in_ids(p.id, sorted(people)), p.processing_state == ProcessingState.ERASED
        )
    )
    return set(found.scalars())


async def people_read_by(
    conn: AsyncConnection, staff_id: int, start: datetime, end: datetime
) -> set[int]:
    """The people whose submissions, assessments, national id or export ``staff_id`` read in
    [``start``, ``end``] (an incident's scope). Entries still in a process's buffer (at most
    about a second's) are not seen."""
    rows = await conn.execute(
        select(_a.person_id).where(_a.staff_id == staff_id, _a.at >= start, _a.at <= end).distinct()
    )
    return set(rows.scalars())


async def purge_before(conn: AsyncConnection, cutoff: datetime) -> int:
    """Delete the entries older than ``cutoff`` (retention); how many."""
    result = await conn.execute(delete(t.access_log).where(_a.at < cutoff))
    return int(result.rowcount or 0)


def entries_about(person_id: int) -> Select[tuple[datetime, int, str, str | None]]:
    """Who read what about ``person_id``, when, in which operation: oldest first (their
    export, art. 15(1)(c)). Only the reader's internal id, as for guardian links."""
    return (
        select(_a.at, _a.staff_id, _a.what, _a.operation)
        .where(_a.person_id == person_id)
        .order_by(_a.at, _a.id)
    )


def _either_side(person_id: int) -> ColumnElement[bool]:
    return or_(_a.staff_id == person_id, _a.person_id == person_id)


async def count_for(conn: AsyncConnection, person_id: int) -> int:
    """The entries where ``person_id`` is either side (what their erasure deletes)."""
    stmt = select(func.count()).select_from(t.access_log).where(_either_side(person_id))
    return int((await conn.execute(stmt)).scalar_one())


async def delete_for(conn: AsyncConnection, person_id: int) -> int:
    """Delete the entries where ``person_id`` is either side (their erasure); how many."""
    result = await conn.execute(delete(t.access_log).where(_either_side(person_id)))
    return int(result.rowcount or 0)
