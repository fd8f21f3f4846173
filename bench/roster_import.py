"""How long does a roster import of a 10,000-student school district take, and is an unchanged
re-import a fast no-op? (docs/school-year.md, rule 9: first import < 60 s, re-import < 15 s.)

Usage (``./tavle`` creates the virtualenv on first use)::

    ./tavle bench-roster                                   # temporary SQLite file
    ./tavle bench-roster --students 2000                   # a smaller district
    ./tavle bench-roster --postgres                        # scratch database bench_roster on
                                                           # postgres@127.0.0.1:5432 (recreated)
    ./tavle bench-roster --database-url postgresql+asyncpg://postgres@127.0.0.1/mydb
    ./tavle bench-roster --keep-folder /tmp/district       # keep the generated CSV folder
    ./tavle bench-roster --generate-only /tmp/district     # only write the folder

The script is a benchmark, not a test: it prints figures and exits 0 (with ``--check``, 1 when a
target is missed).

The dataset (``generate_district``, deterministic for a given ``--seed`` and school year)
    A OneRoster 1.2 CSV bulk folder: one district org and ``--schools`` schools (default 4) with
    grades 1-10; the students are spread evenly over school x grade, in homerooms of about 25
    (``homeroom``, e.g. ``5C``) each with 8 subject classes of its own (``scheduled``, e.g.
    ``Matematikk 5C``); every student is enrolled in their homeroom and its subject classes. About
    one teacher per 12 students per school, each class with one teacher (the homeroom's contact
    teacher first, subject classes round-robin). Families of 1-3 children (10% of them with a
    child at a second school) with 1-2 guardians, linked both ways in ``agentSourcedIds``; a
    guardian has a ``guardian``/``parent`` role at each of their children's schools. Students have
    ``{Feide:...},{FNR:...}`` userIds, guardians an FNR only, staff a Feide id only. National ids
    are made-up synthetic numbers (month + 80, valid check digits), unique in the folder. Per
    school one principal and one siteAdministrator, two district systemAdministrators.
    ``academicSessions.csv`` has the school year (the one running today unless ``--school-year``)
    and its two terms; every class lists both terms in ``termSourcedIds``.

What is measured
    The database is migrated first (timed separately), then (a) the first import of the folder
    and (b) an import of the same folder again, which should change nothing. For each: wall time,
    rows per table after it, and ``ru_maxrss`` (the process's peak RSS so far: it only grows).
    ``tracemalloc`` slows Python down, so its peak of Python allocations is measured in a second
    round of (a) and (b) on a fresh database whose times are shown but are not the figures to
    compare with the targets. With ``--database-url`` a fresh database cannot be made, so there is
    one round with ``tracemalloc`` on (its times include that overhead); ``--no-memory-round``
    skips the second round.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import inspect
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from store.db import make_engine, migrate
from store.tables import metadata

TARGET_FIRST_S = 60.0
TARGET_REIMPORT_S = 15.0
POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "bench_roster"
IDENTITY_KEY = b"bench-identity-key-0123456789abcdef"

#: What the import API being written takes; ``run_import`` passes those the current one accepts.
IMPORT_OPTIONS: dict[str, Any] = {
    "identity_key": IDENTITY_KEY,
    "allow_mass_restriction": False,
    "allow_mass_archive": False,
    "dry_run": False,
    "actor": "bench",
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GRADES = tuple(range(1, 11))
HOMEROOM_SIZE = 25
STUDENTS_PER_TEACHER = 12
SUBJECTS = (
    ("Norsk", "NOR"),
    ("Matematikk", "MAT"),
    ("Engelsk", "ENG"),
    ("Naturfag", "NAT"),
    ("Samfunnsfag", "SAM"),
    ("KRLE", "KRL"),
    ("Kroppsøving", "KRO"),
    ("Musikk", "MUS"),
)
SCHOOL_NAMES = (
    "Bjølsen",
    "Sagene",
    "Lilleborg",
    "Ila",
    "Uranienborg",
    "Majorstuen",
    "Møllergata",
    "Grünerløkka",
    "Tøyen",
    "Vahl",
)
CHILD_NAMES = _words(
    "Ola Jakob Emma Nora Sofie Noah Filip Amina Sara Mia Isak Thea Henrik Astrid Magnus Frida "
    "Elias Hedda Sander Vilde Lukas Maja Oskar Selma Tobias Ella Emil Leah Aksel Olivia Mathias "
    "Ingeborg Amalie Tiril Live Aurora Yusuf Ida Jonas Linnea William Ingrid Kasper Hanna Ludvig"
)
ADULT_NAMES = _words(
    "Kari Knut Linn Geir Ali Anne Maria Bjørn Tone Ingvild Per Ingrid Jonas Marte Hilde Lars "
    "Siri Tor Hanne Eva Rune Gro Kjetil Leila Trond Camilla Ahmed Silje Øyvind Randi Espen Heidi"
)
FAMILY_NAMES = _words(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen "
    "Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl Jørgensen Halvorsen "
    "Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand Solberg Svendsen Eide Knutsen "
    "Martinsen Paulsen Bakken Kristoffersen Mathisen Lie Amundsen Nguyen Rasmussen Ali Lunde "
    "Solheim Berge Moe Nygård Bakke Kowalski Hassan Ahmadi Ødegård Sæther Våge Strøm Aas"
)
MANIFEST_FILES = _words(
    "academicSessions categories classes classResources courses courseResources demographics "
    "enrollments lineItemLearningObjectiveIds lineItems lineItemScoreScales orgs resources "
    "resultLearningObjectiveIds results resultScoreScales roles scoreScales userProfiles "
    "userResources users"
)
BULK_FILES = frozenset({"academicSessions", "orgs", "users", "roles", "classes", "enrollments"})

ORG_HEADER = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier")
ORG_HEADER += ("parentSourcedId",)
SESSION_HEADER = ("sourcedId", "status", "dateLastModified", "title", "type", "startDate")
SESSION_HEADER += ("endDate", "parentSourcedId", "schoolYear")
USER_HEADER = _words(
    "sourcedId status dateLastModified enabledUser username userIds givenName familyName "
    "middleName identifier email sms phone agentSourcedIds grades password primaryOrgSourcedId"
)
ROLE_HEADER = _words(
    "sourcedId status dateLastModified userSourcedId roleType role beginDate endDate "
    "orgSourcedId userProfileSourcedId"
)
CLASS_HEADER = _words(
    "sourcedId status dateLastModified title grades courseSourcedId classCode classType "
    "location schoolSourcedId termSourcedIds subjects"
)
ENROLLMENT_HEADER = _words(
    "sourcedId status dateLastModified classSourcedId schoolSourcedId userSourcedId role "
    "primary beginDate endDate"
)


# --- the generator ---------------------------------------------------------------------------


def current_school_year(today: date | None = None) -> int:
    """The calendar year in which the running school year started (it starts in August)."""
    today = today or date.today()
    return today.year if today.month >= 8 else today.year - 1


def _slug(name: str) -> str:
    folded = name.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()


def _grade(grade: int) -> str:
    return f"{grade:02d}"


class _NationalIds:
    """Synthetic Norwegian national identity numbers (month + 80), unique, valid check digits."""

    W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    @staticmethod
    def _check(digits: Sequence[int], weights: Sequence[int]) -> int:
        k = 11 - sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        return 0 if k == 11 else k

    def make(self, year: int) -> str:
        low, high = (500, 999) if year >= 2000 else (0, 499)
        while True:
            born = date(year, 1, 1) + timedelta(days=self.rng.randrange(365))
            base = f"{born.day:02d}{born.month + 80:02d}{year % 100:02d}"
            base += f"{self.rng.randint(low, high):03d}"
            digits = [int(c) for c in base]
            k1 = self._check(digits, self.W1)
            if k1 == 10:
                continue
            k2 = self._check([*digits, k1], self.W2)
            if k2 == 10:
                continue
            number = f"{base}{k1}{k2}"
            if number not in self.seen:
                self.seen.add(number)
                return number


@dataclass
class _Person:
    sourced_id: str
    username: str
    given: str
    family: str
    user_ids: str
    email: str
    org: str
    grade: str = ""
    agents: list[str] = field(default_factory=list)


def _write(folder: Path, name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    count = 0
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as possible (the first ones get the remainder)."""
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def generate_district(
    folder: Path,
    students: int = 10_000,
    *,
    schools: int = 4,
    seed: int = 20_260,
    school_year: int | None = None,
) -> dict[str, int]:
    """Write a OneRoster 1.2 CSV bulk folder of a made-up district into ``folder``.

    Deterministic for the same arguments (``school_year`` defaults to the running school year).
    Returns the data rows written per file.
    """
    if students < 1 or schools < 1:
        raise ValueError("students and schools must be at least 1")
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    fnr = _NationalIds(rng)
    year = current_school_year() if school_year is None else school_year
    year_id, terms = f"as-{year}", [f"as-{year}-t1", f"as-{year}-t2"]
    school_ids = [f"org-s{n + 1:02d}" for n in range(schools)]
    school_names = [
        f"{SCHOOL_NAMES[n % len(SCHOOL_NAMES)]} skole"
        + (f" {n // len(SCHOOL_NAMES) + 1}" if n >= len(SCHOOL_NAMES) else "")
        for n in range(schools)
    ]
    counts: dict[str, int] = {}

    counts["orgs.csv"] = _write(
        folder,
        "orgs.csv",
        ORG_HEADER,
        [["org-district", "", "", "Benk kommune Utdanningsetaten", "district", "BENK", ""]]
        + [
            [sid, "", "", name, "school", f"S{n + 1:02d}", "org-district"]
            for n, (sid, name) in enumerate(zip(school_ids, school_names, strict=True))
        ],
    )
    school_year_label = str(year + 1)  # OneRoster: the year the school year ends in
    counts["academicSessions.csv"] = _write(
        folder,
        "academicSessions.csv",
        SESSION_HEADER,
        [
            [year_id, "", "", f"Skoleåret {year}-{year + 1}", "schoolYear",
             f"{year}-08-15", f"{year + 1}-06-20", "", school_year_label],
            [terms[0], "", "", f"Høsthalvåret {year}", "term",
             f"{year}-08-15", f"{year}-12-20", year_id, school_year_label],
            [terms[1], "", "", f"Vårhalvåret {year + 1}", "term",
             f"{year + 1}-01-03", f"{year + 1}-06-20", year_id, school_year_label],
        ],
    )  # fmt: skip

    # Students, by school, grade and homeroom; homerooms and their subject classes.
    people: list[_Person] = []
    roles: list[list[str]] = []
    classes: list[list[str]] = []
    enrollments: list[list[str]] = []
    students_by_school: list[list[_Person]] = [[] for _ in school_ids]
    # (class sourcedId, school, students) of every class, for teachers and enrolments.
    class_members: list[tuple[str, int, list[_Person]]] = []
    term_ids = ",".join(terms)
    per_school = _split(students, schools)
    number = 0
    for s, school in enumerate(school_ids):
        for grade, in_grade in zip(GRADES, _split(per_school[s], len(GRADES)), strict=True):
            if not in_grade:
                continue
            homerooms = max(1, round(in_grade / HOMEROOM_SIZE))
            for h, size in enumerate(_split(in_grade, homerooms)):
                label = f"{grade}{chr(ord('A') + h) if h < 26 else f'-{h + 1}'}"
                members: list[_Person] = []
                for _ in range(size):
                    number += 1
                    given, family = rng.choice(CHILD_NAMES), rng.choice(FAMILY_NAMES)
                    username = f"{_slug(given)}.{_slug(family)}{number}"
                    national_id = fnr.make(year - 5 - grade)
                    person = _Person(
                        sourced_id=f"u-s-{number:06d}",
                        username=username,
                        given=given,
                        family=family,
                        user_ids=f"{{Feide:{username}@feide.example.no}},{{FNR:{national_id}}}",
                        email=f"{username}@elev.example.no",
                        org=school,
                        grade=_grade(grade),
                    )
                    members.append(person)
                    people.append(person)
                    roles.append(
                        [f"r-{person.sourced_id[2:]}", "", "", person.sourced_id, "primary",
                         "student", "", "", school, ""]
                    )  # fmt: skip
                students_by_school[s].extend(members)
                stem = f"c-{school[4:]}-{label.lower()}"
                classes.append(
                    [stem, "", "", label, _grade(grade), "", label, "homeroom", "", school,
                     term_ids, ""]
                )  # fmt: skip
                class_members.append((stem, s, members))
                for subject, code in SUBJECTS:
                    sid = f"{stem}-{code.lower()}"
                    classes.append(
                        [sid, "", "", f"{subject} {label}", _grade(grade), "", f"{code}{label}",
                         "scheduled", "", school, term_ids, subject]
                    )  # fmt: skip
                    class_members.append((sid, s, members))

    # Teachers: about one per 12 students per school; one teacher per class, round-robin.
    teachers: list[list[_Person]] = []
    for s, school in enumerate(school_ids):
        staff: list[_Person] = []
        for n in range(max(1, -(-len(students_by_school[s]) // STUDENTS_PER_TEACHER))):
            given, family = rng.choice(ADULT_NAMES), rng.choice(FAMILY_NAMES)
            username = f"{_slug(given)}.{_slug(family)}.t{s + 1}{n + 1:03d}"
            staff.append(
                _Person(
                    sourced_id=f"u-t-{s + 1:02d}-{n + 1:04d}",
                    username=username,
                    given=given,
                    family=family,
                    user_ids=f"{{Feide:{username}@feide.example.no}}",
                    email=f"{username}@{school[4:]}.example.no",
                    org=school,
                )
            )
        teachers.append(staff)
        people.extend(staff)
        roles.extend(
            [
                f"r-{t.sourced_id[2:]}",
                "",
                "",
                t.sourced_id,
                "primary",
                "teacher",
                "",
                "",
                school,
                "",
            ]
            for t in staff
        )
    turn = [0] * schools
    for sid, s, members in class_members:
        teacher = teachers[s][turn[s] % len(teachers[s])]
        turn[s] += 1
        school = school_ids[s]
        enrollments.append(
            [f"e-{sid[2:]}-{teacher.sourced_id[2:]}", "", "", sid, school, teacher.sourced_id,
             "teacher", "true", "", ""]
        )  # fmt: skip
        enrollments.extend(
            [f"e-{sid[2:]}-{p.sourced_id[2:]}", "", "", sid, school, p.sourced_id, "student",
             "false", "", ""]
            for p in members
        )  # fmt: skip

    # Families: 1-3 children, mostly at one school; 1-2 guardians each.
    pools = [rng.sample(pool, len(pool)) for pool in students_by_school]
    guardian_number = 0
    for s in range(schools):
        pool = pools[s]
        while pool:
            size = min(len(pool), rng.choices((1, 2, 3), (60, 30, 10))[0])
            children = [pool.pop() for _ in range(size)]
            others = [o for o in range(schools) if o != s and pools[o]]
            if len(children) >= 2 and others and rng.random() < 0.10:
                # A sibling at another school: swap the last child for one from there.
                pool.append(children[-1])
                children[-1] = pools[rng.choice(others)].pop()
            family = children[0].family
            for g in range(rng.choices((1, 2), (30, 70))[0]):
                guardian_number += 1
                given = rng.choice(ADULT_NAMES)
                surname = family if g == 0 or rng.random() < 0.5 else rng.choice(FAMILY_NAMES)
                username = f"{_slug(given)}.{_slug(surname)}.f{guardian_number}"
                guardian = _Person(
                    sourced_id=f"u-g-{guardian_number:06d}",
                    username=username,
                    given=given,
                    family=surname,
                    user_ids=f"{{FNR:{fnr.make(rng.randint(1970, 1995))}}}",
                    email=f"{username}@example.no",
                    org=children[0].org,
                    agents=[c.sourced_id for c in children],
                )
                people.append(guardian)
                kind = "parent" if rng.random() < 0.2 else "guardian"
                for n, org in enumerate(dict.fromkeys(c.org for c in children)):
                    roles.append(
                        [f"r-{guardian.sourced_id[2:]}-{n + 1}", "", "", guardian.sourced_id,
                         "primary", kind, "", "", org, ""]
                    )  # fmt: skip
                for child in children:
                    child.agents.append(guardian.sourced_id)

    # District staff.
    staff_rows = [("systemAdministrator", "org-district", n) for n in (1, 2)]
    staff_rows += [("principal", school, 1) for school in school_ids]
    staff_rows += [("siteAdministrator", school, 1) for school in school_ids]
    for role, org, n in staff_rows:
        given, family = rng.choice(ADULT_NAMES), rng.choice(FAMILY_NAMES)
        key = f"{role[:4].lower()}-{org[4:]}-{n}"
        username = f"{_slug(given)}.{_slug(family)}.{key}"
        people.append(
            _Person(
                sourced_id=f"u-a-{key}",
                username=username,
                given=given,
                family=family,
                user_ids=f"{{Feide:{username}@feide.example.no}}",
                email=f"{username}@district.example.no",
                org=org,
            )
        )
        roles.append([f"r-a-{key}", "", "", f"u-a-{key}", "primary", role, "", "", org, ""])

    counts["users.csv"] = _write(
        folder,
        "users.csv",
        USER_HEADER,
        (
            [p.sourced_id, "", "", "true", p.username, p.user_ids, p.given, p.family, "", "",
             p.email, "", "", ",".join(p.agents), p.grade, "", p.org]
            for p in people
        ),
    )  # fmt: skip
    counts["roles.csv"] = _write(folder, "roles.csv", ROLE_HEADER, roles)
    counts["classes.csv"] = _write(folder, "classes.csv", CLASS_HEADER, classes)
    counts["enrollments.csv"] = _write(folder, "enrollments.csv", ENROLLMENT_HEADER, enrollments)
    _write(
        folder,
        "manifest.csv",
        ("propertyName", "value"),
        [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
        + [(f"file.{n}", "bulk" if n in BULK_FILES else "absent") for n in MANIFEST_FILES]
        + [("source.systemName", "Tavle roster benchmark"), ("source.systemCode", "tavle-bench")],
    )
    return counts


# --- the benchmark ---------------------------------------------------------------------------


async def run_import(engine: AsyncEngine, folder: Path) -> Any:
    """Import ``folder`` with the benchmark's options: the one place that knows the import API.

    The keyword options the current ``import_roster`` does not take yet are left out (see
    ``import_options``), so the script works before and after the new importer lands.
    """
    from roster import import_roster  # here, so that the generator works without the importer

    return await import_roster(engine, folder, **import_options()[0])


def import_options() -> tuple[dict[str, Any], list[str]]:
    """The options of ``IMPORT_OPTIONS`` that ``import_roster`` accepts, and those it does not."""
    from roster import import_roster

    parameters = inspect.signature(import_roster).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    accepted = {k: v for k, v in IMPORT_OPTIONS.items() if takes_any or k in parameters}
    return accepted, [k for k in IMPORT_OPTIONS if k not in accepted]


def rss_mib() -> float:
    """This process's peak resident set size so far (``ru_maxrss`` is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def table_rows(engine: AsyncEngine) -> dict[str, int]:
    """Rows in every table of the schema that exists in the database."""

    def existing(sync_conn: Any) -> set[str]:
        from sqlalchemy import inspect as sa_inspect

        return set(sa_inspect(sync_conn).get_table_names())

    rows: dict[str, int] = {}
    async with engine.connect() as conn:
        present = await conn.run_sync(existing)
        for table in metadata.sorted_tables:
            if table.name in present:
                count = await conn.execute(select(func.count()).select_from(table))
                rows[table.name] = int(count.scalar_one())
    return rows


@dataclass
class Phase:
    name: str
    target: float
    seconds: float = 0.0
    rss_mib: float = 0.0
    traced_peak_mib: float | None = None
    rows: dict[str, int] = field(default_factory=dict)
    report: Any = None


async def run_round(url: str, folder: Path, *, trace: bool) -> tuple[float, list[Phase]]:
    """Migrate ``url``, then the first import and an unchanged re-import of ``folder``."""
    started = time.perf_counter()
    await migrate(url)
    migrate_s = time.perf_counter() - started
    print(f"  migrate: {migrate_s:.2f} s (not part of the import times)", flush=True)
    phases = [
        Phase("first import", TARGET_FIRST_S),
        Phase("unchanged re-import", TARGET_REIMPORT_S),
    ]
    engine = make_engine(url)
    try:
        before = await table_rows(engine)
        if before.get("people"):
            print(f"  note: the database already holds {before['people']:,} people", flush=True)
        for phase in phases:
            print(f"  {phase.name} ...", flush=True)
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            phase.report = await run_import(engine, folder)
            phase.seconds = time.perf_counter() - started
            if trace:
                phase.traced_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            phase.rss_mib = rss_mib()
            phase.rows = await table_rows(engine)
    finally:
        await engine.dispose()
    return migrate_s, phases


# --- databases -------------------------------------------------------------------------------


async def _postgres_admin(server: str, statements: Sequence[str]) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction, hence AUTOCOMMIT.
    engine = create_async_engine(
        f"{server}/postgres", isolation_level="AUTOCOMMIT", connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def database_factory(
    args: argparse.Namespace, workdir: Path
) -> tuple[str, Callable[[int], Awaitable[str]], Callable[[], Awaitable[None]], bool]:
    """(description, fresh database URL for round n, clean-up, whether rounds can be fresh)."""
    if args.database_url:

        async def given(_: int) -> str:
            return str(args.database_url)

        async def nothing() -> None:
            return None

        return f"{args.database_url} (as given)", given, nothing, False
    if args.postgres:
        server, name = args.postgres_server, POSTGRES_DATABASE

        async def scratch(_: int) -> str:
            await _postgres_admin(
                server,
                [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'],
            )
            return f"{server}/{name}"

        async def drop() -> None:
            if not args.keep_database:
                await _postgres_admin(server, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])

        kept = " (kept afterwards)" if args.keep_database else " (dropped afterwards)"
        return f"PostgreSQL {server}/{name}, recreated per round{kept}", scratch, drop, True

    async def sqlite_file(n: int) -> str:
        return f"sqlite+aiosqlite:///{workdir}/bench-{n}.sqlite3"

    async def nothing_sqlite() -> None:
        return None

    return "SQLite, a new temporary file per round", sqlite_file, nothing_sqlite, True


# --- output ----------------------------------------------------------------------------------


def _verdict(seconds: float, target: float) -> str:
    return "OK" if seconds < target else "MISSED"


def print_phases(phases: Sequence[Phase], traced: bool) -> None:
    print(f"  {'':<22}{'wall s':>9}  {'target':<9}{'':<8}{'max RSS MiB':>12}", end="")
    print(f"{'Python peak MiB':>17}" if traced else "")
    for phase in phases:
        target = f"< {phase.target:.0f} s"
        line = (
            f"  {phase.name:<22}{phase.seconds:>9.2f}  {target:<9}"
            f"{_verdict(phase.seconds, phase.target):<8}{phase.rss_mib:>12.0f}"
        )
        if phase.traced_peak_mib is not None:
            line += f"{phase.traced_peak_mib:>17.1f}"
        print(line)


def print_rows(phases: Sequence[Phase]) -> None:
    first, again = phases
    names = [n for n in first.rows if first.rows[n] or again.rows.get(n)]
    print(f"  {'table':<28}{'after first':>12}{'after re-import':>17}")
    for name in names:
        print(f"  {name:<28}{first.rows[name]:>12,}{again.rows.get(name, 0):>17,}")
    changed = [n for n in names if first.rows[n] != again.rows.get(n)]
    print(
        "  the re-import added or removed rows in: " + ", ".join(changed)
        if changed
        else "  the re-import left every table's row count as it was"
    )


def print_report(phase: Phase, max_lines: int = 16) -> None:
    render = getattr(phase.report, "render", None)
    text_ = render() if callable(render) else repr(phase.report)
    lines = str(text_).splitlines()
    print(f"  report of the {phase.name}:")
    for line in lines[:max_lines]:
        print(f"    {line}")
    if len(lines) > max_lines:
        print(f"    ... ({len(lines) - max_lines} more lines)")


# --- main ------------------------------------------------------------------------------------


async def benchmark(args: argparse.Namespace, folder: Path, workdir: Path) -> bool:
    description, fresh, clean_up, can_be_fresh = database_factory(args, workdir)
    accepted, missing = import_options()
    print(f"database: {description}")
    shown = ", ".join(
        f"{k}={'<key>' if k == 'identity_key' else repr(v)}" for k, v in accepted.items()
    )
    print(f"import call: import_roster(engine, folder{', ' + shown if shown else ''})")
    if missing:
        print(f"  (the current import_roster does not take {', '.join(missing)} yet)")
    ok = True
    try:
        trace_inline = not can_be_fresh and not args.no_memory_round
        print(
            "\nround 1: timed"
            + (" with tracemalloc on (times include its overhead)" if trace_inline else "")
        )
        _, phases = await run_round(await fresh(1), folder, trace=trace_inline)
        print_phases(phases, trace_inline)
        print_rows(phases)
        for phase in phases:
            print_report(phase)
        ok = all(p.seconds < p.target for p in phases)
        if can_be_fresh and not args.no_memory_round:
            print("\nround 2: a fresh database, tracemalloc on (these times are not the figures)")
            _, traced = await run_round(await fresh(2), folder, trace=True)
            for phase in traced:
                print(
                    f"  {phase.name:<22}{phase.seconds:>9.2f} s with tracemalloc,"
                    f" Python peak {phase.traced_peak_mib or 0:.1f} MiB"
                )
    finally:
        await clean_up()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Times the first import and an unchanged re-import of a generated district."
    )
    parser.add_argument("--students", type=int, default=10_000, help="students in the district")
    parser.add_argument("--schools", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20_260)
    parser.add_argument(
        "--school-year", type=int, help="the year the school year starts (default: running one)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="use this database as it is (one round)")
    where.add_argument(
        "--postgres",
        action="store_true",
        help=f"a scratch database {POSTGRES_DATABASE} on the PostgreSQL server (recreated)",
    )
    parser.add_argument("--postgres-server", default=POSTGRES_SERVER, help=argparse.SUPPRESS)
    parser.add_argument("--keep-database", action="store_true", help="with --postgres")
    parser.add_argument("--keep-folder", type=Path, help="generate the folder here and keep it")
    parser.add_argument("--generate-only", type=Path, metavar="DIR", help="only write the folder")
    parser.add_argument("--no-memory-round", action="store_true", help="skip the tracemalloc round")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tavle-bench-roster-") as tmp:
        workdir = Path(tmp)
        folder = args.generate_only or args.keep_folder or workdir / "district"
        started = time.perf_counter()
        counts = generate_district(
            folder,
            args.students,
            schools=args.schools,
            seed=args.seed,
            school_year=args.school_year,
        )
        year = current_school_year() if args.school_year is None else args.school_year
        print(
            f"Roster import benchmark: {args.students:,} students, {args.schools} schools,"
            f" seed {args.seed}, school year {year}-{year + 1}"
        )
        print(
            f"folder {folder} written in {time.perf_counter() - started:.2f} s: "
            + ", ".join(f"{name} {n:,}" for name, n in counts.items())
        )
        print(f"  max RSS after generating: {rss_mib():.0f} MiB")
        if args.generate_only:
            return 0
        ok = asyncio.run(benchmark(args, folder, workdir))
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
