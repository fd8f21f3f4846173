"""Row scopes: the rows of a kind (``resolvers.kinds``) the viewer may see.

``visible()`` compiles the policy's ``see`` lines for a kind into one WHERE clause for the
current viewer, so an object the viewer may not see never leaves the database. Every read path
(lookups by id, lists, nested connections, ``node``) goes through a scope; there is no unscoped
query for a guarded kind in ``resolvers``.

A field may widen the rows of its kind it reaches: ``see`` lines on the field's coordinate
(``p, conversation_fellow, Message.author, see``) grant rows reached through that field only,
on top of the kind's own ``see`` lines. ``path`` names the field.

The clause depends on the viewer only through their shape (``authz.relations.ViewerShape``:
sysadmin or not, which id sets are empty); their ids are parameters. So the loaders' statements
are built once per shape (``scope``, ``Scope.derive``) and run with the viewer's values
(``viewer_params``), while ``visible`` and ``scoped_select`` give the same clause with the
values bound, for a statement of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, FromClause, Select, and_, false, or_, select, true

from authz.policy import Policy
from authz.relations import (
    BASE_RELATIONS,
    IdSet,
    ViewerShape,
    ids_read,
    relation_template,
    viewer_params,
)
from authz.viewer import Viewer
from resolvers.kinds import Kind
from store.idlists import with_values


class ScopeContext(Protocol):
    """What a row scope needs: the viewer and the policy."""

    @property
    def viewer(self) -> Viewer | None: ...

    @property
    def policy(self) -> Policy: ...


def granting(kind: Kind, policy: Policy, path: str | None = None) -> frozenset[str]:
    """The relations that let a viewer see rows of ``kind`` (reached through ``path``)."""
    found = policy.granting_relations(kind.type_name, "see", BASE_RELATIONS)
    if path is not None:
        found |= policy.granting_relations(path, "see", BASE_RELATIONS)
    return found


def _visible(
    kind: Kind, relations: frozenset[str], viewer: ViewerShape | None
) -> ColumnElement[bool]:
    """The WHERE clause "the viewer may see this row" for every viewer of the shape ``viewer``
    granted ``relations``, the viewer's ids as parameters (``authz.relations.viewer_params``)."""
    if viewer is None:
        return false()
    conditions: list[ColumnElement[bool]] = []
    if kind.always is not None:
        conditions.append(kind.always)
    if "sysadmin" in relations and viewer.is_sysadmin:
        clauses: list[ColumnElement[bool]] = [true()]
    else:
        clauses = [
            clause
            for rel in sorted(relations)
            if (clause := relation_template(rel, viewer, kind.facts)) is not None
        ]
    conditions.append(or_(*clauses) if clauses else false())
    return and_(true(), *conditions)


def visible(kind: Kind, ctx: ScopeContext, path: str | None = None) -> ColumnElement[bool]:
    """The WHERE clause "the viewer may see this row" for ``kind``: the scope of the kind, with
    the viewer's values bound (for a statement of its own)."""
    viewer = ctx.viewer
    if viewer is None:
        return false()
    clause = _visible(kind, granting(kind, ctx.policy, path), ViewerShape.of(viewer))
    return with_values(clause, viewer_params(viewer))


S = TypeVar("S")


class Scope:
    """``SELECT <kind's columns and facts> FROM <source> WHERE <visible>`` for every viewer of
    one shape (``authz.relations.ViewerShape``), their ids as parameters: built once per kind,
    source, path, granting relations and shape (``scope``), run with ``viewer_params``.

    The statements made from it (a page per parent, rows by id ...) are built once too
    (``derive``): a request builds no SQL expression and SQLAlchemy compiles each statement
    once, whatever the viewer.
    """

    __slots__ = ("_derived", "kind", "stmt")

    def __init__(self, kind: Kind, stmt: Select[*tuple[Any, ...]]) -> None:
        self.kind = kind
        self.stmt = stmt
        self._derived: dict[Hashable, Any] = {}

    def derive(self, key: Hashable, build: Callable[[Select[*tuple[Any, ...]]], S]) -> S:
        """``build(stmt)``, made the first time ``key`` is asked for. ``key`` must name all
        that ``build`` puts into the statement besides parameters."""
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = build(self.stmt)
        return found


@lru_cache(maxsize=1024)
def _scope(
    kind: Kind,
    source: FromClause | None,
    path: str | None,
    relations: frozenset[str],
    viewer: ViewerShape | None,
) -> Scope:
    stmt = (
        select(*kind.selected)
        .select_from(source if source is not None else kind.source)
        .where(_visible(kind, relations, viewer))
    )
    return Scope(kind, stmt)


def scope(
    kind: Kind,
    ctx: ScopeContext,
    source: FromClause | None = None,
    path: str | None = None,
    viewer: ViewerShape | None = None,
) -> Scope:
    """The row scope of ``kind`` for the viewer's shape (``viewer``: worked out from
    ``ctx.viewer`` when not given); run its statements with ``viewer_params(ctx.viewer)``.
    ``source`` replaces the kind's own (a join through a link table)."""
    if viewer is None and ctx.viewer is not None:
        viewer = ViewerShape.of(ctx.viewer)
    relations = granting(kind, ctx.policy, path)
    if viewer is not None:
        # viewers who differ only in what this row rule does not read share its statements
        viewer = viewer.within(_ids_read(kind, relations), "sysadmin" in relations)
    return _scope(kind, source, path, relations, viewer)


@lru_cache(maxsize=1024)
def _ids_read(kind: Kind, relations: frozenset[str]) -> frozenset[IdSet]:
    return ids_read(relations, kind.facts)


def scoped_select(
    kind: Kind, ctx: ScopeContext, source: FromClause | None = None, path: str | None = None
) -> Select[*tuple[Any, ...]]:
    """``SELECT <kind's columns and facts> FROM <source> WHERE <visible>`` with the viewer's
    values bound; callers add their own filters. ``source`` replaces the kind's own (a join
    through a link table)."""
    stmt = scope(kind, ctx, source, path).stmt
    return stmt if ctx.viewer is None else stmt.params(viewer_params(ctx.viewer))


def diagnostic_select(kind: Kind) -> Select[*tuple[Any, ...]]:
    """The rows of ``kind`` within its ``always`` condition, *without* the row rule.

    Not a read path: ``tavle explain`` uses it to show the facts of an object the viewer may
    not see, and the engine tests to compare the two forms of each relation on every row.
    """
    stmt = select(*kind.selected).select_from(kind.source)
    return stmt if kind.always is None else stmt.where(kind.always)
