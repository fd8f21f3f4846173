"""A mutation that returns without its ``call`` check answers INTERNAL_SERVER_ERROR, no data.

A small schema with the same wrapper the gateway installs on every ``Mutation`` field
(``authz.call_checks.install_call_check_assertions``), mutations that check through the real
``Actor.require`` against a real policy file, and the gateway's error coding
(``gateway.error_codes.with_codes``), which answers and logs the failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from authz.call_checks import install_call_check_assertions
from authz.policy import DEFAULT_MODEL, Policy
from authz.relations import Facts
from authz.viewer import Viewer
from gateway.error_codes import with_codes
from resolvers.services.actor import Actor

POLICY_LINES = """\
p, anyone, Mutation.checked, call
p, anyone, Mutation.checkedOnASubLine.course, call
p, anyone, Mutation.checksAnother, call
"""


@strawberry.type
class Query:
    ping: bool = True


def _actor(info: strawberry.Info) -> Actor:
    actor: Actor = info.context["actor"]
    return actor


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def checked(self, info: strawberry.Info) -> str:
        _actor(info).require(Facts(), "Mutation.checked", "checked")
        await asyncio.sleep(0)
        return "written"

    @strawberry.mutation
    async def checked_on_a_sub_line(self, info: strawberry.Info) -> str:
        _actor(info).require(Facts(), "Mutation.checkedOnASubLine.course", "a sub-line")
        return "written"

    @strawberry.mutation
    async def unchecked(self, info: strawberry.Info) -> str:
        await asyncio.sleep(0)
        return "written"

    @strawberry.mutation
    def unchecked_sync(self) -> str:
        return "written"

    @strawberry.mutation
    async def checks_another(self, info: strawberry.Info) -> str:
        """Checks a line, but another mutation's: not its own check."""
        _actor(info).require(Facts(), "Mutation.checked", "checked")
        return "written"

    @strawberry.mutation
    async def refused(self, info: strawberry.Info) -> str:
        _actor(info).require(Facts(), "Mutation.refused", "no line grants this")
        return "written"


@pytest.fixture
def engine() -> Iterator[AsyncEngine]:
    engine = create_async_engine("sqlite+aiosqlite://")  # never connected: require reads none
    yield engine
    asyncio.run(engine.dispose())


@pytest.fixture
def actor(tmp_path: Path, engine: AsyncEngine) -> Actor:
    path = tmp_path / "policy.csv"
    path.write_text(POLICY_LINES)
    return Actor(engine=engine, policy=Policy(DEFAULT_MODEL, path), viewer=Viewer(person_id=1))


@pytest.fixture
def schema() -> strawberry.Schema:
    built = strawberry.Schema(query=Query, mutation=Mutation)
    install_call_check_assertions(built._schema)
    return built


def run(schema: strawberry.Schema, actor: Actor, document: str) -> tuple[Any, list[GraphQLError]]:
    result = asyncio.run(schema.execute(document, context_value={"actor": actor}))
    return result.data, with_codes(list(result.errors or []))


def codes(errors: list[GraphQLError]) -> list[str]:
    return [str((error.extensions or {}).get("code")) for error in errors]


@pytest.mark.parametrize("field", ["checked", "checkedOnASubLine"])
def test_a_mutation_that_checks_its_line_answers(
    schema: strawberry.Schema, actor: Actor, field: str
) -> None:
    data, errors = run(schema, actor, f"mutation {{ {field} }}")
    assert errors == []
    assert data == {field: "written"}


@pytest.mark.parametrize("field", ["unchecked", "uncheckedSync", "checksAnother"])
def test_a_mutation_without_its_check_is_an_internal_error_with_no_data(
    schema: strawberry.Schema, actor: Actor, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tavle.errors"):
        data, errors = run(schema, actor, f"mutation {{ {field} }}")
    assert data is None
    assert codes(errors) == ["INTERNAL_SERVER_ERROR"]
    assert errors[0].message == "Internal server error"
    assert errors[0].path == [field]
    logged = [r for r in caplog.records if r.name == "tavle.errors"]
    assert [r.getMessage() for r in logged] == [f"unhandled MissingCallCheckError at ['{field}']"]
    assert f"Mutation.{field} returned without checking its call line" in caplog.text


def test_a_refused_check_is_the_answer_not_an_internal_error(
    schema: strawberry.Schema, actor: Actor
) -> None:
    data, errors = run(schema, actor, "mutation { refused }")
    assert data is None
    assert codes(errors) == ["FORBIDDEN"]


def test_each_mutation_of_an_operation_needs_its_own_check(
    schema: strawberry.Schema, actor: Actor
) -> None:
    """Mutations run one after another; the check of the first does not cover the second."""
    data, errors = run(schema, actor, "mutation { checked unchecked }")
    assert data is None
    assert codes(errors) == ["INTERNAL_SERVER_ERROR"]
    assert errors[0].path == ["unchecked"]


def test_checks_are_only_noted_inside_a_mutation(actor: Actor) -> None:
    """Outside a mutation's resolver (a job, the demo seeder) require just decides."""
    actor.require(Facts(), "Mutation.checked", "checked")
    with pytest.raises(GraphQLError):
        actor.require(Facts(), "Mutation.refused", "refused")
