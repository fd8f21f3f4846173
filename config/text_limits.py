"""What any stored text must satisfy, and the limits of the texts more than one layer takes.

The API's inputs are checked in ``resolvers.services.input_limits`` (docs/security.md, "Input
limits"); the command line's (``tavle roster allow-recreate``, ``roster.maintenance``) by the same
rules from here, below both.
"""

from __future__ import annotations

import re

#: the justification of a privacy action, a course deletion or ``roster allow-recreate``
JUSTIFICATION = 2_000
#: a roster sourcedId given on the command line (VARCHAR(255))
SOURCED_ID = 255

#: what no database column can store: NUL, and UTF-16 surrogates (only valid in pairs, which a
#: Python string never holds: a pair decodes to one code point)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str, limit: int) -> str | None:
    """Why ``value`` cannot be stored under ``limit``, or None if it can."""
    if len(value) > limit:
        return f"is longer than {limit} characters"
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        if bad.group() == "\x00":
            return "contains a NUL character (U+0000), which cannot be stored"
        return f"contains a lone surrogate (U+{ord(bad.group()):04X}), which is not valid Unicode"
    return None
