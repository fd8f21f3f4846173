"""Nested pages (``resolvers.fetch.pages_by_parent``) against a plain Python model of paging.

One page per parent, for many parents at once, from a scoped SELECT (here: posts whose body is
"shown", standing in for a row rule). Per parent the model says: ``total`` counts every visible
row of the parent, also those before the cursor; the page is the rows after the cursor (ids
above it, or below it when ``descending``), in id order, at most ``first`` of them;
``has_next`` says more follow. A parent whose rows all lie before the cursor still gets its
total, from a second statement. Paging backwards (``last``: ``backward``), the page is the last
``first`` rows before the ``before`` cursor (and after ``after``), still in reading order, and
``has_previous`` says more precede; nothing else costs a statement more, whatever the number of
parents (statements counted with a SQLAlchemy event listener).

Pages of several groups of parents, each with its own value of a filter parameter (the same
connection under several aliases, ``resolvers.fetch.fetch_page_groups``), are each group's pages
as asked on their own, in one statement (and one more per group a cursor strands parents of).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from engine_datasets import T0, refill
from engine_support import EngineDatabase, seed_per_case
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Select, String, Table, bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from config.paging import PageArgs
from resolvers import fetch
from resolvers.fetch import (
    PARENTS,
    fetch_page_groups,
    merged_page_statement,
    page_shape,
    page_statements,
    pages_by_parent,
)
from store import tables as t

SCHOOL = 101
#: Parents 201-205 exist; 206 and 207 have no rows at all (asking for them is allowed).
COURSES = [201, 202, 203, 204, 205]
ASKABLE = [*COURSES, 206, 207]
SHOWN, HIDDEN = "shown", "hidden"
_posts = t.posts.c
#: The scoped SELECT the pages are cut from: the visible posts.
STMT = select(_posts.id.label("id"), _posts.course_id.label("course_id")).where(
    _posts.body == SHOWN
)
#: The same with the body a parameter: each group of parents asks its own value.
BODY = "tavle_filter_0"
FILTERED = select(_posts.id.label("id"), _posts.course_id.label("course_id")).where(
    _posts.body == bindparam(BODY, type_=String, required=True)
)


@dataclass(frozen=True)
class Post:
    id: int
    course: int
    shown: bool


@dataclass(frozen=True)
class ModelPage:
    ids: list[int]
    total: int
    has_next: bool
    has_previous: bool = False


posts_strategy = st.lists(
    st.builds(Post, st.integers(1, 60), st.sampled_from(COURSES), st.booleans()),
    max_size=25,
    unique_by=lambda post: post.id,
)
args_strategy = st.builds(
    PageArgs,
    st.integers(0, 4),
    st.one_of(st.none(), st.integers(0, 61)),
    st.one_of(st.none(), st.integers(0, 61)),
    st.booleans(),
)
parents_strategy = st.lists(st.sampled_from(ASKABLE), min_size=1, max_size=8)


def model_pages(
    posts: list[Post], parents: list[int], args: PageArgs, descending: bool
) -> dict[int, ModelPage]:
    pages = {}
    for parent in set(parents):
        visible = sorted(
            (p.id for p in posts if p.course == parent and p.shown), reverse=descending
        )
        after, before = args.after, args.before
        window = [
            i
            for i in visible
            if (after is None or (i < after if descending else i > after))
            and (before is None or (i > before if descending else i < before))
        ]
        if args.backward:
            kept = window[-args.first :] if args.first else []
            pages[parent] = ModelPage(kept, len(visible), False, len(window) > args.first)
        else:
            pages[parent] = ModelPage(window[: args.first], len(visible), len(window) > args.first)
    return pages


def model_statements(
    posts: list[Post], parents: list[int], args: PageArgs, descending: bool
) -> int:
    """One statement; a second when a cursor leaves some parent with no row after it."""
    pages = model_pages(posts, parents, args, descending)
    stranded = any(
        not page.ids and not page.has_next and not page.has_previous for page in pages.values()
    )
    cursor = args.after is not None or args.before is not None
    return 2 if cursor and stranded else 1


def _rows(posts: list[Post]) -> dict[Table, list[dict[str, Any]]]:
    return {
        t.schools: [{"id": SCHOOL, "sourced_id": "org", "name": "S", "org_type": "school"}],
        t.courses: [
            {"id": c, "sourced_id": f"c-{c}", "school_id": SCHOOL, "name": f"C{c}"} for c in COURSES
        ],
        t.posts: [
            {
                "id": p.id,
                "course_id": p.course,
                "author_id": None,
                "body": SHOWN if p.shown else HIDDEN,
                "created_at": T0,
            }
            for p in posts
        ],
    }


@contextmanager
def counted_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)


async def _refill(engine: AsyncEngine, posts: list[Post]) -> None:
    async with engine.begin() as conn:
        await refill(conn, _rows(posts))


def _pages(
    db: EngineDatabase, parents: list[int], args: PageArgs, descending: bool
) -> tuple[dict[int, ModelPage], int]:
    with counted_statements(db.engine) as statements:
        found = db.run(
            pages_by_parent(
                db.engine, STMT, _posts.course_id, _posts.id, parents, args, descending=descending
            )
        )
    pages = {
        parent: ModelPage(
            [row["id"] for row in page.rows], page.total, page.has_next, page.has_previous
        )
        for parent, page in found.items()
    }
    return pages, len(statements)


def test_pages_follow_the_model(engine_db: EngineDatabase) -> None:
    @seed_per_case("nested-pages", engine_db.backend)
    @settings(max_examples=engine_db.examples(200))
    @given(
        posts=posts_strategy, parents=parents_strategy, args=args_strategy, descending=st.booleans()
    )
    def check(posts: list[Post], parents: list[int], args: PageArgs, descending: bool) -> None:
        engine_db.run(_refill(engine_db.engine, posts))
        pages, statements = _pages(engine_db, parents, args, descending)
        assert pages == model_pages(posts, parents, args, descending)
        assert statements == model_statements(posts, parents, args, descending)

    check()


def test_many_parents_are_one_statement(engine_db: EngineDatabase) -> None:
    """40 rows over five parents, two of them asked twice, and two empty parents: one
    statement; with a cursor past some parents' rows, exactly one more."""
    posts = [Post(i, COURSES[i % 5], shown=i % 7 != 0) for i in range(1, 41)]
    engine_db.run(_refill(engine_db.engine, posts))
    parents = [*ASKABLE, 201, 202]
    for descending in (False, True):
        first_page, statements = _pages(engine_db, parents, PageArgs(2, None), descending)
        assert statements == 1
        assert first_page == model_pages(posts, parents, PageArgs(2, None), descending)
    # ascending after 38: parents 201 (40) and 205 (39) have rows after it; the others are counted
    # by the second statement; the empty parents 206 and 207 stay at zero.
    pages, statements = _pages(engine_db, parents, PageArgs(2, 38), False)
    assert statements == 2
    assert pages == model_pages(posts, parents, PageArgs(2, 38), False)
    assert pages[202] == ModelPage([], 7, False)
    assert pages[206] == ModelPage([], 0, False)


