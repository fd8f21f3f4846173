"""Files in a local folder: ``<folder>/<first two hex digits>/<key>``, folders 0700, files 0600.

A file is written as ``.<key>.part`` beside its place, flushed to disk, linked into place and the
folder flushed too, so after a crash a key names the whole file or nothing. A process killed
mid-write leaves its ``.part`` file: ``remove_partial_before`` (``tavle files sweep``) removes
those once they are older than the sweep's grace period.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from store.files import create_private_file, private_folder
from store.filestore.base import KEY_PATTERN, checked_key

#: what an interrupted ``put`` leaves behind
PARTIAL_PATTERN = re.compile(r"^\.[0-9a-f]{32}\.part$")


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a new link) to disk, where the system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalStorage:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        key = checked_key(key)
        return self.folder / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        private_folder(path.parent)
        # Written under a temporary name, then linked into place: a crash leaves no half file
        # under the key (only a temporary one, which ``keys`` does not list).
        temporary = path.with_name(f".{key}.part")
        descriptor = create_private_file(temporary)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        _sync_folder(path.parent)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def all_keys(self) -> set[str]:
        return set(self._stored())

    def keys_stored_before(self, cutoff: float) -> set[str]:
        return {key for key, written in self._stored().items() if written < cutoff}

    def remove_partial_before(self, cutoff: float) -> int:
        removed = 0
        for path in self._entries(PARTIAL_PATTERN):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def _entries(self, pattern: re.Pattern[str]) -> list[Path]:
        if not self.folder.exists():
            return []
        return [p for p in self.folder.glob("??/*") if pattern.fullmatch(p.name) is not None]

    def _stored(self) -> dict[str, float]:
        """Each key and when its bytes were written (their modification time)."""
        found: dict[str, float] = {}
        for path in self._entries(KEY_PATTERN):
            with contextlib.suppress(FileNotFoundError):
                found[path.name] = path.stat().st_mtime
        return found
