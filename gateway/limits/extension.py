"""The Strawberry extension that applies the operation limits between parsing and validation.

``on_parse`` hands Strawberry the document the HTTP view parsed ahead with the token limit
(``gateway.limits.tokens``), so Strawberry never parses the text itself; a caller that did not
parse ahead (the schema executed directly, not over HTTP) has Strawberry parse with that limit.
``on_validate`` runs the size checks (``gateway.limits.checks``) and then graphql-core's
validation with Tavle's rules (``gateway.validation``), both in one of the gateway's
GraphQL threads (``gateway.limits.workers``): the checks bound validation's work, and the thread
keeps whatever validation still costs off the event loop, so other callers are answered
meanwhile. Setting ``pre_execution_errors`` is how Strawberry is told that validation has run; an
earlier extension that refused the operation (the rate limit) is respected. A document that
passed validation is noted in the request's information (``gateway.request_info``): only those
get an operation-name label of their own in the metrics.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.document_cache import check_cached, validate_cached
from gateway.limits.checks import check_document
from gateway.limits.config import OperationLimits
from gateway.limits.refusal import INTROSPECTION_DISABLED, record
from gateway.limits.tokens import ParsedDocument
from gateway.limits.workers import (
    BUSY_MESSAGE,
    RETRY_AFTER_SECONDS,
    GraphQLWorkers,
    ServerBusyError,
    busy_extensions,
    client_of,
    record_busy,
)
from gateway.request_info import current_request
from gateway.validation import validate_document, validation_rules

#: where the HTTP view leaves a document it parsed ahead (``request.state``)
PARSED_DOCUMENT = "parsed_document"


class OperationLimitsExtension(SchemaExtension):
    def __init__(self, limits: OperationLimits, workers: GraphQLWorkers) -> None:
        super().__init__()
        self.limits = limits
        self.workers = workers

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        parsed = self._parsed_ahead()
        if parsed is not None:
            context.graphql_document = parsed
        else:
            context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors is None and document is not None:
            context.pre_execution_errors = await self._checked(
                document, context.variables, context.validation_rules
            )
            if any(
                (error.extensions or {}).get("code") == INTROSPECTION_DISABLED
                for error in context.pre_execution_errors
            ):
                record(INTROSPECTION_DISABLED, context.operation_name)
            info = current_request()
            if info is not None and not context.pre_execution_errors:
                info.validated = True
        yield

    async def _checked(
        self, document: DocumentNode, variables: dict[str, Any] | None, rules: Any
    ) -> list[GraphQLError]:
        request = getattr(self.execution_context.context, "request", None)
        scope = getattr(request, "scope", None)
        client = client_of(scope) if isinstance(scope, dict) else ""
        try:
            return await self.workers.run(
                client, self._check_and_validate, document, variables, rules
            )
        except ServerBusyError:
            return [self._busy()]

    def _busy(self) -> GraphQLError:
        record_busy(self.execution_context.operation_name)
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return GraphQLError(BUSY_MESSAGE, extensions=busy_extensions())

    def _check_and_validate(
        self, document: DocumentNode, variables: dict[str, Any] | None, rules: Any
    ) -> list[GraphQLError]:
        schema = self.execution_context.schema._schema
        operation_name = self.execution_context.operation_name
        refused = check_cached(
            schema,
            document,
            variables,
            self.limits,
            operation_name,
            lambda: check_document(schema, document, variables, self.limits, operation_name),
        )
        if refused is not None:
            return [refused]
        checked_rules = validation_rules(tuple(rules), self.limits.introspection)
        suggestions = self.limits.suggestions
        return validate_cached(
            schema,
            document,
            checked_rules,
            suggestions,
            lambda: validate_document(schema, document, checked_rules, suggestions),
        )

    def _parsed_ahead(self) -> DocumentNode | None:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        parsed = getattr(getattr(request, "state", None), PARSED_DOCUMENT, None)
        if isinstance(parsed, ParsedDocument) and parsed.query == context.query:
            return parsed.document
        return None
