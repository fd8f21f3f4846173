"""The school-year rules of the roster import, one by one, on SQLite and PostgreSQL.

Archived classes and schools (rule 2), ended and reopened enrolments (rule 3), sessions and
terms (rule 4), the mass-archive threshold and the dry run (rule 5), the import record and its
audit entries (rule 6), erased people staying erased (rule 7), delta packages and zip files
(rule 8), and progress (rule 9). What the import means for access is tested through HTTP in
``tests/api/test_year_rollover.py``.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from db_support import TEST_IDENTITY_KEY
from demo_roster_support import current_demo_roster, demo_day, demo_years
from roster_support import RosterFolder, assert_only_a_run_recorded, run_with_engine, snapshot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.demo_calendar import shifted_copy
from resolvers.services.privacy import erase_subject
from roster import DEMO_ROSTER_DIR, ImportReport, RefusedError, RosterError, import_roster
from roster.maintenance import allow_recreate, archive_ended
from store.audit_verify import verify_chain
from store.tables import (
    CourseState,
    PrivacyAction,
    ProcessingState,
    RequestOrigin,
    academic_sessions,
    audit_entries,
    course_terms,
    courses,
    enrolments,
    people,
    privacy_requests,
    roster_imports,
    schools,
)


async def _import(engine: AsyncEngine, folder: Path, **options: Any) -> ImportReport:
    return await import_roster(engine, folder, identity_key=TEST_IDENTITY_KEY, **options)


async def _one(engine: AsyncEngine, stmt: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(stmt)).one()


async def _all(engine: AsyncEngine, stmt: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


def _course(sourced_id: str) -> Any:
    return select(courses.c.id, courses.c.state, courses.c.archived_at).where(
        courses.c.sourced_id == sourced_id
    )


def _open_enrolments(course_id: int) -> Any:
    e = enrolments.c
    return select(func.count()).where(e.course_id == course_id, e.ended_at.is_(None))


def _drop_class(folder: RosterFolder, sourced_id: str) -> None:
    folder.remove("classes.csv", lambda row: row["sourcedId"] == sourced_id)
    folder.remove("enrollments.csv", lambda row: row["classSourcedId"] == sourced_id)


# --- rule 2 and 3: archived classes keep their members; enrolments end ---------------------


def test_class_leaving_is_archived_keeps_members_and_comes_back(
    roster_db_url: str, demo_copy: RosterFolder, tmp_path: Path
) -> None:
    _drop_class(demo_copy, "c-bjs-nor8")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        before = await _one(engine, _course("c-bjs-nor8"))
        members = (await _one(engine, _open_enrolments(before.id)))[0]
        report = await _import(engine, demo_copy.path)
        assert report.archived_classes == ["c-bjs-nor8"] and report.classes.removed == 1
        assert {"kind": "COURSE_ARCHIVED", "count": 1} in report.changes
        after = await _one(engine, _course("c-bjs-nor8"))
        assert after.state == CourseState.ARCHIVED and after.archived_at is not None
        # The archived course keeps its final memberships: nothing ended.
        assert (await _one(engine, _open_enrolments(after.id)))[0] == members > 0
        assert report.enrollments.removed == 0
        again = await _import(engine, current_demo_roster())
        assert again.reactivated_classes == ["c-bjs-nor8"]
        assert {"kind": "COURSE_REACTIVATED", "count": 1} in again.changes
        back = await _one(engine, _course("c-bjs-nor8"))
        assert (back.id, back.state, back.archived_at) == (before.id, CourseState.ACTIVE, None)

    run_with_engine(roster_db_url, scenario)


def test_missing_enrolment_ends_and_is_reopened(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    demo_copy.remove("enrollments.csv", lambda row: row["sourcedId"] == "e-bjs-8a-s-ola")
    e = enrolments.c
    ola_in_8a = (
        select(e.id, e.started_at, e.ended_at)
        .join(courses, courses.c.id == e.course_id)
        .join(people, people.c.id == e.person_id)
        .where(courses.c.sourced_id == "c-bjs-8a", people.c.sourced_id == "u-s-ola")
    )

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        first = await _one(engine, ola_in_8a)
        assert first.ended_at is None and first.started_at is not None
        report = await _import(engine, demo_copy.path)
        assert report.enrollments.removed == 1
        assert {"kind": "ENROLMENT_ENDED", "count": 1} in report.changes
        ended = await _one(engine, ola_in_8a)
        assert ended.id == first.id and ended.ended_at is not None  # ended, not deleted
        back = await _import(engine, current_demo_roster())
        assert {"kind": "ENROLMENT_STARTED", "count": 1} in back.changes
        reopened = await _one(engine, ola_in_8a)
        assert reopened.id == first.id and reopened.ended_at is None
        assert reopened.started_at > first.started_at

    run_with_engine(roster_db_url, scenario)


# --- rule 5: thresholds and the dry run -------------------------------------------------------


def test_archiving_many_courses_of_a_school_needs_the_flag(
    roster_db_url: str, demo_copy: RosterFolder, tmp_path: Path
) -> None:
    bigger = RosterFolder(tmp_path / "bigger")
    for n in range(10):
        bigger.append(
            "classes.csv",
            sourcedId=f"c-bjs-extra{n}",
            title=f"Valgfag {n}",
            classCode=f"VAL{n}",
            classType="scheduled",
            schoolSourcedId="org-bjs",
        )
    # The demo's own copy lacks the ten extra classes and two more of Bjølsen's: 12 of 16.
    _drop_class(demo_copy, "c-bjs-nor8")
    _drop_class(demo_copy, "c-bjs-eng9")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, bigger.path)
        before = await snapshot(engine)
        with pytest.raises(RosterError) as caught:
            await _import(engine, demo_copy.path)
        assert str(caught.value) == (
            "classes.csv: would archive 12 of the 16 active courses of school 'org-bjs' (more "
            "than 20%): is the file complete? Import with --allow-mass-archive if this is "
            "intended (at the school year's rollover, for example)"
        )
        await assert_only_a_run_recorded(engine, before, "REFUSED")
        before = await snapshot(engine)
        refused = caught.value
        assert isinstance(refused, RefusedError) and len(refused.report.archived_classes) == 12
        dry = await _import(engine, demo_copy.path, allow_mass_archive=True, dry_run=True)
        assert dry.dry_run and len(dry.archived_classes) == 12 and dry.import_id is None
        assert "DRY RUN" in dry.render() and "c-bjs-extra3" in dry.render()
        assert await snapshot(engine) == before
        done = await _import(engine, demo_copy.path, allow_mass_archive=True)
        assert sorted(done.archived_classes) == sorted(dry.archived_classes)
        assert done.changes == dry.changes

    run_with_engine(roster_db_url, scenario)


def test_a_whole_school_leaving_needs_the_flag_and_archives_its_courses(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    sagene = {row["sourcedId"] for row in _rows(demo_copy, "classes.csv", "org-sag")}
    demo_copy.remove("orgs.csv", lambda row: row["sourcedId"] == "org-sag")
    demo_copy.remove("classes.csv", lambda row: row["schoolSourcedId"] == "org-sag")
    demo_copy.remove("enrollments.csv", lambda row: row["schoolSourcedId"] == "org-sag")
    demo_copy.remove("roles.csv", lambda row: row["orgSourcedId"] == "org-sag")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        before = await snapshot(engine)
        with pytest.raises(RosterError) as caught:
            await _import(engine, demo_copy.path)
        assert str(caught.value).startswith(
            "orgs.csv: would archive 1 whole school(s) missing from the file ('org-sag')"
        )
        await assert_only_a_run_recorded(engine, before, "REFUSED")
        report = await _import(engine, demo_copy.path, allow_mass_archive=True)
        assert report.archived_orgs == ["org-sag"]
        assert set(report.archived_classes) == sagene
        state = await _one(engine, select(schools.c.state).where(schools.c.sourced_id == "org-sag"))
        assert state[0] == CourseState.ARCHIVED
        assert await _course_states_at(engine, "org-sag") == {CourseState.ARCHIVED}

    run_with_engine(roster_db_url, scenario)


async def _course_states_at(engine: AsyncEngine, school: str) -> set[str]:
    rows = await _all(
        engine,
        select(courses.c.state)
        .join(schools, schools.c.id == courses.c.school_id)
        .where(schools.c.sourced_id == school),
    )
    return {row[0] for row in rows}


def _rows(folder: RosterFolder, name: str, school: str) -> list[dict[str, str]]:
    import csv

    with (folder.path / name).open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.DictReader(handle) if row["schoolSourcedId"] == school]


# --- rule 4: sessions, terms, archive-ended ---------------------------------------------------


def test_sessions_terms_and_archive_ended(roster_db_url: str, tmp_path: Path) -> None:
    # The coming school year, so that no term has ended yet when the classes are imported,
    # whatever the day (the current year's autumn term ends in December).
    years = demo_years() + 1
    coming = shifted_copy(DEMO_ROSTER_DIR, tmp_path / "roster", years)
    autumn_only = RosterFolder(tmp_path / "autumn-only", source=coming)
    autumn_only.set("classes.csv", "c-bjs-mat8", termSourcedIds="as-2026-27-t1")
    autumn_ends, autumn_over, year_over = (
        day.replace(year=day.year + years)
        for day in (date(2026, 12, 18), date(2026, 12, 19), date(2027, 6, 19))
    )

    async def scenario(engine: AsyncEngine) -> None:
        report = await _import(engine, coming)
        assert (report.sessions.created, report.sessions.unchanged) == (3, 0)
        terms = await _all(engine, select(academic_sessions.c.sourced_id, academic_sessions.c.type))
        assert {tuple(t) for t in terms} == {
            ("as-2026-27", "SCHOOL_YEAR"),
            ("as-2026-27-t1", "TERM"),
            ("as-2026-27-t2", "TERM"),
        }
        links = await _one(engine, select(func.count()).select_from(course_terms))
        assert links[0] == 11 * 2
        changed = await _import(engine, autumn_only.path)
        assert changed.changes == [{"kind": "COURSE_TERMS_CHANGED", "count": 1}]
        # MAT8 now runs in the autumn term only: it ends first.
        assert await archive_ended(engine, autumn_ends, "test") == []
        assert await archive_ended(engine, autumn_over, "test") == ["c-bjs-mat8"]
        everything = await archive_ended(engine, year_over, "test")
        assert len(everything) == 10 and "c-bjs-mat8" not in everything
        assert await archive_ended(engine, year_over, "test") == []
        runs = await _all(
            engine,
            select(roster_imports.c.source, roster_imports.c.mode, roster_imports.c.counts).where(
                roster_imports.c.mode == "maintenance"
            ),
        )
        assert [(r.source, json.loads(r.counts)) for r in runs] == [
            (f"archive-ended as of {autumn_over}", [{"kind": "COURSE_ARCHIVED", "count": 1}]),
            (f"archive-ended as of {year_over}", [{"kind": "COURSE_ARCHIVED", "count": 10}]),
        ]

    run_with_engine(roster_db_url, scenario)


# --- rule 6: the import record and its audit entries ------------------------------------------


def test_import_run_record_and_audit_entries(roster_db_url: str, demo_copy: RosterFolder) -> None:
    demo_copy.set("users.csv", "u-s-ola", givenName="Olav", email="olav@example.no")
    demo_copy.remove_user("u-s-isak")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        report = await _import(engine, demo_copy.path, actor="cli:it")
        record = await _one(engine, select(roster_imports).where(roster_imports.c.id == 2))
        assert (record.status, record.source, record.mode, record.actor) == (
            "COMPLETED",
            "roster",
            "bulk",
            "cli:it",
        )
        assert record.finished_at >= record.started_at
        digests = json.loads(record.file_digests)
        users = (demo_copy.path / "users.csv").read_bytes()
        assert digests["users.csv"] == hashlib.sha256(users).hexdigest()
        assert json.loads(record.counts) == report.changes
        assert {"kind": "PERSON_UPDATED", "count": 1} in report.changes
        assert {"kind": "PERSON_RESTRICTED", "count": 1} in report.changes
        entries = await _all(
            engine,
            select(audit_entries.c.action, audit_entries.c.detail, audit_entries.c.subject_id)
            .where(audit_entries.c.roster_import_id == 2)
            .order_by(audit_entries.c.id),
        )
        assert entries[0].action == "ROSTER_IMPORT"
        kinds = [e.action for e in entries[1:]]
        assert all(kind.startswith("ROSTER_") for kind in kinds)
        assert sum(report.changes[i]["count"] for i in range(len(report.changes))) == len(kinds)
        updated = next(e for e in entries if e.action == "ROSTER_PERSON_UPDATED")
        assert updated.detail == "fields: givenName,email"  # names, never values
        assert "Olav" not in json.dumps([tuple(e) for e in entries], default=str)
        isak = await _one(engine, select(people.c.id).where(people.c.sourced_id == "u-s-isak"))
        request = await _one(
            engine,
            select(
                privacy_requests.c.action,
                privacy_requests.c.origin,
                privacy_requests.c.requested_by_id,
                privacy_requests.c.justification,
                privacy_requests.c.created_at,
            ).where(privacy_requests.c.subject_id == isak.id),
        )
        assert (request.action, request.origin, request.requested_by_id) == (
            PrivacyAction.RESTRICT,
            RequestOrigin.ROSTER,
            None,
        )
        assert request.justification == "Roster import 2: missing from a bulk users.csv"
        assert (await verify_chain(engine)).ok

    run_with_engine(roster_db_url, scenario)


# --- rule 7: erased stays erased --------------------------------------------------------------


def test_erased_person_is_not_created_again_until_allowed(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    # Someone new, with Nora's national id but another sourcedId and username.
    nora = demo_copy.row("users.csv", "u-s-nora")
    twin_line = demo_copy.append(
        "users.csv",
        sourcedId="u-s-nora-2",
        enabledUser="true",
        username="nora.twin",
        userIds=nora["userIds"],
        givenName="Nora",
        familyName="Twin",
    )

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        nora_id = (
            await _one(engine, select(people.c.id).where(people.c.sourced_id == "u-s-nora"))
        )[0]
        async with engine.begin() as conn:
            await erase_subject(conn, nora_id, identity_key=TEST_IDENTITY_KEY)
        report = await _import(engine, demo_copy.path, allow_mass_restriction=True)
        nora_line = demo_copy.line_of("users.csv", "u-s-nora")
        blocked = [c for c in report.conflicts if c.startswith("ERASED_IDENTITY")]
        assert blocked == [
            f"ERASED_IDENTITY: users.csv:{line}: user '{who}' matches an erased person and was "
            "not created (delete them in the school system too, or lift the block with "
            "`tavle roster allow-recreate`)"
            for line, who in sorted([(nora_line, "u-s-nora"), (twin_line, "u-s-nora-2")])
        ]
        found = await _all(
            engine, select(people.c.id).where(people.c.sourced_id.in_(["u-s-nora", "u-s-nora-2"]))
        )
        assert found == []
        # The run's record names the rows by their place in the file only.
        recorded = await _one(
            engine,
            select(roster_imports.c.conflicts).where(roster_imports.c.id == report.import_id),
        )
        assert json.loads(recorded[0]) == [
            f"ERASED_IDENTITY: users.csv:{line}: a user matching an erased person was not created"
            for line in (nora_line, twin_line)
        ]
        # Her roles, enrolments and guardian links are skipped with her, not an error.
        assert report.users.created == 0
        assert await allow_recreate(
            engine, "u-s-nora", "the SIS re-enrolled her", TEST_IDENTITY_KEY
        )
        again = await _import(engine, demo_copy.path, allow_mass_restriction=True)
        assert [c for c in again.conflicts if "u-s-nora'" in c] == []
        assert any("u-s-nora-2" in c for c in again.conflicts)  # still blocked
        created = await _one(engine, select(people.c.id).where(people.c.sourced_id == "u-s-nora"))
        assert created.id != nora_id
        actions = await _all(
            engine,
            select(audit_entries.c.action, audit_entries.c.justification).where(
                audit_entries.c.action == "ROSTER_ALLOW_RECREATE"
            ),
        )
        assert [tuple(a) for a in actions] == [("ROSTER_ALLOW_RECREATE", "the SIS re-enrolled her")]

    run_with_engine(roster_db_url, scenario)


def test_allow_recreate_refuses_an_existing_person_and_a_blank_justification(
    roster_db_url: str,
) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        with pytest.raises(RosterError, match="person 'u-s-ola' exists"):
            await allow_recreate(engine, "u-s-ola", "why", TEST_IDENTITY_KEY)
        with pytest.raises(RosterError, match="a justification is required"):
            await allow_recreate(engine, "u-s-gone", "  ", TEST_IDENTITY_KEY)

    run_with_engine(roster_db_url, scenario)


# --- rule 8: delta packages and zip files -----------------------------------------------------


def _manifest(folder: RosterFolder, **modes: str) -> None:
    files = ["academicSessions", "orgs", "users", "roles", "classes", "enrollments"]
    lines = ["propertyName,value", "manifest.version,1.0", "oneroster.version,1.2"]
    lines += [f"file.{name},{modes.get(name, 'absent')}" for name in files]
    (folder.path / "manifest.csv").write_text("\n".join(lines) + "\n")


def test_delta_package_changes_only_the_rows_listed(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    _manifest(demo_copy, users="delta", enrollments="delta", classes="delta")
    for name in ("academicSessions.csv", "orgs.csv", "roles.csv"):
        (demo_copy.path / name).unlink()
    demo_copy.remove("users.csv", lambda row: row["sourcedId"] not in {"u-s-ola", "u-s-emma"})
    demo_copy.set("users.csv", "u-s-ola", status="tobedeleted")
    demo_copy.set("users.csv", "u-s-emma", givenName="Emmy")
    demo_copy.remove("classes.csv", lambda row: row["sourcedId"] != "c-sag-nat9")
    demo_copy.set("classes.csv", "c-sag-nat9", status="tobedeleted")
    demo_copy.remove(
        "enrollments.csv",
        lambda row: row["sourcedId"] not in {"e-bjs-mat8-t-hansen", "e-bjs-8a-s-ola"},
    )
    demo_copy.set("enrollments.csv", "e-bjs-mat8-t-hansen", status="tobedeleted")
    demo_copy.set("enrollments.csv", "e-bjs-8a-s-ola", classSourcedId="c-bjs-nor8")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        report = await _import(engine, demo_copy.path)
        assert report.modes["users.csv"] == "delta" and report.modes["orgs.csv"] == "absent"
        assert report.restricted == ["u-s-ola"]  # only the tobedeleted row; nobody else
        assert report.users.updated == 2
        assert report.archived_classes == ["c-sag-nat9"]
        assert report.enrollments.removed == 1
        changes = {c["kind"]: c["count"] for c in report.changes}
        assert changes == {
            "PERSON_UPDATED": 1,
            "PERSON_RESTRICTED": 1,
            "COURSE_ARCHIVED": 1,
            "ENROLMENT_ENDED": 1,
        }  # Ola is restricted, so his new enrolment (a link of an inactive person) is skipped
        active = await _one(
            engine,
            select(func.count()).where(people.c.processing_state == ProcessingState.ACTIVE),
        )
        assert active[0] == 59

    run_with_engine(roster_db_url, scenario)


def test_delta_reference_to_an_unknown_class_fails_with_its_line(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    _manifest(demo_copy, enrollments="delta")
    demo_copy.remove("enrollments.csv", lambda row: row["sourcedId"] != "e-bjs-8a-s-ola")
    line = demo_copy.set("enrollments.csv", "e-bjs-8a-s-ola", classSourcedId="c-nowhere")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        before = await snapshot(engine)
        with pytest.raises(RosterError) as caught:
            await _import(engine, demo_copy.path)
        assert str(caught.value) == f"enrollments.csv:{line}: unknown classSourcedId 'c-nowhere'"
        await assert_only_a_run_recorded(engine, before, "FAILED")

    run_with_engine(roster_db_url, scenario)


def _zip(folder: Path, target: Path, wrap: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{wrap}{path.name}")
    return target


def test_zipped_package_imports_like_the_folder(roster_db_url: str, tmp_path: Path) -> None:
    package = _zip(current_demo_roster(), tmp_path / "oneroster.zip", wrap="export/")

    async def scenario(engine: AsyncEngine) -> None:
        report = await _import(engine, package)
        assert (report.users.created, report.classes.created) == (60, 11)
        again = await _import(engine, current_demo_roster())
        assert not again.changed
        source = await _one(engine, select(roster_imports.c.source).where(roster_imports.c.id == 1))
        assert source[0] == "oneroster.zip"

    run_with_engine(roster_db_url, scenario)


def test_unsafe_or_broken_zip_is_refused(roster_db_url: str, tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../users.csv", "sourcedId\n")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")

    async def scenario(engine: AsyncEngine) -> None:
        with pytest.raises(RosterError) as caught:
            await _import(engine, evil)
        assert str(caught.value) == "evil.zip: unsafe path '../users.csv' in the package"
        with pytest.raises(RosterError) as caught:
            await _import(engine, broken)
        assert str(caught.value) == "broken.zip: not a readable zip file (BadZipFile)"

    run_with_engine(roster_db_url, scenario)


# --- rule 9: progress -------------------------------------------------------------------------


def test_progress_names_each_file_and_step(roster_db_url: str) -> None:
    seen: list[str] = []

    async def scenario(engine: AsyncEngine) -> None:
        report = await _import(engine, current_demo_roster(), progress=seen.append)
        assert [step for step, _ in report.timings][:4] == [
            "academicSessions.csv",
            "orgs.csv",
            "users.csv",
            "classes.csv",
        ]

    run_with_engine(roster_db_url, scenario)
    assert "parsed users.csv: 60 rows (bulk)" in seen
    assert any(line.startswith("applied enrollments.csv (") for line in seen)


# --- review findings: ended terms, reused sourcedIds, schools leaving without classes.csv ----


def test_a_listed_class_whose_terms_ended_is_archived_and_stays_so(
    roster_db_url: str, tmp_path: Path
) -> None:
    last_year = shifted_copy(DEMO_ROSTER_DIR, tmp_path / "last-year", -1)

    async def scenario(engine: AsyncEngine) -> None:
        first = await _import(engine, last_year)
        assert len(first.archived_classes) == 11 and first.classes.created == 11
        assert {"kind": "COURSE_ARCHIVED", "count": 11} in first.changes
        states = await _all(engine, select(courses.c.state))
        assert {row[0] for row in states} == {CourseState.ARCHIVED}
        # The daily job and the next import agree: nothing is reactivated, nothing changes.
        assert await archive_ended(engine, date.today(), "test") == []
        again = await _import(engine, last_year)
        assert again.reactivated_classes == [] and again.archived_classes == []
        assert again.classes.unchanged == 11 and again.changes == []
        # Enrolment rows for archived courses neither start nor end memberships.
        assert again.enrollments.created == 0 and again.enrollments.removed == 0

    run_with_engine(roster_db_url, scenario)


def test_a_reused_class_sourced_id_with_new_terms_begins_a_new_course(
    roster_db_url: str, demo_copy: RosterFolder, tmp_path: Path
) -> None:
    without_8a = RosterFolder(tmp_path / "without-8a")
    _drop_class(without_8a, "c-bjs-8a")
    next_terms = [(date(2027, 8, 16), date(2027, 12, 17)), (date(2028, 1, 3), date(2028, 6, 16))]
    for n, (start, end) in enumerate(next_terms):
        demo_copy.append(
            "academicSessions.csv",
            sourcedId=f"as-next-t{n + 1}",
            title=f"Neste år {n + 1}",
            type="term",
            startDate=demo_day(start).isoformat(),
            endDate=demo_day(end).isoformat(),
        )
    demo_copy.set("classes.csv", "c-bjs-8a", termSourcedIds="as-next-t1,as-next-t2")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        old = await _one(engine, _course("c-bjs-8a"))
        await _import(engine, without_8a.path)
        assert (await _one(engine, _course("c-bjs-8a"))).state == CourseState.ARCHIVED
        report = await _import(engine, demo_copy.path)
        assert report.renewed_classes == ["c-bjs-8a"] and report.reactivated_classes == []
        new = await _one(engine, _course("c-bjs-8a"))
        assert new.id != old.id and new.state == CourseState.ACTIVE
        kept = await _one(
            engine,
            select(courses.c.sourced_id, courses.c.state).where(courses.c.id == old.id),
        )
        assert tuple(kept) == (f"c-bjs-8a#archived-{old.id}", CourseState.ARCHIVED)
        # Last year's members stay with last year's course; this year's are enrolled anew.
        assert (await _one(engine, _open_enrolments(old.id)))[0] > 0
        assert (await _one(engine, _open_enrolments(new.id)))[0] > 0

    run_with_engine(roster_db_url, scenario)


def test_a_school_leaving_in_a_delta_archives_its_courses_without_classes_csv(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    _manifest(demo_copy, orgs="delta")
    demo_copy.remove("orgs.csv", lambda row: row["sourcedId"] != "org-sag")
    demo_copy.set("orgs.csv", "org-sag", status="tobedeleted")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        report = await _import(engine, demo_copy.path)
        assert report.archived_orgs == ["org-sag"] and len(report.archived_classes) == 5
        assert await _course_states_at(engine, "org-sag") == {CourseState.ARCHIVED}

    run_with_engine(roster_db_url, scenario)


def test_erasure_removes_the_persons_sourced_id_from_import_records(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    demo_copy.set("users.csv", "u-s-ola", familyName="Nordmann-Berg")

    async def scenario(engine: AsyncEngine) -> None:
        await _import(engine, current_demo_roster())
        async with engine.begin() as conn:  # an administrator's rectification
            await conn.execute(
                people.update()
                .where(people.c.sourced_id == "u-s-ola")
                .values(family_name="Nordmann", family_name_source="ADMINISTRATOR")
            )
        report = await _import(engine, demo_copy.path)
        assert report.conflicts and "'u-s-ola'" in report.conflicts[0]
        record = select(roster_imports.c.conflicts).where(roster_imports.c.id == report.import_id)
        assert "'u-s-ola'" in (await _one(engine, record))[0]
        ola = (await _one(engine, select(people.c.id).where(people.c.sourced_id == "u-s-ola")))[0]
        async with engine.begin() as conn:
            await erase_subject(conn, ola, identity_key=TEST_IDENTITY_KEY)
        scrubbed = json.loads((await _one(engine, record))[0])
        assert scrubbed == [report.conflicts[0].replace("'u-s-ola'", "'(an erased person)'")]

    run_with_engine(roster_db_url, scenario)
