"""Fixtures and Hypothesis settings for the engine tests (relations, policy, paging).

**Hypothesis profiles.** ``tavle-ci`` (chosen when ``CI=true``) sets ``derandomize=True``: the
examples are a function of the test's code, so a red CI run is red again on a rerun of the same
commit and can be reproduced on any machine with ``CI=true``; a flaky CI that finds a bug once
and then forgets it would be worse than no property test. ``tavle-dev`` (every other run) is
random, so developers keep exploring new examples. Neither keeps an example database (a
failure prints its minimal example and a ``@reproduce_failure`` blob to replay it), so a run
depends on nothing but the code. ``HYPOTHESIS_PROFILE`` picks a profile explicitly. Example
counts are set per test (``EngineDatabase.examples``: fewer on PostgreSQL), with
``deadline=None``, because one example is a database refill plus up to a few hundred
statements, whose time depends on the machine's load.

**Databases.** ``engine_db``: one database per backend and test module, with the schema made
once from ``store.tables.metadata`` (``engine_support``); each example clears and refills it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from db_support import BACKENDS, fresh_database
from engine_support import EngineDatabase, create_schema
from hypothesis import HealthCheck, settings

from store.db import make_engine

settings.register_profile(
    "tavle-ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    # Datasets are drawn from many small lists; generation is cheap next to the database work,
    # but Hypothesis counts it against the (fixed) example budget, not against a deadline.
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "tavle-dev",
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get(
        "HYPOTHESIS_PROFILE", "tavle-ci" if os.environ.get("CI") == "true" else "tavle-dev"
    )
)


@pytest.fixture(scope="module", params=BACKENDS)
def engine_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineDatabase]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(f"engines-{backend}")
    with (
        fresh_database(backend, folder, prefix="tavle_engines") as url,
        asyncio.Runner() as runner,
    ):
        engine = make_engine(url)
        try:
            runner.run(create_schema(engine))
            yield EngineDatabase(backend, engine, runner)
        finally:
            runner.run(engine.dispose())
