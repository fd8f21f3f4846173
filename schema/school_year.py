"""The school year: academic sessions (school years, terms ...) and roster import runs."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import strawberry

from resolvers.context import Info
from schema.enums import AcademicSessionType
from schema.node import Node


@strawberry.type
class AcademicSession(Node):
    """A OneRoster academic session: calendar data, no personal data."""

    id: strawberry.ID
    title: str | None
    type: AcademicSessionType | None
    start_date: date | None
    end_date: date | None
    pk: strawberry.Private[int]
    parent_pk: strawberry.Private[int | None]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    async def parent(self, info: Info) -> AcademicSession | None:
        if self.parent_pk is None:
            return None
        found: AcademicSession | None = await info.context.loaders.academic_sessions.load(
            self.parent_pk
        )
        if found is None:
            info.context.missing(info, "AcademicSession.parent")
        return found


@strawberry.type
class RosterChangeCount:
    kind: str
    count: int


@strawberry.type
class RosterFileDigest:
    file: str
    sha256: str


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
    pk: strawberry.Private[int]
    counts_json: strawberry.Private[str]
    conflicts_json: strawberry.Private[str]
    file_digests_json: strawberry.Private[str]
    tavle_rels: strawberry.Private[frozenset[str]]

    @strawberry.field
    def counts(self) -> list[RosterChangeCount]:
        return [
            RosterChangeCount(kind=str(c["kind"]), count=int(c["count"]))
            for c in _json(self.counts_json, [])
        ]

    @strawberry.field
    def conflicts(self) -> list[str]:
        return [str(c) for c in _json(self.conflicts_json, [])]

    @strawberry.field
    def file_digests(self) -> list[RosterFileDigest]:
        found = _json(self.file_digests_json, {})
        # Written as {file name: sha256}; a list of {file, sha256} is read as well.
        pairs = (
            found.items() if isinstance(found, dict) else ((d["file"], d["sha256"]) for d in found)
        )
        return [RosterFileDigest(file=str(f), sha256=str(h)) for f, h in sorted(pairs)]


def _json(text: str | None, empty: Any) -> Any:
    return json.loads(text) if text else empty


__all__ = ["AcademicSession", "RosterChangeCount", "RosterFileDigest", "RosterImport"]
