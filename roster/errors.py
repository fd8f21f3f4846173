"""The one error a roster import fails with."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from roster.report import ImportReport


class RosterError(Exception):
    """A bad roster folder: ``file:line: reason``.

    ``line`` is the physical line in the CSV file (the header is line 1), or ``None`` when the
    problem is the file as a whole (for example a missing file). The reason never quotes personal
    data such as names or national id numbers, only sourcedIds and vocabulary values, so the
    message is safe to print and log.
    """

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        super().__init__(file, line, reason)
        self.file = file
        self.line = line
        self.reason = reason

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.reason}"
        return f"{self.file}:{self.line}: {self.reason}"


class RefusedError(RosterError):
    """A valid package the import refuses because it would change too much at once (probably a
    truncated export): archive many courses or a whole school, or restrict many people.

    The import ran to the end and was rolled back, so ``report`` (an ``ImportReport``) says what
    would have happened; ``refusals`` lists every threshold the package crossed.
    """

    def __init__(self, refusals: list[RosterError], report: ImportReport) -> None:
        first = refusals[0]
        super().__init__(first.file, first.line, first.reason)
        self.refusals = refusals
        self.report = report
