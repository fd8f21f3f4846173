"""Where a roster comes from: a folder, or a zipped OneRoster package unpacked safely.

A zip is unpacked into a private temporary folder. Only plain files at the package's top level
(or inside one wrapping folder, as zip tools often make) are taken; absolute paths, ``..`` and
links are refused, and so are packages that unpack to more than ``MAX_UNPACKED_BYTES``.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from roster import vocab
from roster.errors import RosterError

#: far above a real school district's export, far below what would fill a disk
MAX_UNPACKED_BYTES = 2 * 1024**3
_CHUNK = 1 << 20


def _member_name(info: zipfile.ZipInfo, package: str) -> str | None:
    """The member's file name if it is a CSV the package may hold, else None (ignored)."""
    path = PurePosixPath(info.filename)
    if info.is_dir():
        return None
    if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
        raise RosterError(package, None, f"unsafe path '{info.filename[:100]}' in the package")
    if len(path.parts) > 2 or path.suffix.lower() != ".csv":
        return None
    return path.name


def _unpack(zip_path: Path, target: Path) -> None:
    package = zip_path.name
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise RosterError(
            package, None, f"not a readable zip file ({type(exc).__name__})"
        ) from None
    with archive:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            name = _member_name(info, package)
            if name is None:
                continue
            if name in members:
                raise RosterError(package, None, f"{name} appears twice in the package")
            members[name] = info
        total = 0
        for name, info in members.items():
            with archive.open(info) as source, (target / name).open("wb") as out:
                while chunk := source.read(_CHUNK):
                    total += len(chunk)
                    if total > MAX_UNPACKED_BYTES:
                        raise RosterError(package, None, "the package unpacks to more than 2 GiB")
                    out.write(chunk)


@contextmanager
def roster_folder(source: Path) -> Iterator[Path]:
    """The folder to read: ``source`` itself, or a zip package unpacked for the duration."""
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise RosterError(str(source), None, "not a folder or a zip file")
    workdir = Path(tempfile.mkdtemp(prefix="tavle-roster-"))
    try:
        _unpack(source, workdir)
        yield workdir
    except zipfile.BadZipFile:
        raise RosterError(source.name, None, "not a readable zip file") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file Tavle reads that is in the folder (for the import record)."""
    digests: dict[str, str] = {}
    for name in ("manifest.csv", *vocab.READ_FILES):
        path = folder / name
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            digests[name] = digest.hexdigest()
    return digests
