"""The file storage interface."""

from __future__ import annotations

import re
import secrets
from typing import Protocol

#: what a storage key looks like (``new_storage_key``); anything else is refused
KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class StorageKeyError(ValueError):
    """Not a key this storage made."""


def new_storage_key() -> str:
    """A fresh random key: 128 bits, hex."""
    return secrets.token_hex(16)


def checked_key(key: str) -> str:
    if KEY_PATTERN.fullmatch(key) is None:
        raise StorageKeyError("not a storage key")
    return key


class FileStorage(Protocol):
    """Blocking calls: run them off the event loop (``asyncio.to_thread``)."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (a new key: never overwrites)."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; ``FileNotFoundError`` if there are none."""

    def delete(self, key: str) -> None:
        """Remove the bytes under ``key``; nothing if there are none."""

    def all_keys(self) -> set[str]:
        """Every key held."""

    def keys_stored_before(self, cutoff: float) -> set[str]:
        """The keys whose bytes were stored before ``cutoff`` (seconds since the epoch): the
        candidates of the cleanup of unreferenced bytes, which leaves younger ones alone (an
        upload stores its bytes a moment before it inserts their row)."""

    def remove_partial_before(self, cutoff: float) -> int:
        """Remove what interrupted writes left behind (a local temporary file) before
        ``cutoff``; how many. Nothing to do where a write is atomic (S3)."""
