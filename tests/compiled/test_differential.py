"""Generated operations, generated viewers: the compiled path answers as graphql-core does.

Hypothesis draws query operations from the schema (``operations``: selections, aliases, named
and inline fragments, ``@include``/``@skip`` with variables, page arguments, ids of every type,
of objects the viewer may or may not see, malformed ones) and a viewer: among the demo school's
people of every role, an anonymous caller and one with an invalid token; and, in the second
test, among the people of a generated roster with its activity (``engine_datasets``: schools,
roles, courses, families, work and messages dense in relations, people restricted and erased),
which replaces the demo school on a database of its own. Each operation runs on both twin
gateways from the same data, and the two must agree:

- the same ``data``, as JSON with its key order;
- the same errors (code, message, path, locations, extensions with ``ProblemLog``'s bounded
  counts), in any order: graphql-core collects them in the order its batches complete;
- the same read effects: the audited national-id reads, the answers stamped as opened and the
  staff access log's entries;
- the compiled gateway ran its plan (or fell back, for an operation with a root field it does
  not plan) and sent no more SQL statements than graphql-core's execution.

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
from operations import UNPLANNED_ROOTS, Operation, operations
from twins import ANONYMOUS, INVALID_TOKEN, Sent, Twins, twin_gateways

EXAMPLES = int(os.environ.get("TAVLE_COMPILED_EXAMPLES", "150"))
#: generated rosters per backend, and operations run on each
ROSTERS = int(os.environ.get("TAVLE_COMPILED_ROSTERS", "30"))
OPERATIONS_PER_ROSTER = 4
UNPLANNED = [f"Query.{name}" for name in UNPLANNED_ROOTS]


def assert_same(generic: Sent, compiled: Sent) -> None:
    """Both executors answered the same and left the same effects behind, the compiled one
    with no more SQL statements."""
    assert compiled.canonical() == generic.canonical()
    assert sorted(compiled.audits) == sorted(generic.audits)
    assert compiled.stamped == generic.stamped
    assert compiled.accessed == generic.accessed
    assert compiled.statements <= generic.statements


def test_generated_operations_answer_the_same_on_both_executors(twins: Twins) -> None:
    schema = twins.compiled.state.schema._schema
    viewers = sorted({v for people in twins.viewers.values() for v in people})
    examples = EXAMPLES if twins.generic.backend == "sqlite" else max(20, EXAMPLES // 3)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        operation=operations(schema, twins.ids),
        viewer=st.sampled_from([*viewers, ANONYMOUS, INVALID_TOKEN]),
    )
    def check(operation: Operation, viewer: str) -> None:
        runs, fallbacks = twins.stats.compiled_runs, twins.stats.fallback_runs
        generic, compiled = twins.run(operation.text, operation.variables, viewer)
        assert_same(generic, compiled)
        if "data" not in generic.response:  # refused before execution (validation, variables)
            assert (twins.stats.compiled_runs, twins.stats.fallback_runs) == (runs, fallbacks)
        elif operation.planned:
            assert twins.stats.compiled_runs == runs + 1, twins.stats.fallbacks
        elif twins.stats.fallback_runs == fallbacks + 1:  # unless skipped by its directives
            assert twins.stats.compiled_runs == runs
            assert any(root in reason for reason in twins.stats.fallbacks for root in UNPLANNED)
        else:
            assert twins.stats.compiled_runs == runs + 1

    compiled_before = twins.stats.compiled_runs
    check()
    # Most operations ran on the compiled path (a tenth have a root field it does not plan; some
    # are refused by validation): the comparison above was mostly not graphql-core with itself.
    assert twins.stats.compiled_runs - compiled_before >= examples // 2


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
