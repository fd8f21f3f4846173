"""Session fixtures: one live gateway per database backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from db_support import BACKENDS, fresh_database
from gateway_support import LiveGateway, run_gateway


@pytest.fixture(scope="session", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    """The gateway on the demo school, served over HTTP by uvicorn, for one backend."""
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"live-{backend}")
    with fresh_database(backend, folder) as url, run_gateway(backend, url, folder) as gateway:
        yield gateway
