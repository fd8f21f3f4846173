"""Demo activity for the demo school, made only through the services the mutations use.

``ensure_demo`` calls :func:`seed_activity` right after importing ``gateway/demo_data/roster``.
Every row below is written by ``resolvers.services`` acting as a real demo user, so each write
passes the same write rules (``authz/policy.csv``) and lands in the audit log like an API call
would. Dates are relative to the day the demo is created (Europe/Oslo), so due dates and events stay
current.

What the demo contains, and which demo users show it (log in with ``tavle token <username>``):

Coursework at Bjølsen skole (BJS)
  * ``larer.hansen`` (contact teacher of 8A, teaches Matematikk 8, guardian of ``elev.emma``):
    assignments "Brøk og desimaltall" (due next week) and "Likninger - ukelekse" (due three days
    ago) in Matematikk 8, and "Forslag til klassetur" in the 8A homeroom.
  * ``elev.ola`` answered both maths assignments (the fractions answer with a PDF attachment,
    the equations answer LATE), the Norwegian short story (with a .docx attachment) and the
    class-trip question. ``elev.sara`` handed in the equations LATE with a photo attachment.
  * ``larer.dahl`` (Norsk 8): assignment "Novelle: Et uventet møte"; answers by ``elev.ola``,
    ``elev.amina`` and ``elev.filip``.
  * ``larer.berg`` (contact teacher of 9A, Matematikk 9) and ``larer.lie`` (Engelsk 9):
    "Lineære funksjoner" (answers by ``elev.emma`` and ``elev.henrik``) and the essay "Social
    media and democracy" (due two days ago: ``elev.emma`` and ``elev.astrid`` are LATE).

Coursework at Sagene skole (SAG)
  * ``larer.nilsen`` (8B, Matematikk 8): "Geometri: areal og omkrets" (``elev.sofie`` with an
    attachment, ``elev.lukas``) and a homeroom reflection task in 8B.
  * ``larer.moen`` (9B, Naturfag 9): lab report "Fotosyntese" due yesterday (``elev.nora`` and
    ``elev.aksel`` are LATE); ``larer.strand`` (Engelsk 9): "Book review" (``elev.nora``).

Assessments (every kind)
  * FEEDBACK linked to submissions: ``larer.hansen`` on ``elev.ola``'s fractions answer,
    ``larer.dahl`` on Ola's short story, ``larer.lie`` on ``elev.emma``'s essay, ``larer.moen``
    on ``elev.nora``'s lab report, ``larer.nilsen`` on ``elev.sofie``'s geometry answer.
  * GOAL_ACHIEVEMENT: ``elev.ola`` (Matematikk 8), ``elev.amina`` (Norsk 8), ``elev.henrik``
    (Matematikk 9), ``elev.nora`` (Engelsk 9, SAG).
  * REMARK: ``larer.dahl`` on ``elev.filip`` in Norsk 8 (the subject teacher), and
    ``larer.hansen`` on ``elev.ola`` in the 8A homeroom (the contact teacher; he does not teach
    Ola's Norsk 8, and a remark there by him is refused because the course is not visible to
    him). ABSENCE: ``elev.jakob`` in Matematikk 8 (by ``larer.hansen``) and ``elev.aksel`` in
    Naturfag 9 (by ``larer.moen``).
  * Unpublished: ``elev.ola`` and ``elev.jakob`` have a HALF_YEAR in Matematikk 8 (BJS) that
    stays UNPUBLISHED: ``larer.hansen`` and ``rektor.bjolsen`` see it; Ola, ``foresatt.kari``
    and ``foresatt.knut`` (and Jakob / ``foresatt.geir``) do not until ``rektor.bjolsen`` runs
    ``publishAssessments`` for that course. ``elev.nora`` has an unpublished FINAL in Engelsk 9
    (SAG) by ``larer.strand``.
  * Published by a school leader: ``larer.dahl``'s HALF_YEAR grades for ``elev.ola`` and
    ``elev.amina`` in Norsk 8, published by ``rektor.bjolsen``; ``larer.moen``'s HALF_YEAR for
    ``elev.nora`` and ``elev.aksel`` in Naturfag 9, published by ``rektor.sagene``. So
    ``foresatt.kari`` (guardian of Ola at BJS and Nora at SAG) sees Ola's Norsk 8 and Nora's
    Naturfag 9 grades, but neither Ola's maths HALF_YEAR nor Nora's English FINAL.

Course posts and comments
  * Teachers' posts in Matematikk 8, Norsk 8, 8A, Engelsk 9 (BJS), Naturfag 9 and 8B (SAG),
    with comments by students and teachers; a student's own post in 8A by ``elev.ola`` with a
    comment from ``elev.jakob``.

Direct messages
  * Teacher ↔ guardian: ``larer.hansen`` and ``foresatt.kari`` about Ola's late homework.
  * Guardian → teacher: ``foresatt.linn`` asks ``larer.berg`` (Emma's contact teacher).
  * Student ↔ teacher: ``elev.emma`` and ``larer.lie`` about the late essay.
  * Multi-party: ``larer.dahl`` with ``larer.hansen``, ``foresatt.kari`` and ``foresatt.knut``
    about Ola in Norwegian (teacher, contact teacher and both guardians).
  * Sagene: ``larer.nilsen`` and ``foresatt.tone`` about ``elev.sofie``.

Documents
  * Private (no course, owner only): ``larer.hansen`` "Planlegging uke 3", ``elev.ola``
    "Huskeliste", ``elev.nora`` "Ordliste engelsk".
  * Shared to a course: ``larer.hansen`` "Formelark: brøk" (Matematikk 8), ``larer.dahl``
    "Sjangertrekk i noveller" (Norsk 8), ``elev.ola`` "Gruppenotater" (Norsk 8), ``larer.moen``
    "Mal for forsøksrapport" (Naturfag 9, SAG).

Calendar events
  * Course events (each by a teacher of the course): "Prøve i brøk" (Matematikk 8, BJS),
    "Biblioteksbesøk" (Norsk 8), "Foreldremøte 9A" (9A), "Ekskursjon til Sognsvann" (Naturfag 9,
    SAG), "Geometriprøve" (Matematikk 8, SAG).
  * Personal: ``elev.ola`` "Fotballtrening", ``larer.hansen`` "Medarbeidersamtale med rektor",
    ``foresatt.kari`` "Utviklingssamtale for Ola".

Preferences
  * ``elev.ola`` (language nb), ``elev.emma`` (language en), ``larer.hansen`` (theme dark,
    notifications.email off), ``foresatt.kari`` (language nb, notifications.email on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import Policy
from resolvers.services import communication, coursework, personal
from resolvers.services.actor import Actor
from resolvers.services.coursework import AttachmentData
from resolvers.viewer import find_person_id, load_viewer
from store import tables as t
from store.tables import AssessmentKind

# Course (class) sourcedIds in gateway/demo_data/roster/classes.csv.
BJS_8A, BJS_9A = "c-bjs-8a", "c-bjs-9a"
BJS_MAT8, BJS_NOR8, BJS_MAT9, BJS_ENG9 = "c-bjs-mat8", "c-bjs-nor8", "c-bjs-mat9", "c-bjs-eng9"
SAG_8B = "c-sag-8b"
SAG_MAT8, SAG_NAT9, SAG_ENG9 = "c-sag-mat8", "c-sag-nat9", "c-sag-eng9"

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
JPEG = "image/jpeg"

F, G = AssessmentKind.FEEDBACK, AssessmentKind.GOAL_ACHIEVEMENT
R, A = AssessmentKind.REMARK, AssessmentKind.ABSENCE
H, FIN = AssessmentKind.HALF_YEAR, AssessmentKind.FINAL


def _oslo() -> tzinfo:
    try:
        return ZoneInfo("Europe/Oslo")
    except ZoneInfoNotFoundError:  # no tz database: winter time is close enough for a demo
        return timezone(timedelta(hours=1), "CET")


@dataclass
class _Demo:
    engine: AsyncEngine
    policy: Policy
    today: datetime
    actors: dict[str, Actor] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)

    async def load_courses(self) -> None:
        c = t.courses.c
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(c.sourced_id, c.id))).all()
        self.courses = {sourced_id: int(pk) for sourced_id, pk in rows}

    def course(self, sourced_id: str) -> int:
        try:
            return self.courses[sourced_id]
        except KeyError:
            raise LookupError(f"demo course {sourced_id!r} is not in the roster") from None

    async def person(self, username: str) -> int:
        if username not in self.people:
            found = await find_person_id(self.engine, username)
            if found is None:
                raise LookupError(f"demo user {username!r} is not in the roster")
            self.people[username] = found
        return self.people[username]

    async def actor(self, username: str) -> Actor:
        if username not in self.actors:
            viewer = await load_viewer(self.engine, await self.person(username))
            self.actors[username] = Actor(self.engine, self.policy, viewer, trace_id="demo-seed")
        return self.actors[username]

    def at(self, days: int, hour: int = 23, minute: int = 59) -> datetime:
        """``days`` from today at ``hour:minute`` Oslo time, as a UTC timestamp."""
        local = self.today + timedelta(days=days)
        return local.replace(hour=hour, minute=minute).astimezone(UTC)

    # --- thin wrappers over the services, by username and course sourcedId -------------------

    async def assignment(
        self, teacher: str, course: str, title: str, instructions: str, due_in_days: int | None
    ) -> int:
        due = None if due_in_days is None else self.at(due_in_days)
        return await coursework.create_assignment(
            await self.actor(teacher), self.course(course), title, instructions, due
        )

    async def submit(
        self, student: str, assignment_id: int, body: str, *files: AttachmentData
    ) -> int:
        return await coursework.submit_answer(
            await self.actor(student), assignment_id, body, list(files) or None
        )

    async def assess(
        self,
        assessor: str,
        student: str,
        course: str,
        kind: AssessmentKind,
        *,
        grade: str | None = None,
        comment: str | None = None,
        submission_id: int | None = None,
    ) -> int:
        return await coursework.assess(
            await self.actor(assessor),
            await self.person(student),
            self.course(course),
            kind,
            submission_id=submission_id,
            grade=grade,
            comment=comment,
        )

    async def post(self, author: str, course: str, body: str, *comments: tuple[str, str]) -> int:
        actor = await self.actor(author)
        post_id = await communication.create_post(actor, self.course(course), body)
        for commenter, text in comments:
            await communication.comment_on_post(await self.actor(commenter), post_id, text)
        return post_id

    async def conversation(self, starter: str, to: list[str], *lines: tuple[str, str]) -> int:
        """Start a conversation with ``lines[0]`` (by ``starter``), then reply in order."""
        (first_author, first_body), *replies = lines
        assert first_author == starter
        recipients = [await self.person(u) for u in to]
        message_id = await communication.send_message(
            await self.actor(starter), first_body, recipients, None
        )
        # The viewers were loaded before the conversation existed: load them again, so their
        # replies are a participant's (``Viewer.conversations``).
        for username in (starter, *to):
            self.actors.pop(username, None)
        m = t.messages.c
        async with self.engine.connect() as conn:
            conversation_id = int(
                (
                    await conn.execute(select(m.conversation_id).where(m.id == message_id))
                ).scalar_one()
            )
        for author, body in replies:
            await communication.send_message(await self.actor(author), body, None, conversation_id)
        return conversation_id

    async def document(self, owner: str, title: str, body: str, course: str | None) -> int:
        course_id = None if course is None else self.course(course)
        return await personal.create_document(await self.actor(owner), title, body, course_id)

    async def event(
        self,
        owner: str,
        title: str,
        day: int,
        start: tuple[int, int],
        end: tuple[int, int],
        course: str | None,
    ) -> int:
        course_id = None if course is None else self.course(course)
        return await personal.create_calendar_event(
            await self.actor(owner),
            title,
            self.at(day, *start),
            self.at(day, *end),
            course_id,
        )

    async def prefer(self, username: str, **values: str) -> None:
        for key, value in values.items():
            await personal.set_preference(await self.actor(username), key.replace("_", "."), value)


async def seed_activity(engine: AsyncEngine, policy: Policy) -> None:
    """Create the demo activity described in this module's docstring."""
    today = datetime.now(_oslo()).replace(hour=0, minute=0, second=0, microsecond=0)
    demo = _Demo(engine, policy, today)
    await demo.load_courses()
    await _coursework(demo)
    await _communication(demo)
    await _personal(demo)


