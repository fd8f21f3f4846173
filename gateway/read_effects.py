"""Writes what an operation's reads left behind, once the operation has run.

Fields only note their effects on the request context (``resolvers.effects.RequestEffects``): a
read of someone's national id is audited (``READ_NATIONAL_ID``), and a teacher of the course
opening a student's answer stamps it as opened (``record_opened``). This extension writes them
after execution, the audit entries in one transaction with the operation's trace id.

An operation stopped at the execution timeout (``gateway.limits.timeout``) answers
``"data": null``: no national id was delivered and no answer shown, so its effects are dropped.
The timeout cancels the operation, and the cancellation reaches this hook at its ``yield`` before
anything is written (a write it interrupts is rolled back). A write that fails fails the
operation (``INTERNAL_SERVER_ERROR``, no data): a national id is never delivered unaudited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from resolvers.context import RequestContext
from resolvers.services.coursework import record_opened
from store import audit


class ReadEffectsExtension(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            yield
            return
        try:
            yield
        except BaseException:
            # Cancelled (the timeout) or failed: the answer that would carry the effects is not
            # delivered.
            context.effects.drop()
            raise
        await write_effects(context)


async def write_effects(context: RequestContext) -> None:
    """The audit entries and opened stamps ``context``'s reads noted, then forgotten."""
    effects = context.effects
    viewer = context.viewer
    if viewer is None or not effects:
        return
    if effects.audits:
        async with context.engine.begin() as conn:
            for record in effects.audits:
                await audit.append(
                    conn,
                    audit.AuditEvent(
                        actor_id=viewer.person_id,
                        action=record.action,
                        target_type=record.target_type,
                        target_id=record.target_id,
                        subject_id=record.target_id,
                        trace_id=context.trace_id,
                    ),
                )
    if effects.opened_submissions:
        await record_opened(context.engine, viewer.person_id, effects.opened_submissions)
    effects.drop()
