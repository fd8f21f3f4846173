"""``column IN <ids>`` with the whole list of ids bound as ONE parameter.

SQLAlchemy's ``column.in_([...])`` renders one placeholder per id when it executes, so a
statement's text changes with the length of the list: it is rendered anew every time (900 ids:
900 placeholders), and PostgreSQL prepares it anew. Here the list is one value:

* SQLite: ``column IN (SELECT value FROM json_each(?))``, the ids as a JSON array;
* PostgreSQL: ``column = ANY($1::INTEGER[])``, the ids as an array.

Both mean what ``IN (<ids>)`` means, also for an empty list (false) and a NULL column (NULL), so
a statement's text depends only on its shape and can be built once and reused
(``resolvers.scopes``), with the viewer's ids and the parents' keys as parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from sqlalchemy import Integer, String, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType, cloned_traverse
from sqlalchemy.types import Boolean, TypeDecorator, TypeEngine

E = TypeVar("E", bound=ClauseElement)
#: a list of ids as a statement takes it: bound (a parameter) or given (a one-off statement)
IdsArg = BindParameter[Any] | Collection[int]


class IdList(TypeDecorator[Collection[int]]):
    """A collection of integer ids as one bound value: an ``INTEGER[]`` on PostgreSQL, a JSON
    array (text) elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Integer))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Collection[int] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return list(value)
        # ints only (a bool or a str would be rendered as something else in JSON)
        return "[" + ",".join([str(int(v)) for v in value]) + "]"


ID_LIST = IdList()


def ids_param(name: str) -> BindParameter[Any]:
    """A required parameter ``name`` holding a list of ids (given when the statement runs)."""
    return bindparam(name, type_=ID_LIST, required=True)


class InIds(ColumnElement[bool]):
    """``column IN <ids>`` with ``ids`` one parameter (module docstring)."""

    __visit_name__ = "tavle_in_ids"
    inherit_cache = True
    # a membership test: rendered as such, never as ``(...) = 1`` on a backend without booleans
    _is_implicitly_boolean = True
    # SQLAlchemy declares this on its base as an instance attribute; a ClassVar clashes with it
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], ids: BindParameter[Any]) -> None:
        self.column = column
        self.ids = ids


def with_values(element: E, values: Mapping[str, Any]) -> E:
    """A copy of the expression ``element`` with its parameters named in ``values`` given those
    values: an expression built once with named parameters, for a statement of its own.
    (A statement takes its values when it runs, or from ``Select.params``.)"""

    def give(bind: BindParameter[Any]) -> None:
        if bind.key in values:
            bind.value = values[bind.key]
            bind.required = False

    return cloned_traverse(
        element, {"maintain_key": True, "detect_subquery_cols": True}, {"bindparam": give}
    )


def in_ids(column: ColumnElement[Any], ids: IdsArg) -> ColumnElement[bool]:
    """``column IN ids``: ``ids`` a parameter (``ids_param``) or the ids themselves (bound as
    one anonymous parameter)."""
    if not isinstance(ids, BindParameter):
        ids = bindparam(None, value=list(ids), type_=ID_LIST, unique=True)
    return InIds(column, ids)


@compiles(InIds)
def _in_json_array(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.ids, **kw)}))"


@compiles(InIds, "postgresql")
def _in_array(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"
