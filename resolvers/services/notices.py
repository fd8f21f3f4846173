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
from store.tables import ProcessingState, Role

#: kind -> language -> text (``str.format`` fields filled from ``notify``'s ``params``)
TEXTS: Mapping[str, Mapping[str, str]] = {
    # the daily notice to system administrators (resolvers/services/retention_notice.py): how
    # many people the recycle bin holds whose retention has expired, no one named
    "RETENTION_EXPIRED": {
        "nb": "Lagringstiden er ute for {count} personer i papirkurven. "
        "Papirkurven kan tømmes i personvernverktøyet.",
        "en": "The retention period has expired for {count} people in the recycle bin. "
        "The recycle bin can be emptied in the privacy tool.",
    },
    "RESTRICTION_LIFTED": {
        "nb": "Begrensningen av behandlingen av personopplysningene dine er opphevet. "
        "Opplysningene dine er i vanlig bruk igjen.",
        "en": "The restriction of processing of your personal data has been lifted. "
        "Your data is in normal use again.",
    },
    "ASSESSMENT_CORRECTED": {
        "nb": "En vurdering av deg er blitt rettet.",
        "en": "An assessment of yours has been corrected.",
    },
    "ASSESSMENT_WITHDRAWN": {
        "nb": "En vurdering av deg er trukket tilbake.",
        "en": "An assessment of yours has been withdrawn.",
    },
    # Data requests (docs/data-requests.md): to the person who asked, and the daily reminder to
    # system administrators. Parameters: dates (YYYY-MM-DD) and counts only.
    "DATA_REQUEST_RECEIVED": {
        "nb": "Vi har mottatt henvendelsen din om personopplysninger. Du får svar innen {due}.",
        "en": "We have received your request about personal data. You will have an answer "
        "by {due}.",
    },
    "DATA_REQUEST_ACCEPTED": {
        "nb": "Henvendelsen din om personopplysninger er godtatt, og vi behandler den nå.",
        "en": "Your request about personal data has been accepted and is being handled.",
    },
    "DATA_REQUEST_REJECTED": {
        "nb": "Henvendelsen din om personopplysninger er avslått. Du kan se begrunnelsen i "
        "henvendelsen. Du kan klage til Datatilsynet.",
        "en": "Your request about personal data has been refused. The reason is shown with "
        "the request. You may complain to the Norwegian Data Protection Authority.",
    },
    "DATA_REQUEST_EXTENDED": {
        "nb": "Fristen for å svare på henvendelsen din om personopplysninger er forlenget til "
        "{due}. Du kan se begrunnelsen i henvendelsen.",
        "en": "The deadline for answering your request about personal data has been extended "
        "to {due}. The reason is shown with the request.",
    },
    "DATA_REQUEST_COMPLETED": {
        "nb": "Henvendelsen din om personopplysninger er ferdig behandlet.",
        "en": "Your request about personal data has been completed.",
    },
    "DATA_EXPORT_RELEASED": {
        "nb": "Innsynsfilen du ba om, er klar til nedlasting til og med {expires}.",
        "en": "The copy of your data that you asked for can be downloaded until {expires}.",
    },
    "DATA_REQUESTS_REMINDER": {
        "nb": "Henvendelser om personopplysninger: {overdue} har passert fristen, og {soon} har "
        "frist innen sju dager.",
        "en": "Requests about personal data: {overdue} are past their deadline and {soon} are "
        "due within seven days.",
    },
    "SUBMISSION_RETURNED": {
        "nb": "En besvarelse du har levert, er sendt tilbake til deg. Du kan levere den på nytt.",
        "en": "An answer you submitted has been returned to you. You may submit it again.",
    },
    # notifyAffected (resolvers/services/incidents.py, docs/incidents.md): the date a breach
    # was detected, nothing about what happened or who is involved
    "INCIDENT_AFFECTED": {
        "nb": "Personopplysninger om deg kan være berørt av et sikkerhetsbrudd som ble oppdaget "
        "{detected}. Skolen har satt i verk tiltak. Ta kontakt med skolen eller "
        "personvernombudet hvis du har spørsmål.",
        "en": "Personal data about you may have been affected by a security breach detected on "
        "{detected}. The school has taken measures. Contact the school or the data protection "
        "officer if you have questions.",
    },
    "INCIDENT_AFFECTED_CHILD": {
        "nb": "Personopplysninger om et barn du er foresatt for, kan være berørt av et "
        "sikkerhetsbrudd som ble oppdaget {detected}. Skolen har satt i verk tiltak. Ta kontakt "
        "med skolen eller personvernombudet hvis du har spørsmål.",
        "en": "Personal data about a child in your care may have been affected by a security "
        "breach detected on {detected}. The school has taken measures. Contact the school or "
        "the data protection officer if you have questions.",
    },
    "INCIDENT_AFFECTED_SELF_AND_CHILD": {
        "nb": "Personopplysninger om deg og om et barn du er foresatt for, kan være berørt av et "
        "sikkerhetsbrudd som ble oppdaget {detected}. Skolen har satt i verk tiltak. Ta kontakt "
        "med skolen eller personvernombudet hvis du har spørsmål.",
        "en": "Personal data about you and about a child in your care may have been affected by "
        "a security breach detected on {detected}. The school has taken measures. Contact the "
        "school or the data protection officer if you have questions.",
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


async def active_administrators(conn: AsyncConnection) -> list[int]:
    """The system administrators who receive the daily notices: enabled and not restricted."""
    ra, p = t.role_assignments.c, t.people.c
    found = await conn.execute(
        select(ra.person_id)
        .join(t.people, p.id == ra.person_id)
        .where(
            ra.role == Role.SYSTEM_ADMINISTRATOR,
            p.processing_state == ProcessingState.ACTIVE,
            p.enabled.is_(True),
        )
        .distinct()
    )
    return list(found.scalars())


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
