"""A person's language (``config.language``): the one they read notifications and the privacy
notice in, chosen by themselves only."""

from __future__ import annotations

from sqlalchemy import update

from authz.relations import Facts
from config.language import LANGUAGES
from resolvers.errors import bad_input
from resolvers.services.actor import Actor
from store import tables as t

#: the audit action of ``setPreferredLanguage``; the entry names the person, never the language
SET_PREFERRED_LANGUAGE = "SET_PREFERRED_LANGUAGE"


async def set_preferred_language(actor: Actor, language: str | None) -> int:
    """Store the viewer's language (None clears it); their person id. Notifications written
    from now on are in it; those already written stay as they were."""
    if language is not None and language not in LANGUAGES:
        raise bad_input(f"'language' must be one of {', '.join(LANGUAGES)}")
    me = actor.viewer.person_id
    actor.require(Facts(owner=me), "Mutation.setPreferredLanguage", "your language is your own")
    async with actor.engine.begin() as conn:
        p = t.people.c
        await conn.execute(update(t.people).where(p.id == me).values(preferred_language=language))
        await actor.audit(conn, SET_PREFERRED_LANGUAGE, "User", me, subject_id=me)
    return me
