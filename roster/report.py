"""What an import did, for the CLI and for callers.

The report identifies people by sourcedId only (never by name, e-mail or national id), so it can
be printed, logged and attached to a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Counts:
    """Rows of one kind: created, updated, left as they were, and deleted by the import."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


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
    moved to RESTRICTED counts as updated. People missing from the file who are moved to RESTRICTED
    appear only in ``restricted``. ``kept_restricted`` lists people that users.csv lists as active
    but who are RESTRICTED or ERASED in Tavle; an import never lifts a restriction.
    ``conflicts`` lists fields the import did not overwrite because someone other than the roster
    set them (an administrator's rectification, for example). Links (roles, enrolments,
    guardianships) of people who are not ACTIVE are left as they are and not counted, so that
    lifting a restriction restores them.
    """

    orgs: Counts = field(default_factory=Counts)
    users: Counts = field(default_factory=Counts)
    roles: Counts = field(default_factory=Counts)
    classes: Counts = field(default_factory=Counts)
    enrollments: Counts = field(default_factory=Counts)
    guardianships: Counts = field(default_factory=Counts)
    restricted: list[str] = field(default_factory=list)
    kept_restricted: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def entities(self) -> dict[str, Counts]:
        return {
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
        return bool(self.restricted) or any(c.changed for c in self.entities().values())

    def render(self) -> str:
        lines = [
            "Roster import: " + ("changes applied" if self.changed else "no changes"),
            f"{'':<14}{'created':>8}{'updated':>8}{'unchanged':>10}{'deleted':>8}",
        ]
        for name, counts in self.entities().items():
            lines.append(
                f"{name:<14}{counts.created:>8}{counts.updated:>8}"
                f"{counts.unchanged:>10}{counts.deleted:>8}"
            )
        sections: list[tuple[str, list[str]]] = [
            ("Moved to RESTRICTED", self.restricted),
            ("Kept restricted, though listed as active", self.kept_restricted),
            ("Skipped", [str(skipped) for skipped in self.skipped]),
            ("Conflicts", self.conflicts),
        ]
        for title, items in sections:
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {item}" for item in items)
        return "\n".join(lines)
