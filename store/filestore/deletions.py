"""Deleting files: rows in the database's transaction, bytes after it commits.

``delete_files`` deletes ``files`` rows inside the caller's transaction and queues their
storage keys in ``file_deletions`` in the same transaction; ``drain`` deletes the queued bytes
from the storage and then the queue's rows. So

- a rollback keeps the rows, the bytes and no queue entry: nothing is lost;
- a crash after the commit and before the drain leaves queued keys whose rows are gone: the next
  drain (after the next erasure or course deletion, and on every poll of the job worker)
  deletes them; no row ever refers to deleted bytes;
- deleting bytes that are already gone is no error, so draining twice is harmless.

``sweep`` removes bytes no row refers to that were stored longer than a grace period ago
(``SWEEP_GRACE_SECONDS``, an hour; an upload whose process died between storing the bytes and
inserting the row), and the temporary files of interrupted local writes as old. An upload
stores its bytes a moment before it inserts their row, so younger bytes are never taken for
orphans, and each candidate is looked up again right before its bytes are deleted.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from config import clock
from store import tables as t
from store.filestore.base import FileStorage

log = logging.getLogger("tavle.files")

#: bytes younger than this are never swept: their upload may still be inserting the row
SWEEP_GRACE_SECONDS = 3600


async def delete_files(conn: AsyncConnection, where: ColumnElement[bool]) -> int:
    """Delete the ``files`` rows matching ``where`` and queue their bytes; how many."""
    f = t.files.c
    keys = list((await conn.execute(select(f.storage_key).where(where))).scalars())
    if not keys:
        return 0
    queued_at = clock.now()
    # Whatever carried them keeps its other data (the foreign keys say SET NULL too; this does
    # not depend on SQLite enforcing them).
    ids = select(f.id).where(f.storage_key.in_(keys))
    for table in (t.attachments, t.documents):
        await conn.execute(table.update().where(table.c.file_id.in_(ids)).values(file_id=None))
    existing = set(
        (
            await conn.execute(
                select(t.file_deletions.c.storage_key).where(
                    t.file_deletions.c.storage_key.in_(keys)
                )
            )
        ).scalars()
    )
    fresh = [{"storage_key": key, "queued_at": queued_at} for key in keys if key not in existing]
    if fresh:
        await conn.execute(t.file_deletions.insert(), fresh)
    await conn.execute(t.files.delete().where(f.storage_key.in_(keys)))
    return len(keys)


async def drain(engine: AsyncEngine, storage: FileStorage) -> int:
    """Delete the queued bytes, then their queue rows; how many were drained. A key whose
    deletion fails stays queued for the next drain."""
    q = t.file_deletions.c
    async with engine.connect() as conn:
        keys = list((await conn.execute(select(q.storage_key).order_by(q.queued_at))).scalars())
    done: list[str] = []
    for key in keys:
        try:
            await asyncio.to_thread(storage.delete, key)
        except Exception:  # the storage is unreachable: try again at the next drain
            log.warning("file storage: deleting queued bytes failed; kept in the queue")
            break
        done.append(key)
    if done:
        async with engine.begin() as conn:
            await conn.execute(t.file_deletions.delete().where(q.storage_key.in_(done)))
    return len(done)


async def sweep(
    engine: AsyncEngine, storage: FileStorage, grace_seconds: float = SWEEP_GRACE_SECONDS
) -> int:
    """Delete bytes no ``files`` row refers to, stored more than ``grace_seconds`` ago, and
    interrupted writes' leftovers as old; how many keys' bytes were deleted. Safe beside
    uploads in flight: an upload inserts its row within moments of storing its bytes, and each
    key is looked up once more right before its bytes go."""
    cutoff = time.time() - grace_seconds
    await asyncio.to_thread(storage.remove_partial_before, cutoff)
    held = await asyncio.to_thread(storage.keys_stored_before, cutoff)
    f = t.files.c
    async with engine.connect() as conn:
        known = set((await conn.execute(select(f.storage_key))).scalars())
    swept = 0
    for key in sorted(held - known):
        async with engine.connect() as conn:
            found = await conn.execute(select(f.id).where(f.storage_key == key))
            if found.first() is not None:
                continue
        await asyncio.to_thread(storage.delete, key)
        swept += 1
    return swept
