"""The languages people read Tavle's own words in: Norwegian Bokmål (the default) and English.

A person's stored preference wins; without one, a request's ``Accept-Language`` header chooses
(RFC 9110 quality values; ``nb``, ``no`` and ``nn`` read as Bokmål, any ``en-*`` as English);
without either, Bokmål.
"""

from __future__ import annotations

from typing import Final

BOKMAAL: Final = "nb"
ENGLISH: Final = "en"
LANGUAGES: Final = (BOKMAAL, ENGLISH)
DEFAULT: Final = BOKMAAL
_ALIASES: Final = {"nb": BOKMAAL, "no": BOKMAAL, "nn": BOKMAAL, "en": ENGLISH}


def from_accept_language(header: str | None) -> str | None:
    """The best supported language an ``Accept-Language`` header asks for, or None."""
    if not header:
        return None
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        language = _ALIASES.get(primary)
        if language is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or quality > 1:
            continue
        # higher quality first; among equals the one the client listed first
        if best is None or (quality, -position) > (best[0], best[1]):
            best = (quality, -position, language)
    return best[2] if best else None


def choose(preference: str | None, accept_language: str | None = None) -> str:
    """The language to use: the stored preference, else the header's choice, else Bokmål."""
    if preference in LANGUAGES:
        return preference
    return from_accept_language(accept_language) or DEFAULT
