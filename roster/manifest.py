"""``manifest.csv``: which files a OneRoster package holds, and whether each is bulk or delta.

OneRoster 1.2 lists one ``file.<name>`` property per CSV file with the value ``absent``,
``bulk`` or ``delta``. Without a manifest the five core files are bulk and
``academicSessions.csv`` is bulk when present (the convention of earlier Tavle versions).
"""

from __future__ import annotations

from pathlib import Path

from roster import vocab
from roster.csvfile import read_csv
from roster.report import Skipped

MANIFEST = "manifest.csv"
MODES = frozenset({vocab.ABSENT, vocab.BULK, vocab.DELTA})


def read_modes(folder: Path, skipped: list[Skipped]) -> dict[str, str]:
    """The mode of every file Tavle reads (by file name), from the manifest or the defaults."""
    if not (folder / MANIFEST).is_file():
        modes = {name: vocab.BULK for name in vocab.CORE_FILES}
        modes[vocab.SESSIONS] = vocab.BULK if (folder / vocab.SESSIONS).is_file() else vocab.ABSENT
        return modes
    modes = {}
    for row in read_csv(folder, MANIFEST, ("propertyName", "value")):
        name, value = row.get("propertyName"), row.get("value")
        if not name.startswith("file."):
            continue
        file = f"{name.removeprefix('file.')}.csv"
        if value not in MODES:
            raise row.error(f"bad value '{value}' for {name} (expected absent, bulk or delta)")
        if file in modes:
            raise row.error(f"{name} given twice")
        if file not in vocab.READ_FILES:
            if value != vocab.ABSENT:
                skipped.append(Skipped(MANIFEST, row.line, f"{file} skipped: not used by Tavle"))
            continue
        if value != vocab.ABSENT and not (folder / file).is_file():
            raise row.error(f"{name} is {value}, but {file} is missing")
        modes[file] = value
    for file in vocab.READ_FILES:
        modes.setdefault(file, vocab.ABSENT)
    return modes
