"""Writes what an operation's reads left behind, once the operation has run.

Fields only note their effects on the request context (``resolvers.effects.RequestEffects``): a
read of someone's national id is audited (``READ_NATIONAL_ID``), and a teacher of the course
opening a student's answer stamps it as opened (``record_opened``), and a staff member receiving
another person's answer, assessment or national id gets one entry per (person, kind) in the
staff access log (``gateway.access_log``, with the operation's name). This extension writes them
after execution, the audit entries in one transaction with the operation's trace id; the access
log's entries go to the process's buffer, written in batches.

An operation stopped at the execution timeout (``gateway.limits.timeout``) answers
``"data": null``: no national id was delivered and no answer shown, so its effects are dropped.
The timeout cancels the operation, and the cancellation reaches this hook at its ``yield`` before
anything is written (a write it interrupts is rolled back). A write that fails fails the
operation (``INTERNAL_SERVER_ERROR``, no data): a national id is never delivered unaudited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from config import clock
from resolvers.context import RequestContext
from resolvers.services.coursework import record_opened
from store import audit


class ReadEffectsExtension(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            yield
            return
        context.effects.operation = self.execution_context.operation_name
        try:
            yield
        except BaseException:
            # Cancelled (the timeout) or failed: the answer that would carry the effects is not
            # delivered.
            context.effects.drop()
            raise
        await write_effects(context)


async def write_effects(context: RequestContext) -> None:
    """The audit entries, opened stamps and access-log entries ``context``'s reads noted; they
    are taken from the context first, so a second call writes nothing again."""
    viewer = context.viewer
    if viewer is None or not context.effects:
        return
    effects = context.effects.take()
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
    if effects.accessed and context.access_log is not None:
        context.access_log.add(clock.now(), viewer.person_id, effects.accessed, effects.operation)
