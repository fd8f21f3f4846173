"""The languages people read Tavle's own words in: Norwegian Bokmål (the default) and English.

A person's stored preference wins; without one, a request's ``Accept-Language`` header chooses
(RFC 9110 quality values; ``nb``, ``no`` and ``nn`` read as Bokmål, any ``en-*`` as English);
without either, Bokmål. Nynorsk readers get Bokmål rather than English: it is the written
Norwegian closest to theirs that Tavle has.
"""

from __future__ import annotations

import re
from typing import Final

BOKMAAL: Final = "nb"
ENGLISH: Final = "en"
LANGUAGES: Final = (BOKMAAL, ENGLISH)
DEFAULT: Final = BOKMAAL
_ALIASES: Final = {"nb": BOKMAAL, "no": BOKMAAL, "nn": BOKMAAL, "en": ENGLISH}
#: at most this many entries of a header are looked at (a header is the client's to make long)
_MAX_ENTRIES: Final = 32
#: an RFC 9110 qvalue: 0 to 1 with at most three decimals (no exponent, sign, nan or inf)
_QVALUE: Final = re.compile(r"0(?:\.\d{0,3})?|1(?:\.0{0,3})?")


def _quality(params: str) -> float | None:
    """The ``q`` of an entry's parameters (1 without one); None for a malformed one, which
    leaves the entry out rather than guessing what the client meant."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else None
    return 1.0


def from_accept_language(header: str | None) -> str | None:
    """The best supported language an ``Accept-Language`` header asks for, or None (no header,
    or none of its languages is one Tavle has; ``*`` names none in particular).

    The entry with the highest quality wins; among equal ones, the one the client listed first.
    An entry with ``q=0`` ("not this one") or a malformed quality is left out."""
    if not header:
        return None
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",", _MAX_ENTRIES)[:_MAX_ENTRIES]):
        tag, _, params = part.strip().partition(";")
        # ``en_GB`` is not a language tag, but some clients send it
        primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
        language = _ALIASES.get(primary)
        if language is None:
            continue
        quality = _quality(params)
        if quality is None or quality <= 0:
            continue
        if best is None or (quality, -position) > (best[0], best[1]):
            best = (quality, -position, language)
    return best[2] if best else None


def pick(preference: str | None, requested: str | None) -> str:
    """The language to use: the stored ``preference``, else ``requested`` (a language a request
    asked for, already read from its header), else Bokmål; unknown values count as none."""
    if preference in LANGUAGES:
        return preference
    if requested in LANGUAGES:
        return requested
    return DEFAULT


def choose(preference: str | None, accept_language: str | None = None) -> str:
    """The language to use: the stored preference, else the header's choice, else Bokmål."""
    return pick(preference, from_accept_language(accept_language))
