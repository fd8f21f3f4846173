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
    # --- a paged list, newest first (templates/_paging.html) ---
    "paging.label": {"nb": "Sider", "en": "Pages"},
    "paging.newer": {"nb": "Nyere oppføringer", "en": "Newer entries"},
    "paging.older": {"nb": "Eldre oppføringer", "en": "Older entries"},
    # --- dates and times (gateway/console/dates.py), on Oslo's clock ---
    "when.date": {"nb": "{day}. {month} {year}", "en": "{day} {month} {year}"},
    "when.time": {"nb": "{date} kl. {hours}:{minutes}", "en": "{date}, {hours}:{minutes}"},
    "when.skipped_hour": {
        "nb": "Det klokkeslettet finnes ikke i norsk tid: natten sommertiden begynner, går "
        "klokken rett fra 02:00 til 03:00. Velg et annet klokkeslett.",
        "en": "That time does not exist in Norwegian time: the night summer time begins, the "
        "clock goes straight from 02:00 to 03:00. Choose another time.",
    },
    "month.1": {"nb": "jan.", "en": "Jan"},
    "month.2": {"nb": "feb.", "en": "Feb"},
    "month.3": {"nb": "mar.", "en": "Mar"},
    "month.4": {"nb": "apr.", "en": "Apr"},
    "month.5": {"nb": "mai", "en": "May"},
    "month.6": {"nb": "jun.", "en": "Jun"},
    "month.7": {"nb": "jul.", "en": "Jul"},
    "month.8": {"nb": "aug.", "en": "Aug"},
    "month.9": {"nb": "sep.", "en": "Sep"},
    "month.10": {"nb": "okt.", "en": "Oct"},
    "month.11": {"nb": "nov.", "en": "Nov"},
    "month.12": {"nb": "des.", "en": "Dec"},
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
    "person.language_unset": {
        "nb": "Ikke valgt (varsler på bokmål)",
        "en": "Not chosen (notifications in Bokmål)",
    },
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
    "person.restricted": {
        "nb": "Behandlingen av denne personens data er begrenset (papirkurven). Personen er ute "
        "av den daglige bruken til begrensningen oppheves eller personen slettes.",
        "en": "Processing of this person's data is restricted (the recycle bin). They are out of "
        "everyday use until the restriction is lifted or they are erased.",
    },
    # --- work queues ---
    "nav.queues": {"nb": "Arbeidskøer", "en": "Work queues"},
    "queues.title": {"nb": "Arbeidskøer", "en": "Work queues"},
    "queues.sections": {"nb": "Køene på siden", "en": "The queues on this page"},
    "queues.erasures": {
        "nb": "Slettinger som venter på godkjenning",
        "en": "Erasures waiting for confirmation",
    },
    "queues.data_requests": {"nb": "Henvendelser om personopplysninger", "en": "Data requests"},
    "queues.expired": {"nb": "Utløpt lagringstid", "en": "Expired retention"},
    "queues.incidents": {"nb": "Avvik (brudd på personopplysningssikkerheten)", "en": "Incidents"},
    "queues.recycle_bin": {"nb": "Papirkurven", "en": "The recycle bin"},
    "queues.none": {"nb": "Ingenting venter her.", "en": "Nothing is waiting here."},
    "queues.waiting_count": {
        "nb": "Venter på en annen administrator: {count}",
        "en": "Waiting for another administrator: {count}",
    },
    "queues.previewing_count": {
        "nb": "Forhåndsvisningen beregnes: {count}",
        "en": "Preview being computed: {count}",
    },
    "queues.previewing_more": {
        "nb": "Viser de {shown} eldste. De andre kommer i listen nedenfor når forhåndsvisningen "
        "er klar.",
        "en": "Showing the {shown} oldest. The others join the list below when their preview is "
        "ready.",
    },
    "queues.erasures_more": {
        "nb": "Viser {shown} om gangen, de som har ventet lengst først.",
        "en": "Showing {shown} at a time, the longest waiting first.",
    },
    "queues.next_page": {"nb": "Neste side", "en": "Next page"},
    "queues.first_page": {"nb": "Tilbake til første side", "en": "Back to the first page"},
    "queues.unchanged": {"nb": "Ingenting ble endret.", "en": "Nothing was changed."},
    "queues.done.confirmed": {
        "nb": "Slettingen er godkjent og satt i kø.",
        "en": "The erasure is confirmed and queued.",
    },
    "queues.done.cancelled": {"nb": "Forespørselen er avbrutt.", "en": "The request is cancelled."},
    "queues.done.accepted": {
        "nb": "Henvendelsen er godtatt. Den som spurte, får beskjed.",
        "en": "The request is accepted. The person who asked is notified.",
    },
    "queues.done.rejected": {
        "nb": "Henvendelsen er avvist. Den som spurte, får beskjed med begrunnelsen.",
        "en": "The request is rejected. The person who asked is told why.",
    },
    "queues.done.extended": {
        "nb": "Fristen er forlenget med to måneder. Den som spurte, får beskjed.",
        "en": "The deadline is extended by two months. The person who asked is notified.",
    },
    "queues.done.emptying": {
        "nb": "Tømmingen av papirkurven er bedt om. Den står under slettinger som venter; en "
        "annen administrator må godkjenne den.",
        "en": "Emptying the recycle bin is requested. It is listed under the erasures waiting; "
        "another administrator must confirm it.",
    },
    "queues.done.recorded": {"nb": "Avviket er registrert.", "en": "The incident is recorded."},
    "queues.done.notified": {
        "nb": "De berørte har fått beskjed.",
        "en": "The affected people are notified.",
    },
    "queues.error.BAD_USER_INPUT": {
        "nb": "Tavle godtok ikke det som ble fylt inn. Rett opp og prøv igjen.",
        "en": "Tavle did not accept what was filled in. Correct it and try again.",
    },
    "queues.error.CONFLICT": {
        "nb": "Det lot seg ikke gjøre nå: saken er endret eller venter på noe annet.",
        "en": "That cannot be done now: the case has changed or waits for something else.",
    },
    "queues.error.FORBIDDEN": {
        "nb": "Du har ikke lov til å gjøre dette.",
        "en": "You are not allowed to do this.",
    },
    "queues.error.NOT_FOUND": {
        "nb": "Fant ikke saken. Den kan være fjernet.",
        "en": "The case was not found. It may have been removed.",
    },
    "queues.error.SECOND_ADMINISTRATOR_REQUIRED": {
        "nb": "En annen systemadministrator enn den som ba om slettingen, må godkjenne den.",
        "en": "Another system administrator than the one who asked must confirm the erasure.",
    },
    "queues.error.other": {
        "nb": "Tavle svarte med en feil ({code}).",
        "en": "Tavle answered with an error ({code}).",
    },
    "queues.missing_reason": {
        "nb": "Skriv en begrunnelse. Den som spurte, får se den.",
        "en": "Give a reason. The person who asked will see it.",
    },
    "queues.missing_decision": {
        "nb": "Velg om henvendelsen skal godtas eller avvises.",
        "en": "Choose whether to accept or reject the request.",
    },
    "queues.missing_justification": {
        "nb": "Skriv hvorfor papirkurven skal tømmes.",
        "en": "Give the justification for emptying the recycle bin.",
    },
    "queues.missing_description": {
        "nb": "Beskriv avviket.",
        "en": "Describe the incident.",
    },
    "queues.missing_detected": {
        "nb": "Oppgi når avviket ble oppdaget.",
        "en": "Give the time the incident became known.",
    },
    "queues.bad_time": {
        "nb": "Et tidspunkt er ugyldig. Bruk dato og klokkeslett.",
        "en": "A time is not valid. Use a date and a time of day.",
    },
    "queues.missing_categories": {
        "nb": "Velg minst én kategori av opplysninger.",
        "en": "Choose at least one data category.",
    },
    "queues.missing_scope": {
        "nb": "Velg hvem avviket gjelder, og fyll ut feltene for det valget.",
        "en": "Choose whom the incident concerns, and fill in the fields for that choice.",
    },
    "queues.erasures_intro": {
        "nb": "En sletting må godkjennes av en annen systemadministrator enn den som ba om den.",
        "en": "An erasure must be confirmed by another system administrator than the one who "
        "asked for it.",
    },
    "queues.action.ERASE": {"nb": "Sletting av en person", "en": "Erasure of a person"},
    "queues.action.ERASE_BATCH": {"nb": "Sletting av flere personer", "en": "Batch erasure"},
    "queues.action.ERASE_SCHOOL": {"nb": "Sletting av en skole", "en": "Erasure of a school"},
    "queues.people": {"nb": "{count} personer", "en": "{count} people"},
    "queues.asked_by": {"nb": "Bedt om av", "en": "Asked by"},
    "queues.previewing": {
        "nb": "Forhåndsvisningen beregnes. Last siden på nytt om litt.",
        "en": "The preview is being computed. Reload the page in a moment.",
    },
    "queues.preview": {"nb": "Hva slettingen vil gjøre", "en": "What the erasure will do"},
    "queues.waiting_other": {
        "nb": "Venter på en annen administrator: du ba om denne og kan ikke godkjenne den selv.",
        "en": "Waiting for another administrator: you asked for this one and cannot confirm it "
        "yourself.",
    },
    "queues.confirm": {"nb": "Godkjenn slettingen", "en": "Confirm the erasure"},
    "queues.cancel": {"nb": "Avbryt forespørselen", "en": "Cancel the request"},
    "queues.data_requests_intro": {
        "nb": "Åpne henvendelser. De som er over fristen, står først, deretter etter frist.",
        "en": "Open requests. Overdue ones come first, then by due date.",
    },
    "queues.kind": {"nb": "Type", "en": "Kind"},
    "queues.subject": {"nb": "Gjelder", "en": "About"},
    "queues.received": {"nb": "Mottatt", "en": "Received"},
    "queues.due": {"nb": "Frist", "en": "Due"},
    "queues.extended_to": {"nb": "Forlenget til", "en": "Extended to"},
    "queues.handle": {"nb": "Behandle", "en": "Handle"},
    "queues.overdue": {"nb": "Over fristen", "en": "Overdue"},
    "queues.kind.ACCESS": {"nb": "Innsyn", "en": "Access"},
    "queues.kind.ERASURE": {"nb": "Sletting", "en": "Erasure"},
    "queues.kind.RECTIFICATION": {"nb": "Retting", "en": "Rectification"},
    "queues.kind.RESTRICTION": {"nb": "Begrensning", "en": "Restriction"},
    "queues.kind.OBJECTION": {"nb": "Protest", "en": "Objection"},
    "queues.kind.OTHER": {"nb": "Annet", "en": "Other"},
    "queues.status.RECEIVED": {"nb": "Mottatt", "en": "Received"},
    "queues.status.ACCEPTED": {"nb": "Godtatt", "en": "Accepted"},
    "queues.reason": {"nb": "Begrunnelse", "en": "Reason"},
    "queues.reason_help": {
        "nb": "Den som spurte, får se begrunnelsen.",
        "en": "The person who asked will see the reason.",
    },
    "queues.identity_verified": {"nb": "Identiteten er bekreftet", "en": "Identity verified"},
    "queues.accept": {"nb": "Godta", "en": "Accept"},
    "queues.reject": {"nb": "Avvis", "en": "Reject"},
    "queues.extend_reason": {
        "nb": "Begrunnelse for å forlenge fristen",
        "en": "Reason for extending the deadline",
    },
    "queues.extend": {"nb": "Forleng fristen", "en": "Extend the deadline"},
    "queues.expired_intro": {
        "nb": "Personer som sluttet for så lenge siden at lagringstiden er ute i alle "
        "kategorier. Lengst borte først.",
        "en": "People who left so long ago that retention has passed in every category. "
        "Longest gone first.",
    },
    "queues.justification": {"nb": "Begrunnelse", "en": "Justification"},
    "queues.empty_help": {
        "nb": "Alle som står på listen, tas med. En annen administrator må godkjenne slettingen.",
        "en": "Everyone listed is included. Another administrator must confirm the erasure.",
    },
    "queues.empty_bin": {"nb": "Tøm papirkurven", "en": "Empty the recycle bin"},
    "queues.incidents_intro": {
        "nb": "Datatilsynet skal varsles innen 72 timer etter at et avvik ble kjent.",
        "en": "The authority must be told within 72 hours of an incident becoming known.",
    },
    "queues.description": {"nb": "Beskrivelse", "en": "Description"},
    "queues.detected": {"nb": "Oppdaget", "en": "Detected"},
    "queues.report_due": {"nb": "Varslingsfrist", "en": "Report due"},
    "queues.affected": {"nb": "Berørte", "en": "Affected"},
    "queues.notify": {"nb": "De berørte", "en": "The affected"},
    "queues.reported": {"nb": "Varslet", "en": "Reported"},
    "queues.clock_left": {
        "nb": "{hours} t {minutes} min igjen",
        "en": "{hours} h {minutes} min left",
    },
    "queues.clock_overdue": {
        "nb": "Fristen er passert med {hours} t {minutes} min",
        "en": "Overdue by {hours} h {minutes} min",
    },
    "queues.incident.OPEN": {"nb": "Åpent", "en": "Open"},
    "queues.incident.REPORTED": {"nb": "Varslet", "en": "Reported"},
    "queues.incident.CLOSED": {"nb": "Lukket", "en": "Closed"},
    "queues.notified_at": {"nb": "Varslet", "en": "Notified"},
    "queues.notify_affected": {"nb": "Varsle de berørte", "en": "Notify the affected"},
    "queues.record": {"nb": "Registrer et nytt avvik", "en": "Record a new incident"},
    "queues.detected_local": {
        "nb": "Oppdaget (dato og klokkeslett, norsk tid)",
        "en": "Detected (date and time, Norwegian time)",
    },
    "queues.categories": {"nb": "Kategorier av opplysninger", "en": "Data categories"},
    "queues.scope": {"nb": "Hvem avviket gjelder", "en": "Whom it concerns"},
    "queues.scope.SCHOOL": {"nb": "En skole", "en": "A school"},
    "queues.scope.COURSES": {"nb": "Klasser eller fag", "en": "Courses"},
    "queues.scope.PERSONS": {"nb": "Bestemte personer", "en": "Particular people"},
    "queues.scope.READ_BY": {
        "nb": "Alle en ansatt har lest om i en periode",
        "en": "Everyone a staff member read about in a period",
    },
    "queues.scope_school": {"nb": "Skole", "en": "School"},
    "queues.choose": {"nb": "Velg", "en": "Choose"},
    "queues.scope_courses": {"nb": "Klasse- eller fag-id-er", "en": "Course ids"},
    "queues.scope_persons": {"nb": "Person-id-er", "en": "Person ids"},
    "queues.ids_help": {
        "nb": "Skill id-ene med komma. En persons id står i adressen til personens side.",
        "en": "Separate the ids with commas. A person's id is in the address of their page.",
    },
    "queues.scope_staff": {"nb": "Den ansattes id", "en": "The staff member's id"},
    "queues.scope_from": {"nb": "Fra (norsk tid)", "en": "From (Norwegian time)"},
    "queues.scope_to": {"nb": "Til (norsk tid)", "en": "To (Norwegian time)"},
    "queues.actions_taken": {"nb": "Tiltak som er gjort", "en": "Actions taken"},
    "queues.record_button": {"nb": "Registrer avviket", "en": "Record the incident"},
    "queues.recycle_intro": {
        "nb": "Personer med begrenset behandling. Opphev begrensningen fra personens side.",
        "en": "People whose processing is restricted. Lift the restriction from the person's page.",
    },
    "queues.lift_link": {
        "nb": "Åpne for å oppheve begrensningen",
        "en": "Open to lift the restriction",
    },
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
    # --- roster imports ---
    "nav.imports": {"nb": "Importkjøringer", "en": "Roster imports"},
    "imports.title": {"nb": "Importkjøringer", "en": "Roster imports"},
    "imports.intro": {
        "nb": "Hver kjøring av importen fra skolens administrative system, nyeste først. En "
        "prøvekjøring (--dry-run) lagrer ingenting og står derfor ikke her.",
        "en": "Each run of the import from the schools' administrative system, newest first. A "
        "dry run (--dry-run) stores nothing, so it is not listed.",
    },
    "imports.none": {"nb": "Ingen importkjøringer.", "en": "No import runs."},
    "imports.count": {"nb": "{count} kjøringer", "en": "{count} runs"},
    "imports.caption": {"nb": "Importkjøringer", "en": "Import runs"},
    "imports.started": {"nb": "Startet", "en": "Started"},
    "imports.by": {"nb": "Kjørt av", "en": "Run by"},
    "imports.source": {"nb": "Kilde", "en": "Source"},
    "imports.status": {"nb": "Status", "en": "Status"},
    "imports.written": {"nb": "Endringer lagret", "en": "Changes written"},
    "imports.changes": {"nb": "Endringer", "en": "Changes"},
    "imports.conflicts": {"nb": "Konflikter", "en": "Conflicts"},
    "imports.yes": {"nb": "Ja", "en": "Yes"},
    "imports.no": {"nb": "Nei", "en": "No"},
    "imports.not_found": {
        "nb": "Fant ingen importkjøring med den id-en.",
        "en": "No import run has that id.",
    },
    "import_status.COMPLETED": {"nb": "Fullført", "en": "Completed"},
    "import_status.REFUSED": {"nb": "Stoppet (terskel)", "en": "Refused (threshold)"},
    "import_status.FAILED": {"nb": "Mislyktes", "en": "Failed"},
    "import_status.RUNNING": {"nb": "Pågår", "en": "Running"},
    "import.title": {"nb": "Importkjøring", "en": "Import run"},
    "import.back": {"nb": "Tilbake til importkjøringene", "en": "Back to the import runs"},
    "import.finished": {"nb": "Ferdig", "en": "Finished"},
    "import.mode": {"nb": "Modus", "en": "Mode"},
    "import.report": {"nb": "Rapport", "en": "Report"},
    "import.kind": {"nb": "Type endring", "en": "Kind of change"},
    "import.no_changes": {"nb": "Ingen endringer.", "en": "No changes."},
    "import.no_conflicts": {"nb": "Ingen konflikter.", "en": "No conflicts."},
    "import.files": {"nb": "Filer", "en": "Files"},
    "import.file": {"nb": "Fil", "en": "File"},
    "import.no_files": {"nb": "Ingen filer registrert.", "en": "No files recorded."},
    # --- the audit log ---
    "nav.audit": {"nb": "Revisjonslogg", "en": "Audit log"},
    "audit.title": {"nb": "Revisjonslogg", "en": "Audit log"},
    "audit.filter_label": {"nb": "Filtrer revisjonsloggen", "en": "Filter the audit log"},
    "audit.for_person": {
        "nb": "Hele revisjonsloggen om personen",
        "en": "The whole audit log about the person",
    },
    "audit.person": {"nb": "Gjelder person (id)", "en": "About person (id)"},
    "audit.actor": {"nb": "Utført av (id)", "en": "Actor (id)"},
    "audit.id_help": {
        "nb": "En persons id slik den står i adressen til personens side.",
        "en": "A person's id as it appears in the address of their page.",
    },
    "audit.action": {"nb": "Handling", "en": "Action"},
    "audit.action_help": {
        "nb": "Nøyaktig, for eksempel PRIVACY_RESTRICT.",
        "en": "Exactly, for example PRIVACY_RESTRICT.",
    },
    "audit.from": {"nb": "Fra (norsk tid)", "en": "From (Norwegian time)"},
    "audit.to": {
        "nb": "Til (norsk tid, ikke medregnet)",
        "en": "To (Norwegian time, not included)",
    },
    "audit.filter": {"nb": "Filtrer", "en": "Filter"},
    "audit.verify": {"nb": "Kontroller kjeden", "en": "Verify the chain"},
    "audit.verify_help": {
        "nb": "Kontrollerer hver oppføring i loggen mot hashkjeden, slik «tavle audit verify» "
        "gjør. Det kan ta litt tid i en lang logg.",
        "en": "Checks every entry in the log against the hash chain, as `tavle audit verify` "
        "does. It may take a while on a long log.",
    },
    "audit.none": {"nb": "Ingen oppføringer passer.", "en": "No entries match."},
    "audit.count": {
        "nb": "{count} oppføringer, nyeste først",
        "en": "{count} entries, newest first",
    },
    "audit.caption": {"nb": "Oppføringer i revisjonsloggen", "en": "Audit log entries"},
    "audit.number": {"nb": "Nr.", "en": "No."},
    "audit.about": {"nb": "Gjelder", "en": "About"},
    "audit.target": {"nb": "Objekt", "en": "Target"},
    "audit.justification": {"nb": "Begrunnelse", "en": "Justification"},
    "audit.justified": {"nb": "Ja (sjekksum {digest}…)", "en": "Yes (digest {digest}…)"},
    "audit.unjustified": {"nb": "Ingen", "en": "None"},
    "audit.problem.BAD_USER_INPUT": {
        "nb": "Filteret er ugyldig. Rett det opp og prøv igjen.",
        "en": "The filter is not valid. Correct it and try again.",
    },
    "audit.problem.NOT_FOUND": {
        "nb": "Id-en i filteret er ikke en persons id.",
        "en": "The id in the filter is not the id of a person.",
    },
    "audit.problem.FORBIDDEN": {
        "nb": "Du har ikke tilgang til revisjonsloggen.",
        "en": "You may not read the audit log.",
    },
    "audit.problem.other": {
        "nb": "Tavle svarte med en feil. Prøv igjen senere.",
        "en": "Tavle answered with an error. Please try again later.",
    },
    "verify.title": {"nb": "Kontroll av revisjonsloggen", "en": "Audit log check"},
    "verify.ok": {
        "nb": "Kjeden er i orden: {count} oppføringer kontrollert.",
        "en": "The chain is intact: {count} entries checked.",
    },
    "verify.head": {"nb": "Siste oppførings hash:", "en": "The last entry's hash:"},
    "verify.broken": {
        "nb": "Kjeden er brutt ved oppføring {entry} ({count} oppføringer kontrollert).",
        "en": "The chain is broken at entry {entry} ({count} entries checked).",
    },
    "verify.reason": {"nb": "Årsak:", "en": "Reason:"},
    "verify.back": {"nb": "Tilbake til revisjonsloggen", "en": "Back to the audit log"},
    # --- privacy actions on a person's page (actions.py) ---
    "person.actions": {"nb": "Personvernhandlinger", "en": "Privacy actions"},
    "person.action_export": {"nb": "Bestill eksport", "en": "Request an export"},
    "person.action_restrict": {"nb": "Begrens behandling", "en": "Restrict processing"},
    "person.action_lift": {"nb": "Opphev begrensningen", "en": "Lift the restriction"},
    "person.action_erase": {"nb": "Be om sletting", "en": "Request erasure"},
    "person.action_rectify": {"nb": "Rett navn og e-post", "en": "Correct names and e-mail"},
    "action.back": {"nb": "Tilbake til personen", "en": "Back to the person"},
    "action.justification": {"nb": "Begrunnelse", "en": "Justification"},
    "action.justification_help": {
        "nb": "Påkrevd. Hvorfor handlingen gjøres, for eksempel saksnummeret. Begrunnelsen "
        "lagres med forespørselen.",
        "en": "Required. Why the action is taken, for example the case number. It is kept "
        "with the request.",
    },
    "action.detail": {"nb": "Melding fra Tavle:", "en": "Message from Tavle:"},
    "action.failed": {
        "nb": "Handlingen ble ikke utført ({code}). Ingenting er endret.",
        "en": "The action was not carried out ({code}). Nothing was changed.",
    },
    "code.JUSTIFICATION_REQUIRED": {
        "nb": "Skriv en begrunnelse. Ingenting er endret.",
        "en": "Please give a justification. Nothing was changed.",
    },
    "code.BAD_USER_INPUT": {
        "nb": "Noe i skjemaet er ikke gyldig. Ingenting er endret.",
        "en": "Something in the form is not valid. Nothing was changed.",
    },
    "code.CONFLICT": {
        "nb": "Handlingen passer ikke med personens eller forespørselens nåværende tilstand. "
        "Ingenting er endret.",
        "en": "The action does not fit the current state of the person or the request. "
        "Nothing was changed.",
    },
    "code.FORBIDDEN": {
        "nb": "Du har ikke lov til å gjøre dette. Ingenting er endret.",
        "en": "You are not allowed to do this. Nothing was changed.",
    },
    "code.NOT_FOUND": {
        "nb": "Fant ikke det handlingen gjelder. Ingenting er endret.",
        "en": "What the action is about was not found. Nothing was changed.",
    },
    "code.MANAGED_BY_SOURCE": {
        "nb": "Noen av feltene kommer fra skolens elevadministrative system og bør rettes der. "
        "Kryss av for å overstyre hvis verdien likevel skal rettes her. Ingenting er endret.",
        "en": "Some of the fields come from the school's roster and should be corrected there. "
        "Tick the override if the value is to be corrected here anyway. Nothing was changed.",
    },
    "code.SECOND_ADMINISTRATOR_REQUIRED": {
        "nb": "Du ba selv om denne slettingen. En annen systemadministrator må bekrefte den.",
        "en": "You asked for this erasure yourself. Another system administrator must confirm it.",
    },
    "export.title": {"nb": "Bestill eksport", "en": "Request an export"},
    "export.intro": {
        "nb": "En kopi av alt Tavle har lagret om personen, laget i bakgrunnen. Når den er "
        "klar, kan du laste den ned fra forespørselens side.",
        "en": "A copy of everything Tavle keeps about the person, made in the background. When "
        "it is ready, you can download it from the request's page.",
    },
    "export.format": {"nb": "Format", "en": "Format"},
    "export.submit": {"nb": "Bestill eksport", "en": "Request the export"},
    "export_format.XML": {"nb": "XML", "en": "XML"},
    "export_format.JSON": {"nb": "JSON", "en": "JSON"},
    "restrict.title": {"nb": "Begrens behandling", "en": "Restrict processing"},
    "restrict.intro": {
        "nb": "Personen flyttes til papirkurven: de kan ikke logge inn, andre ser ikke "
        "opplysningene deres, og det de har skrevet vises under et pseudonym. Ingenting "
        "slettes, og begrensningen kan oppheves.",
        "en": "The person moves to the recycle bin: they cannot sign in, others do not see "
        "their data, and what they wrote is shown under a pseudonym. Nothing is deleted, and "
        "the restriction can be lifted.",
    },
    "restrict.no_notice": {
        "nb": "Personen får ingen varsling når behandlingen begrenses (de kan ikke logge inn "
        "mens den varer). De blir varslet når begrensningen oppheves.",
        "en": "The person is not notified when processing is restricted (they cannot sign in "
        "while it lasts). They are notified when the restriction is lifted.",
    },
    "restrict.submit": {"nb": "Begrens behandlingen", "en": "Restrict processing"},
    "lift.title": {"nb": "Opphev begrensningen", "en": "Lift the restriction"},
    "lift.intro": {
        "nb": "Personen og opplysningene deres blir som før begrensningen, og personen blir "
        "varslet.",
        "en": "The person and their data are restored as they were before the restriction, "
        "and the person is notified.",
    },
    "lift.submit": {"nb": "Opphev begrensningen", "en": "Lift the restriction"},
    "restriction.notice": {"nb": "Varsling til personen", "en": "Notification to the person"},
    "restriction.notice_intro": {
        "nb": "Personen får denne varslingen på sitt eget språk",
        "en": "The person will receive this notification in their own language",
    },
    "erase.title": {"nb": "Be om sletting", "en": "Request erasure"},
    "erase.intro": {
        "nb": "Sletting kan ikke angres. Tabellen viser hva slettingen ville gjort med "
        "personens data nå, per kategori.",
        "en": "Erasure cannot be undone. The table shows what the erasure would do with the "
        "person's data now, by category.",
    },
    "erase.preview": {"nb": "Virkning av slettingen", "en": "Effect of the erasure"},
    "erase.second": {
        "nb": "Forespørselen venter deretter på bekreftelse fra en annen systemadministrator. "
        "Ingenting slettes før den er bekreftet.",
        "en": "The request then waits for another system administrator to confirm it. Nothing "
        "is erased until it is confirmed.",
    },
    "erase.submit": {"nb": "Be om sletting", "en": "Request erasure"},
    "rectify.title": {"nb": "Rett navn og e-post", "en": "Correct names and e-mail"},
    "rectify.intro": {
        "nb": "Endre bare feltene som er feil. Verdier fra skolens elevadministrative system "
        "bør rettes der; et felt du overstyrer her, beholdes ved senere importer.",
        "en": "Change only the fields that are wrong. Values from the school's roster should "
        "be corrected there; a field you override here is kept through later imports.",
    },
    "rectify.managed_fields": {
        "nb": "Disse feltene styres av elevadministrativt system:",
        "en": "These fields are managed by the roster:",
    },
    "rectify.from_roster": {"nb": "fra elevadministrativt system", "en": "from the roster"},
    "rectify.override": {
        "nb": "Overstyr verdier fra elevadministrativt system",
        "en": "Override values from the roster",
    },
    "rectify.override_help": {
        "nb": "Verdien du skriver, beholdes også når elevadministrativt system sier noe annet; "
        "forskjellen vises som en konflikt i importrapporten.",
        "en": "The value you enter is kept even when the roster says otherwise; the difference "
        "is reported as a conflict in the import report.",
    },
    "rectify.submit": {"nb": "Lagre rettelsen", "en": "Save the correction"},
    "request.title": {"nb": "Personvernforespørsel", "en": "Privacy request"},
    "request.subject": {"nb": "Gjelder", "en": "About"},
    "request.expires": {"nb": "Tilgjengelig til", "en": "Available until"},
    "request.requested_by": {"nb": "Bedt om av", "en": "Requested by"},
    "request.confirmed_by": {"nb": "Bekreftet av", "en": "Confirmed by"},
    "request.error": {"nb": "Feil", "en": "Error"},
    "request.working": {
        "nb": "Arbeider … Siden oppdateres hvert {seconds}. sekund til jobben er ferdig.",
        "en": "Working … The page refreshes every {seconds} seconds until the job is done.",
    },
    "request.download": {"nb": "Last ned eksporten", "en": "Download the export"},
    "request.download_gone": {
        "nb": "Eksportfilen er ikke lenger tilgjengelig.",
        "en": "The export file is no longer available.",
    },
    "request.effects": {"nb": "Virkning per kategori", "en": "Effects by category"},
    "request.outcome": {"nb": "Utfall", "en": "Outcome"},
    "request.no_effects": {"nb": "Ingen virkninger registrert.", "en": "No effects recorded."},
    "request.not_found": {
        "nb": "Fant ingen personvernforespørsel med den id-en.",
        "en": "No privacy request has that id.",
    },
    "confirm.title": {"nb": "Bekreft slettingen", "en": "Confirm the erasure"},
    "confirm.second": {
        "nb": "En annen systemadministrator enn den som ba om slettingen, må bekrefte den. "
        "Når den er bekreftet, slettes personen, og det kan ikke angres.",
        "en": "A system administrator other than the one who asked must confirm the erasure. "
        "Once confirmed, the person is erased, and that cannot be undone.",
    },
    "confirm.own": {
        "nb": "Du ba selv om denne slettingen, så du kan ikke bekrefte den. Be en annen "
        "systemadministrator om å gjøre det.",
        "en": "You asked for this erasure yourself, so you cannot confirm it. Ask another "
        "system administrator to do so.",
    },
    "confirm.submit": {"nb": "Bekreft slettingen", "en": "Confirm the erasure"},
    "confirm.justification": {
        "nb": "Begrunnelsen som ble gitt da slettingen ble bedt om:",
        "en": "The justification given when the erasure was asked for:",
    },
    "download.NOT_READY": {
        "nb": "Eksporten er ikke ferdig ennå.",
        "en": "The export is not finished yet.",
    },
    "download.EXPIRED": {
        "nb": "Eksporten er utløpt, og filen er slettet.",
        "en": "The export has expired and its file was deleted.",
    },
    "download.NOT_FOUND": {"nb": "Fant ingen slik eksport.", "en": "No such export."},
    "privacy_action.EXPORT": {"nb": "Eksport", "en": "Export"},
    "privacy_action.RESTRICT": {"nb": "Begrensning", "en": "Restriction"},
    "privacy_action.LIFT_RESTRICTION": {
        "nb": "Opphevet begrensning",
        "en": "Restriction lifted",
    },
    "privacy_action.ERASE": {"nb": "Sletting", "en": "Erasure"},
    "privacy_action.RECTIFY": {"nb": "Retting", "en": "Rectification"},
    "privacy_action.DELETE_COURSE": {"nb": "Sletting av fag", "en": "Course deletion"},
    "privacy_action.ERASE_BATCH": {"nb": "Samlet sletting", "en": "Batch erasure"},
    "privacy_action.ERASE_SCHOOL": {"nb": "Sletting av skole", "en": "School erasure"},
    "privacy_action.EXPORT_SCHOOL": {"nb": "Eksport av skole", "en": "School export"},
    "request_status.PREVIEWING": {"nb": "Beregner virkning", "en": "Previewing"},
    "request_status.AWAITING_CONFIRMATION": {
        "nb": "Venter på bekreftelse",
        "en": "Awaiting confirmation",
    },
    "request_status.QUEUED": {"nb": "I kø", "en": "Queued"},
    "request_status.RUNNING": {"nb": "Kjører", "en": "Running"},
    "request_status.COMPLETED": {"nb": "Fullført", "en": "Completed"},
    "request_status.FAILED": {"nb": "Mislyktes", "en": "Failed"},
    "request_status.CANCELLED": {"nb": "Avbrutt", "en": "Cancelled"},
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
