"""Page arguments and the cursor codec of every connection (``first``/``after``).

A cursor is base64url of ``cursor:<sort key>``; only the canonical spelling counts, as for ids
(``config/ids.py``), so one position has one name.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from config.errors import BadUserInputError
from config.ids import URLSAFE


def encode_cursor(sort_key: int) -> str:
    # base64url without padding, in C calls only: one per edge in a response
    raw = f"cursor:{sort_key}".encode()
    return binascii.b2a_base64(raw, newline=False).translate(URLSAFE).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        prefix, _, key = raw.partition(":")
        if prefix != "cursor":
            raise ValueError(prefix)
        sort_key = int(key)
        # Sort keys are 32-bit ids; a larger number would make the database driver fail.
        if not 0 <= sort_key <= 2**31 - 1 or encode_cursor(sort_key) != cursor:
            raise ValueError(key)
        return sort_key
    except ValueError as exc:
        raise BadUserInputError(f"'{cursor[:64]}' is not a valid cursor") from exc


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated ``first``/``after`` of one connection field."""

    first: int
    after: int | None

    @classmethod
    def parse(cls, first: int | None, after: str | None, default: int, maximum: int) -> PageArgs:
        if first is None:
            first = default
        if first < 0 or first > maximum:
            raise BadUserInputError(f"'first' must be between 0 and {maximum}")
        return cls(first=first, after=decode_cursor(after))
