"""A migrated, empty database per backend, shared by the job tests of one module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from db_support import BACKENDS
from jobs_support import migrated_database


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    backend: str = request.param
    with migrated_database(backend, tmp_path_factory.mktemp(f"jobs-{backend}")) as url:
        yield url
