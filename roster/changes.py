"""What an import changed, as audit entries under its run and counts per kind of change.

Every change the import writes is recorded here as it is decided (docs/school-year.md rule 6), and
the entries are appended to the audit log in one batch at the end of the import's transaction:
a dry run or a failed import leaves no entry. Entries name internal ids and, for updates, the
names of the changed fields, never their values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncConnection

from store import audit

#: every kind of change, in the order the report lists them
KINDS = (
    "SCHOOL_CREATED",
    "SCHOOL_UPDATED",
    "SCHOOL_ARCHIVED",
    "SCHOOL_REACTIVATED",
    "SESSION_CREATED",
    "SESSION_UPDATED",
    "PERSON_CREATED",
    "PERSON_UPDATED",
    "PERSON_RESTRICTED",
    "PERSON_REACTIVATED",
    "ROLE_ADDED",
    "ROLE_REMOVED",
    "GUARDIANSHIP_ADDED",
    "GUARDIANSHIP_REMOVED",
    "COURSE_CREATED",
    "COURSE_UPDATED",
    "COURSE_ARCHIVED",
    "COURSE_REACTIVATED",
    "COURSE_TERMS_CHANGED",
    "ENROLMENT_STARTED",
    "ENROLMENT_ENDED",
)
ACTION_PREFIX = "ROSTER_"


@dataclass
class ChangeLog:
    events: list[audit.AuditEvent] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def record(
        self,
        kind: str,
        target_type: str,
        target_id: int | None,
        subject_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        assert kind in KINDS, kind
        self.counts[kind] += 1
        self.events.append(
            audit.AuditEvent(
                actor_id=None,
                action=ACTION_PREFIX + kind,
                target_type=target_type,
                target_id=target_id,
                subject_id=subject_id,
                detail=detail,
            )
        )

    def count_list(self) -> list[dict[str, object]]:
        """``[{kind, count}]`` for every kind that happened, in ``KINDS`` order."""
        return [{"kind": kind, "count": self.counts[kind]} for kind in KINDS if self.counts[kind]]

    async def write(self, conn: AsyncConnection, import_id: int) -> None:
        """Append the run's entry and every change's entry, chained, in one batch."""
        run = audit.AuditEvent(
            actor_id=None,
            action=ACTION_PREFIX + "IMPORT",
            target_type="RosterImport",
            target_id=import_id,
            roster_import_id=import_id,
        )
        await audit.append_many(
            conn, [run, *(replace(event, roster_import_id=import_id) for event in self.events)]
        )
