"""Per-request DataLoaders, made on first use from the declarations.

``Loaders.by_id(kind)`` for every kind of ``resolvers.kinds.KINDS``, ``Loaders.related(source)``
and ``Loaders.embedded(source)`` for the field sources of ``resolvers.field_sources``. Every
loader of a kind reads through its row scope (``resolvers.scopes``), so nested paths cannot
bypass the row rules, and each batch is one statement (plus one for the people's schools, which
the User relations need), so the number of statements does not grow with the number of rows.
Loaders hand out records (``resolvers.records``) and pages of records.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from sqlalchemy import ColumnElement, and_, select
from strawberry.dataloader import DataLoader

from config.paging import PageArgs
from config.tracing import span
from resolvers.fetch import PageRows, by_ids, lists_by_parent, pages_by_parent, run
from resolvers.field_sources import Embedded, Related
from resolvers.kinds import KINDS, Kind
from resolvers.materialize import records_of
from resolvers.records import Page
from resolvers.scopes import scoped_select
from store import tables as t
from store.tables import ProcessingState

if TYPE_CHECKING:
    from resolvers.context import RequestContext

tracer = trace.get_tracer("tavle.loaders")

PageKey = tuple[int, PageArgs]
#: the values of a field's filter arguments, in the order of its ``Related.filters``
Filters = tuple[Any, ...]
PARENT_KEY = "tavle_parent_key"


def _by_id(ctx: RequestContext, kind: Kind, path: str | None) -> DataLoader[int, Any]:
    """Records of ``kind`` by id (None: not visible), matched by the row they came from, so a
    pseudonym stand-in (``pk`` -1) answers for its person's id."""
    name = f"load {kind.type_name}ById" + ("" if path is None else f" via {path}")

    async def load(keys: list[int]) -> list[Any]:
        with span(tracer, name):
            rows = await by_ids(ctx.engine, scoped_select(kind, ctx, path=path), kind.key, keys)
            ordered = list(rows.values())
            made = await records_of(ctx, kind, ordered)
            found = dict(zip((row["id"] for row in ordered), made, strict=True))
            return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _equal(*pairs: tuple[ColumnElement[Any], Any]) -> ColumnElement[bool] | None:
    """``column = value`` for each filter argument given (None = not filtered)."""
    conditions = [column == value for column, value in pairs if value is not None]
    return and_(*conditions) if conditions else None


def _related_where(source: Related, filters: Filters) -> ColumnElement[bool] | None:
    conditions = [
        c
        for c in (
            source.where,
            _equal(*((f.column, v) for f, v in zip(source.filters, filters, strict=True))),
        )
        if c is not None
    ]
    return and_(*conditions) if conditions else None


def _list(ctx: RequestContext, source: Related) -> DataLoader[int, list[Any]]:
    kind = KINDS[source.kind]
    path = source.coordinate if source.path else None

    async def load(keys: list[int]) -> list[list[Any]]:
        with span(tracer, f"load {source.name}"):
            stmt = scoped_select(kind, ctx, source.source, path)
            if source.where is not None:
                stmt = stmt.where(source.where)
            grouped = await lists_by_parent(ctx.engine, stmt, source.parent, keys, kind.key)
            all_rows = [row for key in keys for row in grouped.get(key, [])]
            made = iter(await records_of(ctx, kind, all_rows))
            return [[next(made) for _ in grouped.get(key, [])] for key in keys]

    return DataLoader(load_fn=load)


