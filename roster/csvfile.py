"""Reading one OneRoster CSV file into rows that remember their physical line numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from roster.errors import RosterError


@dataclass(frozen=True)
class Row:
    """One data row; values are stripped, and ``line`` is where the row starts in the file."""

    file: str
    line: int
    values: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def optional(self, column: str) -> str | None:
        return self.values.get(column) or None

    def error(self, reason: str) -> RosterError:
        return RosterError(self.file, self.line, reason)


def _decode(name: str, raw: bytes) -> str:
    try:
        # utf-8-sig drops a leading byte order mark, which OneRoster says importers must accept.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(name, line, "not valid UTF-8") from None


def _records(name: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (starting physical line, fields); a quoted field may span several lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    consumed = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RosterError(name, consumed + 1, f"malformed CSV ({exc})") from None
        start = consumed + 1
        consumed = reader.line_num
        if fields:  # csv yields [] for an empty line
            yield start, fields


def read_csv(folder: Path, name: str, required: Sequence[str]) -> list[Row]:
    """Read ``folder/name``; fail on a missing file, a missing column or a ragged row.

    Columns not in ``required`` are kept in the row but otherwise ignored.
    """
    path = folder / name
    if not path.is_file():
        raise RosterError(name, None, "missing file")
    records = _records(name, _decode(name, path.read_bytes()))
    first = next(records, None)
    if first is None:
        raise RosterError(name, 1, "missing header row")
    header_line, raw_header = first
    header = [column.strip() for column in raw_header]
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise RosterError(name, header_line, f"duplicate column '{column}'")
        seen.add(column)
    for column in required:
        if column not in seen:
            raise RosterError(name, header_line, f"missing column '{column}'")
    rows: list[Row] = []
    for line, fields in records:
        if len(fields) != len(header):
            raise RosterError(name, line, f"{len(fields)} fields, but the header has {len(header)}")
        values = {column: value.strip() for column, value in zip(header, fields, strict=True)}
        rows.append(Row(name, line, values))
    return rows
