"""Every word the admin console shows, in Norwegian Bokmål and English.

Templates and handlers name a key (``t("people.title")``); a test fails when a key lacks either
language, or when a template names a key the catalog does not have. Parameters are filled with
``str.format`` (``t("people.count", count=3)``); they are numbers and codes, never personal data
in a message that could be logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from config.language import BOKMAAL, LANGUAGES

TEXTS: Final[dict[str, dict[str, str]]] = {
    # --- the frame ---
    "app.title": {"nb": "Tavle administrasjon", "en": "Tavle administration"},
    "app.skip": {"nb": "Hopp til innholdet", "en": "Skip to content"},
    "nav.label": {"nb": "Hovedmeny", "en": "Main menu"},
    "nav.people": {"nb": "Finn en person", "en": "Find a person"},
    "signed_in_as": {"nb": "Logget inn som {name}", "en": "Signed in as {name}"},
    "sign_out": {"nb": "Logg ut", "en": "Sign out"},
    "language.label": {"nb": "Språk", "en": "Language"},
    "language.change": {"nb": "Bytt språk", "en": "Change language"},
    "language.nb": {"nb": "Norsk bokmål", "en": "Norwegian Bokmål"},
    "language.en": {"nb": "Engelsk", "en": "English"},
    # --- signing in ---
    "login.title": {"nb": "Logg inn", "en": "Sign in"},
    "login.intro": {
        "nb": "Administrasjonen er for systemadministratorer og personvernombudet.",
        "en": "The console is for system administrators and the data protection officer.",
    },
    "login.oidc": {"nb": "Logg inn med {provider}", "en": "Sign in with {provider}"},
    "login.dev_heading": {
        "nb": "Utviklingsinnlogging: velg en systemadministrator",
        "en": "Development sign-in: choose a system administrator",
    },
    "login.dev_as": {
        "nb": "Logg inn som {name} ({username})",
        "en": "Sign in as {name} ({username})",
    },
    "login.none": {
        "nb": "Ingen innlogging er satt opp for administrasjonen. Se docs/console.md.",
        "en": "No sign-in is configured for the console. See docs/console.md.",
    },
    "login.failed": {
        "nb": "Innloggingen mislyktes: {reason}. Prøv igjen.",
        "en": "Signing in failed: {reason}. Please try again.",
    },
    "login.continue": {"nb": "Du er logget inn. Fortsett", "en": "You are signed in. Continue"},
    "login.expired": {
        "nb": "Økten din er utløpt. Logg inn igjen.",
        "en": "Your session has ended. Please sign in again.",
    },
    "login.signed_out": {"nb": "Du er logget ut.", "en": "You are signed out."},
    # --- refusals ---
    "refused.title": {"nb": "Ingen tilgang", "en": "Access refused"},
    "refused.not_admin": {
        "nb": "Administrasjonen er bare for systemadministratorer. Du er logget inn, men har "
        "ikke den rollen.",
        "en": "The console is for system administrators only. You are signed in, but do not "
        "have that role.",
    },
    "refused.csrf": {
        "nb": "Skjemaet kunne ikke sendes: det manglet et gyldig sikkerhetstegn (CSRF). Last "
        "siden på nytt og prøv igjen.",
        "en": "The form could not be sent: it lacked a valid security token (CSRF). Reload the "
        "page and try again.",
    },
    "refused.back": {"nb": "Til forsiden", "en": "To the start page"},
    "error.title": {"nb": "Noe gikk galt", "en": "Something went wrong"},
    "error.graphql": {
        "nb": "Tavle svarte med en feil ({code}): {message}",
        "en": "Tavle answered with an error ({code}): {message}",
    },
    "error.not_found": {"nb": "Fant ingen person med den id-en.", "en": "No person has that id."},
    # --- find a person ---
    "people.title": {"nb": "Finn en person", "en": "Find a person"},
    "people.query": {
        "nb": "Navn, brukernavn, e-post eller fødselsnummer",
        "en": "Name, username, e-mail or national id number",
    },
    "people.query_help": {
        "nb": "Navn: en del av fornavn eller etternavn. Brukernavn, e-post og fødselsnummer må "
        "være nøyaktige.",
        "en": "Name: part of the given or family name. Username, e-mail and national id must be "
        "exact.",
    },
    "people.school": {"nb": "Skole", "en": "School"},
    "people.role": {"nb": "Rolle", "en": "Role"},
    "people.state": {"nb": "Behandlingsstatus", "en": "Processing state"},
    "people.any": {"nb": "Alle", "en": "Any"},
    "people.search": {"nb": "Søk", "en": "Search"},
    "people.count": {"nb": "{count} treff", "en": "{count} found"},
    "people.more": {
        "nb": "Viser de første {shown}. Snevre inn søket for å se resten.",
        "en": "Showing the first {shown}. Narrow the search to see the rest.",
    },
    "people.none": {"nb": "Ingen personer passer til søket.", "en": "No one matches the search."},
    "people.empty": {
        "nb": "Skriv et søk eller velg et filter.",
        "en": "Enter a search or choose a filter.",
    },
    "people.results": {"nb": "Søkeresultat", "en": "Search results"},
    "col.name": {"nb": "Navn", "en": "Name"},
    "col.birth_date": {"nb": "Fødselsdato", "en": "Date of birth"},
    "col.schools": {"nb": "Skoler", "en": "Schools"},
    "col.roles": {"nb": "Roller", "en": "Roles"},
    "col.classes": {"nb": "Klasser", "en": "Classes"},
    "col.state": {"nb": "Status", "en": "State"},
    "unknown": {"nb": "ukjent", "en": "unknown"},
    # --- a person's page ---
    "person.who": {"nb": "Hvem", "en": "Who"},
    "person.first_name": {"nb": "Fornavn", "en": "Given name"},
    "person.last_name": {"nb": "Etternavn", "en": "Family name"},
    "person.email": {"nb": "E-post", "en": "E-mail"},
    "person.language": {"nb": "Foretrukket språk", "en": "Preferred language"},
    "person.roles": {"nb": "Roller og klasser", "en": "Roles and classes"},
    "person.no_roles": {"nb": "Ingen roller.", "en": "No roles."},
    "person.no_classes": {"nb": "Ingen klasser.", "en": "No classes."},
    "person.data": {"nb": "Data etter kategori", "en": "Data by category"},
    "person.data_intro": {
        "nb": "Det som er lagret om personen, telt, og hva en sletting ville gjort med det.",
        "en": "What is kept about the person, counted, and what an erasure would do with it.",
    },
    "person.category": {"nb": "Kategori", "en": "Category"},
    "person.outcome": {"nb": "Ved sletting", "en": "On erasure"},
    "person.count": {"nb": "Antall", "en": "Count"},
    "person.requests": {"nb": "Personvernforespørsler", "en": "Privacy requests"},
    "person.no_requests": {"nb": "Ingen forespørsler.", "en": "No requests."},
    "person.action": {"nb": "Handling", "en": "Action"},
    "person.status": {"nb": "Status", "en": "Status"},
    "person.created": {"nb": "Opprettet", "en": "Created"},
    "person.completed": {"nb": "Fullført", "en": "Completed"},
    "person.audit": {"nb": "Revisjonslogg", "en": "Audit trail"},
    "person.audit_intro": {
        "nb": "De siste {count} oppføringene om personen, nyeste først.",
        "en": "The latest {count} entries about the person, newest first.",
    },
    "person.no_audit": {"nb": "Ingen oppføringer.", "en": "No entries."},
    "person.at": {"nb": "Tidspunkt", "en": "Time"},
    "person.actor": {"nb": "Utført av", "en": "By"},
    "person.back": {"nb": "Tilbake til søket", "en": "Back to the search"},
    # --- values ---
    "role.SYSTEM_ADMINISTRATOR": {"nb": "Systemadministrator", "en": "System administrator"},
    "role.SUPERUSER": {"nb": "Superbruker", "en": "Superuser"},
    "role.SCHOOL_LEADER": {"nb": "Skoleleder", "en": "School leader"},
    "role.TEACHER": {"nb": "Lærer", "en": "Teacher"},
    "role.STUDENT": {"nb": "Elev", "en": "Student"},
    "role.GUARDIAN": {"nb": "Foresatt", "en": "Guardian"},
    "state.ACTIVE": {"nb": "Aktiv", "en": "Active"},
    "state.RESTRICTED": {"nb": "Begrenset", "en": "Restricted"},
    "state.ERASED": {"nb": "Slettet", "en": "Erased"},
    "category.PERSONAL_DATA": {"nb": "Personopplysninger", "en": "Personal data"},
    "category.COMMUNICATION": {"nb": "Kommunikasjon", "en": "Communication"},
    "category.TEACHING_MATERIAL": {"nb": "Undervisningsmateriell", "en": "Teaching material"},
    "category.ASSESSMENTS": {"nb": "Vurderinger", "en": "Assessments"},
    "category.CALENDAR": {"nb": "Kalender", "en": "Calendar"},
    "category.STUDENT_ANSWERS": {"nb": "Elevbesvarelser", "en": "Student answers"},
    "category.FILES": {"nb": "Filer", "en": "Files"},
    "category.INTERNAL_LOGIC": {"nb": "Innstillinger", "en": "Settings"},
    "category.DATA_REQUESTS": {"nb": "Innsynsbegjæringer", "en": "Data requests"},
    "outcome.HIDDEN": {"nb": "skjules", "en": "hidden"},
    "outcome.PSEUDONYMISED": {"nb": "pseudonymiseres", "en": "pseudonymised"},
    "outcome.KEPT": {"nb": "beholdes", "en": "kept"},
    "outcome.DELETED": {"nb": "slettes", "en": "deleted"},
}


def translator(language: str) -> Callable[..., str]:
    """``t(key, **params)`` in ``language`` (Bokmål for one the catalog does not have). A key
    the catalog lacks is a programming error: a ``KeyError`` (the tests look for them)."""
    chosen = language if language in LANGUAGES else BOKMAAL

    def t(key: str, **params: object) -> str:
        text = TEXTS[key][chosen]
        return text.format(**params) if params else text

    return t


def value_text(language: str, prefix: str, value: str | None) -> str:
    """The words for an enum value (``role.TEACHER``), or the value itself when the catalog has
    none (a member added later reads as its code rather than failing the page)."""
    if value is None:
        return ""
    entry = TEXTS.get(f"{prefix}.{value}")
    return value if entry is None else entry[language if language in LANGUAGES else BOKMAAL]
