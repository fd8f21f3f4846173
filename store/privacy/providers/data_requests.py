"""``DATA_REQUESTS``: the requests a person made about personal data, or that were made for them.

Table: ``data_requests`` (docs/data-requests.md).

Exported (art. 15/20)
    * ``data_request``: each request about the person (role ``SUBJECT``) or made by them for a
      child (role ``REQUESTER``): kind, status, channel, message, dates, the decision and its
      reason. Source: PERSON for requests made in Tavle, ADMINISTRATOR for those a system
      administrator registered (letter, email ...).

Restriction
    * KEPT: a request is answered while its person is restricted (the duty to answer goes on,
      art. 12 and 18(2)); only system administrators and the person who asked see it.

Erasure
    * PSEUDONYMISED: the requests lose their free text (message, extension and decision
      reasons); kind, channel, dates, status and who decided stay, tied to the erased person's
      tombstone, as the record that the request was answered (art. 5(2)).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome
from store.privacy.providers._common import count, effects, stream_rows
from store.privacy.providers._presence import Check, may_have_any
from store.tables import DataSource, RequestChannel

SUBJECT = "SUBJECT"
REQUESTER = "REQUESTER"


def _concerning(subject_id: int) -> ColumnElement[bool]:
    d = t.data_requests.c
    return or_(d.subject_id == subject_id, d.requested_by_id == subject_id)


class DataRequestsProvider:
    category = DataCategory.DATA_REQUESTS
    tables = frozenset({"data_requests"})

    async def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        if not may_have_any(subject_id, Check.DATA_REQUESTS):
            return  # a school export found nothing of theirs here
        d = t.data_requests.c
        stmt = select(t.data_requests).where(_concerning(subject_id)).order_by(d.id)
        async for row in stream_rows(conn, stmt, (Check.DATA_REQUESTS, subject_id)):
            yield ExportItem(
                kind="data_request",
                fields={
                    "id": row.id,
                    "role": SUBJECT if row.subject_id == subject_id else REQUESTER,
                    "kind": row.kind,
                    "status": row.status,
                    "channel": row.channel,
                    "message": row.message,
                    "received_at": row.received_at,
                    "due_at": row.due_at,
                    "extended_to": row.extended_to,
                    "extension_reason": row.extension_reason,
                    "identity_verified": bool(row.identity_verified),
                    "decided_at": row.decided_at,
                    "decision_reason": row.decision_reason,
                    "completed_at": row.completed_at,
                },
                source=(
                    DataSource.PERSON
                    if row.channel == RequestChannel.SELF_SERVICE
                    else DataSource.ADMINISTRATOR
                ),
            )

    async def _count(self, conn: AsyncConnection, subject_id: int) -> int:
        return await count(conn, t.data_requests, _concerning(subject_id))

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return effects(self.category, [(Outcome.KEPT, await self._count(conn, subject_id))])

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        return effects(
            self.category, [(Outcome.PSEUDONYMISED, await self._count(conn, subject_id))]
        )

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        found = await self.erasure_effects(conn, subject_id)
        await conn.execute(
            update(t.data_requests)
            .where(_concerning(subject_id))
            .values(message=None, extension_reason=None, decision_reason=None)
        )
        return found
