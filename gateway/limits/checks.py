"""The size checks a parsed document goes through before validation.

The cost comes first: a document built to explode (aliased fragments over nested lists) is over
every limit at once, and its answer should be the one that says why, ``QUERY_TOO_COMPLEX`` with
the cost. Then aliases, fields, depth and root mutations.

They run before graphql-core's validation because validation is where a large document costs
most: ``OverlappingFieldsCanBeMergedRule`` compares every pair of fields that share a response
name, so its time grows with the square of the fields (500 copies of one field take about a
second). Each check walks the document once, fragments memoised (``gateway.limits.document``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema

from gateway.limits.config import OperationLimits
from gateway.limits.cost import operation_costs
from gateway.limits.counts import document_counts, root_mutation_fields
from gateway.limits.depth import document_depth
from gateway.limits.refusal import (
    QUERY_TOO_COMPLEX,
    QUERY_TOO_DEEP,
    TOO_MANY_ALIASES,
    TOO_MANY_FIELDS,
    TOO_MANY_MUTATIONS,
    refusal,
)


def check_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: OperationLimits,
    operation_name: str | None = None,
) -> GraphQLError | None:
    """The refusal of the first limit the document is over, or None."""
    try:
        return _check(schema, document, variables, limits, operation_name)
    except RecursionError:
        # Hundreds of fragments each spreading the next: deeper than the analysis can follow.
        return refusal(
            QUERY_TOO_DEEP,
            "The document's fragments nest too deeply to be analysed",
            operation_name,
            limit=limits.max_depth,
        )


def _check(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: OperationLimits,
    operation_name: str | None,
) -> GraphQLError | None:
    for _operation, cost in operation_costs(
        schema,
        document,
        variables,
        default_page_size=limits.default_page_size,
        max_page_size=limits.max_page_size,
    ):
        if cost > limits.max_cost:
            return refusal(
                QUERY_TOO_COMPLEX,
                f"The operation may return up to {cost} fields (each list counted at its "
                f"`first`, or {limits.default_page_size} without one); the limit is "
                f"{limits.max_cost}: ask for smaller pages or fewer nested lists",
                operation_name,
                cost=cost,
                limit=limits.max_cost,
            )
    counts = document_counts(document)
    if counts.aliases > limits.max_aliases:
        return refusal(
            TOO_MANY_ALIASES,
            f"The document has {counts.aliases} aliases (fragments expanded); the limit is "
            f"{limits.max_aliases}",
            operation_name,
            aliases=counts.aliases,
            limit=limits.max_aliases,
        )
    if counts.fields > limits.max_fields:
        return refusal(
            TOO_MANY_FIELDS,
            f"The document selects {counts.fields} fields (fragments expanded); the limit is "
            f"{limits.max_fields}",
            operation_name,
            fields=counts.fields,
            limit=limits.max_fields,
        )
    depth = document_depth(document)
    if depth > limits.max_depth:
        return refusal(
            QUERY_TOO_DEEP,
            f"The operation nests fields {depth} levels deep; the limit is {limits.max_depth}",
            operation_name,
            depth=depth,
            limit=limits.max_depth,
        )
    mutations = root_mutation_fields(document)
    if mutations > limits.max_root_mutations:
        return refusal(
            TOO_MANY_MUTATIONS,
            f"The operation has {mutations} root mutation fields; at most "
            f"{limits.max_root_mutations} run in one request",
            operation_name,
            mutations=mutations,
            limit=limits.max_root_mutations,
        )
    return None