def _pages(
    ctx: RequestContext, source: Related, filters: Filters
) -> DataLoader[PageKey, Page[Any]]:
    """One page per (parent, page arguments); one statement per batch of parents asking the
    same page arguments, whatever the number of parents or rows."""
    kind = KINDS[source.kind]
    path = source.coordinate if source.path else None
    where = _related_where(source, filters)

    async def load(keys: list[PageKey]) -> list[Page[Any]]:
        with span(tracer, f"load {source.name}"):
            by_args: dict[PageArgs, list[int]] = defaultdict(list)
            for parent_id, args in keys:
                by_args[args].append(parent_id)
            pages: dict[PageKey, PageRows] = {}
            for args, parent_ids in by_args.items():
                stmt = scoped_select(kind, ctx, source.source, path)
                if where is not None:
                    stmt = stmt.where(where)
                found = await pages_by_parent(
                    ctx.engine,
                    stmt,
                    source.parent,
                    kind.key,
                    parent_ids,
                    args,
                    descending=source.descending,
                )
                for parent_id, page in found.items():
                    pages[(parent_id, args)] = page
            all_rows = [row for key in keys for row in pages[key].rows]
            made = iter(await records_of(ctx, kind, all_rows))
            return [
                Page(
                    records=[next(made) for _ in pages[key].rows],
                    sort_keys=[row["tavle_key"] for row in pages[key].rows],
                    total=pages[key].total,
                    has_next=pages[key].has_next,
                )
                for key in keys
            ]

    return DataLoader(load_fn=load)


def _embedded(ctx: RequestContext, source: Embedded) -> DataLoader[int, list[Any]]:
    """Rows that only appear under an authorised parent field: no row scope of their own, one
    statement per batch."""
    names = [column.name for column in source.columns]

    async def load(keys: list[int]) -> list[list[Any]]:
        stmt = (
            select(source.parent.label(PARENT_KEY), *source.columns)
            .where(source.parent.in_(sorted(set(keys))))
            .order_by(source.order_by)
        )
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in await run(ctx.engine, stmt):
            grouped[row[PARENT_KEY]].append(source.record(**{n: row[n] for n in names}))
        return [grouped.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def _person_states(ctx: RequestContext) -> DataLoader[int, ProcessingState | None]:
    """Processing state by person, asked only for people who did not resolve: it tells a
    restricted or erased author (shown as a pseudonym) from someone the viewer may not see."""

    async def load(keys: list[int]) -> list[ProcessingState | None]:
        p = t.people.c
        stmt = select(p.id, p.processing_state).where(p.id.in_(sorted(set(keys))))
        found = {
            row["id"]: ProcessingState(row["processing_state"])
            for row in await run(ctx.engine, stmt)
        }
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """All loaders of one request, each made the first time it is asked for: most requests
    touch only a few."""

    __slots__ = ("_by_id", "_ctx", "_embedded", "_lists", "_pages", "_person_states")

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        self._by_id: dict[tuple[str, str | None], DataLoader[int, Any]] = {}
        self._lists: dict[str, DataLoader[int, list[Any]]] = {}
        self._pages: dict[tuple[str, Filters], DataLoader[PageKey, Page[Any]]] = {}
        self._embedded: dict[str, DataLoader[int, list[Any]]] = {}
        self._person_states: DataLoader[int, ProcessingState | None] | None = None

    def by_id(self, kind: str, path: str | None = None) -> DataLoader[int, Any]:
        """Records of the kind named ``kind`` by id; ``path``: reached through that field."""
        key = (kind, path)
        loader = self._by_id.get(key)
        if loader is None:
            loader = self._by_id[key] = _by_id(self._ctx, KINDS[kind], path)
        return loader

    def related_list(self, source: Related) -> DataLoader[int, list[Any]]:
        loader = self._lists.get(source.coordinate)
        if loader is None:
            loader = self._lists[source.coordinate] = _list(self._ctx, source)
        return loader

    def related_pages(
        self, source: Related, filters: Filters = ()
    ) -> DataLoader[PageKey, Page[Any]]:
        """Pages of ``source`` per parent; one loader per distinct filter."""
        key = (source.coordinate, filters)
        loader = self._pages.get(key)
        if loader is None:
            loader = self._pages[key] = _pages(self._ctx, source, filters)
        return loader

    def embedded(self, source: Embedded) -> DataLoader[int, list[Any]]:
        loader = self._embedded.get(source.coordinate)
        if loader is None:
            loader = self._embedded[source.coordinate] = _embedded(self._ctx, source)
        return loader

    @property
    def person_states(self) -> DataLoader[int, ProcessingState | None]:
        if self._person_states is None:
            self._person_states = _person_states(self._ctx)
        return self._person_states


__all__ = ["Filters", "Loaders", "PageKey"]
