"""What an import did, for the CLI and for callers.

The report identifies people by sourcedId only (never by name, e-mail or national id), so it can
be printed, logged and attached to a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: the conflict kind of a row that matches an erased person (docs/school-year.md rule 7)
ERASED_IDENTITY = "ERASED_IDENTITY"


@dataclass
class Counts:
    """Rows of one kind: created, updated, left as they were, and removed by the import.

    *Removed* never means deleted learning data: orgs and classes are archived, enrolments
    ended, and only role assignments and guardianships (links) are deleted.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


@dataclass(frozen=True)
class Skipped:
    """A row (or part of one) that is valid OneRoster but that Tavle does not use."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ImportReport:
    """The outcome of ``import_roster``.

    ``users`` counts people listed in users.csv: a person the file marks ``tobedeleted`` and who is
    moved to RESTRICTED counts as updated. People missing from a bulk file who are moved to
    RESTRICTED appear only in ``restricted``. ``reactivated`` lists people the roster had
    restricted who are listed as active again. ``kept_restricted`` lists people that users.csv
    lists as active but who are RESTRICTED by an administrator or ERASED; the import never lifts
    an administrator's restriction.
    ``conflicts`` lists fields the import did not overwrite because someone other than the roster
    set them (an administrator's rectification, for example), and ``ERASED_IDENTITY`` rows:
    people who match an erased person and were not created. Links (roles, enrolments,
    guardianships) of people who are not ACTIVE are left as they are and not counted, so that
    lifting a restriction restores them.
    """

    sessions: Counts = field(default_factory=Counts)
    orgs: Counts = field(default_factory=Counts)
    users: Counts = field(default_factory=Counts)
    roles: Counts = field(default_factory=Counts)
    classes: Counts = field(default_factory=Counts)
    enrollments: Counts = field(default_factory=Counts)
    guardianships: Counts = field(default_factory=Counts)
    restricted: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    kept_restricted: list[str] = field(default_factory=list)
    archived_orgs: list[str] = field(default_factory=list)
    archived_classes: list[str] = field(default_factory=list)
    reactivated_classes: list[str] = field(default_factory=list)
    #: classes whose sourcedId the school system reused for a new year: a new course was made
    renewed_classes: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    #: [{kind, count}] of the audited changes (changes.KINDS)
    changes: list[dict[str, object]] = field(default_factory=list)
    #: the RosterImport record's id (None for a dry run)
    import_id: int | None = None
    dry_run: bool = False
    #: (step, seconds)
    timings: list[tuple[str, float]] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)
    #: thresholds the package crossed (``file: reason``); the import is then refused
    refusals: list[str] = field(default_factory=list)
    #: (file, line) of rows not created because they match an erased person
    erased_identities: list[tuple[str, int]] = field(default_factory=list)
    #: the conflicts (their text) about those rows, which name the row's sourcedId
    erased_conflicts: set[str] = field(default_factory=set)

    def erased_identity(self, file: str, line: int, conflict: str) -> None:
        """A row not created because it matches an erased person: ``conflict`` is reported for
        this run; the import record names the row by its place in the file only."""
        self.erased_identities.append((file, line))
        self.erased_conflicts.add(conflict)
        self.conflicts.append(conflict)

    def recorded_conflicts(self) -> list[str]:
        """The conflicts as the import record keeps them: an erased person's row is named by
        its place in the file only, never by sourcedId (the record outlives the run)."""
        kept = [c for c in self.conflicts if c not in self.erased_conflicts]
        return kept + [
            f"{ERASED_IDENTITY}: {file}:{line}: a user matching an erased person was not created"
            for file, line in self.erased_identities
        ]

    def entities(self) -> dict[str, Counts]:
        return {
            "sessions": self.sessions,
            "orgs": self.orgs,
            "users": self.users,
            "roles": self.roles,
            "classes": self.classes,
            "enrollments": self.enrollments,
            "guardianships": self.guardianships,
        }

    @property
    def changed(self) -> bool:
        """Whether the import wrote anything at all."""
        return bool(self.restricted or self.reactivated) or any(
            c.changed for c in self.entities().values()
        )

    def render(self) -> str:
        if self.refusals:
            title = "Roster import REFUSED, nothing written; it would have made these changes:"
        elif self.dry_run:
            title = "Roster import (DRY RUN, nothing written): " + (
                "would apply changes" if self.changed else "no changes"
            )
        else:
            title = "Roster import" + (f" {self.import_id}" if self.import_id else "") + ": "
            title += "changes applied" if self.changed else "no changes"
        lines = [
            title,
            f"{'':<14}{'created':>8}{'updated':>8}{'unchanged':>10}{'removed':>8}",
        ]
        for name, counts in self.entities().items():
            lines.append(
                f"{name:<14}{counts.created:>8}{counts.updated:>8}"
                f"{counts.unchanged:>10}{counts.removed:>8}"
            )
        lines.append("(removed: orgs and classes archived, enrolments ended, links deleted)")
        sections: list[tuple[str, list[str]]] = [
            ("Changes (audited)", [f"{c['kind']}: {c['count']}" for c in self.changes]),
            ("Schools and orgs archived", self.archived_orgs),
            ("Classes archived", self.archived_classes),
            ("Classes reactivated", self.reactivated_classes),
            ("Classes begun anew (sourcedId reused for new terms)", self.renewed_classes),
            ("Moved to RESTRICTED", self.restricted),
            ("Reactivated (back in the file)", self.reactivated),
            ("Kept restricted, though listed as active", self.kept_restricted),
            ("Skipped", [str(skipped) for skipped in self.skipped]),
            ("Conflicts", self.conflicts),
            ("Timings", [f"{step}: {seconds:.2f} s" for step, seconds in self.timings]),
            ("Refused because", self.refusals),
        ]
        for title_, items in sections:
            if items:
                lines.append(f"{title_} ({len(items)}):")
                lines.extend(f"  {item}" for item in items)
        return "\n".join(lines)
