"""Every mutation runs its ``call`` check, or answers nothing.

A mutation's resolver checks the policy's ``call`` line for its target itself (through
``resolvers.services.actor.Actor.require``), after loading the target, so the check cannot be a
field guard. What a guard can do is make sure it happened: :func:`install_call_check_assertions`
wraps the resolver of every ``Mutation`` field, and a resolver that returns without a ``call``
check of its own mutation (``Mutation.assess`` or one of its lines, ``Mutation.assess.REMARK``)
having run meanwhile fails with :class:`MissingCallCheckError`, which the gateway answers as
``INTERNAL_SERVER_ERROR`` (logged, no data). Its writes are not undone (a mutation writes in its
own transaction), but its answer is withheld and the log names the mutation.

The checks run are noted in a context variable that the wrapper sets for the resolver's run:
mutations run one after another, and whatever the resolver awaits shares its context.
"""

from __future__ import annotations

import inspect
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema, default_field_resolver


class MissingCallCheckError(RuntimeError):
    """A mutation returned without having checked its ``call`` line: a bug, never an answer."""


class CallChecks:
    """The ``call`` lines one mutation's resolver checked, in order."""

    __slots__ = ("checked",)

    def __init__(self) -> None:
        self.checked: list[str] = []

    def covers(self, mutation: str) -> bool:
        """Whether a line of ``mutation`` (``Mutation.assess``) was checked: the mutation's own
        or one of its sub-lines (``Mutation.assess.REMARK``)."""
        return any(
            checked == mutation or checked.startswith(f"{mutation}.") for checked in self.checked
        )


_running: ContextVar[CallChecks | None] = ContextVar("tavle_call_checks", default=None)


def note_call_check(coordinate: str) -> None:
    """A ``call`` line was checked (allowed or not) for the mutation running in this context;
    outside a mutation's resolver (a job, the demo seeder) there is nothing to note."""
    checks = _running.get()
    if checks is not None:
        checks.checked.append(coordinate)


def _asserting(mutation: str, inner: Any) -> Any:
    async def resolve(source: Any, info: GraphQLResolveInfo[Any], **kwargs: Any) -> Any:
        checks = CallChecks()
        token = _running.set(checks)
        try:
            result = inner(source, info, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        finally:
            _running.reset(token)
        if not checks.covers(mutation):
            raise MissingCallCheckError(f"{mutation} returned without checking its call line")
        return result

    return resolve


def install_call_check_assertions(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every ``Mutation`` field in the assertion (install it before the
    field guards, so that a caller the guard refuses never reaches it)."""
    mutation_type = schema.mutation_type
    if mutation_type is None:
        return
    for name, field in mutation_type.fields.items():
        coordinate = f"{mutation_type.name}.{name}"
        field.resolve = _asserting(coordinate, field.resolve or default_field_resolver)
