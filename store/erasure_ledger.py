"""The erasure ledger (docs/privacy-actions.md): erased people stay erased through a restore.

A file outside the database (``TAVLE_ERASURE_LEDGER``, default ``<data_dir>/erasure-ledger.jsonl``)
that gets one JSON line per completed erasure (per erased person of a batch or school erasure,
each under the batch's request id): the privacy request's id, when the erasure was
committed, and the keyed digests of the person's sourcedId, username and national id (the same
``store.identity`` digests the tombstone keeps) -- never a name or an identifier in clear.
Lines are only ever appended, each with one ``write`` on a descriptor opened ``O_APPEND``, and
``fsync``-ed before the request is marked ``ledger_written``; the file is created with mode 0600.

The entry is written *after* the erasure's transaction commits: writing it before would leave an
entry for an erasure that rolled back. Until it is written, the request's ``ledger_written`` is
False and the request is reported RUNNING, not COMPLETED. :func:`write_pending` writes every
missing entry; the job worker calls it on every sweep and ``tavle privacy reapply-erasures``
before it reads the ledger. An entry that is already in the file (the process stopped between
the append and the flag) is not appended twice.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store import tables as t
from store.files import private_folder
from store.identity import NATIONAL_ID, SOURCED_ID, USERNAME
from store.tables import ItemStatus, PrivacyAction, PrivacyRequestStatus

#: the entry's fields that hold identity digests, by ``store.identity`` kind
DIGEST_FIELDS = {SOURCED_ID: "sourced_id", USERNAME: "username", NATIONAL_ID: "national_id"}


class LedgerError(OSError):
    """The ledger cannot be read: a line that is not a ledger entry (not the last, torn one)."""


@dataclass(frozen=True)
class LedgerEntry:
    request_id: int
    erased_at: datetime
    #: ``store.identity`` kind -> keyed digest (kinds the person had no identifier of are absent)
    digests: dict[str, str]

    def line(self) -> str:
        return (
            json.dumps(
                {
                    "request": self.request_id,
                    "erased_at": self.erased_at.astimezone(UTC).isoformat(),
                    "digests": {k: self.digests[k] for k in sorted(self.digests)},
                },
                separators=(",", ":"),
            )
            + "\n"
        )

    @property
    def key(self) -> tuple[int, tuple[tuple[str, str], ...]]:
        return self.request_id, tuple(sorted(self.digests.items()))


def _parse(data: Any) -> LedgerEntry:
    digests = data["digests"]
    if not isinstance(digests, dict) or not all(
        k in DIGEST_FIELDS and isinstance(v, str) for k, v in digests.items()
    ):
        raise ValueError("bad digests")
    return LedgerEntry(int(data["request"]), datetime.fromisoformat(data["erased_at"]), digests)


def read_entries(path: Path) -> list[LedgerEntry]:
    """Every entry of the ledger at ``path`` (none if there is no file yet).

    A line that is not JSON is what an append cut short by a crash leaves (the next append
    starts a new line after it); it is skipped, and its request, still ``ledger_written``
    False, is written again. A JSON line that is not an entry raises ``LedgerError``.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    entries: list[LedgerEntry] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue  # torn by a crash
        try:
            entries.append(_parse(data))
        except (ValueError, KeyError, TypeError) as exc:
            raise LedgerError(f"{path}: line {number} is not an erasure ledger entry") from exc
    return entries


def append_entries(path: Path, entries: Iterable[LedgerEntry]) -> None:
    """Append ``entries`` to the ledger and ``fsync`` it; raises ``OSError`` if it cannot."""
    data = "".join(entry.line() for entry in entries).encode()
    if not data:
        return
    private_folder(path.parent)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if created:
            os.fchmod(fd, 0o600)  # whatever the umask
        with open(fd, "ab", closefd=False) as out:
            # A torn last line (a crash mid-append) must not swallow the first new entry.
            if not created and os.fstat(fd).st_size > 0 and not _ends_with_newline(path):
                out.write(b"\n")
            out.write(data)
            out.flush()
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


_r = t.privacy_requests.c
_p = t.people.c

_PENDING = and_(
    _r.action == PrivacyAction.ERASE,
    _r.status == PrivacyRequestStatus.COMPLETED,
    _r.ledger_written.is_(False),
)


