"""The audit log: append-only, each entry chained to the previous one by hash.

``hash = SHA-256(prev_hash + canonical JSON of the entry)``, so altering, removing or reordering a
row breaks the chain from that row on. Entries hold internal ids only, never names (erasure then
needs no rewrite of the log); the justification is the only free text, and only privacy actions
carry one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t

GENESIS = "0" * 64
#: rows per executemany when appending many entries
BATCH = 2000


@dataclass(frozen=True)
class AuditEvent:
    actor_id: int | None
    action: str
    target_type: str | None = None
    target_id: int | None = None
    subject_id: int | None = None
    justification: str | None = None
    trace_id: str | None = None
    #: a roster import's entries: the run (``roster_imports.id``) and what changed (field names)
    roster_import_id: int | None = None
    detail: str | None = None


def canonical(entry_id: int, at: datetime, event: AuditEvent) -> str:
    content: dict[str, object] = {
        "id": entry_id,
        "at": at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "subject": event.subject_id,
        "justification": event.justification,
        "trace": event.trace_id,
    }
    # Added with the school-year migration: only present when set, so that every entry written
    # before it keeps its hash.
    if event.roster_import_id is not None:
        content["roster_import"] = event.roster_import_id
    if event.detail is not None:
        content["detail"] = event.detail
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


async def append(conn: AsyncConnection, event: AuditEvent) -> int:
    """Append ``event`` inside the caller's transaction (so it commits or rolls back with it)."""
    return (await append_many(conn, [event]))[0]


async def append_many(conn: AsyncConnection, events: Sequence[AuditEvent]) -> list[int]:
    """Append ``events`` in order, chained, in one batched INSERT (a roster import writes tens
    of thousands); inside the caller's transaction. Returns their ids."""
    if not events:
        return []
    if conn.dialect.name == "postgresql":
        # Serialise appenders so two processes never chain onto the same previous entry.
        await conn.execute(text("SELECT pg_advisory_xact_lock(7316028)"))
    last = (
        await conn.execute(
            select(t.audit_entries.c.id, t.audit_entries.c.hash)
            .order_by(t.audit_entries.c.id.desc())
            .limit(1)
        )
    ).first()
    prev_hash = last.hash if last is not None else GENESIS
    entry_id = last.id if last is not None else 0
    at = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for event in events:
        entry_id += 1
        digest = chain_hash(prev_hash, canonical(entry_id, at, event))
        rows.append(
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
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    for start in range(0, len(rows), BATCH):
        await conn.execute(t.audit_entries.insert(), rows[start : start + BATCH])
    return [int(str(row["id"])) for row in rows]


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(t.audit_entries))).scalar_one())
