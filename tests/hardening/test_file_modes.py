"""What the gateway writes to disk is for its owner only: the SQLite database (with its -wal and
-shm files), the keys and the privacy exports are created 0600, their folders 0700
(docs/security.md, "Integrity").

A real gateway is started on a data folder that does not exist yet, under the common umask 022
(which alone would give 0644 and 0755), on both backends; then a real export is made and
downloaded.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_support import BACKENDS, fresh_database
from gateway_support import LiveGateway, run_gateway
from privacy_api_support import export, pk_of

from config.settings import Settings
from gateway.auth import DEV_SECRET_FILENAME, Authenticator

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def common_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture(scope="module", params=BACKENDS)
def started(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, common_umask: None
) -> Iterator[tuple[LiveGateway, Path]]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"file-modes-{backend}")
    data = folder / "data"
    assert not data.exists()
    with fresh_database(backend, folder, prefix="tavle_file_modes") as url:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{data / 'tavle.sqlite3'}"
        with run_gateway(backend, url, data, job_poll_seconds=0.1) as live:
            yield live, data


def test_the_data_folder_and_the_keys_are_private(started: tuple[LiveGateway, Path]) -> None:
    _live, data = started
    assert mode(data) == PRIVATE_FOLDER
    assert mode(data / "pseudonym-key") == PRIVATE_FILE


def test_the_sqlite_database_and_its_wal_files_are_private(
    started: tuple[LiveGateway, Path],
) -> None:
    live, data = started
    database = data / "tavle.sqlite3"
    if live.backend != "sqlite":
        assert not database.exists()  # PostgreSQL keeps its files itself
        return
    ok = live.gql("{ viewer { id } }", as_user="elev.ola")  # the pool holds a connection: WAL
    assert ok.errors == []
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    assert {path.name: mode(path) for path in files} == {path.name: PRIVATE_FILE for path in files}


def test_an_export_file_and_its_folder_are_private(started: tuple[LiveGateway, Path]) -> None:
    live, data = started
    request, content = export(live, "elev.ola", "JSON")
    assert content.startswith(b"{")
    exports = data / "exports"
    assert mode(exports) == PRIVATE_FOLDER
    # Only the finished file: the partial one it was written as is gone.
    assert [path.name for path in exports.iterdir()] == [f"export-{pk_of(request['id'])}.json"]
    assert mode(exports / f"export-{pk_of(request['id'])}.json") == PRIVATE_FILE


def test_the_development_signing_key_is_private(tmp_path: Path, common_umask: None) -> None:
    data = tmp_path / "keys" / "data"
    Authenticator.from_settings(Settings(data_dir=data, dev_secret=""))
    assert mode(data) == PRIVATE_FOLDER
    assert mode(data.parent) == PRIVATE_FOLDER
    assert mode(data / DEV_SECRET_FILENAME) == PRIVATE_FILE