groups_strategy = st.lists(
    st.tuples(st.sampled_from([SHOWN, HIDDEN]), parents_strategy), min_size=1, max_size=4
)


def _as_if(posts: list[Post], body: str) -> list[Post]:
    """``posts`` as the model sees them when the pages keep the posts whose body is ``body``."""
    return [
        Post(p.id, p.course, (p.shown and body == SHOWN) or (not p.shown and body == HIDDEN))
        for p in posts
    ]


def _group_pages(
    db: EngineDatabase, groups: list[tuple[str, list[int]]], args: PageArgs, descending: bool
) -> tuple[list[dict[int, ModelPage]], int]:
    _descending, after, before, backward = page_shape(args)
    statements = page_statements(
        FILTERED,
        _posts.course_id,
        _posts.id,
        descending=descending,
        after=after,
        before=before,
        backward=backward,
    )

    def merged(branches: int) -> Select[Any]:
        return merged_page_statement(statements.rows, branches, {PARENTS, BODY})

    asked = [({BODY: body}, parents) for body, parents in groups]
    with counted_statements(db.engine) as executed:
        found, columns = db.run(fetch_page_groups(db.engine, statements, merged, {}, asked, args))
    pages = [
        {
            parent: ModelPage(
                [row[columns["id"]] for row in page.rows],
                page.total,
                page.has_next,
                page.has_previous,
            )
            for parent, page in group.items()
        }
        for group in found
    ]
    return pages, len(executed)


def test_groups_of_parents_are_their_own_pages_in_one_statement(engine_db: EngineDatabase) -> None:
    @seed_per_case("nested-page-groups", engine_db.backend)
    @settings(max_examples=engine_db.examples(100))
    @given(
        posts=posts_strategy, groups=groups_strategy, args=args_strategy, descending=st.booleans()
    )
    def check(
        posts: list[Post], groups: list[tuple[str, list[int]]], args: PageArgs, descending: bool
    ) -> None:
        engine_db.run(_refill(engine_db.engine, posts))
        pages, statements = _group_pages(engine_db, groups, args, descending)
        expected = [
            model_pages(_as_if(posts, body), parents, args, descending) for body, parents in groups
        ]
        assert pages == expected
        stranding = [
            model_statements(_as_if(posts, body), parents, args, descending) - 1
            for body, parents in groups
        ]
        assert statements == 1 + sum(stranding)

    check()


def test_more_groups_than_a_statement_takes_are_split(
    engine_db: EngineDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five groups, at most two per statement: three statements, each group its own pages."""
    monkeypatch.setattr(fetch, "MAX_BRANCHES", 2)
    posts = [Post(i, COURSES[i % 5], shown=i % 3 != 0) for i in range(1, 41)]
    engine_db.run(_refill(engine_db.engine, posts))
    groups = [
        (SHOWN, [201, 202]),
        (HIDDEN, [201]),
        (SHOWN, [203, 206]),
        (HIDDEN, [204]),
        (SHOWN, [205]),
    ]
    pages, statements = _group_pages(engine_db, groups, PageArgs(3, None), False)
    assert statements == 3
    assert pages == [
        model_pages(_as_if(posts, body), parents, PageArgs(3, None), False)
        for body, parents in groups
    ]