async def _coursework(d: _Demo) -> None:
    # --- Bjølsen: Matematikk 8 and 8A (larer.hansen) -----------------------------------------
    fractions = await d.assignment(
        "larer.hansen",
        BJS_MAT8,
        "Brøk og desimaltall - oppgavesett 3",
        "Løs oppgave 3.12-3.20 i Maximum 8. Vis utregning, og lever bilde eller PDF av arket.",
        7,
    )
    equations = await d.assignment(
        "larer.hansen",
        BJS_MAT8,
        "Likninger - ukelekse",
        "Løs likningene på side 112 og sett prøve på svaret.",
        -3,
    )
    class_trip = await d.assignment(
        "larer.hansen",
        BJS_8A,
        "Klassens time: forslag til klassetur",
        "Skriv kort hvor du vil at 8A skal dra på tur i vår, og hvorfor.",
        None,
    )
    ola_fractions = await d.submit(
        "elev.ola",
        fractions,
        "Her er oppgavene mine. Jeg var usikker på 3.18, der har jeg prøvd to måter.",
        AttachmentData("brok-oppgavesett-3.pdf", PDF, 184_320),
    )
    await d.submit("elev.jakob", fractions, "3.12: 0,75  3.13: 3/8  3.14: 1,2 ... (se under)")
    await d.submit(
        "elev.amina",
        fractions,
        "Alle oppgavene er løst. Jeg gjorde om brøkene til desimaltall først.",
        AttachmentData("amina-brok.jpg", JPEG, 1_048_576),
    )
    ola_equations = await d.submit(
        "elev.ola", equations, "Beklager at den kommer sent! x = 4, x = -2, x = 7/3."
    )
    await d.submit(
        "elev.sara",
        equations,
        "Glemte å levere i går. Bildet viser utregningene.",
        AttachmentData("likninger-side-112.jpg", JPEG, 2_310_144),
    )
    await d.submit("elev.ola", class_trip, "Vi burde dra til Norsk Teknisk Museum, det er gøy.")
    await d.submit("elev.mia", class_trip, "Tur til Hovedøya med grilling!")

    # --- Bjølsen: Norsk 8 (larer.dahl) -------------------------------------------------------
    short_story = await d.assignment(
        "larer.dahl",
        BJS_NOR8,
        "Novelle: Et uventet møte",
        "Skriv en novelle på 400-600 ord med et tydelig vendepunkt. Bruk sjangertrekkene vi har "
        "gått gjennom.",
        10,
    )
    ola_story = await d.submit(
        "elev.ola",
        short_story,
        "Novellen heter «Heisen». Den ligger som vedlegg.",
        AttachmentData("heisen-novelle.docx", DOCX, 23_552),
    )
    await d.submit("elev.amina", short_story, "«Bussen som aldri kom» - se teksten under. ...")
    await d.submit("elev.filip", short_story, "Novellen min handler om en hund som finner hjem.")

    # --- Bjølsen: Matematikk 9 and Engelsk 9 -------------------------------------------------
    linear = await d.assignment(
        "larer.berg",
        BJS_MAT9,
        "Lineære funksjoner - prøveforberedelse",
        "Gjør oppgavene i repetisjonsheftet. Vi går gjennom dem i timen før prøven.",
        14,
    )
    await d.submit("elev.emma", linear, "Stigningstallet er 2 og konstantleddet -3 i oppgave 4.")
    henrik_linear = await d.submit(
        "elev.henrik", linear, "Jeg fikk til alt unntatt oppgave 7 om skjæringspunkt."
    )
    essay = await d.assignment(
        "larer.lie",
        BJS_ENG9,
        "Essay: Social media and democracy",
        "Write a five-paragraph essay (about 500 words). Use at least two sources.",
        -2,
    )
    emma_essay = await d.submit(
        "elev.emma",
        essay,
        "Sorry this is late - I was ill on Monday. My essay is attached.",
        AttachmentData("social-media-essay.docx", DOCX, 31_744),
        AttachmentData("sources.pdf", PDF, 95_232),
    )
    await d.submit("elev.astrid", essay, "Social media gives young people a voice, but ...")
    await d.assignment(
        "larer.berg",
        BJS_9A,
        "Saker til elevrådet",
        "Har du saker du vil at elevrådsrepresentantene tar opp? Skriv dem her.",
        None,
    )

    # --- Sagene ---------------------------------------------------------------------------------
    geometry = await d.assignment(
        "larer.nilsen",
        SAG_MAT8,
        "Geometri: areal og omkrets",
        "Mål opp rommet ditt hjemme og regn ut areal og omkrets. Tegn en skisse.",
        5,
    )
    sofie_geometry = await d.submit(
        "elev.sofie",
        geometry,
        "Rommet mitt er 3,2 m x 2,8 m. Arealet blir 8,96 m² og omkretsen 12 m.",
        AttachmentData("skisse-rommet-mitt.jpg", JPEG, 842_000),
    )
    await d.submit("elev.lukas", geometry, "Areal 10,5 m², omkrets 13 m. Skissen tar jeg med.")
    await d.assignment(
        "larer.nilsen",
        SAG_8B,
        "Trivsel i 8B - refleksjon",
        "Hva er bra i klassen vår, og hva kan vi bli bedre på? Svaret leses bare av læreren.",
        None,
    )
    lab = await d.assignment(
        "larer.moen",
        SAG_NAT9,
        "Forsøksrapport: fotosyntese",
        "Skriv rapport fra forsøket med vannpest: hypotese, metode, resultater og drøfting.",
        -1,
    )
    nora_lab = await d.submit(
        "elev.nora",
        lab,
        "Rapporten er vedlagt. Vi fikk flere bobler med mer lys, som i hypotesen.",
        AttachmentData("fotosyntese-rapport.pdf", PDF, 412_672),
    )
    await d.submit("elev.aksel", lab, "Hypotese: mer lys gir mer oksygen. Resultater: ...")
    review = await d.assignment(
        "larer.strand",
        SAG_ENG9,
        "Book review",
        "Review a book you have read this term: plot, characters, and your opinion.",
        21,
    )
    await d.submit("elev.nora", review, "I reviewed 'Wonder' by R. J. Palacio. ...")

    # --- Assessments ------------------------------------------------------------------------
    await d.assess(
        "larer.hansen",
        "elev.ola",
        BJS_MAT8,
        F,
        submission_id=ola_fractions,
        comment="Fin innsats! Se igjen på 3.18: du må finne fellesnevner før du legger sammen.",
    )
    await d.assess(
        "larer.hansen",
        "elev.ola",
        BJS_MAT8,
        F,
        submission_id=ola_equations,
        comment="Riktige svar, men husk å levere innen fristen neste gang.",
    )
    await d.assess(
        "larer.dahl",
        "elev.ola",
        BJS_NOR8,
        F,
        submission_id=ola_story,
        comment="Spennende vendepunkt i heisen! Jobb videre med dialog og tegnsetting.",
    )
    await d.assess(
        "larer.lie",
        "elev.emma",
        BJS_ENG9,
        F,
        submission_id=emma_essay,
        comment="Well structured and well argued. Work on linking words between paragraphs.",
    )
    await d.assess(
        "larer.berg",
        "elev.henrik",
        BJS_MAT9,
        F,
        submission_id=henrik_linear,
        comment="Bra! Skjæringspunkt finner du ved å sette uttrykkene lik hverandre.",
    )
    await d.assess(
        "larer.moen",
        "elev.nora",
        SAG_NAT9,
        F,
        submission_id=nora_lab,
        comment="Grundig rapport. Drøftingen kan si mer om feilkilder.",
    )
    await d.assess(
        "larer.nilsen",
        "elev.sofie",
        SAG_MAT8,
        F,
        submission_id=sofie_geometry,
        comment="Helt riktig, og en fin skisse med mål.",
    )
    await d.assess(
        "larer.hansen",
        "elev.ola",
        BJS_MAT8,
        G,
        grade="4",
        comment="God måloppnåelse i brøk og desimaltall.",
    )
    await d.assess(
        "larer.dahl",
        "elev.amina",
        BJS_NOR8,
        G,
        grade="5",
        comment="Svært god forståelse av sjangertrekk i novellen.",
    )
    await d.assess(
        "larer.berg",
        "elev.henrik",
        BJS_MAT9,
        G,
        grade="3",
        comment="Middels måloppnåelse i lineære funksjoner.",
    )
    await d.assess(
        "larer.strand",
        "elev.nora",
        SAG_ENG9,
        G,
        grade="5",
        comment="Very good oral presentation of the book.",
    )
    await d.assess(
        "larer.dahl",
        "elev.filip",
        BJS_NOR8,
        R,
        grade="Orden",
        comment="Har ikke hatt med bøker eller skrivesaker tre ganger denne måneden.",
    )
    await d.assess(
        "larer.hansen",
        "elev.ola",
        BJS_8A,
        R,
        grade="Atferd",
        comment="Forstyrret undervisningen i klassens time etter flere påminnelser.",
    )
    await d.assess(
        "larer.hansen",
        "elev.jakob",
        BJS_MAT8,
        A,
        grade="2 timer",
        comment="Ugyldig fravær, 2 timer. Foresatte er kontaktet.",
    )
    await d.assess(
        "larer.moen",
        "elev.aksel",
        SAG_NAT9,
        A,
        grade="1 dag",
        comment="Dokumentert fravær (legetime).",
    )
    # Half-year grades in Matematikk 8 (BJS) that nobody publishes.
    await d.assess(
        "larer.hansen",
        "elev.ola",
        BJS_MAT8,
        H,
        grade="4",
        comment="Stabil innsats. Arbeid videre med likninger.",
    )
    await d.assess(
        "larer.hansen",
        "elev.jakob",
        BJS_MAT8,
        H,
        grade="3",
        comment="Kan mer enn han viser på prøver; lever leksene.",
    )
    # Half-year grades in Norsk 8 (BJS) and Naturfag 9 (SAG), published by the school leaders.
    await d.assess("larer.dahl", "elev.ola", BJS_NOR8, H, grade="4", comment="God skriftlig.")
    await d.assess("larer.dahl", "elev.amina", BJS_NOR8, H, grade="5", comment="Meget god.")
    await d.assess("larer.moen", "elev.nora", SAG_NAT9, H, grade="5", comment="Meget god.")
    await d.assess("larer.moen", "elev.aksel", SAG_NAT9, H, grade="4", comment="God.")
    # A final grade that stays unpublished.
    await d.assess("larer.strand", "elev.nora", SAG_ENG9, FIN, grade="5")
    await coursework.publish_assessments(await d.actor("rektor.bjolsen"), d.course(BJS_NOR8), H)
    await coursework.publish_assessments(await d.actor("rektor.sagene"), d.course(SAG_NAT9), H)


