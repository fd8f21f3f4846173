"""Row scopes: the rows of a kind (``resolvers.kinds``) the viewer may see.

``visible()`` compiles the policy's ``see`` lines for a kind into one WHERE clause for the
current viewer, so an object the viewer may not see never leaves the database. Every read path
(lookups by id, lists, nested connections, ``node``) goes through a scope; there is no unscoped
query for a guarded kind in ``resolvers``.

A field may widen the rows of its kind it reaches: ``see`` lines on the field's coordinate
(``p, conversation_fellow, Message.author, see``) grant rows reached through that field only,
on top of the kind's own ``see`` lines. ``path`` names the field.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, FromClause, Select, and_, false, or_, select, true

from authz.policy import Policy
from authz.relations import BASE_RELATIONS, relation_clause
from authz.viewer import Viewer
from resolvers.kinds import Kind


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


def visible(kind: Kind, ctx: ScopeContext, path: str | None = None) -> ColumnElement[bool]:
    """The WHERE clause "the viewer may see this row" for ``kind``: the scope of the kind."""
    conditions: list[ColumnElement[bool]] = []
    if kind.always is not None:
        conditions.append(kind.always)
    viewer = ctx.viewer
    if viewer is None:
        return false()
    relations = granting(kind, ctx.policy, path)
    if "sysadmin" in relations and viewer.is_sysadmin:
        clauses: list[ColumnElement[bool]] = [true()]
    else:
        clauses = [
            clause
            for rel in sorted(relations)
            if (clause := relation_clause(rel, viewer, kind.facts)) is not None
        ]
    conditions.append(or_(*clauses) if clauses else false())
    return and_(true(), *conditions)


def scoped_select(
    kind: Kind, ctx: ScopeContext, source: FromClause | None = None, path: str | None = None
) -> Select[*tuple[Any, ...]]:
    """``SELECT <kind's columns and facts> FROM <source> WHERE <visible>``; callers add their
    own filters. ``source`` replaces the kind's own (a join through a link table)."""
    return (
        select(*kind.selected)
        .select_from(source if source is not None else kind.source)
        .where(visible(kind, ctx, path))
    )


def diagnostic_select(kind: Kind) -> Select[*tuple[Any, ...]]:
    """The rows of ``kind`` within its ``always`` condition, *without* the row rule.

    Not a read path: ``tavle explain`` uses it to show the facts of an object the viewer may
    not see, and the engine tests to compare the two forms of each relation on every row.
    """
    stmt = select(*kind.selected).select_from(kind.source)
    return stmt if kind.always is None else stmt.where(kind.always)
