"""Where uploaded files' bytes are kept: one interface (``FileStorage``), two implementations.

``LocalStorage`` (the default) keeps each file in a folder under the data folder, folders 0700
and files 0600, named by a random key (never the person's file name); ``S3Storage`` keeps them
in a bucket of an S3-compatible object store (``TAVLE_FILE_STORAGE=s3``). The database row
(``store.tables.files``) refers to the bytes by that key. Keys are made here
(``new_storage_key``): 32 random hex digits, so a key says nothing about the file or its owner.
"""

from __future__ import annotations

from config.settings import Settings
from store.filestore.base import FileStorage, new_storage_key
from store.filestore.local import LocalStorage
from store.filestore.s3 import S3Storage

__all__ = ["FileStorage", "LocalStorage", "S3Storage", "new_storage_key", "storage_of"]

_OPENED: dict[tuple[object, ...], FileStorage] = {}


def storage_of(settings: Settings) -> FileStorage:
    """The storage the settings name, made once per configuration (a boto3 client is costly)."""
    if settings.file_storage.lower() == "s3":
        key: tuple[object, ...] = (
            "s3",
            settings.s3_endpoint_url,
            settings.s3_bucket,
            settings.s3_region,
            settings.s3_access_key.get_secret_value(),
            settings.s3_secret_key.get_secret_value(),
        )
    else:
        key = ("local", str(settings.files_dir.resolve()))
    found = _OPENED.get(key)
    if found is None:
        if key[0] == "s3":
            found = S3Storage(
                bucket=settings.s3_bucket,
                region=settings.s3_region,
                endpoint_url=settings.s3_endpoint_url,
                access_key=settings.s3_access_key.get_secret_value() or None,
                secret_key=settings.s3_secret_key.get_secret_value() or None,
            )
        else:
            found = LocalStorage(settings.files_dir)
        _OPENED[key] = found
    return found
