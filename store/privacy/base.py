"""The privacy-provider contract: each data category exports, counts and erases its own rows.

Restriction needs no rewrite of rows: what a restricted person's data looks like to others is
decided at read time by the row scopes and the pseudonymising author fields. Providers report
what restriction *does* to their rows (``restriction_effects``) so a RESTRICT request can show it,
and carry out erasure inside the caller's transaction, so an erasure is all or nothing.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


class DataCategory(enum.StrEnum):
    PERSONAL_DATA = "PERSONAL_DATA"
    COMMUNICATION = "COMMUNICATION"
    TEACHING_MATERIAL = "TEACHING_MATERIAL"
    ASSESSMENTS = "ASSESSMENTS"
    CALENDAR = "CALENDAR"
    STUDENT_ANSWERS = "STUDENT_ANSWERS"
    FILES = "FILES"
    DATA_REQUESTS = "DATA_REQUESTS"
    INTERNAL_LOGIC = "INTERNAL_LOGIC"


class Outcome(enum.StrEnum):
    HIDDEN = "HIDDEN"
    PSEUDONYMISED = "PSEUDONYMISED"
    KEPT = "KEPT"
    DELETED = "DELETED"


@dataclass(frozen=True)
class Effect:
    category: DataCategory
    outcome: Outcome
    count: int


@dataclass(frozen=True)
class ExportItem:
    """One exported datum: a record of ``kind`` with plain values, and where it came from.

    ``source`` is the provenance the export must state (art. 15(1)(g)): ROSTER, PERSON,
    REGISTRATION or ADMINISTRATOR (see ``store.tables.DataSource``).
    """

    kind: str
    fields: dict[str, Any]
    source: str
    children: list[ExportItem] = field(default_factory=list)


class PrivacyProvider(Protocol):
    category: DataCategory
    #: every table holding personal data that this provider is responsible for
    tables: frozenset[str]

    def export(self, conn: AsyncConnection, subject_id: int) -> AsyncIterator[ExportItem]:
        """The subject's data in this category, streamed (never all rows in memory at once)."""
        ...

    async def restriction_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        """What restricting the subject does to this category's rows, counted."""
        ...

    async def erasure_effects(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        """What erasing the subject would do (the preview), counted; changes nothing."""
        ...

    async def erase(self, conn: AsyncConnection, subject_id: int) -> list[Effect]:
        """Erase the subject's data in this category inside the caller's transaction."""
        ...
