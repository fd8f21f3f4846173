"""Pseudonym labels for restricted and erased people (docs/privacy-actions.md, "Pseudonyms").

``label = HMAC-SHA-256(key, internal person id)``, shortened to 6 hex digits: stable per person
(a thread stays readable), not linkable back without the server's key (unlike a plain hash of an
id, which anyone can recompute), and unchanged after erasure, when nothing links the internal id
to a name any more.
"""

from __future__ import annotations

import hashlib
import hmac

LABEL_HEX_DIGITS = 6


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key

    @property
    def key(self) -> bytes:
        """The pseudonym key, which also keys the erased-identity digests (``store.identity``)."""
        return self._key

    def label(self, person_id: int) -> str:
        digest = hmac.new(self._key, str(person_id).encode(), hashlib.sha256).hexdigest()
        return digest[:LABEL_HEX_DIGITS].upper()

    def display_name(self, person_id: int) -> str:
        return f"Former user {self.label(person_id)}"