_i = t.privacy_request_items.c
#: the people a batch or school erasure has erased whose entry is not written yet
_PENDING_ITEMS = and_(_i.status == ItemStatus.ERASED, _i.ledger_written.is_(False))

#: A privacy request's status as the API reports it: a completed erasure whose entry is not
#: written yet is RUNNING, and so is a finished batch or school erasure (COMPLETED or FAILED)
#: while any person it erased lacks an entry; otherwise the stored status. The one definition
#: for the ``PrivacyRequest.status`` field and the ``privacyRequests(status:)`` filter, built
#: from the conditions :func:`write_pending` clears, so what is shown, what is filtered on and
#: what is still to write cannot disagree.
REPORTED_STATUS: ColumnElement[PrivacyRequestStatus] = case(
    (_PENDING, literal(PrivacyRequestStatus.RUNNING, _r.status.type)),
    (
        _r.action.in_([PrivacyAction.ERASE_BATCH, PrivacyAction.ERASE_SCHOOL])
        & _r.status.in_([PrivacyRequestStatus.COMPLETED, PrivacyRequestStatus.FAILED])
        & exists().where(_i.request_id == _r.id, _PENDING_ITEMS).correlate(t.privacy_requests),
        literal(PrivacyRequestStatus.RUNNING, _r.status.type),
    ),
    else_=_r.status,
)


def _digests(row: Any) -> dict[str, str]:
    return {
        kind: digest
        for kind, digest in (
            (SOURCED_ID, row.erased_sourced_id_digest),
            (USERNAME, row.erased_username_digest),
            (NATIONAL_ID, row.erased_national_id_digest),
        )
        if digest
    }


async def pending_item_entries(conn: AsyncConnection) -> list[tuple[int, LedgerEntry]]:
    """(item id, entry) of every person erased by a batch or school erasure whose entry is not
    written yet: one entry per person, under the batch's request id, committed per person."""
    rows = (
        await conn.execute(
            select(
                _i.id,
                _i.request_id,
                _i.done_at,
                _p.erased_sourced_id_digest,
                _p.erased_username_digest,
                _p.erased_national_id_digest,
            )
            .select_from(t.privacy_request_items.outerjoin(t.people, _p.id == _i.subject_id))
            .where(_PENDING_ITEMS)
            .order_by(_i.id)
        )
    ).all()
    return [
        (int(row.id), LedgerEntry(int(row.request_id), row.done_at, _digests(row))) for row in rows
    ]


async def pending_entries(conn: AsyncConnection) -> list[LedgerEntry]:
    """The ledger entries of completed erasures not yet marked ``ledger_written``."""
    rows = (
        await conn.execute(
            select(
                _r.id,
                _r.completed_at,
                _r.created_at,
                _p.erased_sourced_id_digest,
                _p.erased_username_digest,
                _p.erased_national_id_digest,
            )
            .select_from(t.privacy_requests.outerjoin(t.people, _p.id == _r.subject_id))
            .where(_PENDING)
            .order_by(_r.id)
        )
    ).all()
    entries = []
    for row in rows:
        entries.append(LedgerEntry(int(row.id), row.completed_at or row.created_at, _digests(row)))
    return entries


async def write_pending(engine: AsyncEngine, path: Path) -> int:
    """Write the entries of every completed erasure that is not in the ledger yet, then mark
    them ``ledger_written``. Returns how many requests were marked; raises ``OSError`` (and marks
    nothing) when the ledger cannot be read or written."""
    async with engine.connect() as conn:
        pending = await pending_entries(conn)
        items = await pending_item_entries(conn)
    if not pending and not items:
        return 0
    there = {entry.key for entry in await asyncio.to_thread(read_entries, path)}
    missing = [entry for entry in [*pending, *(e for _, e in items)] if entry.key not in there]
    await asyncio.to_thread(append_entries, path, missing)
    async with engine.begin() as conn:
        if pending:
            await conn.execute(
                update(t.privacy_requests)
                .where(_PENDING, _r.id.in_([entry.request_id for entry in pending]))
                .values(ledger_written=True)
            )
        if items:
            await conn.execute(
                update(t.privacy_request_items)
                .where(_PENDING_ITEMS, _i.id.in_([item_id for item_id, _ in items]))
                .values(ledger_written=True)
            )
    return len(pending) + len(items)
