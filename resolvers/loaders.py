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
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from sqlalchemy import FromClause, Select, bindparam, select
from strawberry.dataloader import DataLoader

from authz.relations import ViewerShape, viewer_params
from config.paging import LIST_BOUND, PageArgs
from config.tracing import span
from resolvers.fetch import (
    IDS,
    KEY,
    PARENT,
    PARENTS,
    PageGroup,
    PageRows,
    PageStatements,
    by_ids_statement,
    fetch,
    fetch_page_groups,
    fetch_pages,
    lists_statement,
    merged_page_statement,
    page_shape,
    page_statements,
)
from resolvers.field_sources import Embedded, Related
from resolvers.kinds import KINDS, Kind
from resolvers.materialize import records_of
from resolvers.records import Page
from resolvers.scopes import Scope, scope
from store import tables as t
from store.idlists import ids_param, in_ids
from store.tables import ProcessingState

if TYPE_CHECKING:
    from resolvers.context import RequestContext

tracer = trace.get_tracer("tavle.loaders")

#: the values of a field's filter arguments, in the order of its ``Related.filters``
Filters = tuple[Any, ...]
#: a page's key: its parent's id, the page arguments, the values of the field's filter arguments
PageKey = tuple[int, PageArgs, Filters]
PARENT_KEY = "tavle_parent_key"


class Viewing:
    """The request's viewer as its statements take it: its shape picks the statements (each
    built once per shape, ``resolvers.scopes.Scope``), its values are their parameters."""

    __slots__ = ("_ctx", "params", "shape")

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        viewer = ctx.viewer
        self.shape = None if viewer is None else ViewerShape.of(viewer)
        self.params: dict[str, Any] = {} if viewer is None else viewer_params(viewer)

    def scope(self, kind: Kind, source: FromClause | None = None, path: str | None = None) -> Scope:
        return scope(kind, self._ctx, source, path, self.shape)


def _by_id(
    ctx: RequestContext, viewing: Viewing, kind: Kind, path: str | None
) -> DataLoader[int, Any]:
    """Records of ``kind`` by id (None: not visible), matched by the row they came from, so a
    pseudonym stand-in (``pk`` -1) answers for its person's id."""
    name = f"load {kind.type_name}ById" + ("" if path is None else f" via {path}")
    stmt = viewing.scope(kind, path=path).derive("by id", lambda s: by_ids_statement(s, kind.key))

    async def load(keys: list[int]) -> list[Any]:
        if not keys:
            return []
        with span(tracer, name):
            got = await fetch(ctx.engine, stmt, {**viewing.params, IDS: set(keys)})
            layout = kind.layout(got.columns)
            made = await records_of(ctx, kind, got.rows, layout)
            id_at = layout.id
            found = {row[id_at]: record for row, record in zip(got.rows, made, strict=True)}
            return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


#: the parameter holding the value of a field's filter argument ``<n>`` (``Related.filters``)
FILTER = "tavle_filter_{}"


def _filtered(source: Related, given: tuple[bool, ...]) -> Callable[[Select[Any]], Select[Any]]:
    """The scoped SELECT of ``source`` with its ``where`` and ``column = :tavle_filter_<n>`` for
    each filter argument ``given``."""

    def build(stmt: Select[Any]) -> Select[Any]:
        if source.where is not None:
            stmt = stmt.where(source.where)
        for n, (argument, is_given) in enumerate(zip(source.filters, given, strict=True)):
            if is_given:
                stmt = stmt.where(argument.column == bindparam(FILTER.format(n)))
        return stmt

    return build


def _list(ctx: RequestContext, viewing: Viewing, source: Related) -> DataLoader[int, list[Any]]:
    kind = KINDS[source.kind]
    path = source.coordinate if source.path else None
    where = _filtered(source, (False,) * len(source.filters))
    stmt = viewing.scope(kind, source.source, path).derive(
        ("list", source), lambda s: lists_statement(where(s), source.parent, kind.key)
    )

    async def load(keys: list[int]) -> list[list[Any]]:
        if not keys:
            return []
        with span(tracer, f"load {source.name}"):
            got = await fetch(ctx.engine, stmt, {**viewing.params, PARENTS: set(keys)})
            parent_at = got.columns[PARENT]
            grouped: dict[int, list[Any]] = defaultdict(list)
            for row in got.rows:
                bucket = grouped[row[parent_at]]
                if len(bucket) < LIST_BOUND:
                    bucket.append(row)
            all_rows = [row for key in keys for row in grouped.get(key, ())]
            made = iter(await records_of(ctx, kind, all_rows, kind.layout(got.columns)))
            return [[next(made) for _ in grouped.get(key, ())] for key in keys]

    return DataLoader(load_fn=load)


