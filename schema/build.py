"""The GraphQL schema: Strawberry types, one module per domain."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from authz.guard import install_field_guards
from authz.policy import Policy
from schema.assessment import Assessment
from schema.communication import Comment, Conversation, Message, Post
from schema.course import Course
from schema.coursework import Assignment, Submission
from schema.material import CalendarEvent, Document
from schema.mutation import Mutation
from schema.query import Query
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
]


def build_schema(
    policy: Policy | None, extensions: list[object] | None = None
) -> strawberry.Schema:
    """The schema; with a ``policy`` every field is guarded, without one nothing is (benchmark)."""
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=ALL_NODE_TYPES,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=extensions or [],  # type: ignore[arg-type]
    )
    if policy is not None:
        install_field_guards(schema, policy)
    return schema
