"""Opaque global ids (Relay): base64url of ``Type:internal-id``.

The same person has the same id in every query. Pseudonymised stand-ins get ids of their own
type (``Pseudonym:label``) so a stand-in never carries the real id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from operator import attrgetter
from typing import Any, cast

import strawberry

from config.errors import BadUserInputError, NotFoundError

#: Internal ids are positive 32-bit integers (``Integer`` primary keys). Anything outside that
#: range is not one of ours, and would make the database driver fail (an internal error).
MAX_LOCAL_ID = 2**31 - 1


#: base64's alphabet to base64url's
URLSAFE = bytes.maketrans(b"+/", b"-_")


def to_global_id(type_name: str, local_id: int | str) -> strawberry.ID:
    # base64url without padding, in C calls only: one per object in a response
    raw = f"{type_name}:{local_id}".encode()
    encoded = binascii.b2a_base64(raw, newline=False).translate(URLSAFE).rstrip(b"=").decode()
    return cast(strawberry.ID, encoded)


def global_ids_of(type_name: str, key: str = "pk") -> Callable[[Any], str]:
    """``to_global_id`` of ``type_name`` and an object's integer attribute ``key``, the
    prefix encoded once (one call per object in a response: the schema's ``id`` fields)."""
    template = type_name.encode() + b":%d"
    b2a = binascii.b2a_base64
    read = attrgetter(key)

    def global_id(found: Any) -> str:
        raw = template % read(found)
        return b2a(raw, newline=False).translate(URLSAFE).rstrip(b"=").decode()

    return global_id


def from_global_id(global_id: str) -> tuple[str, int]:
    """Decode ``global_id``; raise a BAD_USER_INPUT error for anything that is not one of ours.

    Only the canonical form counts, exactly as ``to_global_id`` writes it: base64 tolerates
    stray characters, padding and other spellings of the same bytes, and ``int`` tolerates
    ``0015``, `` 15``, ``+15``, ``1_5`` and other scripts' digits; each of those would be a
    second name for the same object (docs/interfaces.md, "Ids").
    """
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        type_name, _, local = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        pk = int(local)
        if not 0 < pk <= MAX_LOCAL_ID or to_global_id(type_name, pk) != global_id:
            raise ValueError(local)
        return type_name, pk
    except (binascii.Error, ValueError) as exc:  # UnicodeError is a ValueError
        raise BadUserInputError(
            f"'{global_id[:64]}' is not a valid id: send ids exactly as the API gave them"
        ) from exc


#: the type of a pseudonymised stand-in's id (``Pseudonym:<label>``, ``authz.pseudonyms``)
PSEUDONYM_TYPE = "Pseudonym"


def pseudonym_label(global_id: str) -> str | None:
    """The label of a stand-in's id exactly as the API writes it (``Pseudonym:<6 hex digits>``),
    or None for any other string."""
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, ValueError):
        return None
    type_name, _, label = raw.partition(":")
    if (
        type_name != PSEUDONYM_TYPE
        or len(label) != 6
        or any(c not in "0123456789ABCDEF" for c in label)
        or to_global_id(PSEUDONYM_TYPE, label) != global_id
    ):
        return None
    return label


def expect_id(global_id: str, type_name: str) -> int:
    """The internal id behind ``global_id`` if it names a ``type_name``; else NOT_FOUND."""
    found_type, local = from_global_id(global_id)
    if found_type != type_name:
        raise not_found(type_name, global_id)
    return local


def not_found(type_name: str, global_id: str) -> NotFoundError:
    return NotFoundError(f"No {type_name} with id '{global_id[:64]}' is visible to you")
