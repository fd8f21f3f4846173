"""Deleting files: rows in the deleting transaction, bytes after it commits, crash-safe
(store/filestore/deletions.py), on a real database of each backend and the local storage."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from db_support import BACKENDS, fresh_database
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store import tables as t
from store.db import make_engine, migrate
from store.filestore import LocalStorage, new_storage_key
from store.filestore.deletions import delete_files, drain, sweep


async def _file(engine: AsyncEngine, storage: LocalStorage, data: bytes) -> tuple[int, str]:
    key = new_storage_key()
    storage.put(key, data)
    async with engine.begin() as conn:
        result = await conn.execute(
            t.files.insert().values(
                owner_id=None,
                filename="a.txt",
                content_type="text/plain",
                size_bytes=len(data),
                sha256="0" * 64,
                storage_key=key,
                created_at=datetime.now(UTC),
            )
        )
    return int(result.inserted_primary_key[0]), key


async def _count(engine: AsyncEngine, table: t.Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


class CrashError(Exception):
    pass


@pytest.mark.parametrize("backend", BACKENDS)
def test_bytes_go_only_after_the_rows_commit(backend: str, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")

    async def body(url: str) -> None:
        await migrate(url)
        engine = make_engine(url)
        try:
            file_id, key = await _file(engine, storage, b"hello")
            # A transaction that fails after deleting: the row, the bytes, no queue entry.
            with pytest.raises(CrashError):
                async with engine.begin() as conn:
                    assert await delete_files(conn, t.files.c.id == file_id) == 1
                    raise CrashError
            assert await _count(engine, t.files) == 1
            assert await _count(engine, t.file_deletions) == 0
            assert storage.get(key) == b"hello"
            # Committed, then the process "dies" before draining: no row refers to the bytes,
            # and the queue still names them.
            async with engine.begin() as conn:
                await delete_files(conn, t.files.c.id == file_id)
            assert await _count(engine, t.files) == 0
            assert await _count(engine, t.file_deletions) == 1
            assert storage.get(key) == b"hello"
            # The next drain (the job worker's sweep, or the next deletion) removes them.
            assert await drain(engine, storage) == 1
            with pytest.raises(FileNotFoundError):
                storage.get(key)
            assert await _count(engine, t.file_deletions) == 0
            assert await drain(engine, storage) == 0
            # Bytes no row refers to (an upload that died before its row): swept once older
            # than the grace period; others kept.
            _kept_id, kept = await _file(engine, storage, b"kept")
            orphan = new_storage_key()
            storage.put(orphan, b"orphan")
            _age(storage, orphan, hours=2)
            _age(storage, kept, hours=2)
            assert await sweep(engine, storage) == 1
            assert storage.all_keys() == {kept}
        finally:
            await engine.dispose()

    with fresh_database(backend, tmp_path) as url:
        asyncio.run(body(url))


def _age(storage: LocalStorage, key: str, hours: float) -> None:
    """Make the bytes under ``key`` look written ``hours`` ago."""
    path = storage.folder / key[:2] / key
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_sweep_spares_bytes_of_uploads_in_flight(backend: str, tmp_path: Path) -> None:
    """An upload stores its bytes, then inserts its row: bytes within the grace period are
    never swept, so a sweep running beside an upload cannot take its bytes; old leftovers of
    interrupted writes (``.<key>.part``) are removed, young ones kept."""
    storage = LocalStorage(tmp_path / "files")

    async def body(url: str) -> None:
        await migrate(url)
        engine = make_engine(url)
        try:
            # Bytes stored a moment ago, their row not yet inserted: kept by the sweep ...
            in_flight = new_storage_key()
            storage.put(in_flight, b"uploading")
            assert await sweep(engine, storage) == 0
            assert in_flight in storage.all_keys()
            # ... and the upload then inserts its row: the file is whole.
            async with engine.begin() as conn:
                await conn.execute(
                    t.files.insert().values(
                        owner_id=None,
                        filename="a.txt",
                        content_type="text/plain",
                        size_bytes=9,
                        sha256="0" * 64,
                        storage_key=in_flight,
                        created_at=datetime.now(UTC),
                    )
                )
            _age(storage, in_flight, hours=2)
            assert await sweep(engine, storage) == 0
            assert storage.get(in_flight) == b"uploading"
            # An orphan younger than the grace period stays, an older one goes.
            young, old = new_storage_key(), new_storage_key()
            storage.put(young, b"young")
            storage.put(old, b"old")
            _age(storage, old, hours=2)
            assert await sweep(engine, storage) == 1
            assert storage.all_keys() == {in_flight, young}
            # A write interrupted mid-way left its temporary file: removed once old.
            folder = storage.folder / young[:2]
            stale = folder / f".{new_storage_key()}.part"
            fresh = folder / f".{new_storage_key()}.part"
            stale.write_bytes(b"half")
            fresh.write_bytes(b"half")
            then = time.time() - 7200
            os.utime(stale, (then, then))
            assert await sweep(engine, storage) == 0
            assert not stale.exists()
            assert fresh.exists()
            assert storage.all_keys() == {in_flight, young}
        finally:
            await engine.dispose()

    with fresh_database(backend, tmp_path) as url:
        asyncio.run(body(url))
