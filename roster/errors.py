"""The one error a roster import fails with."""

from __future__ import annotations


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
