"""In-app notifications in the recipient's language (``config.language``).

Every notification Tavle writes has a kind with a text in each language here; the text is
chosen when the notification is written, by the recipient's stored preference (Bokmål when
they have none: there is no request of theirs to read a header from). Texts never carry personal
data: they name no person, grade, comment or message body; parameters are ids and dates only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from config import clock
from config.language import LANGUAGES, choose
from resolvers.events import Event, Topic
from resolvers.services.actor import inserted_id
from store import tables as t
from store.idlists import in_ids

#: kind -> language -> text (``str.format`` fields filled from ``notify``'s ``params``)
TEXTS: Mapping[str, Mapping[str, str]] = {
    "RESTRICTION_LIFTED": {
        "nb": "Begrensningen av behandlingen av personopplysningene dine er opphevet. "
        "Opplysningene dine er i vanlig bruk igjen.",
        "en": "The restriction of processing of your personal data has been lifted. "
        "Your data is in normal use again.",
    },
    "ASSESSMENT_CORRECTED": {
        "nb": "En vurdering av deg er rettet.",
        "en": "An assessment of yours has been corrected.",
    },
    "ASSESSMENT_WITHDRAWN": {
        "nb": "En vurdering av deg er trukket tilbake.",
        "en": "An assessment of yours has been withdrawn.",
    },
    "SUBMISSION_RETURNED": {
        "nb": "En besvarelse av deg er sendt tilbake til deg: du kan levere den på nytt.",
        "en": "An answer of yours has been returned to you: you may submit it again.",
    },
}


def text(kind: str, language: str, **params: str) -> str:
    """The text of ``kind`` in ``language``; KeyError for a kind without texts."""
    return TEXTS[kind][language].format(**params)


async def languages_of(conn: AsyncConnection, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's notification language (their preference, else Bokmål)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    p = t.people.c
    rows = await conn.execute(select(p.id, p.preferred_language).where(in_ids(p.id, ids)))
    return {row.id: choose(row.preferred_language) for row in rows}


async def notify(
    conn: AsyncConnection, person_ids: Iterable[int], kind: str, **params: str
) -> list[Event]:
    """Write one notification of ``kind`` per person, each in that person's language; the
    events to publish (``resolvers.events.publish``) once the transaction has committed."""
    if kind not in TEXTS or set(TEXTS[kind]) != set(LANGUAGES):
        raise KeyError(f"notification kind {kind!r} has no text in every language")
    events: list[Event] = []
    at = clock.now()
    for person_id, language in (await languages_of(conn, person_ids)).items():
        result = await conn.execute(
            t.notifications.insert().values(
                person_id=person_id,
                kind=kind,
                message=text(kind, language, **params),
                created_at=at,
            )
        )
        events.append(Event(Topic.NOTIFICATION, inserted_id(result), person_id))
    return events
