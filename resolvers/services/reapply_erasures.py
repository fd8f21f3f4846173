"""``tavle privacy reapply-erasures``: erase again the people a restored backup brought back.

Read after every restore of the database (docs/operations.md). Every entry of the erasure ledger
(``store.erasure_ledger``) is matched against the restored ``people`` rows by its keyed digests:

- a tombstone (an ERASED person) with any of the entry's digests: already erased, skipped;
- else exactly one person whose sourcedId, username or national id has one of the digests: that
  person is erased again with the normal erasure (``erase_subject``), as a system action: a
  COMPLETED ERASE request with no requesting administrator, the justification "Re-applied from
  the erasure ledger ...", and its audit entry;
- no person: counted as unmatched (the person was erased before they were ever in this backup);
- more than one person (the digests point at different people): counted as ambiguous and left
  alone, for an administrator to decide.

Running it twice changes nothing the second time: the people erased by the first run are
tombstones then. Erasures committed before the restore but whose entry was never written are
written first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from config import clock
from resolvers.services.actor import inserted_id
from resolvers.services.privacy import effects_json, erase_subject
from store import audit
from store import tables as t
from store.erasure_ledger import LedgerEntry, read_entries, write_pending
from store.identity import NATIONAL_ID, SOURCED_ID, USERNAME, identity_digest
from store.privacy.base import PrivacyProvider
from store.privacy.providers import PROVIDERS
from store.tables import PrivacyAction, PrivacyRequestStatus, ProcessingState, RequestOrigin

_p = t.people.c

Digest = tuple[str, str]
"""(``store.identity`` kind, keyed digest)"""


@dataclass
class ReapplySummary:
    entries: int = 0
    #: ledger entries of erasures in the database that had not been written yet
    written: int = 0
    erased_again: int = 0
    already_erased: int = 0
    unmatched: int = 0
    ambiguous: int = 0

    def render(self) -> str:
        return "\n".join(
            [
                f"Erasure ledger entries read: {self.entries}",
                f"  erased again:                {self.erased_again}",
                f"  already erased:              {self.already_erased}",
                f"  matching nobody:             {self.unmatched}",
                f"  ambiguous (left alone):      {self.ambiguous}",
                f"Pending ledger entries written first: {self.written}",
            ]
        )


def justification_for(entry: LedgerEntry) -> str:
    return (
        f"Re-applied from the erasure ledger after a restore (erasure request {entry.request_id} "
        f"of {entry.erased_at.date().isoformat()})"
    )


async def reapply_erasures(
    engine: AsyncEngine,
    ledger: Path,
    identity_key: bytes,
    providers: Sequence[PrivacyProvider] = PROVIDERS,
) -> ReapplySummary:
    """Erase again every person of the ledger the database has but not as erased.

    Raises ``OSError`` (``store.erasure_ledger.LedgerError`` for a damaged file) when the ledger
    cannot be read or its pending entries written.
    """
    summary = ReapplySummary()
    summary.written = await write_pending(engine, ledger)
    entries = read_entries(ledger)
    summary.entries = len(entries)
    erased, live = await _index(engine, identity_key)
    for entry in entries:
        digests = set(entry.digests.items())
        if digests & erased:
            summary.already_erased += 1
            continue
        matches = set().union(*(live.get(d, set()) for d in digests)) if digests else set()
        if not matches:
            summary.unmatched += 1
        elif len(matches) > 1:
            summary.ambiguous += 1
        else:
            person_id = matches.pop()
            if await _erase_again(engine, person_id, entry, identity_key, providers):
                summary.erased_again += 1
            else:
                summary.already_erased += 1
            erased |= digests | {d for d, ids in live.items() if person_id in ids}
    return summary


async def _index(engine: AsyncEngine, key: bytes) -> tuple[set[Digest], dict[Digest, set[int]]]:
    """The tombstones' digests, and each person's (not erased) digests -> their ids."""
    erased: set[Digest] = set()
    live: dict[Digest, set[int]] = {}
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                _p.id,
                _p.processing_state,
                _p.sourced_id,
                _p.username,
                _p.national_id,
                _p.erased_sourced_id_digest,
                _p.erased_username_digest,
                _p.erased_national_id_digest,
            )
        )
        for row in rows:
            if row.processing_state == ProcessingState.ERASED:
                for kind, digest in (
                    (SOURCED_ID, row.erased_sourced_id_digest),
                    (USERNAME, row.erased_username_digest),
                    (NATIONAL_ID, row.erased_national_id_digest),
                ):
                    if digest:
                        erased.add((kind, digest))
                continue
            for kind, value in (
                (SOURCED_ID, row.sourced_id),
                (USERNAME, row.username),
                (NATIONAL_ID, row.national_id),
            ):
                if value:
                    live.setdefault((kind, identity_digest(key, kind, value)), set()).add(row.id)
    return erased, live


async def _erase_again(
    engine: AsyncEngine,
    person_id: int,
    entry: LedgerEntry,
    identity_key: bytes,
    providers: Sequence[PrivacyProvider],
) -> bool:
    """The normal erasure of ``person_id`` as a system action; False if they are erased now."""
    r = t.privacy_requests.c
    text = justification_for(entry)
    async with engine.begin() as conn:
        state = (
            await conn.execute(
                select(_p.processing_state).where(_p.id == person_id).with_for_update()
            )
        ).scalar()
        if state is None or state == ProcessingState.ERASED:
            return False
        at = clock.now()
        inserted = await conn.execute(
            t.privacy_requests.insert().values(
                action=PrivacyAction.ERASE,
                status=PrivacyRequestStatus.COMPLETED,
                subject_id=person_id,
                origin=RequestOrigin.ADMINISTRATOR,
                requested_by_id=None,
                justification=text,
                created_at=at,
                completed_at=at,
                effects="[]",
                attempts=0,
                # the person is in the ledger already: this erasure adds no entry of its own
                ledger_written=True,
            )
        )
        request_id = inserted_id(inserted)
        effects = await erase_subject(conn, person_id, providers, identity_key=identity_key)
        await conn.execute(
            update(t.privacy_requests)
            .where(r.id == request_id)
            .values(effects=effects_json(effects))
        )
        await audit.append(
            conn,
            audit.AuditEvent(
                actor_id=None,
                action="PRIVACY_REAPPLY_ERASE",
                target_type="PrivacyRequest",
                target_id=request_id,
                subject_id=person_id,
                justification=text,
            ),
        )
    return True
