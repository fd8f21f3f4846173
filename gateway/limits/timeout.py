"""The execution timeout: an operation still running after it is cancelled, not abandoned.

Cancelling the task cancels everything it awaits: graphql-core's gathered resolvers, the
DataLoader batches whose every caller is gone (Strawberry cancels those), and the database call
in flight (asyncpg asks PostgreSQL to cancel the statement; on SQLite the statement in progress
finishes, and nothing after it starts). A transaction open at that moment is rolled back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult

from gateway.limits.refusal import TIMEOUT, refusal


async def within_timeout(
    work: Awaitable[ExecutionResult], seconds: float, operation_name: str | None
) -> ExecutionResult:
    """``work``'s result, or a ``TIMEOUT`` error (and no data) once ``seconds`` have passed."""
    timeout = asyncio.timeout(seconds)
    try:
        async with timeout:
            return await work
    except TimeoutError:
        if not timeout.expired():
            raise
    error = refusal(
        TIMEOUT,
        f"The operation did not finish within {seconds:g} seconds and was stopped",
        operation_name,
        timeoutSeconds=seconds,
    )
    return ExecutionResult(data=None, errors=[error])


def timed_out(errors: Sequence[GraphQLError]) -> bool:
    """Whether the response is a timeout's: execution had started, so ``"data": null`` stays."""
    return any((error.extensions or {}).get("code") == TIMEOUT for error in errors)
