"""Generated operations, generated viewers: the compiled path answers as graphql-core does.

Hypothesis draws query operations from the schema (``operations``: selections, aliases, named
and inline fragments, ``@include``/``@skip`` with variables, page arguments, ids of every type,
of objects the viewer may or may not see, malformed ones) and a viewer: among the demo school's
people of every role, an anonymous caller and one with an invalid token; and, in
``test_differential_rosters``, among the people of a generated roster with its activity
(``engine_datasets``: schools, roles, courses, families, work and messages dense in relations,
people restricted and erased), which replaces the demo school on a database of its own. Each
operation runs on both twin gateways from the same data, and the two must agree:

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

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from operations import UNPLANNED_ROOTS, Operation, operations
from twins import ANONYMOUS, INVALID_TOKEN, Twins, assert_same

EXAMPLES = int(os.environ.get("TAVLE_COMPILED_EXAMPLES", "150"))
UNPLANNED = [f"Query.{name}" for name in UNPLANNED_ROOTS]


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
