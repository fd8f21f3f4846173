"""Verifying the audit log's hash chain (``tavle audit verify``).

Entries are read in id order in batches (keyset pagination: memory stays flat however long the
log is, and no transaction is held open across the whole log). For each entry, in this order:

1. its id follows the previous one without a gap, else an entry was **removed**;
2. its ``prev_hash`` equals the previous entry's ``hash``, else entries were **removed or
   reordered** (or the previous entry's hash was rewritten);
3. its ``hash`` equals SHA-256 over ``prev_hash`` and its recomputed canonical content, else the
   entry was **altered**.

The first failure is reported. The chain cannot show that entries were cut off the *end* of the
log (nothing follows them); comparing the reported count with an earlier run, or with an
exported head hash, covers that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from store import audit
from store import tables as t

_a = t.audit_entries.c
DEFAULT_BATCH = 1000


@dataclass(frozen=True)
class Verdict:
    ok: bool
    #: entries checked (all of them when ``ok``; up to and including the bad one otherwise)
    checked: int
    bad_entry_id: int | None = None
    reason: str | None = None
    #: the last entry's hash when ``ok``: record it to detect a truncated tail later
    head_hash: str | None = None

    def render(self) -> str:
        if self.ok:
            return f"audit log OK: {self.checked} entries, head {self.head_hash or audit.GENESIS}"
        return f"audit log BROKEN at entry {self.bad_entry_id}: {self.reason}"


def _check(row: Any, prev_id: int, prev_hash: str) -> str | None:
    if row.id != prev_id + 1:
        missing = (
            f"entry {prev_id + 1} is missing"
            if row.id == prev_id + 2
            else f"entries {prev_id + 1}-{row.id - 1} are missing"
        )
        return f"{missing} (removed)"
    if row.prev_hash != prev_hash:
        return "prev_hash does not match the previous entry's hash (entries removed or reordered)"
    event = audit.AuditEvent(
        actor_id=row.actor_id,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        subject_id=row.subject_id,
        justification=row.justification,
        trace_id=row.trace_id,
        roster_import_id=row.roster_import_id,
        detail=row.detail,
    )
    if audit.chain_hash(prev_hash, audit.canonical(row.id, row.at, event)) != row.hash:
        return "hash does not match the entry's content (the entry was altered)"
    return None


async def verify_chain(engine: AsyncEngine, batch_size: int = DEFAULT_BATCH) -> Verdict:
    prev_id, prev_hash, checked = 0, audit.GENESIS, 0
    while True:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.audit_entries).where(_a.id > prev_id).order_by(_a.id).limit(batch_size)
                )
            ).all()
        if not rows:
            return Verdict(ok=True, checked=checked, head_hash=prev_hash if checked else None)
        for row in rows:
            checked += 1
            problem = _check(row, prev_id, prev_hash)
            if problem is not None:
                return Verdict(ok=False, checked=checked, bad_entry_id=row.id, reason=problem)
            prev_id, prev_hash = row.id, row.hash