def _pages(
    ctx: RequestContext, viewing: Viewing, source: Related, given: tuple[bool, ...]
) -> DataLoader[PageKey, Page[Any]]:
    """One page per (parent, page arguments, filter values), for the filter arguments ``given``;
    one statement per batch of keys with the same page arguments, whatever the number of
    parents, rows or filter values (``fetch.merged_page_statement``)."""
    kind = KINDS[source.kind]
    path = source.coordinate if source.path else None
    where = _filtered(source, given)
    scoped = viewing.scope(kind, source.source, path)
    #: the parameters with a value per filter value (each branch of a merged statement's own)
    per_branch = frozenset(
        {PARENTS, *(FILTER.format(n) for n, is_given in enumerate(given) if is_given)}
    )

    def statements(args: PageArgs) -> PageStatements:
        descending, after, before, backward = shape = page_shape(args)
        return scoped.derive(
            ("pages", source, given, shape),
            lambda s: page_statements(
                where(s),
                source.parent,
                kind.key,
                descending=descending,
                after=after,
                before=before,
                backward=backward,
            ),
        )

    def merged(args: PageArgs) -> Callable[[int], Select[Any]]:
        def made(branches: int) -> Select[Any]:
            return scoped.derive(
                ("merged pages", source, given, page_shape(args), branches),
                lambda _s: merged_page_statement(statements(args).rows, branches, per_branch),
            )

        return made

    async def load(keys: list[PageKey]) -> list[Page[Any]]:
        with span(tracer, f"load {source.name}"):
            by_args: dict[PageArgs, dict[Filters, list[int]]] = defaultdict(
                lambda: defaultdict(list)
            )
            for parent_id, args, filters in keys:
                by_args[args][filters].append(parent_id)
            pages: dict[PageKey, PageRows] = {}
            columns: Mapping[str, int] = {}
            for args, by_filters in by_args.items():
                groups: list[PageGroup] = [
                    (_filter_params(filters), parent_ids)
                    for filters, parent_ids in by_filters.items()
                ]
                found, columns = await fetch_page_groups(
                    ctx.engine, statements(args), merged(args), viewing.params, groups, args
                )
                for filters, group in zip(by_filters, found, strict=True):
                    for parent_id, page in group.items():
                        pages[(parent_id, args, filters)] = page
            asked = [(pages[key], key[1]) for key in keys]
            all_rows = [row for page, _args in asked for row in page.rows]
            if not all_rows:
                made: Iterator[Any] = iter(())
                key_at = 0
            else:
                made = iter(await records_of(ctx, kind, all_rows, kind.layout(columns)))
                key_at = columns[KEY]
            return [
                Page(
                    records=[next(made) for _ in page.rows],
                    sort_keys=[row[key_at] for row in page.rows],
                    total=page.total,
                    has_next=page.has_next,
                    has_previous=page.has_previous,
                    args=args,
                )
                for page, args in asked
            ]

    return DataLoader(load_fn=load)


def _filter_params(filters: Filters) -> dict[str, Any]:
    """The parameters holding the values of the filter arguments given."""
    return {FILTER.format(n): value for n, value in enumerate(filters) if value is not None}


_EMBEDDED: dict[Embedded, Select[Any]] = {}


def _embedded_statement(source: Embedded) -> Select[Any]:
    """The rows of ``source`` for the parents in the parameter ``PARENTS`` (built once)."""
    stmt = _EMBEDDED.get(source)
    if stmt is None:
        stmt = _EMBEDDED[source] = (
            select(source.parent.label(PARENT_KEY), *source.columns)
            .where(in_ids(source.parent, ids_param(PARENTS)))
            .order_by(source.order_by)
        )
    return stmt


def _embedded_pages(ctx: RequestContext, source: Embedded) -> DataLoader[PageKey, Page[Any]]:
    """Pages of plumbing rows per (parent, page arguments): as ``_pages``, without a row scope
    of their own (they only appear under an authorised parent field)."""
    names = [column.name for column in source.columns]
    base = select(*source.columns)
    built: dict[tuple[bool, bool, bool, bool], PageStatements] = {}

    def statements(args: PageArgs) -> PageStatements:
        descending, after, before, backward = shape = page_shape(args)
        found = built.get(shape)
        if found is None:
            found = built[shape] = page_statements(
                base,
                source.parent,
                source.order_by,
                descending=descending,
                after=after,
                before=before,
                backward=backward,
            )
        return found

    async def load(keys: list[PageKey]) -> list[Page[Any]]:
        by_args: dict[PageArgs, list[int]] = defaultdict(list)
        for parent_id, args, _filters in keys:  # a plumbing connection has no filters
            by_args[args].append(parent_id)
        pages: dict[PageKey, PageRows] = {}
        columns: Mapping[str, int] = {}
        for args, parent_ids in by_args.items():
            found, columns = await fetch_pages(ctx.engine, statements(args), {}, parent_ids, args)
            for parent_id, page in found.items():
                pages[(parent_id, args, ())] = page
        at = [columns.get(name, 0) for name in names]
        key_at = columns.get(KEY, 0)
        return [
            Page(
                records=[
                    source.record(**{name: row[n] for name, n in zip(names, at, strict=True)})
                    for row in pages[key].rows
                ],
                sort_keys=[row[key_at] for row in pages[key].rows],
                total=pages[key].total,
                has_next=pages[key].has_next,
                has_previous=pages[key].has_previous,
                args=key[1],
            )
            for key in keys
        ]

    return DataLoader(load_fn=load)