async def _communication(d: _Demo) -> None:
    await d.post(
        "larer.hansen",
        BJS_MAT8,
        "Husk prøve i brøk og desimaltall om ni dager. Formelarket ligger under dokumenter.",
        ("elev.ola", "Kommer det oppgaver fra kapittel 3.4 også?"),
        ("larer.hansen", "Ja, 3.1-3.4. Vi repeterer 3.4 på torsdag."),
        ("elev.amina", "Får vi bruke kalkulator?"),
    )
    await d.post(
        "larer.hansen",
        BJS_8A,
        "Hei 8A! Klassetur i mai: skriv forslagene deres i oppgaven «Forslag til klassetur».",
        ("elev.mia", "Kan vi stemme over forslagene i klassens time?"),
    )
    await d.post(
        "elev.ola",
        BJS_8A,
        "Noen som har sett den blå matteboka mi? Glemte den i gymsalen.",
        ("elev.jakob", "Den ligger på hylla ved kontoret til Per."),
    )
    await d.post(
        "larer.dahl",
        BJS_NOR8,
        "Vi besøker Deichman Torshov neste uke. Ta med lånekort.",
        ("elev.filip", "Jeg har ikke lånekort, kan jeg lage det der?"),
        ("larer.dahl", "Ja, bibliotekaren hjelper deg."),
    )
    await d.post(
        "larer.lie",
        BJS_ENG9,
        "Remember: the essay deadline has passed. Hand it in as soon as possible.",
        ("elev.emma", "I sent mine today, sorry for the delay!"),
    )
    await d.post(
        "larer.moen",
        SAG_NAT9,
        "Ekskursjon til Sognsvann på fredag. Ta med gode sko, matpakke og skrivebok.",
        ("elev.nora", "Skal vi ta vannprøver?"),
        ("larer.moen", "Ja, vi tester pH og ser etter smådyr."),
    )
    await d.post(
        "larer.nilsen",
        SAG_8B,
        "Velkommen tilbake etter ferien, 8B! Timeplanen er oppdatert.",
        ("elev.sofie", "Takk! Har vi gym på mandager nå?"),
    )

    await d.conversation(
        "larer.hansen",
        ["foresatt.kari"],
        ("larer.hansen", "Hei Kari! Ola leverte ukeleksen i likninger for sent. Alt i orden?"),
        ("foresatt.kari", "Hei! Han hadde fotballturnering i helgen. Vi skal følge opp hjemme."),
        ("larer.hansen", "Takk, det høres bra ut. Han gjør det ellers fint i matte."),
    )
    await d.conversation(
        "foresatt.linn",
        ["larer.berg"],
        ("foresatt.linn", "Hei Ingrid. Emma blir borte fra skolen på fredag på grunn av tannlege."),
        ("larer.berg", "Takk for beskjed, jeg registrerer det."),
    )
    await d.conversation(
        "elev.emma",
        ["larer.lie"],
        ("elev.emma", "Hi Marte, I was ill on Monday. Can I still hand in the essay?"),
        ("larer.lie", "Yes, hand it in this week. It will be marked as late, but that's fine."),
        ("elev.emma", "Thank you, I've submitted it now."),
    )
    await d.conversation(
        "larer.dahl",
        ["larer.hansen", "foresatt.kari", "foresatt.knut"],
        (
            "larer.dahl",
            "Hei alle! Ola skrev en veldig god novelle. Jeg vil gjerne at han leser den høyt på "
            "skolens forfatterkveld. Er det greit?",
        ),
        ("foresatt.kari", "Så hyggelig! Det er greit for oss."),
        ("foresatt.knut", "Vi kommer gjerne og hører på."),
        ("larer.hansen", "Flott, jeg setter det på planen for 8A."),
    )
    await d.conversation(
        "larer.nilsen",
        ["foresatt.tone"],
        ("larer.nilsen", "Hei Tone! Sofie gjør en fin innsats i matematikk, bare så du vet det."),
        ("foresatt.tone", "Tusen takk for at du sier ifra!"),
    )


