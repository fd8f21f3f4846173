"""The twin gateways (graphql-core's execution and the compiled path) on one demo database per
backend, shared by this directory's modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from db_support import BACKENDS, fresh_database
from twins import Twins, twin_gateways


@pytest.fixture(scope="session", params=BACKENDS)
def twins(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Twins]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"compiled-{backend}")
    with (
        fresh_database(backend, folder, prefix="tavle_compiled") as url,
        twin_gateways(backend, url, folder) as both,
    ):
        yield both
