"""Secret keys kept in the data folder, created on first use (development signing key,
pseudonym key), so that several processes on one data folder share them."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from config.settings import Settings
from store.files import create_private_file, private_folder

logger = logging.getLogger(__name__)


class KeyFileError(Exception):
    """The key file exists but does not hold a usable key."""


def load_or_create_key(path: Path, size: int, purpose: str) -> bytes:
    """Return the key kept in ``path``, creating a random ``size``-byte key on first use.

    Creation writes a private temporary file and hard-links it into place, which fails if another
    process won the race; readers therefore never see a partly written key, and the loser simply
    reads the winner's key.
    """
    if not path.exists():
        private_folder(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = create_private_file(temporary)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_bytes(size).hex() + "\n")
            try:
                os.link(temporary, path)
                logger.info("Created a %s in %s", purpose, path)
            except FileExistsError:
                pass
        finally:
            temporary.unlink(missing_ok=True)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("%s is readable by other users; it should have mode 0600", path)
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (UnicodeDecodeError, ValueError) as error:
        raise KeyFileError(f"{path} does not hold a hex-encoded key") from error
    if len(key) < size:
        raise KeyFileError(f"{path} holds a key shorter than {size} bytes")
    return key


def pseudonym_key(settings: Settings) -> bytes:
    """The configured pseudonym key, or a random one kept in the data folder (shared by every
    process on it; losing it changes every label, so back it up with the database)."""
    configured = settings.pseudonym_key.get_secret_value()
    if configured:
        if len(configured) < 32:
            raise ValueError("TAVLE_PSEUDONYM_KEY must be at least 32 characters")
        return configured.encode()
    return load_or_create_key(settings.data_dir / "pseudonym-key", 32, "pseudonym key")


def file_url_key(settings: Settings) -> bytes:
    """The key download links of uploaded files are signed with (``gateway.files``), kept in the
    data folder and shared by every process on it. Deleting it ends every link given out."""
    return load_or_create_key(settings.data_dir / "file-url-key", 32, "file link key")
