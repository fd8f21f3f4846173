"""The committed SDL, the policy's coverage of the schema, and the migrations match the code."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from db_support import BACKENDS, fresh_database
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
    build_ast_schema,
    get_named_type,
    is_non_null_type,
    parse,
)

from authz.guard import schema_coordinates
from authz.policy import Policy
from authz.relations import BASE_RELATIONS, relation_clause
from authz.viewer import Viewer
from resolvers.kinds import KINDS
from schema.build import build_schema
from store.db import make_engine, migrate
from store.tables import metadata

REPO = Path(__file__).resolve().parent.parent
SDL = REPO / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "export-schema"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == SDL.read_text(), (
        "schema.graphql drifted: run `./tavle export-schema > schema.graphql`"
    )


def test_every_field_of_every_object_type_has_a_policy_line() -> None:
    policy = Policy()
    covered = {obj for obj, act in policy.coordinates() if act == "read"}
    missing = [c for c in schema_coordinates(build_schema(policy)) if c not in covered]
    assert missing == [], f"fields without a policy line (deny by default, but say so): {missing}"


def test_policy_names_no_field_the_schema_lacks() -> None:
    policy = Policy()
    fields = set(schema_coordinates(build_schema(policy)))
    stale = sorted(obj for obj, act in policy.coordinates() if act == "read" and obj not in fields)
    assert stale == []


def test_contract_names_are_kept() -> None:
    sdl = SDL.read_text()
    for name in [
        "node(id: ID!): Node",
        "viewer: User",
        "courses(first: Int = null, after: String = null, state: CourseState = ACTIVE): "
        "CourseConnection!",
        "rosterImports(first: Int = null, after: String = null): RosterImportConnection!",
        "privacyNotice: PrivacyNotice!",
        "createAssignment(input: CreateAssignmentInput!): Assignment!",
        "publishAssessments(courseId: ID!, kind: AssessmentKind!): [Assessment!]!",
        "setPreference(key: String!, value: String = null): Preference!",
    ]:
        # Fields keep their arguments, in order, with their defaults; optional arguments may
        # follow them (``last``/``before`` on every connection, for one), and a field without
        # arguments may gain optional ones (``privacyNotice(language:)``).
        head, _, tail = name.partition("): ")
        if tail:
            kept = re.escape(head) + r"(, \w+: \w+ = null)*" + re.escape("): " + tail)
            assert re.search(kept, sdl), name
        elif "(" not in name:
            field, _, type_ = name.partition(": ")
            optional = r"(\(\w+: \w+ = null(, \w+: \w+ = null)*\))?"
            assert re.search(re.escape(field) + optional + re.escape(": " + type_), sdl), name
        else:
            assert name in sdl, name


#: The names the frontends' generated code is built on (docs/interfaces.md): each field with
#: its arguments in order and its type. Further optional arguments may follow the listed ones.
FRONTEND_FIELDS: dict[str, tuple[str, ...]] = {
    "Query.users": (
        "users(search: String, schoolId: ID, role: Role, state: ProcessingState, first: Int, "
        "after: String, last: Int, before: String): UserConnection!",
    ),
    "Subscription": (
        "messageAdded(conversationId: ID): Message!",
        "notificationAdded: Notification!",
    ),
    "Mutation": (
        "updatePost(id: ID!, body: String!): Post!",
        "deletePost(id: ID!): Deleted!",
        "updateComment(id: ID!, body: String!): Comment!",
        "deleteComment(id: ID!): Deleted!",
        "updateDocument(id: ID!, title: String, body: String): Document!",
        "deleteDocument(id: ID!): Deleted!",
        "updateCalendarEvent(id: ID!, title: String, startsAt: DateTime, endsAt: DateTime): "
        "CalendarEvent!",
        "deleteCalendarEvent(id: ID!): Deleted!",
        "updateAssignment(id: ID!, title: String, instructions: String, dueAt: DateTime): "
        "Assignment!",
        "deleteAssignment(id: ID!): Deleted!",
        "deleteMessage(id: ID!): Deleted!",
        "updateAssessment(id: ID!, input: AssessmentUpdateInput!): Assessment!",
        "withdrawAssessment(id: ID!, reason: String!): Deleted!",
        "unpublishAssessments(courseId: ID!, kind: AssessmentKind!): [Assessment!]!",
        "returnSubmission(id: ID!, comment: String): Submission!",
        "markNotificationsRead(ids: [ID!]): [Notification!]!",
        "uploadFile(file: Upload!): FileRef!",
    ),
}


def _signature(field_name: str, field: GraphQLField, arguments: int | None = None) -> str:
    names = list(field.args)[:arguments]
    args = ", ".join(f"{name}: {field.args[name].type}" for name in names)
    return f"{field_name}({args}): {field.type}" if args else f"{field_name}: {field.type}"


def test_the_frontends_names_are_kept() -> None:
    sdl = build_ast_schema(parse(SDL.read_text()))
    for owner, expected in FRONTEND_FIELDS.items():
        type_ = sdl.get_type(owner.partition(".")[0])
        assert isinstance(type_, GraphQLObjectType), owner
        for signature in expected:
            name = signature.partition("(")[0].partition(":")[0]
            field = type_.fields.get(name)
            assert field is not None, f"{owner} lacks {name}"
            listed = signature.count(": ") - 1
            assert _signature(name, field, listed) == signature
            assert all(not is_non_null_type(arg.type) for arg in list(field.args.values())[listed:])
    file_ref = sdl.get_type("FileRef")
    assert isinstance(file_ref, GraphQLObjectType)
    assert [i.name for i in file_ref.interfaces] == ["Node"]
    assert {name: str(f.type) for name, f in file_ref.fields.items()} == {
        "id": "ID!",
        "filename": "String!",
        "contentType": "String",
        "sizeBytes": "Int",
        "downloadUrl": "String",
    }
    deleted = sdl.get_type("Deleted")
    assert isinstance(deleted, GraphQLObjectType)
    assert {name: str(f.type) for name, f in deleted.fields.items()} == {"id": "ID!"}
    update = sdl.get_type("AssessmentUpdateInput")
    assert isinstance(update, GraphQLInputObjectType)
    assert {name: str(f.type) for name, f in update.fields.items()} == {
        "grade": "String",
        "comment": "String",
    }
    assert isinstance(sdl.get_type("Upload"), GraphQLScalarType)


def test_every_connection_pages_both_ways() -> None:
    """Relay's cursor connections, as relay-compiler and Apollo's ``relayStylePagination``
    expect them: every field answering a connection takes ``first``/``after`` and
    ``last``/``before``, and ``PageInfo`` has all four of its fields."""
    sdl = build_ast_schema(parse(SDL.read_text()))
    lacking = [
        f"{type_name}.{name}"
        for type_name, type_ in sdl.type_map.items()
        if isinstance(type_, GraphQLObjectType) and not type_name.startswith("__")
        for name, field in type_.fields.items()
        if get_named_type(field.type).name.endswith("Connection")
        and not {"first", "after", "last", "before"} <= set(field.args)
    ]
    assert lacking == [], f"connections without both paging directions: {lacking}"
    page_info = sdl.get_type("PageInfo")
    assert isinstance(page_info, GraphQLObjectType)
    assert {name: str(f.type) for name, f in page_info.fields.items()} == {
        "hasNextPage": "Boolean!",
        "hasPreviousPage": "Boolean!",
        "startCursor": "String",
        "endCursor": "String",
    }


def test_every_row_rule_relation_compiles_to_sql() -> None:
    """Each relation a ``see`` line grants must have an SQL form for that type's columns."""
    policy = Policy()
    viewer = Viewer(person_id=1)
    for type_name, kind in KINDS.items():
        granting = policy.granting_relations(type_name, "see", BASE_RELATIONS)
        assert granting, f"{type_name} has no row rule"
        for relation in granting:
            clause = relation_clause(relation, viewer, kind.facts)
            assert clause is not None, f"{type_name}: relation {relation} has no SQL form"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migrations_build_exactly_the_tables_in_the_code(backend: str, tmp_path: Path) -> None:
    """Alembic's own comparison (tables, columns, types, nullability, indexes, foreign keys) of
    a database made by the migrations with ``store.tables``: no difference."""

    async def differences(url: str) -> list[Any]:
        await migrate(url)
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
                )
        finally:
            await engine.dispose()

    with fresh_database(backend, tmp_path, prefix="tavle_contract") as url:
        assert asyncio.run(differences(url)) == []


def test_policy_file_has_only_known_relations() -> None:
    policy_text = (REPO / "authz" / "policy.csv").read_text()
    known = set(BASE_RELATIONS) | {
        "pseudonym",
        "row",
        "anyone",
        "authenticated",
        "course_member",
        "school_staff",
    }
    used = set(re.findall(r"^[pg], (\w+),", policy_text, flags=re.MULTILINE))
    assert used <= known, used - known
