"""The school year: academic sessions (school years, terms ...) and roster import runs."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import strawberry

from config.ids import to_global_id
from resolvers.context import Info
from resolvers.records import AcademicSessionRecord, RosterImportRecord
from schema import sources
from schema.enums import AcademicSessionType
from schema.node import Node
from schema.registry import kind_type


@kind_type("AcademicSession")
@strawberry.type
class AcademicSession(Node):
    """A OneRoster academic session: calendar data, no personal data."""

    id: strawberry.ID
    title: str | None
    type: AcademicSessionType | None
    start_date: date | None
    end_date: date | None
    record: strawberry.Private[AcademicSessionRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: AcademicSessionRecord) -> AcademicSession:
        return cls(
            id=strawberry.ID(to_global_id("AcademicSession", record.pk)),
            title=record.title,
            type=None if record.type is None else AcademicSessionType(record.type),
            start_date=record.start_date,
            end_date=record.end_date,
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    async def parent(self, info: Info) -> AcademicSession | None:
        found: AcademicSession | None = await sources.reference(
            info, self.record, "AcademicSession.parent"
        )
        return found


@strawberry.type
class RosterChangeCount:
    kind: str
    count: int


@strawberry.type
class RosterFileDigest:
    file: str
    sha256: str


@kind_type("RosterImport")
@strawberry.type
class RosterImport(Node):
    """One run of the roster import (docs/school-year.md rule 6); system administrators only."""

    id: strawberry.ID
    started_at: datetime
    finished_at: datetime | None
    status: str
    source: str | None
    mode: str | None
    actor: str | None
    record: strawberry.Private[RosterImportRecord]
    tavle_rels: strawberry.Private[frozenset[str]]

    @classmethod
    def from_record(cls, record: RosterImportRecord) -> RosterImport:
        return cls(
            id=strawberry.ID(to_global_id("RosterImport", record.pk)),
            started_at=record.started_at,
            finished_at=record.finished_at,
            status=record.status,
            source=record.source,
            mode=record.mode,
            actor=record.actor,
            record=record,
            tavle_rels=record.relations,
        )

    @strawberry.field
    def counts(self) -> list[RosterChangeCount]:
        return [
            RosterChangeCount(kind=str(c["kind"]), count=int(c["count"]))
            for c in _json(self.record.counts, [])
        ]

    @strawberry.field
    def conflicts(self) -> list[str]:
        return [str(c) for c in _json(self.record.conflicts, [])]

    @strawberry.field
    def file_digests(self) -> list[RosterFileDigest]:
        found = _json(self.record.file_digests, {})
        # Written as {file name: sha256}; a list of {file, sha256} is read as well.
        pairs = (
            found.items() if isinstance(found, dict) else ((d["file"], d["sha256"]) for d in found)
        )
        return [RosterFileDigest(file=str(f), sha256=str(h)) for f, h in sorted(pairs)]


def _json(text: str | None, empty: Any) -> Any:
    return json.loads(text) if text else empty


__all__ = ["AcademicSession", "RosterChangeCount", "RosterFileDigest", "RosterImport"]
