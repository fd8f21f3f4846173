"""The GraphQL schema: Strawberry types, one module per domain."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.execution import Executor
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from authz.guard import install_field_guards
from authz.policy import Policy
from resolvers.services.input_limits import install_input_limits
from schema.assessment import Assessment
from schema.communication import Comment, Conversation, Message, Post
from schema.course import Course
from schema.coursework import Assignment, Submission
from schema.material import CalendarEvent, Document
from schema.mutation import Mutation
from schema.privacy import AuditEntry, PrivacyMutation, PrivacyQuery, PrivacyRequest
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.school_year import AcademicSession, RosterImport
from schema.user import School, User

ALL_NODE_TYPES = [
    User,
    School,
    Course,
    Assignment,
    Submission,
    Assessment,
    Post,
    Comment,
    Conversation,
    Message,
    Document,
    CalendarEvent,
    PrivacyRequest,
    AuditEntry,
    AcademicSession,
    RosterImport,
]

RootQuery = merge_types("Query", (Query, PrivacyQuery))
RootMutation = merge_types("Mutation", (Mutation, PrivacyMutation))


class TavleSchema(strawberry.Schema):
    """Strawberry's schema, minus its logging of every GraphQL error with a traceback.

    FORBIDDEN and NOT_FOUND are answers, not faults; unexpected exceptions are logged (type and
    path only) where they are masked, in ``gateway.error_codes``.
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        return None


def build_schema(
    policy: Policy | None,
    extensions: list[object] | None = None,
    executor_class: type[Executor[Any]] | None = None,
) -> strawberry.Schema:
    """The schema; with a ``policy`` every field is guarded, without one nothing is (benchmark).
    ``executor_class`` replaces Strawberry's graphql-core executor (``gateway.limits.discovery``
    hides suggestions with it)."""
    schema = TavleSchema(
        query=RootQuery,
        mutation=RootMutation,
        types=ALL_NODE_TYPES,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
        extensions=extensions or [],  # type: ignore[arg-type]
        execution_context_class=executor_class,
    )
    # The input limits first: the field guards wrap them, so a caller who may not call a
    # mutation learns nothing from its limits.
    install_input_limits(schema._schema)
    if policy is not None:
        install_field_guards(schema, policy)
    return schema
