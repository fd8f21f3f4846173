"""Page arguments and the cursor codec of every connection (``first``/``after``,
``last``/``before``, and the ordering).

A cursor is base64url of ``cursor:<connection>:<order>:<sort key>``: ``<connection>`` is the
field it came from (``Course.posts``), ``<order>`` ``asc`` or ``desc``. A cursor is only good
for the connection and the ordering that handed it out; given to another it is BAD_USER_INPUT.
Only the canonical spelling counts, as for ids (``config/ids.py``), so one position has one name.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass
from typing import Any

from config.errors import BadUserInputError
from config.ids import URLSAFE

ASCENDING, DESCENDING = "asc", "desc"
#: the most rows a plain list field (``Post.comments``, ``Course.teachers`` ...) answers per
#: parent; its connection beside it (``commentsConnection`` ...) pages through all of them
LIST_BOUND = 100


class Ordering(enum.Enum):
    """The ``orderBy`` of connections people read newest first; rows are ordered by id (their
    creation order), which is unique, so the order is stable."""

    NEWEST_FIRST = "NEWEST_FIRST"
    OLDEST_FIRST = "OLDEST_FIRST"


def descending_of(order: Any, default: bool) -> bool:
    """Whether a connection reads newest first: ``order`` as given (an ``Ordering`` or its
    name; None: the field's ``default``)."""
    if order is None:
        return default
    return Ordering(getattr(order, "value", order)) is Ordering.NEWEST_FIRST


def _order(descending: bool) -> str:
    return DESCENDING if descending else ASCENDING


def encode_cursor(sort_key: int, connection: str = "", descending: bool = False) -> str:
    # base64url without padding, in C calls only: one per edge in a response
    raw = f"cursor:{connection}:{_order(descending)}:{sort_key}".encode()
    return binascii.b2a_base64(raw, newline=False).translate(URLSAFE).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, connection: str = "", descending: bool = False) -> int | None:
    """The sort key of ``cursor``, which must come from ``connection`` read in that order."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        prefix, _, rest = raw.partition(":")
        if prefix != "cursor":
            raise ValueError(prefix)
        scope, _, key = rest.rpartition(":")
        sort_key = int(key)
        # Sort keys are 32-bit ids; a larger number would make the database driver fail.
        if not 0 <= sort_key <= 2**31 - 1:
            raise ValueError(key)
        if scope != f"{connection}:{_order(descending)}":
            raise BadUserInputError(
                f"'{cursor[:64]}' is a cursor of another connection or ordering"
            )
        if encode_cursor(sort_key, connection, descending) != cursor:
            raise ValueError(key)
        return sort_key
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInputError(f"'{cursor[:64]}' is not a valid cursor") from exc


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated page arguments of one connection field.

    ``first`` is the page size (``first``, or ``last`` when paging backwards), ``after`` and
    ``before`` the decoded cursors, ``backward`` whether ``last`` was given (the page is the
    last ``first`` rows before ``before``, or of the list), ``descending`` the ordering and
    ``connection`` the field the cursors belong to.
    """

    first: int
    after: int | None
    before: int | None = None
    backward: bool = False
    descending: bool = False
    connection: str = ""

    @classmethod
    def parse(
        cls,
        first: int | None,
        after: str | None,
        default: int,
        maximum: int,
        *,
        last: int | None = None,
        before: str | None = None,
        connection: str = "",
        descending: bool = False,
    ) -> PageArgs:
        if first is not None and last is not None:
            raise BadUserInputError("Give either 'first' or 'last', not both")
        backward = last is not None
        size = last if last is not None else first
        if size is None:
            size = default
        if size < 0 or size > maximum:
            name = "last" if backward else "first"
            raise BadUserInputError(f"'{name}' must be between 0 and {maximum}")
        return cls(
            first=size,
            after=decode_cursor(after, connection, descending),
            before=decode_cursor(before, connection, descending),
            backward=backward,
            descending=descending,
            connection=connection,
        )

    def cursor(self, sort_key: int) -> str:
        """The cursor of the row with ``sort_key`` in this connection and ordering."""
        return encode_cursor(sort_key, self.connection, self.descending)
