"""The audit log: append-only, each entry chained to the previous one by hash.

``hash = SHA-256(prev_hash + canonical JSON of the entry)``, so altering, removing or reordering a
row breaks the chain from that row on. Entries hold internal ids only, never names (erasure then
needs no rewrite of the log); the justification is the only free text, and only privacy actions
carry one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    actor_id: int | None
    action: str
    target_type: str | None = None
    target_id: int | None = None
    subject_id: int | None = None
    justification: str | None = None
    trace_id: str | None = None


def canonical(entry_id: int, at: datetime, event: AuditEvent) -> str:
    return json.dumps(
        {
            "id": entry_id,
            "at": at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
            "actor": event.actor_id,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "subject": event.subject_id,
            "justification": event.justification,
            "trace": event.trace_id,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


async def append(conn: AsyncConnection, event: AuditEvent) -> int:
    """Append ``event`` inside the caller's transaction (so it commits or rolls back with it)."""
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
    entry_id = (last.id if last is not None else 0) + 1
    at = datetime.now(UTC)
    digest = chain_hash(prev_hash, canonical(entry_id, at, event))
    await conn.execute(
        t.audit_entries.insert().values(
            id=entry_id,
            at=at,
            actor_id=event.actor_id,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            subject_id=event.subject_id,
            justification=event.justification,
            trace_id=event.trace_id,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    return entry_id


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(t.audit_entries))).scalar_one())
