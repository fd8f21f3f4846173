"""Importing the demo roster, re-importing it, and what a re-import may and may not change."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from db_support import TEST_IDENTITY_KEY
from demo_roster_support import current_demo_roster
from roster_support import RosterFolder, assert_only_a_run_recorded, run_with_engine, snapshot
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from roster import ImportReport, RosterError, import_roster
from store.tables import (
    CourseRole,
    CourseState,
    DataSource,
    PrivacyAction,
    PrivacyRequestStatus,
    ProcessingState,
    RequestOrigin,
    Role,
    courses,
    enrolments,
    guardianships,
    people,
    privacy_requests,
    role_assignments,
    schools,
)


async def _ids(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(people.c.sourced_id, people.c.id))
        return dict(rows.all())


async def _person(engine: AsyncEngine, sourced_id: str) -> dict[str, object]:
    async with engine.connect() as conn:
        row = (
            (await conn.execute(select(people).where(people.c.sourced_id == sourced_id)))
            .mappings()
            .one()
        )
        return dict(row)


async def _links_of(engine: AsyncEngine, person_id: int) -> tuple[int, int]:
    async with engine.connect() as conn:
        roles = await conn.execute(
            select(role_assignments.c.id).where(role_assignments.c.person_id == person_id)
        )
        enrolled = await conn.execute(
            select(enrolments.c.id).where(enrolments.c.person_id == person_id)
        )
        return len(roles.all()), len(enrolled.all())


def _counts(report: ImportReport) -> dict[str, tuple[int, int, int, int]]:
    return {
        name: (c.created, c.updated, c.unchanged, c.removed)
        for name, c in report.entities().items()
    }


def test_demo_import(roster_db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        report = await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        assert _counts(report) == {
            "sessions": (3, 0, 0, 0),
            "orgs": (3, 0, 0, 0),
            "users": (60, 0, 0, 0),
            "roles": (61, 0, 0, 0),
            "classes": (11, 0, 0, 0),
            "enrollments": (110, 0, 0, 0),
            "guardianships": (12, 0, 0, 0),
        }
        assert report.restricted == [] and report.kept_restricted == []
        assert report.conflicts == []
        assert [str(s) for s in report.skipped] == [
            "roles.csv:16: role 'aide' of 'u-aide-sag' skipped: not used by Tavle"
        ]
        ids = await _ids(engine)
        by_id = {v: k for k, v in ids.items()}
        async with engine.connect() as conn:
            pairs = {
                (by_id[g], by_id[s])
                for g, s in await conn.execute(
                    select(guardianships.c.guardian_id, guardianships.c.student_id)
                )
            }
            roles = {
                (by_id[p], role, school)
                for p, role, school in await conn.execute(
                    select(
                        role_assignments.c.person_id,
                        role_assignments.c.role,
                        role_assignments.c.school_id,
                    )
                )
            }
            org = dict((await conn.execute(select(schools.c.sourced_id, schools.c.id))).all())
            parents = dict(
                (await conn.execute(select(schools.c.sourced_id, schools.c.parent_id))).all()
            )
            homerooms = dict(
                (await conn.execute(select(courses.c.sourced_id, courses.c.is_homeroom))).all()
            )
            sources = set(
                await conn.execute(
                    select(role_assignments.c.source).union(select(guardianships.c.source))
                )
            )
            teachers = {
                by_id[p]
                for (p,) in await conn.execute(
                    select(enrolments.c.person_id).where(enrolments.c.role == CourseRole.TEACHER)
                )
            }
        # The two-guardian student, the guardian with two children (one at each school), and
        # the teacher who is also a guardian.
        assert {g for g, s in pairs if s == "u-s-ola"} == {"u-g-kari", "u-g-knut"}
        assert {s for g, s in pairs if g == "u-g-kari"} == {"u-s-ola", "u-s-nora"}
        assert {g for g, s in pairs if s == "u-s-emma"} == {"u-t-hansen", "u-g-linn"}
        assert ("u-t-hansen", Role.TEACHER, org["org-bjs"]) in roles
        assert ("u-t-hansen", Role.GUARDIAN, org["org-bjs"]) in roles
        assert ("u-g-knut", Role.GUARDIAN, org["org-bjs"]) in roles  # from role "parent"
        assert ("u-admin", Role.SYSTEM_ADMINISTRATOR, None) in roles
        assert ("u-admin2", Role.SYSTEM_ADMINISTRATOR, None) in roles
        assert {role for _, role, _ in roles} == set(Role)
        assert not any(p == "u-aide-sag" for p, _, _ in roles)
        assert parents["org-bjs"] == org["org-oslo"] and parents["org-oslo"] is None
        assert homerooms["c-bjs-8a"] is True and homerooms["c-sag-9b"] is True
        assert homerooms["c-bjs-mat8"] is False and homerooms["c-sag-eng9"] is False
        assert sources == {(DataSource.ROSTER,)}
        assert "u-t-berg" in teachers and "u-t-strand" in teachers

        ola = await _person(engine, "u-s-ola")
        assert ola["national_id"] == "02861250137"
        assert ola["username"] == "elev.ola"
        assert ola["email"] == "ola.nordmann@elev.example.no"
        assert ola["enabled"] is True
        assert ola["processing_state"] is ProcessingState.ACTIVE
        fields = ("given_name", "family_name", "email", "national_id")
        assert {ola[f"{field}_source"] for field in fields} == {DataSource.ROSTER}
        assert ola["created_at"] is not None and ola["created_at"] == ola["updated_at"]
        assert (await _person(engine, "u-t-hansen"))["national_id"] is None

    run_with_engine(roster_db_url, scenario)


def test_second_import_changes_nothing(roster_db_url: str) -> None:
    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        before = await snapshot(engine)
        report = await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        after = await snapshot(engine)
        # The run itself is recorded (a RosterImport row and its one audit entry), nothing else.
        for log in ("roster_imports", "audit_entries"):
            assert len(after.pop(log)) == len(before.pop(log)) + 1, log
        assert after == before
        assert report.changes == [] and report.import_id == 2
        assert not report.changed
        for name, counts in report.entities().items():
            assert (counts.created, counts.updated, counts.removed) == (0, 0, 0), name
        assert report.users.unchanged == 60 and report.enrollments.unchanged == 110
        assert report.restricted == [] and report.conflicts == []
        assert "no changes" in report.render()

    run_with_engine(roster_db_url, scenario)


def test_tobedeleted_moves_person_to_restricted(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    demo_copy.set("users.csv", "u-s-ola", status="tobedeleted")

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        ola_id = (await _ids(engine))["u-s-ola"]
        links_before = await _links_of(engine, ola_id)
        report = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert report.restricted == ["u-s-ola"]
        assert report.users.updated == 1
        ola = await _person(engine, "u-s-ola")
        assert ola["processing_state"] is ProcessingState.RESTRICTED
        assert ola["given_name"] == "Ola"  # nothing is erased
        # The recycle bin keeps the links, so lifting the restriction restores them.
        assert await _links_of(engine, ola_id) == links_before
        again = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert not again.changed and again.restricted == []

    run_with_engine(roster_db_url, scenario)


def test_person_missing_from_users_csv_is_restricted(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    demo_copy.remove_user("u-t-strand")

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        strand_id = (await _ids(engine))["u-t-strand"]
        report = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert report.restricted == ["u-t-strand"]
        assert "Moved to RESTRICTED (1):\n  u-t-strand" in report.render()
        strand = await _person(engine, "u-t-strand")
        assert strand["processing_state"] is ProcessingState.RESTRICTED
        assert await _links_of(engine, strand_id) == (1, 1)
        assert report.roles.removed == 0 and report.enrollments.removed == 0

    run_with_engine(roster_db_url, scenario)


def test_roster_restriction_is_undone_but_not_an_administrators(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    demo_copy.set("users.csv", "u-s-ola", status="tobedeleted")

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        ids = await _ids(engine)
        async with engine.begin() as conn:
            # An administrator restricts Emma (art. 18), and Nora is erased: neither comes back.
            await conn.execute(
                update(people)
                .where(people.c.sourced_id == "u-s-emma")
                .values(processing_state=ProcessingState.RESTRICTED)
            )
            await conn.execute(
                insert(privacy_requests).values(
                    action=PrivacyAction.RESTRICT,
                    status=PrivacyRequestStatus.COMPLETED,
                    subject_id=ids["u-s-emma"],
                    origin=RequestOrigin.ADMINISTRATOR,
                    justification="the pupil objected",
                    created_at=datetime.now(UTC),
                    effects="[]",
                    attempts=0,
                )
            )
            await conn.execute(
                update(people)
                .where(people.c.sourced_id == "u-s-nora")
                .values(processing_state=ProcessingState.ERASED, given_name=None, email=None)
            )
        report = await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        assert report.reactivated == ["u-s-ola"]
        assert report.kept_restricted == ["u-s-emma", "u-s-nora"]
        assert report.restricted == []
        assert {"kind": "PERSON_REACTIVATED", "count": 1} in report.changes
        ola = await _person(engine, "u-s-ola")
        assert ola["processing_state"] is ProcessingState.ACTIVE and ola["restricted_at"] is None
        async with engine.connect() as conn:
            requests = (
                await conn.execute(
                    select(privacy_requests.c.action, privacy_requests.c.origin)
                    .where(privacy_requests.c.subject_id == ids["u-s-ola"])
                    .order_by(privacy_requests.c.id)
                )
            ).all()
        assert [tuple(r) for r in requests] == [
            (PrivacyAction.RESTRICT, RequestOrigin.ROSTER),
            (PrivacyAction.LIFT_RESTRICTION, RequestOrigin.ROSTER),
        ]
        before = await snapshot(engine)
        again = await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        assert again.kept_restricted == ["u-s-emma", "u-s-nora"] and again.reactivated == []
        after = await snapshot(engine)
        for log in ("roster_imports", "audit_entries"):
            assert len(after.pop(log)) == len(before.pop(log)) + 1
        assert after == before
        emma = await _person(engine, "u-s-emma")
        assert emma["processing_state"] is ProcessingState.RESTRICTED
        nora = await _person(engine, "u-s-nora")
        assert nora["processing_state"] is ProcessingState.ERASED
        assert nora["given_name"] is None and nora["email"] is None
        assert "Kept restricted" in again.render()

    run_with_engine(roster_db_url, scenario)


def test_rectified_email_survives_reimport(roster_db_url: str, demo_copy: RosterFolder) -> None:
    line = demo_copy.set("users.csv", "u-s-ola", familyName="Nordmann-Berg")

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        async with engine.begin() as conn:
            await conn.execute(
                update(people)
                .where(people.c.sourced_id == "u-s-ola")
                .values(email="ola@rettet.example.no", email_source=DataSource.ADMINISTRATOR)
            )
        report = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert report.conflicts == [
            f"users.csv:{line}: email of 'u-s-ola' kept (rectified by an administrator)"
        ]
        assert report.users.updated == 1  # the family name, which the roster still owns
        ola = await _person(engine, "u-s-ola")
        assert ola["email"] == "ola@rettet.example.no"
        assert ola["email_source"] is DataSource.ADMINISTRATOR
        assert ola["family_name"] == "Nordmann-Berg"
        again = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert not again.changed and again.conflicts == report.conflicts
        assert "ola@rettet" not in again.render() and "Nordmann" not in again.render()

    run_with_engine(roster_db_url, scenario)


def test_skipped_oneroster_roles_are_reported(roster_db_url: str, demo_copy: RosterFolder) -> None:
    proctor = demo_copy.append(
        "roles.csv",
        sourcedId="r-extra-1",
        userSourcedId="u-t-moen",
        roleType="secondary",
        role="proctor",
        orgSourcedId="org-sag",
    )
    district = demo_copy.append(
        "roles.csv",
        sourcedId="r-extra-2",
        userSourcedId="u-t-moen",
        roleType="secondary",
        role="teacher",
        orgSourcedId="org-oslo",
    )
    extension = demo_copy.append(
        "roles.csv",
        sourcedId="r-extra-3",
        userSourcedId="u-t-moen",
        roleType="secondary",
        role="ext:miljoterapeut",
        orgSourcedId="org-sag",
    )
    enrolment = demo_copy.append(
        "enrollments.csv",
        sourcedId="e-extra-1",
        classSourcedId="c-sag-nat9",
        schoolSourcedId="org-sag",
        userSourcedId="u-aide-sag",
        role="proctor",
    )

    async def scenario(engine: AsyncEngine) -> None:
        report = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert [str(s) for s in report.skipped] == [
            "roles.csv:16: role 'aide' of 'u-aide-sag' skipped: not used by Tavle",
            f"roles.csv:{proctor}: role 'proctor' of 'u-t-moen' skipped: not used by Tavle",
            f"roles.csv:{district}: role 'teacher' of 'u-t-moen' skipped: org 'org-oslo' is a "
            "district, and this role is held at a school",
            f"roles.csv:{extension}: role 'ext:miljoterapeut' of 'u-t-moen' skipped: "
            "not used by Tavle",
            f"enrollments.csv:{enrolment}: enrolment 'e-extra-1' (proctor) skipped: "
            "not used by Tavle",
        ]
        assert report.roles.created == 61 and report.enrollments.created == 110
        assert "Skipped (5):" in report.render()

    run_with_engine(roster_db_url, scenario)


def test_links_leaving_are_deleted_and_classes_archived(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    demo_copy.set("roles.csv", "r-t-hansen-2", status="tobedeleted")  # no longer a guardian
    demo_copy.remove("enrollments.csv", lambda row: row["sourcedId"] == "e-bjs-mat8-t-hansen")
    demo_copy.set("classes.csv", "c-sag-nat9", status="tobedeleted")
    demo_copy.remove("enrollments.csv", lambda row: row["classSourcedId"] == "c-sag-nat9")
    demo_copy.set("users.csv", "u-t-hansen", agentSourcedIds="")
    demo_copy.set("users.csv", "u-s-emma", agentSourcedIds="u-g-linn")

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        ids = await _ids(engine)
        async with engine.begin() as conn:  # a role granted in Tavle, not by the roster
            await conn.execute(
                insert(role_assignments).values(
                    person_id=ids["u-t-dahl"],
                    role=Role.SCHOOL_LEADER,
                    school_id=None,
                    source=DataSource.ADMINISTRATOR,
                )
            )
        report = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert (report.roles.removed, report.guardianships.removed) == (1, 1)
        assert report.classes.removed == 1
        # Hansen leaves MAT8; NAT9 is archived and keeps its final memberships (not ended).
        assert report.enrollments.removed == 1
        assert report.archived_classes == ["c-sag-nat9"]
        async with engine.connect() as conn:
            roles = set(
                await conn.execute(
                    select(role_assignments.c.role, role_assignments.c.source).where(
                        role_assignments.c.person_id.in_([ids["u-t-hansen"], ids["u-t-dahl"]])
                    )
                )
            )
            states = {
                sourced_id: state
                for sourced_id, state in await conn.execute(
                    select(courses.c.sourced_id, courses.c.state)
                )
            }
        assert roles == {
            (Role.TEACHER, DataSource.ROSTER),
            (Role.SCHOOL_LEADER, DataSource.ADMINISTRATOR),
        }
        assert states.pop("c-sag-nat9") == CourseState.ARCHIVED and len(states) == 10
        assert set(states.values()) == {CourseState.ACTIVE}

    run_with_engine(roster_db_url, scenario)


def test_changed_fields_and_reissued_sourced_ids(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    # Two people swap usernames, an org is renamed, a class changes type, a person is disabled,
    # and the school system re-issues a role's sourcedId (same meaning, new id).
    demo_copy.set("users.csv", "u-t-berg", username="larer.lie")
    demo_copy.set("users.csv", "u-t-lie", username="larer.berg")
    demo_copy.set("users.csv", "u-s-isak", enabledUser="false")
    demo_copy.set("orgs.csv", "org-sag", name="Sagene skole (ny)")
    demo_copy.set("classes.csv", "c-bjs-nor8", classType="homeroom")
    demo_copy.set("roles.csv", "r-t-berg-1", sourcedId="r-t-berg-2024")

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        report = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert _counts(report) == {
            "sessions": (0, 0, 3, 0),
            "orgs": (0, 1, 2, 0),
            "users": (0, 3, 57, 0),
            "roles": (0, 1, 60, 0),
            "classes": (0, 1, 10, 0),
            "enrollments": (0, 0, 110, 0),
            "guardianships": (0, 0, 12, 0),
        }
        berg = await _person(engine, "u-t-berg")
        assert berg["username"] == "larer.lie" and berg["updated_at"] != berg["created_at"]
        assert (await _person(engine, "u-s-isak"))["enabled"] is False
        async with engine.connect() as conn:
            sourced = set(
                (
                    await conn.execute(
                        select(role_assignments.c.sourced_id).where(
                            role_assignments.c.person_id == berg["id"]
                        )
                    )
                ).scalars()
            )
        assert sourced == {"r-t-berg-2024"}
        again = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert not again.changed

    run_with_engine(roster_db_url, scenario)


def test_bom_and_crlf_are_accepted(roster_db_url: str, demo_copy: RosterFolder) -> None:
    for path in demo_copy.path.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        report = await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert not report.changed

    run_with_engine(roster_db_url, scenario)


def test_thousands_of_users_import_in_seconds(roster_db_url: str, tmp_path: Path) -> None:
    folder = RosterFolder(tmp_path / "big")
    students = 3000
    users = [
        "sourcedId,status,enabledUser,username,userIds,givenName,familyName,email,agentSourcedIds"
    ]
    roles = ["sourcedId,status,userSourcedId,roleType,role,orgSourcedId"]
    enrolled = ["sourcedId,status,classSourcedId,schoolSourcedId,userSourcedId,role"]
    for n in range(students):
        users.append(
            f"u{n},,true,bulk.{n},{{FNR:{n:011d}}},Elev,Nummer {n},e{n}@example.no,"
            + (f"u{n - 1}" if n % 2 else "")
        )
        roles.append(f"r{n},,u{n},primary,{'guardian' if n % 2 == 0 else 'student'},org-bjs")
        enrolled.append(f"e{n},,c-bjs-8a,org-bjs,u{n},student")
    for name, lines in (("users.csv", users), ("roles.csv", roles), ("enrollments.csv", enrolled)):
        (folder.path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    async def scenario(engine: AsyncEngine) -> None:
        started = time.monotonic()
        first = await import_roster(engine, folder.path, identity_key=TEST_IDENTITY_KEY)
        second = await import_roster(engine, folder.path, identity_key=TEST_IDENTITY_KEY)
        elapsed = time.monotonic() - started
        assert first.users.created == students and first.guardianships.created == students // 2
        assert not second.changed
        assert elapsed < 20, f"two imports of {students} users took {elapsed:.1f} s"

    run_with_engine(roster_db_url, scenario)


STUDENTS_LEFT_OUT = [
    "u-s-jakob", "u-s-amina", "u-s-sara", "u-s-filip", "u-s-mia", "u-s-noah", "u-s-thea",
    "u-s-isak", "u-s-henrik", "u-s-astrid", "u-s-magnus", "u-s-frida", "u-s-elias",
    "u-s-hedda", "u-s-sander",
]  # fmt: skip


def test_a_file_leaving_out_a_large_part_of_the_school_is_refused(
    roster_db_url: str, demo_copy: RosterFolder
) -> None:
    for sourced_id in STUDENTS_LEFT_OUT:
        demo_copy.remove_user(sourced_id)

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        before = await snapshot(engine)
        with pytest.raises(RosterError) as refused:
            await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert str(refused.value) == (
            "users.csv: would move 15 of 60 active people who are missing from the file to "
            "RESTRICTED (more than 20%): is the file complete? Import with "
            "--allow-mass-restriction if this is intended"
        )
        await assert_only_a_run_recorded(engine, before, "REFUSED")

        report = await import_roster(
            engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY, allow_mass_restriction=True
        )
        assert sorted(report.restricted) == sorted(STUDENTS_LEFT_OUT)
        assert (await _person(engine, "u-s-jakob"))["processing_state"] is (
            ProcessingState.RESTRICTED
        )

    run_with_engine(roster_db_url, scenario)
