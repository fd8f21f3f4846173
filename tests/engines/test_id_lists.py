"""A list of ids bound as ONE parameter (``store.idlists``) and the statements built once per
viewer shape (``resolvers.scopes.Scope``), on SQLite and PostgreSQL.

``in_ids`` must mean exactly what ``IN (<ids>)`` means: for any ids (none, repeated), on a
column with NULLs, also negated; and the statement's text must not depend on the number of ids,
which is what lets a statement be built and compiled once. A row scope shared by every viewer of
a shape must hold none of a viewer's ids: run without them, it refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from engine_support import EngineDatabase, seed_per_case
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, event, insert, select
from sqlalchemy.exc import StatementError

from authz.policy import Policy
from authz.viewer import Viewer
from resolvers.kinds import KINDS
from resolvers.scopes import scope
from store.idlists import ids_param, in_ids

numbers = Table(
    "engine_test_numbers",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("value", Integer),
)
#: rows 1..40; ``value`` is NULL on every fifth row, else the id modulo 13
ROWS = [{"id": n, "value": None if n % 5 == 0 else n % 13} for n in range(1, 41)]
IDS = "ids"


@pytest.fixture(scope="module")
def loaded(engine_db: EngineDatabase) -> Iterator[EngineDatabase]:
    async def load() -> None:
        async with engine_db.engine.begin() as conn:
            await conn.run_sync(numbers.metadata.drop_all)
            await conn.run_sync(numbers.metadata.create_all)
            await conn.execute(insert(numbers), ROWS)

    engine_db.run(load())
    yield engine_db


@contextmanager
def statements(db: EngineDatabase) -> Iterator[list[tuple[str, Any]]]:
    """The statements and parameters ``db`` runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)


def _matching(db: EngineDatabase, negated: bool, ids: list[int]) -> set[int]:
    condition = in_ids(numbers.c.value, ids_param(IDS))
    stmt = select(numbers.c.id).where(~condition if negated else condition)

    async def run() -> set[int]:
        async with db.engine.connect() as conn:
            return set((await conn.execute(stmt, {IDS: ids})).scalars().all())

    return db.run(run())


def test_in_ids_means_in(loaded: EngineDatabase) -> None:
    @seed_per_case("id-lists", loaded.backend)
    @settings(max_examples=loaded.examples(100))
    @given(
        ids=st.lists(st.integers(min_value=-2, max_value=15), max_size=30), negated=st.booleans()
    )
    def check(ids: list[int], negated: bool) -> None:
        # SQL's three values: NULL IN (...) is unknown (no row either way), but NULL IN ()
        # is false, as for any value
        wanted = {
            row["id"]
            for row in ROWS
            if (row["value"] is not None or not ids) and (row["value"] in ids) != negated
        }
        assert _matching(loaded, negated, ids) == wanted

    check()


def test_the_statement_does_not_grow_with_the_ids(loaded: EngineDatabase) -> None:
    with statements(loaded) as seen:
        few = _matching(loaded, False, [3])
        many = _matching(loaded, False, list(range(900)))
    assert few == {3, 16, 29}
    assert many == {row["id"] for row in ROWS if row["value"] is not None}
    (one_text, one_params), (many_text, many_params) = seen
    assert one_text == many_text
    assert len(one_params) == len(many_params) == 1


TEACHER = Viewer(person_id=1, taught_courses=frozenset({201}), member_schools=frozenset({101}))
#: another teacher, also in a conversation (which the Submission row rule does not read)
OTHER_TEACHER = Viewer(
    person_id=2,
    taught_courses=frozenset({202, 203}),
    member_schools=frozenset({102}),
    conversations=frozenset({901}),
)


POLICY = Policy()


class _Reading:
    """What a row scope reads of a request (``resolvers.scopes.ScopeContext``)."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.policy = POLICY


def test_a_shared_scope_holds_no_viewer_ids(loaded: EngineDatabase) -> None:
    """Viewers of one shape (as far as the row rule reads it) share the scope's statement; it
    names their ids as parameters, so without them it does not run (it can never answer with
    someone else's ids)."""
    kind = KINDS["Submission"]
    shared = scope(kind, _Reading(TEACHER))
    assert scope(kind, _Reading(OTHER_TEACHER)) is shared

    async def run() -> None:
        async with loaded.engine.connect() as conn:
            await conn.execute(shared.stmt)

    with pytest.raises(StatementError, match="viewer_"):
        loaded.run(run())
