"""The school year: academic sessions (school years, terms ...) and roster import runs."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import strawberry

from resolvers.context import Info, RequestContext
from resolvers.records import AcademicSessionRecord, RosterImportRecord
from schema import sources
from schema.enums import AcademicSessionType
from schema.node import Node
from schema.registry import kind_type
from schema.values import made_of, member, node_id, record_field


@kind_type("AcademicSession")
@made_of(
    AcademicSessionRecord,
    id=node_id("AcademicSession"),
    type=member(AcademicSessionType, "type"),
)
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


def _counts(record: RosterImportRecord, _ctx: RequestContext) -> list[RosterChangeCount]:
    return [
        RosterChangeCount(kind=str(c["kind"]), count=int(c["count"]))
        for c in _json(record.counts, [])
    ]


def _conflicts(record: RosterImportRecord, _ctx: RequestContext) -> list[str]:
    return [str(c) for c in _json(record.conflicts, [])]


def _file_digests(record: RosterImportRecord, _ctx: RequestContext) -> list[RosterFileDigest]:
    found = _json(record.file_digests, {})
    # Written as {file name: sha256}; a list of {file, sha256} is read as well.
    pairs = found.items() if isinstance(found, dict) else ((d["file"], d["sha256"]) for d in found)
    return [RosterFileDigest(file=str(f), sha256=str(h)) for f, h in sorted(pairs)]


@kind_type("RosterImport")
@made_of(RosterImportRecord, id=node_id("RosterImport"))
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

    counts = record_field(_counts)
    conflicts = record_field(_conflicts)
    file_digests = record_field(_file_digests)


def _json(text: str | None, empty: Any) -> Any:
    return json.loads(text) if text else empty


__all__ = ["AcademicSession", "RosterChangeCount", "RosterFileDigest", "RosterImport"]
