"""A bad roster folder fails the whole import with ``file:line: reason`` and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from db_support import TEST_IDENTITY_KEY
from demo_roster_support import current_demo_roster
from roster_support import RosterFolder, assert_only_a_run_recorded, run_with_engine, snapshot
from sqlalchemy.ext.asyncio import AsyncEngine

from roster import RosterError, import_roster
from roster.parse import parse_folder

# Each case breaks a copy of the demo roster and returns the exact message expected.
Breaker = Callable[[RosterFolder], str]


def missing_file(f: RosterFolder) -> str:
    (f.path / "roles.csv").unlink()
    line = f.line_of("manifest.csv", "file.roles")
    return f"manifest.csv:{line}: file.roles is bulk, but roles.csv is missing"


def missing_file_without_manifest(f: RosterFolder) -> str:
    (f.path / "manifest.csv").unlink()
    (f.path / "roles.csv").unlink()
    return "roles.csv: missing file"


def bad_manifest_mode(f: RosterFolder) -> str:
    line = f.line_of("manifest.csv", "file.users")
    text = (f.path / "manifest.csv").read_text().replace("file.users,bulk", "file.users,partial")
    (f.path / "manifest.csv").write_text(text)
    return (
        f"manifest.csv:{line}: bad value 'partial' for file.users (expected absent, bulk or delta)"
    )


def bad_session_date(f: RosterFolder) -> str:
    row = f.row("academicSessions.csv", next(iter(_session_ids(f))))
    line = f.set("academicSessions.csv", row["sourcedId"], endDate="2026-13-01")
    return f"academicSessions.csv:{line}: bad endDate '2026-13-01' (expected YYYY-MM-DD)"


def session_cycle(f: RosterFolder) -> str:
    line = f.set("academicSessions.csv", "as-2026-27", parentSourcedId="as-2026-27-t1")
    return f"academicSessions.csv:{line}: parentSourcedId 'as-2026-27-t1' makes a cycle"


def unknown_term(f: RosterFolder) -> str:
    line = f.set("classes.csv", "c-bjs-nor8", termSourcedIds="no-such-term")
    return f"classes.csv:{line}: unknown termSourcedIds 'no-such-term'"


def _session_ids(f: RosterFolder) -> list[str]:
    text = (f.path / "academicSessions.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    return [line.split(",", 1)[0] for line in text if line]


def missing_column(f: RosterFolder) -> str:
    f.drop_column("users.csv", "username")
    return "users.csv:1: missing column 'username'"


def class_to_unknown_school(f: RosterFolder) -> str:
    line = f.set("classes.csv", "c-sag-nat9", schoolSourcedId="org-nowhere")
    return f"classes.csv:{line}: unknown schoolSourcedId 'org-nowhere'"


def class_to_district(f: RosterFolder) -> str:
    line = f.set("classes.csv", "c-sag-nat9", schoolSourcedId="org-oslo")
    return f"classes.csv:{line}: schoolSourcedId 'org-oslo' is a district, not a school"


def enrolment_to_unknown_user(f: RosterFolder) -> str:
    line = f.set("enrollments.csv", "e-bjs-8a-s-ola", userSourcedId="u-ghost")
    return f"enrollments.csv:{line}: unknown userSourcedId 'u-ghost'"


def enrolment_to_unknown_class(f: RosterFolder) -> str:
    line = f.set("enrollments.csv", "e-bjs-8a-s-ola", classSourcedId="c-ghost")
    return f"enrollments.csv:{line}: unknown classSourcedId 'c-ghost'"


def enrolment_at_other_school(f: RosterFolder) -> str:
    line = f.set("enrollments.csv", "e-bjs-8a-s-ola", schoolSourcedId="org-sag")
    return (
        f"enrollments.csv:{line}: schoolSourcedId 'org-sag' is not the school of class "
        "'c-bjs-8a' ('org-bjs')"
    )


def enrolment_in_deleted_class(f: RosterFolder) -> str:
    f.set("classes.csv", "c-bjs-nor8", status="tobedeleted")
    line = f.line_of("enrollments.csv", "e-bjs-nor8-t-dahl")
    return f"enrollments.csv:{line}: classSourcedId 'c-bjs-nor8' is marked tobedeleted"


def unknown_agent(f: RosterFolder) -> str:
    line = f.set("users.csv", "u-s-ola", agentSourcedIds="u-g-kari;u-g-nobody")
    assert line == 16
    return "users.csv:16: unknown agentSourcedIds reference 'u-g-nobody'"


def role_to_unknown_user(f: RosterFolder) -> str:
    line = f.set("roles.csv", "r-s-ola-1", userSourcedId="u-ghost")
    return f"roles.csv:{line}: unknown userSourcedId 'u-ghost'"


def role_to_unknown_org(f: RosterFolder) -> str:
    line = f.set("roles.csv", "r-s-ola-1", orgSourcedId="org-ghost")
    return f"roles.csv:{line}: unknown orgSourcedId 'org-ghost'"


def duplicate_sourced_id(f: RosterFolder) -> str:
    first = f.line_of("users.csv", "u-s-ola")
    line = f.append("users.csv", **{**f.row("users.csv", "u-s-ola"), "username": "elev.ola2"})
    return f"users.csv:{line}: duplicate sourcedId 'u-s-ola' (first on line {first})"


def duplicate_class_sourced_id(f: RosterFolder) -> str:
    first = f.line_of("classes.csv", "c-bjs-8a")
    line = f.append("classes.csv", **{**f.row("classes.csv", "c-bjs-8a"), "title": "8A igjen"})
    return f"classes.csv:{line}: duplicate sourcedId 'c-bjs-8a' (first on line {first})"


def duplicate_username(f: RosterFolder) -> str:
    line = f.set("users.csv", "u-s-jakob", username="elev.ola")
    return f"users.csv:{line}: duplicate username (first on line 16)"


def userids_without_colon(f: RosterFolder) -> str:
    line = f.set("users.csv", "u-s-ola", userIds="{Feide:ola@feide.example.no},{FNR 02861250137}")
    return f"users.csv:{line}: malformed userIds: entry 2 has no ':' between type and identifier"


def userids_unbalanced(f: RosterFolder) -> str:
    line = f.set("users.csv", "u-s-ola", userIds="{Feide:ola@feide.example.no},{FNR:0286125013")
    return f"users.csv:{line}: malformed userIds: entry 2 has no closing '}}'"


def userids_short_fnr(f: RosterFolder) -> str:
    line = f.set("users.csv", "u-s-ola", userIds="{FNR:0286125013}")
    return f"users.csv:{line}: FNR in userIds is not 11 digits"


def unknown_role(f: RosterFolder) -> str:
    line = f.set("roles.csv", "r-s-ola-1", role="wizard")
    return f"roles.csv:{line}: unknown role 'wizard'"


def empty_role(f: RosterFolder) -> str:
    line = f.set("roles.csv", "r-s-ola-1", role="")
    return f"roles.csv:{line}: empty role"


def unknown_enrolment_role(f: RosterFolder) -> str:
    line = f.set("enrollments.csv", "e-bjs-8a-s-ola", role="wizard")
    return f"enrollments.csv:{line}: unknown role 'wizard'"


def bad_class_type(f: RosterFolder) -> str:
    line = f.set("classes.csv", "c-bjs-mat8", classType="lecture")
    return f"classes.csv:{line}: bad classType 'lecture' (expected homeroom or scheduled)"


def bad_status(f: RosterFolder) -> str:
    line = f.set("users.csv", "u-s-ola", status="deleted")
    return f"users.csv:{line}: bad status 'deleted' (expected active or tobedeleted)"


def bad_enabled_user(f: RosterFolder) -> str:
    line = f.set("users.csv", "u-s-ola", enabledUser="yes")
    return f"users.csv:{line}: bad enabledUser 'yes' (expected true or false)"


def org_cycle(f: RosterFolder) -> str:
    line = f.set("orgs.csv", "org-oslo", parentSourcedId="org-bjs")
    return f"orgs.csv:{line}: parentSourcedId 'org-bjs' makes a cycle"


def ragged_row(f: RosterFolder) -> str:
    with (f.path / "classes.csv").open("a", encoding="utf-8") as handle:
        handle.write("c-short,,,Kort\n")
    return "classes.csv:13: 4 fields, but the header has 12"


def not_utf8(f: RosterFolder) -> str:
    path = f.path / "orgs.csv"
    path.write_bytes(path.read_bytes().replace("Bjølsen".encode(), "Bjølsen".encode("latin-1")))
    return "orgs.csv:3: not valid UTF-8"


def username_of_restricted_person(f: RosterFolder) -> str:
    # Fails only once the database is read, after the orgs were already written: the
    # transaction must roll them back.
    f.set("orgs.csv", "org-sag", name="Sagene skole (omdøpt)")
    f.set("users.csv", "u-s-ola", status="tobedeleted")
    line = f.append("users.csv", sourcedId="u-s-ola-ny", enabledUser="true", username="elev.ola")
    return f"users.csv:{line}: username already belongs to person 'u-s-ola'"


CASES: list[Breaker] = [
    missing_file,
    missing_file_without_manifest,
    bad_manifest_mode,
    bad_session_date,
    unknown_term,
    session_cycle,
    missing_column,
    class_to_unknown_school,
    class_to_district,
    enrolment_to_unknown_user,
    enrolment_to_unknown_class,
    enrolment_at_other_school,
    enrolment_in_deleted_class,
    unknown_agent,
    role_to_unknown_user,
    role_to_unknown_org,
    duplicate_sourced_id,
    duplicate_class_sourced_id,
    duplicate_username,
    userids_without_colon,
    userids_unbalanced,
    userids_short_fnr,
    unknown_role,
    empty_role,
    unknown_enrolment_role,
    bad_class_type,
    bad_status,
    bad_enabled_user,
    org_cycle,
    ragged_row,
    not_utf8,
    username_of_restricted_person,
]


@pytest.mark.parametrize("breaker", CASES, ids=[case.__name__ for case in CASES])
def test_bad_folder_fails_and_changes_nothing(
    roster_db_url: str, demo_copy: RosterFolder, breaker: Breaker
) -> None:
    expected = breaker(demo_copy)

    async def scenario(engine: AsyncEngine) -> None:
        await import_roster(engine, current_demo_roster(), identity_key=TEST_IDENTITY_KEY)
        before = await snapshot(engine)
        with pytest.raises(RosterError) as caught:
            await import_roster(engine, demo_copy.path, identity_key=TEST_IDENTITY_KEY)
        assert str(caught.value) == expected
        assert await assert_only_a_run_recorded(engine, before, "FAILED") == [expected]

    run_with_engine(roster_db_url, scenario)


def test_error_carries_file_line_and_reason(demo_copy: RosterFolder) -> None:
    line = demo_copy.set("roles.csv", "r-s-ola-1", role="wizard")
    with pytest.raises(RosterError) as caught:
        parse_folder(demo_copy.path)
    assert (caught.value.file, caught.value.line, caught.value.reason) == (
        "roles.csv",
        line,
        "unknown role 'wizard'",
    )
