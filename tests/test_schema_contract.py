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
