"""GraphQL errors with the contract's ``extensions.code`` values (docs/interfaces.md)."""

from __future__ import annotations

from graphql import GraphQLError


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def not_found(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "NOT_FOUND"})


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def conflict(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "CONFLICT"})


def course_archived(message: str) -> GraphQLError:
    """An archived course (or a course of an archived school) is read-only (docs/school-year.md)."""
    return GraphQLError(message, extensions={"code": "COURSE_ARCHIVED"})
