"""Where the compiled path joins graphql-core: an executor class whose ``execute_operation`` runs
the operation's plan when it has one.

Strawberry builds the executor (``execution_context_class``) after its extensions have parsed
and validated the document and before execution; everything around execution (the operation
limits, the rate limits, the operation span, the timeout, the read effects) is unchanged, and
an operation without a plan runs on the executor this one extends.

Only requests of the gateway's guarded schema are planned: a request without Tavle's context,
and operations with field middleware or an abort signal, run on graphql-core.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import OperationType
from graphql.execution import Executor

from gateway.compiled.cache import Fallback, PlanCache, PlanStats, values_of
from gateway.compiled.plan import NotPlannedError, OperationPlan, Planner
from gateway.compiled.run import run_plan
from resolvers.context import RequestContext
from schema.executor import TavleExecutor


class CompiledExecution:
    """The compiled path of one gateway: its plans, and the executor classes that use them."""

    def __init__(self, plans: int = 256) -> None:
        self.cache = PlanCache(plans)

    @property
    def stats(self) -> PlanStats:
        return self.cache.stats

    def executor_class(self, base: type[Executor[Any]] | None) -> type[Executor[Any]]:
        """``base`` running plans where there are some; None: the executor ``schema.build``
        gives a schema by default (``schema.executor.TavleExecutor``)."""
        extended = base or TavleExecutor
        made: type[Executor[Any]] = type(
            f"Compiled{extended.__name__}", (CompiledExecutor, extended), {"compiled": self}
        )
        return made

    def plan_for(self, executor: Executor[Any]) -> OperationPlan | Fallback:
        context = executor.context_value
        if not isinstance(context, RequestContext):
            return Fallback("not a guarded request")
        operation = executor.operation
        if operation.operation != OperationType.QUERY:
            return Fallback(f"a {operation.operation.value} operation")
        middleware = executor.middleware_manager
        if middleware is not None and middleware.middlewares:
            return Fallback("field middleware")
        if executor.abort_signal is not None:
            return Fallback("an abort signal")
        location = operation.loc
        if location is None:
            return self._make(executor, context)
        text = location.source.body
        names = self.cache.directive_variables(
            text, operation, executor.fragment_definitions.values()
        )
        key = (
            text,
            operation.name.value if operation.name else None,
            (id(executor.schema), *values_of(names, executor.variable_values.coerced)),
            context.policy.version,
        )
        return self.cache.plan_for(key, lambda: self._make(executor, context))

    @staticmethod
    def _make(executor: Executor[Any], context: RequestContext) -> OperationPlan | Fallback:
        planner = Planner(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            executor.operation,
            context.policy,
            executor.hide_suggestions,
        )
        try:
            return planner.plan()
        except NotPlannedError as reason:
            return Fallback(str(reason))


class CompiledExecutor(Executor[Any]):
    """Mixed in before the executor it extends (:meth:`CompiledExecution.executor_class`)."""

    compiled: ClassVar[CompiledExecution]

    def execute_operation(self, serially: bool | None = None) -> Any:
        if serially is None:
            found = self.compiled.plan_for(self)
            stats = self.compiled.cache.stats
            if isinstance(found, OperationPlan):
                stats.compiled_runs += 1
                return run_plan(self, found, self.context_value)
            stats.fallback_runs += 1
            stats.fallbacks[found.reason] = stats.fallbacks.get(found.reason, 0) + 1
        return super().execute_operation(serially)
