"""Languages in the API (``config.language``): the ``Language`` enum, a person's
``preferredLanguage`` and ``setPreferredLanguage``."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from config.ids import not_found
from config.language import BOKMAAL, ENGLISH, LANGUAGES
from resolvers.context import Info
from resolvers.loaders import Loaders
from resolvers.records import PseudonymRecord, UserRecord
from resolvers.services import language as language_service
from schema.registry import to_object

if TYPE_CHECKING:
    from schema.user import User

#: ``schema.user`` reads ``preferred_language`` from here: the type is named lazily
UserT = Annotated["User", strawberry.lazy("schema.user")]


@strawberry.enum(
    description="A language Tavle gives its own words in: NB Norwegian Bokmål (the default), "
    "EN English."
)
class Language(Enum):
    NB = BOKMAAL
    EN = ENGLISH


def language_of(code: str | None) -> Language | None:
    """The enum member of a stored language code (None for none, and for a code Tavle does not
    have: a value written by hand into the database is not an error for the reader)."""
    return Language(code) if code in LANGUAGES else None


def preferred_language(record: UserRecord | PseudonymRecord) -> Language | None:
    """``User.preferredLanguage``: a stand-in has none."""
    if isinstance(record, PseudonymRecord):
        return None
    return language_of(record.preferred_language)


@strawberry.type
class LanguageMutation:
    @strawberry.mutation(
        description="Choose the language Tavle's own words are given to you in: "
        "notifications and the privacy notice (null: none chosen, then the browser's "
        "Accept-Language decides, else Bokmål). Your own only."
    )
    async def set_preferred_language(self, info: Info, language: Language | None = None) -> UserT:
        code = None if language is None else language.value
        ctx = info.context
        person_id = await language_service.set_preferred_language(ctx.actor(), code)
        ctx.preferred_language = code
        ctx.loaders = Loaders(ctx)  # anything read before in this request was read before it
        found = await ctx.loaders.by_id("User").load(person_id)
        if found is None:  # pragma: no cover - the viewer is an active person
            raise not_found("User", str(person_id))
        user: User = to_object(found)
        return user
