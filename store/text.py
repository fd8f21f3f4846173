"""Case-insensitive text matching that means the same on SQLite and PostgreSQL.

``folded(column)`` is ``lower(column)`` on PostgreSQL (Unicode-aware in a UTF-8 database) and a
function of our own on SQLite (``store.db`` registers it on every connection: Python's
``str.lower``), whose built-in ``lower()`` folds ASCII letters only. ``contains_pattern``
makes the LIKE pattern of a search text, folded the same way, its wildcards escaped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: the SQLite function ``store.db`` registers
FOLD_FUNCTION = "tavle_fold"
#: the escape character of ``contains_pattern``
LIKE_ESCAPE = "\\"


class folded(FunctionElement[str]):  # noqa: N801 - an SQL function, named like one
    """The text of a column, lower-cased the same way on both backends."""

    type = String()
    name = "folded"
    inherit_cache = True


@compiles(folded)
def _folded_default(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{FOLD_FUNCTION}({compiler.process(element.clauses, **kw)})"


def contains_pattern(text: str) -> str:
    """The LIKE pattern (escape ``LIKE_ESCAPE``) matching folded text that contains ``text``."""
    escaped = (
        text.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def matches(column: ColumnElement[Any], pattern: ColumnElement[Any]) -> ColumnElement[bool]:
    """``column`` folded contains the text of ``pattern`` (a ``contains_pattern``)."""
    return folded(column).like(pattern, escape=LIKE_ESCAPE)


__all__ = ["FOLD_FUNCTION", "LIKE_ESCAPE", "contains_pattern", "folded", "matches"]