async def _personal(d: _Demo) -> None:
    await d.document(
        "larer.hansen",
        "Planlegging uke 3",
        "Man: repetisjon. Ons: prøve. Fre: klassens time.",
        None,
    )
    await d.document("elev.ola", "Huskeliste", "Lånekort, gymtøy, levere novelle.", None)
    await d.document("elev.nora", "Ordliste engelsk", "hypothesis: hypotese\nevidence: bevis", None)
    await d.document(
        "larer.hansen",
        "Formelark: brøk",
        "a/b + c/d = (ad + bc)/bd\na/b · c/d = ac/bd\nDesimaltall: del teller på nevner.",
        BJS_MAT8,
    )
    await d.document(
        "larer.dahl",
        "Sjangertrekk i noveller",
        "Kort tekst, få personer, starter in medias res, har et vendepunkt og åpen slutt.",
        BJS_NOR8,
    )
    await d.document(
        "elev.ola",
        "Gruppenotater",
        "Gruppe 2: Ola, Amina og Filip. Tema: et uventet møte.",
        BJS_NOR8,
    )
    await d.document(
        "larer.moen",
        "Mal for forsøksrapport",
        "1. Innledning og hypotese\n2. Utstyr og metode\n3. Resultater\n4. Drøfting\n5. Konklusjon",
        SAG_NAT9,
    )

    await d.event("larer.hansen", "Prøve i brøk", 9, (8, 30), (9, 30), BJS_MAT8)
    await d.event("larer.dahl", "Biblioteksbesøk, Deichman Torshov", 6, (10, 0), (11, 30), BJS_NOR8)
    await d.event("larer.berg", "Foreldremøte 9A", 12, (18, 0), (19, 30), BJS_9A)
    await d.event("larer.moen", "Ekskursjon til Sognsvann", 4, (8, 15), (14, 0), SAG_NAT9)
    await d.event("larer.nilsen", "Geometriprøve", 8, (9, 0), (10, 0), SAG_MAT8)
    await d.event("elev.ola", "Fotballtrening", 1, (17, 30), (19, 0), None)
    await d.event("larer.hansen", "Medarbeidersamtale med rektor", 3, (14, 0), (15, 0), None)
    await d.event("foresatt.kari", "Utviklingssamtale for Ola", 5, (16, 0), (16, 30), None)

    await d.prefer("elev.ola", language="nb")
    await d.prefer("elev.emma", language="en")
    await d.prefer("larer.hansen", theme="dark", notifications_email="false")
    await d.prefer("foresatt.kari", language="nb", notifications_email="true")
