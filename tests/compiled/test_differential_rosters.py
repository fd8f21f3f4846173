"""Generated rosters, generated operations: the compiled path answers as graphql-core does
(the comparison of ``test_differential``, whose docstring says what must agree), per generated
roster with its activity (``engine_datasets``), each replacing the data of twin gateways on a
database of their own. A file of its own so that the test runners spread the two long runs.

In CI (``CI=true``) the examples are derandomised: a red run is red again on the same commit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_support import BACKENDS, fresh_database
from engine_datasets import RICH, Dataset, datasets, table_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from operations import operations
from twins import ANONYMOUS, Twins, assert_same, twin_gateways

#: generated rosters per backend, and operations run on each
ROSTERS = int(os.environ.get("TAVLE_COMPILED_ROSTERS", "30"))
OPERATIONS_PER_ROSTER = 4


@pytest.fixture(scope="module", params=BACKENDS)
def roster_twins(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Twins]:
    """Twin gateways on a database of their own, whose data each example replaces."""
    backend: str = request.param
    with (
        fresh_database(backend, tmp_path, prefix="tavle_rosters") as url,
        twin_gateways(backend, url, tmp_path) as both,
    ):
        yield both


@pytest.fixture(scope="module")
def tmp_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compiled-rosters")


def test_generated_rosters_answer_the_same_on_both_executors(roster_twins: Twins) -> None:
    """Per generated roster, a few generated operations, each as one of its people (or no one):
    the relations that decide a field differ with every roster, so the per-relation-set
    programs of the compiled path meet combinations the demo school does not have."""
    twins = roster_twins
    schema = twins.compiled.state.schema._schema
    ran = 0

    @settings(
        max_examples=ROSTERS,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    # the hand-made school where every relation holds somewhere, and generated ones
    @given(dataset=st.one_of(st.just(RICH), datasets()), draws=st.data())
    def check(dataset: Dataset, draws: st.DataObject) -> None:
        nonlocal ran
        twins.runner.run(twins.replace_data(table_rows(dataset)))
        people = [f"user{person.id}" for person in dataset.people]
        for _ in range(OPERATIONS_PER_ROSTER):
            operation = draws.draw(operations(schema, twins.ids), label="operation")
            viewer = draws.draw(st.sampled_from([*people, ANONYMOUS]), label="viewer")
            generic, compiled = twins.run(operation.text, operation.variables, viewer)
            assert_same(generic, compiled)
            ran += 1

    runs_before = twins.stats.compiled_runs
    check()
    assert ran >= ROSTERS * OPERATIONS_PER_ROSTER
    # the comparison was mostly of the compiled path with graphql-core, not of graphql-core
    # with itself
    assert twins.stats.compiled_runs - runs_before >= ran // 2
