"""Owner-only files: the database, keys and exports hold personal data or secrets.

Folders this process creates get mode 0700 and files 0600, set at creation (``mkdir``'s and
``os.open``'s mode, so there is no moment in which they are readable by others). Existing
folders and files are left as the operator made them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """``path`` as a folder; each level that does not exist yet is created with mode 0700."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=FOLDER_MODE)
    return path


def create_private_file(path: Path) -> int:
    """Create ``path`` (which must not exist) with mode 0600; an open descriptor for writing."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
