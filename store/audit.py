"""The audit log: append-only, each entry chained to the previous one by hash.

``hash = SHA-256(prev_hash + canonical JSON of the entry)``, so altering, removing or reordering a
row breaks the chain from that row on. Entries hold internal ids only, never names; the
justification is the only free text (``detail`` holds field names and fixed phrases), and only
privacy actions, withdrawals and a few administrative actions carry one.

The justification can still name a person, so erasing a person blanks it (sets it to NULL) on
the entries that concern them (:func:`blank_free_text`) without breaking the chain: the hash
covers ``justification_digest`` (SHA-256 hex of the text), not the text. ``hash_format`` says
which formula an entry's hash follows:

- ``DIGEST_FORMAT`` (2): entries written since migration 0009. Canonical content with the digest
  in place of the text (:func:`canonical_digested`).
- ``LEGACY_FORMAT`` (1): entries written before it, whose hash covers the text itself
  (:func:`canonical`) and is kept as it was (a head hash recorded earlier still matches). The
  migration gave each of them the digest and a ``legacy_seal``: a second chain, over their
  content in digest form, which still checks a legacy entry once its text is blanked. The first
  digest-format entry after the last legacy one hashes that entry's seal along with its own
  content, so the seals cannot be rewritten either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config import clock
from store import tables as t

GENESIS = "0" * 64
#: ``audit_entries.hash_format``: the hash covers the justification's text (before migration 0009)
LEGACY_FORMAT = 1
#: ``audit_entries.hash_format``: the hash covers the justification's digest
DIGEST_FORMAT = 2
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


def text_digest(text: str | None) -> str | None:
    """SHA-256 (hex) of a free text, or None for no text."""
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def canonical(entry_id: int, at: datetime, event: AuditEvent) -> str:
    """The content a ``LEGACY_FORMAT`` entry's hash covers: the justification's text itself."""
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


def canonical_digested(
    entry_id: int,
    at: datetime,
    event: AuditEvent,
    justification_digest: str | None,
    *,
    hash_format: int = DIGEST_FORMAT,
    legacy_seal: str | None = None,
) -> str:
    """The content in digest form: the justification's digest in place of its text, and the
    format. A ``DIGEST_FORMAT`` entry's hash covers it (with ``legacy_seal``, the seal of the
    legacy entry just before it, if it is the first one after them); a legacy entry's seal
    covers it with ``hash_format=LEGACY_FORMAT``."""
    content: dict[str, object] = json.loads(canonical(entry_id, at, event))
    del content["justification"]
    content["justification_digest"] = justification_digest
    content["format"] = hash_format
    if legacy_seal is not None:
        content["legacy_seal"] = legacy_seal
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def entry_hash(
    prev_hash: str,
    entry_id: int,
    at: datetime,
    event: AuditEvent,
    *,
    legacy_seal: str | None = None,
) -> str:
    """The hash ``append`` gives a new (``DIGEST_FORMAT``) entry; ``legacy_seal`` is the previous
    entry's seal when that one is a legacy entry."""
    content = canonical_digested(
        entry_id, at, event, text_digest(event.justification), legacy_seal=legacy_seal
    )
    return chain_hash(prev_hash, content)


def seal(
    prev_seal: str, entry_id: int, at: datetime, event: AuditEvent, justification_digest: str | None
) -> str:
    """A legacy entry's ``legacy_seal``: chained from the previous legacy entry's seal (GENESIS
    for the first), over its content in digest form."""
    content = canonical_digested(
        entry_id, at, event, justification_digest, hash_format=LEGACY_FORMAT
    )
    return chain_hash(prev_seal, content)


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
    a = t.audit_entries.c
    last = (
        await conn.execute(
            select(a.id, a.hash, a.hash_format, a.legacy_seal).order_by(a.id.desc()).limit(1)
        )
    ).first()
    prev_hash = last.hash if last is not None else GENESIS
    entry_id = last.id if last is not None else 0
    # The first entry after the legacy ones binds the last legacy entry's seal.
    seal = last.legacy_seal if last is not None and last.hash_format == LEGACY_FORMAT else None
    at = clock.now()
    rows: list[dict[str, object]] = []
    for event in events:
        entry_id += 1
        digest = entry_hash(prev_hash, entry_id, at, event, legacy_seal=seal)
        seal = None
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
                "justification_digest": text_digest(event.justification),
                "hash_format": DIGEST_FORMAT,
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


def concerning(person_id: int) -> ColumnElement[bool]:
    """The entries that concern a person: those whose subject is the person, and those whose
    target is the person (``target_type`` ``User``). Entries the person only wrote (``actor_id``)
    are records of what they did to others, and their justifications are about those others."""
    a = t.audit_entries.c
    return or_(a.subject_id == person_id, and_(a.target_type == "User", a.target_id == person_id))


async def blank_free_text(conn: AsyncConnection, person_id: int) -> int:
    """Erasure: set the justification of every entry concerning ``person_id`` to NULL, in the
    caller's transaction. The entries and their digests stay, so the chain still verifies.
    Returns how many entries lost their text."""
    a = t.audit_entries.c
    result = await conn.execute(
        update(t.audit_entries)
        .where(concerning(person_id), a.justification.is_not(None))
        .values(justification=None)
    )
    return int(result.rowcount)


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(t.audit_entries))).scalar_one())
