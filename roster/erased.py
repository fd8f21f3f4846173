"""Erased stays erased (docs/school-year.md rule 7): recognising erased people in a roster file.

A tombstone keeps keyed digests of the erased person's sourcedId, username and national id
(``store.identity``). A user row that is not in Tavle but matches any of them is not created;
the import reports an ``ERASED_IDENTITY`` conflict instead. ``tavle roster allow-recreate``
records an allowance for one sourcedId, which the next import that creates the person uses up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.records import UserRecord
from store import tables as t
from store.identity import NATIONAL_ID, SOURCED_ID, USERNAME, identity_digest
from store.tables import ProcessingState


@dataclass(frozen=True)
class ErasedIdentities:
    key: bytes
    sourced_ids: frozenset[str]
    usernames: frozenset[str]
    national_ids: frozenset[str]
    allowed: frozenset[str]

    @classmethod
    async def load(cls, conn: AsyncConnection, key: bytes) -> ErasedIdentities:
        p = t.people.c
        rows = (
            await conn.execute(
                select(
                    p.erased_sourced_id_digest,
                    p.erased_username_digest,
                    p.erased_national_id_digest,
                ).where(
                    p.processing_state == ProcessingState.ERASED,
                    or_(
                        p.erased_sourced_id_digest.is_not(None),
                        p.erased_username_digest.is_not(None),
                        p.erased_national_id_digest.is_not(None),
                    ),
                )
            )
        ).all()
        allowed = (await conn.execute(select(t.recreate_allowances.c.sourced_id_digest))).scalars()
        return cls(
            key=key,
            sourced_ids=frozenset(r[0] for r in rows if r[0]),
            usernames=frozenset(r[1] for r in rows if r[1]),
            national_ids=frozenset(r[2] for r in rows if r[2]),
            allowed=frozenset(allowed),
        )

    def _digest(self, kind: str, value: str) -> str:
        return identity_digest(self.key, kind, value)

    def blocks(self, user: UserRecord) -> bool:
        """Whether creating ``user`` would bring an erased person back."""
        if not (self.sourced_ids or self.usernames or self.national_ids):
            return False
        own = self._digest(SOURCED_ID, user.sourced_id)
        if own in self.allowed:
            return False
        return (
            own in self.sourced_ids
            or self._digest(USERNAME, user.username) in self.usernames
            or (
                user.national_id is not None
                and self._digest(NATIONAL_ID, user.national_id) in self.national_ids
            )
        )

    async def consume_allowances(self, conn: AsyncConnection, created: Sequence[str]) -> None:
        """Drop the allowances of people the import has now written."""
        if not self.allowed:
            return
        used = sorted({self._digest(SOURCED_ID, s) for s in created} & self.allowed)
        if used:
            a = t.recreate_allowances.c
            await conn.execute(delete(t.recreate_allowances).where(a.sourced_id_digest.in_(used)))
