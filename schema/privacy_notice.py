"""The public privacy notice (GDPR art. 13/14), in Norwegian Bokmål and English.

Its values come from configuration (``TAVLE_PRIVACY_NOTICE__*`` in English,
``TAVLE_PRIVACY_NOTICE_NB__*`` in Bokmål; a field configured in one language only is shown in
both, rather than the other language's shipped default, which would name another controller),
the retention periods from the retention registry (``store.privacy.retention``). The language
is the one asked for, else the request's (``RequestContext.language``: the viewer's stored
preference, else ``Accept-Language``, else Bokmål).
"""

from __future__ import annotations

from collections.abc import Mapping

import strawberry

from config.language import BOKMAAL, ENGLISH
from config.settings import Settings
from schema.language import Language
from store.privacy.base import DataCategory
from store.privacy.retention import Duration, RetentionRegistry, retention_registry


@strawberry.type
class PrivacyNotice:
    controller: str
    data_protection_officer: str
    purposes: list[str]
    legal_basis: str
    categories: list[str]
    sources: list[str]
    recipients: list[str]
    third_country_transfers: str
    retention: str
    rights: list[str]
    automated_decision_making: str
    language: Language = strawberry.field(description="The language the notice is given in.")


#: the right to object (GDPR art. 21), named in the notice even if the configured rights omit it
OBJECTION = (
    "Objection to processing based on a task in the public interest (art. 21), on grounds "
    "relating to your particular situation"
)
OBJECTIONS: Mapping[str, str] = {
    ENGLISH: OBJECTION,
    BOKMAAL: "Protest mot behandling som bygger på en oppgave i allmennhetens interesse "
    "(art. 21), på grunn av forhold som gjelder din særlige situasjon",
}

#: the opening of the retention section, before the registry's periods
_RETENTION_INTRO: Mapping[str, str] = {
    ENGLISH: "As long as you are a student, employee or guardian at the school. After you leave, "
    "each category is kept for its period, counted from your leaving, then erased.",
    BOKMAAL: "Så lenge du er elev, ansatt eller foresatt ved skolen. Når du har sluttet, "
    "oppbevares hver kategori i perioden som gjelder for den, regnet fra du sluttet, og "
    "slettes deretter.",
}
#: "purpose" and "legal basis" as the retention sentences say them
_PURPOSE = {ENGLISH: "purpose", BOKMAAL: "formål"}
_LEGAL_BASIS = {ENGLISH: "legal basis", BOKMAAL: "rettslig grunnlag"}

#: the data categories' names in Bokmål, by ``DataCategory`` value (English: the category's
#: own name in words); a category without one here shows its English name
CATEGORY_NAMES_NB: Mapping[str, str] = {
    "PERSONAL_DATA": "Personopplysninger",
    "COMMUNICATION": "Kommunikasjon",
    "TEACHING_MATERIAL": "Undervisningsmateriell",
    "ASSESSMENTS": "Vurderinger",
    "CALENDAR": "Kalender",
    "STUDENT_ANSWERS": "Elevbesvarelser",
    "FILES": "Filer",
    "INTERNAL_LOGIC": "Innstillinger og interne data",
    "DATA_REQUESTS": "Henvendelser om personopplysninger",
}

#: Bokmål units (singular, plural) for a duration's years, months, weeks and days
_UNITS_NB = (("år", "år"), ("måned", "måneder"), ("uke", "uker"), ("dag", "dager"))


def category_name(category: DataCategory, language: str) -> str:
    english = category.value.replace("_", " ").capitalize()
    return CATEGORY_NAMES_NB.get(category.value, english) if language == BOKMAAL else english


def describe_duration(duration: Duration, language: str) -> str:
    """The duration in words: ``P1Y6M`` is "1 year 6 months", in Bokmål "1 år 6 måneder"."""
    if language != BOKMAAL:
        return duration.describe()
    counts = (duration.years, duration.months, duration.weeks, duration.days)
    parts = [
        f"{count} {one if count == 1 else many}"
        for count, (one, many) in zip(counts, _UNITS_NB, strict=True)
        if count
    ]
    return " ".join(parts) or "0 dager"


def retention_text(registry: RetentionRegistry, language: str = ENGLISH) -> str:
    """The retention periods of the registry in words, one sentence per data category (in
    Bokmål with the registry's Bokmål purpose and legal basis where it has them)."""
    sentences = []
    for rule in registry.rules:
        nb = language == BOKMAAL
        purpose = (rule.purpose_nb if nb else None) or rule.purpose
        legal_basis = (rule.legal_basis_nb if nb else None) or rule.legal_basis
        sentences.append(
            f"{category_name(rule.category, language)}: "
            f"{describe_duration(rule.keep_for, language)} ({rule.keep_for.text}); "
            f"{_PURPOSE[language]}: {purpose}; {_LEGAL_BASIS[language]}: {legal_basis}."
        )
    return " ".join([_RETENTION_INTRO[language], *sentences])


def _with_objection(rights: list[str], language: str = ENGLISH) -> list[str]:
    if any("art. 21" in right for right in rights):
        return rights
    objection = OBJECTIONS[language]
    return [*rights[:-1], objection, *rights[-1:]] if rights else [objection]


def notice_for(settings: Settings, language: str) -> PrivacyNotice:
    n = settings.privacy_notice_in(language)
    return PrivacyNotice(
        controller=n.controller,
        data_protection_officer=n.data_protection_officer,
        purposes=list(n.purposes),
        legal_basis=n.legal_basis,
        categories=list(n.categories),
        sources=list(n.sources),
        recipients=list(n.recipients),
        third_country_transfers=n.third_country_transfers,
        retention=retention_text(retention_registry(settings.retention_file), language),
        rights=_with_objection(list(n.rights), language),
        automated_decision_making=n.automated_decision_making,
        language=Language(language),
    )


def notice_from_settings(settings: Settings) -> PrivacyNotice:
    """The notice in English (as it was before it had a Bokmål version)."""
    return notice_for(settings, ENGLISH)
