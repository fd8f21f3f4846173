"""Verifying the audit log's hash chain (``tavle audit verify``).

Entries are read in id order in batches (keyset pagination: memory stays flat however long the
log is, and no transaction is held open across the whole log). For each entry, in this order:

1. its id follows the previous one without a gap, else an entry was **removed**;
2. its ``prev_hash`` equals the previous entry's ``hash``, else entries were **removed or
   reordered** (or the previous entry's hash was rewritten);
3. its content is what its hashes say, else the entry was **altered**:

   - a digest-format entry (``hash_format`` 2): ``hash`` is SHA-256 over ``prev_hash`` and its
     content in digest form (with the previous entry's ``legacy_seal`` when that one is a
     legacy entry); a justification still present must have ``justification_digest`` as its
     digest;
   - a legacy entry (written before migration 0009): ``legacy_seal`` follows from the previous
     legacy entry's seal and its content in digest form, and, unless erasure has blanked its
     text, ``hash`` is SHA-256 over ``prev_hash`` and its content with the text (the formula it
     was written with). Legacy entries only come before the digest-format ones.

A blanked justification (NULL, with its digest kept) is not a failure: that is what erasure does.

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


@dataclass(frozen=True)
class _Previous:
    id: int = 0
    hash: str = audit.GENESIS
    #: the previous entry's ``legacy_seal`` when it is a legacy entry
    seal: str | None = None
    #: whether any digest-format entry came before
    digest_seen: bool = False


ALTERED = "hash does not match the entry's content (the entry was altered)"


def _check(row: Any, prev: _Previous) -> str | None:
    if row.id != prev.id + 1:
        missing = (
            f"entry {prev.id + 1} is missing"
            if row.id == prev.id + 2
            else f"entries {prev.id + 1}-{row.id - 1} are missing"
        )
        return f"{missing} (removed)"
    if row.prev_hash != prev.hash:
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
    digest = row.justification_digest
    if row.justification is not None and audit.text_digest(row.justification) != digest:
        return "the justification does not match its digest (the entry was altered)"
    if row.hash_format == audit.DIGEST_FORMAT:
        content = audit.canonical_digested(row.id, row.at, event, digest, legacy_seal=prev.seal)
        return None if audit.chain_hash(prev.hash, content) == row.hash else ALTERED
    if row.hash_format != audit.LEGACY_FORMAT or prev.digest_seen:
        return f"hash_format {row.hash_format} is not possible here (the entry was altered)"
    if audit.seal(prev.seal or audit.GENESIS, row.id, row.at, event, digest) != row.legacy_seal:
        return ALTERED
    blanked = row.justification is None and digest is not None
    if not blanked and audit.chain_hash(prev.hash, audit.canonical(row.id, row.at, event)) != (
        row.hash
    ):
        return ALTERED
    return None


async def verify_chain(engine: AsyncEngine, batch_size: int = DEFAULT_BATCH) -> Verdict:
    prev, checked = _Previous(), 0
    while True:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.audit_entries).where(_a.id > prev.id).order_by(_a.id).limit(batch_size)
                )
            ).all()
        if not rows:
            return Verdict(ok=True, checked=checked, head_hash=prev.hash if checked else None)
        for row in rows:
            checked += 1
            problem = _check(row, prev)
            if problem is not None:
                return Verdict(ok=False, checked=checked, bad_entry_id=row.id, reason=problem)
            legacy = row.hash_format == audit.LEGACY_FORMAT
            prev = _Previous(
                id=row.id,
                hash=row.hash,
                seal=row.legacy_seal if legacy else None,
                digest_seen=prev.digest_seen or not legacy,
            )
