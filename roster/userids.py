"""The list-valued fields of users.csv: ``userIds`` and ``agentSourcedIds``."""

from __future__ import annotations

import re


class MalformedError(ValueError):
    """Why a field could not be parsed; the reason never contains the field's value."""


def parse_user_ids(text: str) -> list[tuple[str, str]]:
    """Parse ``{type:identifier},{type:identifier}`` into (type, identifier) pairs.

    Strict on purpose: a half-parsed list could silently drop the national id number. The first
    colon separates type and identifier, so an identifier may itself contain colons.
    """
    entries: list[tuple[str, str]] = []
    text = text.strip()
    if not text:
        return entries
    i = 0
    while True:
        number = len(entries) + 1
        if text[i] != "{":
            raise MalformedError(f"entry {number} does not start with '{{'")
        close = text.find("}", i + 1)
        if close < 0:
            raise MalformedError(f"entry {number} has no closing '}}'")
        inner = text[i + 1 : close]
        if "{" in inner:
            raise MalformedError(f"entry {number} has unbalanced braces")
        kind, colon, identifier = inner.partition(":")
        kind, identifier = kind.strip(), identifier.strip()
        if not colon:
            raise MalformedError(f"entry {number} has no ':' between type and identifier")
        if not kind:
            raise MalformedError(f"entry {number} has an empty type")
        if not identifier:
            raise MalformedError(f"entry {number} has an empty identifier")
        entries.append((kind, identifier))
        i = close + 1
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return entries
        if text[i] != ",":
            raise MalformedError(f"expected ',' after entry {number}")
        i += 1
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            raise MalformedError(f"trailing ',' after entry {number}")


_AGENT_SEPARATOR = re.compile(r"[;,]")


def parse_agents(text: str) -> tuple[str, ...]:
    """Split ``agentSourcedIds`` on ``;`` or ``,``; blanks are dropped, order kept, no repeats."""
    agents = (part.strip() for part in _AGENT_SEPARATOR.split(text))
    return tuple(dict.fromkeys(agent for agent in agents if agent))