def _embedded(ctx: RequestContext, source: Embedded) -> DataLoader[int, list[Any]]:
    """Rows that only appear under an authorised parent field: no row scope of their own, one
    statement per batch."""
    names = [column.name for column in source.columns]
    stmt = _embedded_statement(source)

    async def load(keys: list[int]) -> list[list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        if keys:
            for parent_id, *values in (await fetch(ctx.engine, stmt, {PARENTS: set(keys)})).rows:
                bucket = grouped[parent_id]
                if len(bucket) < LIST_BOUND:
                    bucket.append(source.record(**dict(zip(names, values, strict=True))))
        return [grouped.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


_p = t.people.c
_PERSON_STATES = select(_p.id, _p.processing_state).where(in_ids(_p.id, ids_param(IDS)))


def _person_states(ctx: RequestContext) -> DataLoader[int, ProcessingState | None]:
    """Processing state by person, asked only for people who did not resolve: it tells a
    restricted or erased author (shown as a pseudonym) from someone the viewer may not see."""

    async def load(keys: list[int]) -> list[ProcessingState | None]:
        found: dict[int, ProcessingState] = {}
        if keys:
            got = await fetch(ctx.engine, _PERSON_STATES, {IDS: set(keys)})
            found = {pk: ProcessingState(state) for pk, state in got.rows}
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """All loaders of one request, each made the first time it is asked for: most requests
    touch only a few."""

    __slots__ = (
        "_by_id",
        "_ctx",
        "_embedded",
        "_embedded_pages",
        "_lists",
        "_pages",
        "_person_states",
        "_viewing",
    )

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        self._viewing: Viewing | None = None
        self._by_id: dict[tuple[str, str | None], DataLoader[int, Any]] = {}
        self._lists: dict[str, DataLoader[int, list[Any]]] = {}
        self._pages: dict[tuple[str, tuple[bool, ...]], DataLoader[PageKey, Page[Any]]] = {}
        self._embedded: dict[str, DataLoader[int, list[Any]]] = {}
        self._embedded_pages: dict[str, DataLoader[PageKey, Page[Any]]] = {}
        self._person_states: DataLoader[int, ProcessingState | None] | None = None

    @property
    def viewing(self) -> Viewing:
        """The viewer's shape and values, worked out at the first statement."""
        if self._viewing is None:
            self._viewing = Viewing(self._ctx)
        return self._viewing

    def by_id(self, kind: str, path: str | None = None) -> DataLoader[int, Any]:
        """Records of the kind named ``kind`` by id; ``path``: reached through that field."""
        key = (kind, path)
        loader = self._by_id.get(key)
        if loader is None:
            loader = self._by_id[key] = _by_id(self._ctx, self.viewing, KINDS[kind], path)
        return loader

    def related_list(self, source: Related) -> DataLoader[int, list[Any]]:
        loader = self._lists.get(source.coordinate)
        if loader is None:
            loader = self._lists[source.coordinate] = _list(self._ctx, self.viewing, source)
        return loader

    def related_pages(
        self, source: Related, filters: Filters = ()
    ) -> DataLoader[PageKey, Page[Any]]:
        """Pages of ``source`` per parent and value of ``filters``: one loader for all values
        of the filter arguments given in ``filters`` (its keys hold the values), so a batch
        asking several (the same connection under several aliases) is one statement."""
        given = tuple(value is not None for value in filters)
        key = (source.coordinate, given)
        loader = self._pages.get(key)
        if loader is None:
            loader = self._pages[key] = _pages(self._ctx, self.viewing, source, given)
        return loader

    def embedded(self, source: Embedded) -> DataLoader[int, list[Any]]:
        loader = self._embedded.get(source.coordinate)
        if loader is None:
            loader = self._embedded[source.coordinate] = _embedded(self._ctx, source)
        return loader

    def embedded_pages(self, source: Embedded) -> DataLoader[PageKey, Page[Any]]:
        loader = self._embedded_pages.get(source.coordinate)
        if loader is None:
            loader = self._embedded_pages[source.coordinate] = _embedded_pages(self._ctx, source)
        return loader

    @property
    def person_states(self) -> DataLoader[int, ProcessingState | None]:
        if self._person_states is None:
            self._person_states = _person_states(self._ctx)
        return self._person_states


__all__ = ["Filters", "Loaders", "PageKey"]
