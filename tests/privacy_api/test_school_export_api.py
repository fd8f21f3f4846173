"""The school export through the API (docs/privacy-actions.md, "School export").

``requestSchoolExport`` queues one job; the worker writes one zip archive that the console
downloads from ``downloadUrl`` like a person's export. Checked here on both backends, on a demo
gateway of its own: Bjølsen (XML) and Sagene (JSON) each hold every member of their school and
no one else, every person's document is the per-person export (validated against the XSD),
the manifest's digests match, course content and file bytes are there, restricted people are
in and erased people are not, only system administrators request and download, bad ids write
nothing, a worker that died half-way leaves nothing that is served, and downloads stream.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from lxml import etree  # type: ignore[import-untyped]
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    JUSTIFICATION,
    NON_ADMINS,
    confirm_erasure,
    count_rows,
    download,
    export,
    ok,
    pk_of,
    privacy_gateway,
    refused,
    request_erasure,
    restrict,
    wait_until_finished,
)
from sqlalchemy import select, union
from test_export import _xml_item, from_xml, lexical

from config.ids import to_global_id
from store import tables as t
from store.privacy.schema_check import validate_xml
from store.tables import CourseRole, PrivacyAction, PrivacyRequestStatus, Role

R, A = t.privacy_requests.c, t.audit_entries.c
BJS, SAG, DISTRICT = "org-bjs", "org-sag", "org-oslo"
MAT8 = "c-bjs-mat8"
RESTRICTED, ERASED = "elev.sara", "elev.isak"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"

REQUEST = """
mutation($s: ID!, $j: String!, $f: ExportFormat) {
  requestSchoolExport(schoolId: $s, justification: $j, format: $f) {
    id action status format justification downloadUrl expiresAt error subject { id }
    requestedBy { id } effects { category outcome count item }
  }
}"""


@dataclass
class Archive:
    request: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    zip: zipfile.ZipFile
    manifest: dict[str, Any]


@dataclass
class Setup:
    live: LiveGateway
    folder: Path
    archives: dict[str, Archive]
    file_id: int
    erased: int


def upload(live: LiveGateway, username: str, name: str, data: bytes) -> str:
    """``uploadFile`` as a multipart request (gateway/uploads.py); the file's id."""
    response = live.client.post(
        f"{live.url}/graphql",
        data={
            "operations": json.dumps(
                {
                    "query": "mutation($f: Upload!) { uploadFile(file: $f) { id } }",
                    "variables": {"f": None},
                }
            ),
            "map": json.dumps({"0": ["variables.f"]}),
        },
        files={"0": (name, data, "application/pdf")},
        headers={
            "Authorization": f"Bearer {live.token(username)}",
            "Apollo-Require-Preflight": "1",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["uploadFile"]["id"])


def request_school_export(
    live: LiveGateway, school: str, fmt: str = "XML", who: str = ADMIN
) -> dict[str, Any]:
    variables = {"s": live.school_id(school), "j": JUSTIFICATION, "f": fmt}
    return ok(live.gql(REQUEST, variables, as_user=who))  # type: ignore[no-any-return]


def school_archive(live: LiveGateway, school: str, fmt: str) -> Archive:
    queued = request_school_export(live, school, fmt)
    finished = wait_until_finished(live, queued["id"], timeout=120)
    assert finished["status"] == "COMPLETED", finished
    response = download(live, finished["downloadUrl"])
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    return Archive(finished, response.content, dict(response.headers), archive, manifest)


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    with privacy_gateway(request.param, tmp_path_factory, "school-export") as live:
        # A course document carrying an uploaded file, a restricted and an erased student.
        file_id = upload(live, "larer.hansen", "formler og regler.pdf", PDF)
        ok(
            live.gql(
                'mutation($c: ID, $f: ID) { createDocument(title: "Formelark", courseId: $c,'
                " fileId: $f) { id } }",
                {"c": live.course_id(MAT8), "f": file_id},
                as_user="larer.hansen",
            )
        )
        restrict(live, RESTRICTED)
        erased = live.person_pk(ERASED)  # looked up while the username still exists
        erasure = request_erasure(live, ERASED)
        assert confirm_erasure(live, erasure["id"])["status"] == "COMPLETED"
        archives = {BJS: school_archive(live, BJS, "XML"), SAG: school_archive(live, SAG, "JSON")}
        folder = tmp_path_factory.mktemp("school-archives")
        yield Setup(live, folder, archives, pk_of(file_id), erased)


def expected_members(live: LiveGateway, school: str) -> set[int]:
    """The membership rule, spelled out: a role at the school, an enrolment in one of its
    courses, or guardian of one of its students; erased people left out."""
    sc, r, e, c, g, p = (
        t.schools.c,
        t.role_assignments.c,
        t.enrolments.c,
        t.courses.c,
        t.guardianships.c,
        t.people.c,
    )
    school_pk = live.scalar(select(sc.id).where(sc.sourced_id == school))
    courses = select(c.id).where(c.school_id == school_pk)
    students = union(
        select(r.person_id).where(r.school_id == school_pk, r.role == Role.STUDENT),
        select(e.person_id).where(e.course_id.in_(courses), e.role == CourseRole.STUDENT),
    )
    members = union(
        select(r.person_id).where(r.school_id == school_pk),
        select(e.person_id).where(e.course_id.in_(courses)),
        select(g.guardian_id).where(g.student_id.in_(students)),
    )
    rows = live.rows(
        select(p.id).where(p.id.in_(members), p.processing_state != "ERASED").order_by(p.id)
    )
    return {int(row.id) for row in rows}


def people_in(archive: Archive) -> set[int]:
    return {
        int(name.split("/")[1].split(".")[0])
        for name in archive.zip.namelist()
        if name.startswith("people/")
    }


def _without_request(structure: dict[str, Any]) -> dict[str, Any]:
    header = {
        k: v for k, v in structure["export"].items() if k not in {"request_id", "generated_at"}
    }
    return {**structure, "export": header}


# --- the request and its job --------------------------------------------------------------


def test_the_export_is_one_queued_job_that_completes(setup: Setup) -> None:
    live = setup.live
    done = setup.archives[BJS].request
    assert done["action"] == "EXPORT_SCHOOL" and done["format"] == "XML"
    assert done["subject"] is None and done["error"] is None
    assert done["requestedBy"]["id"] == live.person_id(ADMIN)
    assert done["justification"] == JUSTIFICATION
    assert done["downloadUrl"] == f"/privacy/exports/{done['id']}"
    counts = setup.archives[BJS].manifest["counts"]
    extra = ok(
        live.gql(
            "query($id: ID!) { privacyRequest(id: $id) { school { id }"
            " effects { category outcome count item } } }",
            {"id": done["id"]},
            as_user=ADMIN,
        )
    )
    assert extra["school"]["id"] == live.school_id(BJS)
    items = {e["item"]: e["count"] for e in extra["effects"] if e["item"]}
    assert items == {
        "PERSON": counts["people"],
        "COURSE": counts["courses"],
        "FILE": counts["course_files"],
    }
    assert {e["outcome"] for e in done["effects"]} == {"KEPT"}
    pk = pk_of(done["id"])
    assert live.scalar(select(R.school_id).where(R.id == pk)) == live.scalar(
        select(t.schools.c.id).where(t.schools.c.sourced_id == BJS)
    )
    audited = live.rows(
        select(A.action, A.actor_id, A.justification, A.detail)
        .where(A.target_type == "PrivacyRequest", A.target_id == pk)
        .order_by(A.id)
    )
    assert [(a.action, a.actor_id) for a in audited] == [
        ("PRIVACY_EXPORT_SCHOOL", live.person_pk(ADMIN)),
        ("PRIVACY_EXPORT_SCHOOL_COMPLETED", None),
        ("DOWNLOAD_EXPORT", live.person_pk(ADMIN)),
    ]
    assert audited[0].justification == JUSTIFICATION
    assert audited[1].detail == (
        f"people={counts['people']} courses={counts['courses']} files={counts['course_files']}"
    )


# --- who is in it ----------------------------------------------------------------------------


@pytest.mark.parametrize("school", [BJS, SAG])
def test_every_member_of_the_school_and_no_one_else(setup: Setup, school: str) -> None:
    live, archive = setup.live, setup.archives[school]
    found = people_in(archive)
    assert found == expected_members(live, school)
    assert archive.manifest["counts"]["people"] == len(found)
    # Named people of both schools: Kari has a child at each, the administrators none.
    both = {"foresatt.kari"}
    bjolsen = {"elev.ola", "larer.hansen", "rektor.bjolsen", "superuser.bjolsen", "foresatt.knut"}
    sagene = {"elev.sofie", "elev.nora", "larer.moen", "rektor.sagene", "foresatt.tone"}
    inside, outside = (bjolsen, sagene) if school == BJS else (sagene, bjolsen)
    assert {live.person_pk(u) for u in inside | both} <= found
    assert not {live.person_pk(u) for u in outside | {ADMIN, ADMIN2}} & found


def test_restricted_people_are_in_and_erased_people_are_not(setup: Setup) -> None:
    live, archive = setup.live, setup.archives[BJS]
    restricted = live.person_pk(RESTRICTED)
    assert restricted in people_in(archive)
    (entry,) = [e for e in archive.manifest["entries"] if e.get("person_id") == restricted]
    assert entry["processing_state"] == "RESTRICTED"
    assert archive.manifest["counts"]["people_restricted"] == 1
    assert setup.erased not in people_in(archive)
    for name in archive.zip.namelist():
        assert not name.startswith(f"people/{setup.erased}.")


# --- what is in it ---------------------------------------------------------------------------


def test_every_person_document_validates_against_the_export_schema(setup: Setup) -> None:
    archive = setup.archives[BJS]
    names = [n for n in archive.zip.namelist() if n.startswith("people/")]
    assert names and all(n.endswith(".xml") for n in names)
    for name in names:
        path = setup.folder / f"{setup.live.backend}-{name.replace('/', '-')}"
        path.write_bytes(archive.zip.read(name))
        validate_xml(path)
        assert from_xml(path)["export"]["subject_id"] == name.split("/")[1].removesuffix(".xml")


@pytest.mark.parametrize(("school", "fmt"), [(BJS, "XML"), (SAG, "JSON")])
def test_a_persons_document_is_the_per_person_export(setup: Setup, school: str, fmt: str) -> None:
    """The same document ``requestExport`` writes, apart from the request id and the time."""
    live = setup.live
    username = "elev.ola" if school == BJS else "elev.sofie"
    _request, single = export(live, username, fmt)
    inside = setup.archives[school].zip.read(f"people/{live.person_pk(username)}.{fmt.lower()}")
    if fmt == "XML":
        paths = []
        for label, body in (("single", single), ("archive", inside)):
            path = setup.folder / f"{live.backend}-{label}-{username}.xml"
            path.write_bytes(body)
            paths.append(path)
        assert _without_request(from_xml(paths[0])) == _without_request(from_xml(paths[1]))
    else:
        one, other = lexical(json.loads(single)), lexical(json.loads(inside))
        assert _without_request(one) == _without_request(other)
        assert other["export"]["request_id"] == str(pk_of(setup.archives[school].request["id"]))


@pytest.mark.parametrize("school", [BJS, SAG])
def test_the_manifest_lists_every_entry_with_its_digest(setup: Setup, school: str) -> None:
    archive = setup.archives[school]
    manifest = archive.manifest
    assert manifest["kind"] == "tavle_school_export"
    assert manifest["format"] == ("XML" if school == BJS else "JSON")
    assert manifest["school"]["sourced_id"] == school
    assert manifest["request_id"] == pk_of(archive.request["id"])
    names = archive.zip.namelist()
    assert names[-1] == "manifest.json"
    listed = {e["name"]: e for e in manifest["entries"]}
    assert set(listed) == set(names[:-1])
    assert len(listed) == len(manifest["entries"]) == manifest["counts"]["entries"]
    for name, entry in listed.items():
        data = archive.zip.read(name)
        assert entry["bytes"] == len(data), name
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
    kinds = {e["kind"] for e in manifest["entries"]}
    assert kinds <= {"person", "course", "file"}
    for entry in manifest["entries"]:
        info = archive.zip.getinfo(entry["name"])
        assert info.compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("school", [BJS, SAG])
def test_every_course_of_the_school_has_its_content(setup: Setup, school: str) -> None:
    live, archive = setup.live, setup.archives[school]
    c, sc = t.courses.c, t.schools.c
    school_pk = live.scalar(select(sc.id).where(sc.sourced_id == school))
    courses = {int(row.id) for row in live.rows(select(c.id).where(c.school_id == school_pk))}
    suffix = "xml" if school == BJS else "json"
    found = {
        int(n.split("/")[1].removesuffix(f".{suffix}"))
        for n in archive.zip.namelist()
        if n.startswith("courses/") and n.count("/") == 1
    }
    assert found == courses and archive.manifest["counts"]["courses"] == len(courses)
    posts = t.posts.c
    for course in courses:
        body = archive.zip.read(f"courses/{course}.{suffix}")
        sections = course_sections(body, suffix)
        assert list(sections) == [
            "course",
            "enrolments",
            "assignments",
            "materials",
            "posts",
            "comments",
            "calendar",
        ]
        assert sections["course"][0]["kind"] == "course"
        assert sections["course"][0]["fields"]["id"] == str(course)
        enrolled = count_rows(live, t.enrolments, t.enrolments.c.course_id == course)
        assert len(sections["enrolments"]) == enrolled > 0
        written = count_rows(live, t.posts, posts.course_id == course)
        assert len(sections["posts"]) == written


def course_sections(body: bytes, suffix: str) -> dict[str, list[dict[str, Any]]]:
    """A course document's sections as lists of items, in the common (lexical) structure."""
    if suffix == "json":
        document = lexical(json.loads(body))
        assert set(document) == {"course_export", "data"}
        return document["data"]  # type: ignore[no-any-return]
    root = etree.fromstring(body)
    assert root.tag == "tavle_course_export"
    (data,) = list(root)
    return {section.tag: [_xml_item(item) for item in section] for section in data}


def test_course_files_are_in_the_archive_with_their_bytes(setup: Setup) -> None:
    live, archive = setup.live, setup.archives[BJS]
    course = live.course_pk(MAT8)
    sections = course_sections(archive.zip.read(f"courses/{course}.xml"), "xml")
    (document,) = [d for d in sections["materials"] if d["fields"]["file_id"] == str(setup.file_id)]
    entry = document["fields"]["archive_entry"]
    assert entry == f"courses/{course}/files/{setup.file_id}-formler_og_regler.pdf"
    assert archive.zip.read(entry) == PDF
    assert document["fields"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert archive.manifest["counts"]["course_files"] == 1
    # The uploader's own document carries the bytes too, as the per-person export does.
    teacher = archive.zip.read(f"people/{live.person_pk('larer.hansen')}.xml")
    assert b"<content_base64>" in teacher


# --- the download ----------------------------------------------------------------------------


def test_the_download_is_a_zip_with_a_file_name(setup: Setup) -> None:
    archive = setup.archives[BJS]
    request_id = archive.request["id"]
    assert archive.headers["content-type"] == "application/zip"
    assert archive.headers["content-disposition"] == (
        f'attachment; filename="tavle-school-export-{request_id}.zip"'
    )
    assert archive.headers["cache-control"] == "no-store"
    assert archive.headers["content-length"] == str(len(archive.body))
    assert archive.zip.testzip() is None
    sagene = setup.archives[SAG]
    assert sagene.headers["content-disposition"].endswith(f'{sagene.request["id"]}.zip"')


@pytest.mark.parametrize("role", sorted(NON_ADMINS))
def test_only_system_administrators_download(setup: Setup, role: str) -> None:
    live = setup.live
    before = count_rows(live, t.audit_entries)
    response = download(live, setup.archives[BJS].request["downloadUrl"], who=NON_ADMINS[role])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert not response.content.startswith(b"PK")
    assert count_rows(live, t.audit_entries) == before


def test_the_other_administrator_downloads_the_same_archive(setup: Setup) -> None:
    archive = setup.archives[SAG]
    response = download(setup.live, archive.request["downloadUrl"], who=ADMIN2)
    assert response.status_code == 200
    assert response.content == archive.body


# --- who may ask, and bad input -----------------------------------------------------------------


def _nothing_written(live: LiveGateway) -> tuple[int, int, list[str]]:
    folder = live.state.settings.export_dir
    files = sorted(os.listdir(folder)) if folder.exists() else []
    return count_rows(live, t.privacy_requests), count_rows(live, t.audit_entries), files


@pytest.mark.parametrize("role", sorted(NON_ADMINS))
def test_only_system_administrators_request(setup: Setup, role: str) -> None:
    live = setup.live
    before = _nothing_written(live)
    result = live.gql(
        REQUEST,
        {"s": live.school_id(BJS), "j": JUSTIFICATION, "f": "XML"},
        as_user=NON_ADMINS[role],
    )
    refused(result, "FORBIDDEN")
    assert _nothing_written(live) == before


@pytest.mark.parametrize(
    ("school_id", "justification", "code"),
    [
        (lambda live: to_global_id("School", 999_999), JUSTIFICATION, "NOT_FOUND"),
        (lambda live: live.person_id("elev.ola"), JUSTIFICATION, "NOT_FOUND"),
        (lambda live: live.course_id(MAT8), JUSTIFICATION, "NOT_FOUND"),
        (lambda live: "not-an-id", JUSTIFICATION, "BAD_USER_INPUT"),
        (lambda live: live.school_id(DISTRICT), JUSTIFICATION, "BAD_USER_INPUT"),
        (lambda live: live.school_id(BJS), "   ", "JUSTIFICATION_REQUIRED"),
        (lambda live: live.school_id(BJS), "x" * 2001, "BAD_USER_INPUT"),
    ],
    ids=["unknown", "a-user", "a-course", "malformed", "a-district", "blank", "too-long"],
)
def test_bad_input_writes_nothing(
    setup: Setup, school_id: Any, justification: str, code: str
) -> None:
    live = setup.live
    before = _nothing_written(live)
    result = live.gql(
        REQUEST, {"s": school_id(live), "j": justification, "f": "XML"}, as_user=ADMIN
    )
    refused(result, code)
    assert _nothing_written(live) == before


def test_a_second_export_of_a_school_while_one_runs_is_a_conflict(setup: Setup) -> None:
    live = setup.live
    school = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == SAG))
    # Running elsewhere under a live lease: this gateway's worker leaves it alone.
    (inserted,) = live.execute(
        t.privacy_requests.insert()
        .values(
            action=PrivacyAction.EXPORT_SCHOOL,
            status=PrivacyRequestStatus.RUNNING,
            school_id=school,
            justification=JUSTIFICATION,
            created_at=datetime.now(UTC),
            format="JSON",
            worker="elsewhere:1:x",
            lease_until=datetime.now(UTC) + timedelta(hours=1),
            attempts=1,
        )
        .returning(R.id)
    )
    pk = int(inserted.scalar_one())
    try:
        before = _nothing_written(live)
        refused(
            live.gql(REQUEST, {"s": live.school_id(SAG), "j": JUSTIFICATION}, as_user=ADMIN),
            "CONFLICT",
        )
        assert _nothing_written(live) == before
    finally:
        live.execute(
            t.privacy_requests.update()
            .where(R.id == pk)
            .values(status=PrivacyRequestStatus.CANCELLED, worker=None, lease_until=None)
        )


# --- a crash half-way ------------------------------------------------------------------------


def test_a_job_whose_worker_died_is_redone_and_its_leftovers_never_served(setup: Setup) -> None:
    """A worker died while writing (its half-written file is left) and another one after the
    rename but before the commit (a whole archive no request names): the lease runs out (once
    the leftovers are in place), this gateway's worker takes the job over, removes both and
    writes its own."""
    live = setup.live
    school = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == SAG))
    (inserted,) = live.execute(
        t.privacy_requests.insert()
        .values(
            action=PrivacyAction.EXPORT_SCHOOL,
            status=PrivacyRequestStatus.RUNNING,
            school_id=school,
            requested_by_id=live.person_pk(ADMIN),
            justification=JUSTIFICATION,
            created_at=datetime.now(UTC),
            format="XML",
            worker="a-host-that-is-gone:1:dead",
            lease_until=datetime.now(UTC) + timedelta(hours=1),  # runs out below
            attempts=1,
        )
        .returning(R.id)
    )
    pk = int(inserted.scalar_one())
    request_id = to_global_id("PrivacyRequest", pk)
    folder = live.state.settings.export_dir
    folder.mkdir(parents=True, exist_ok=True)
    half = folder / f".school-export-{pk}-0badc0ffee00.zip.part"
    half.write_bytes(b"PK\x03\x04 half an archive")
    orphan = folder / f"school-export-{pk}-0ddba11c0de0.zip"
    orphan.write_bytes(b"PK\x05\x06 a whole archive no request names")

    refused_early = download(live, f"/privacy/exports/{request_id}")
    assert refused_early.status_code == 409
    assert refused_early.json()["error"]["code"] == "NOT_READY"

    # The dead worker's lease runs out only now: the takeover cannot start before the leftovers
    # are written, however slow this test is.
    live.execute(
        t.privacy_requests.update()
        .where(R.id == pk)
        .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
    )
    done = wait_until_finished(live, request_id, timeout=120)
    assert done["status"] == "COMPLETED", done
    assert not half.exists() and not orphan.exists()
    assert live.scalar(select(R.attempts).where(R.id == pk)) == 2
    file_name = live.scalar(select(R.file_name).where(R.id == pk))
    assert file_name.startswith(f"school-export-{pk}-") and file_name.endswith(".zip")
    assert not [p for p in os.listdir(folder) if p.endswith(".part")]
    response = download(live, done["downloadUrl"])
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert json.loads(archive.read("manifest.json"))["request_id"] == pk


# --- streaming -------------------------------------------------------------------------------


def test_a_large_download_streams_in_bounded_memory(setup: Setup) -> None:
    """A 48 MiB archive is served in chunks: the gateway (in this process) never holds it."""
    live = setup.live
    size = 48 * 1024 * 1024
    folder = live.state.settings.export_dir
    path = folder / "school-export-large-test.zip"
    digest = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        for _ in range(size // len(block)):
            out.write(block)
            digest.update(block)
    school = live.scalar(select(t.schools.c.id).where(t.schools.c.sourced_id == BJS))
    (inserted,) = live.execute(
        t.privacy_requests.insert()
        .values(
            action=PrivacyAction.EXPORT_SCHOOL,
            status=PrivacyRequestStatus.COMPLETED,
            school_id=school,
            requested_by_id=live.person_pk(ADMIN),
            justification=JUSTIFICATION,
            created_at=datetime.now(UTC),
            completed_at=datetime.now(UTC),
            format="XML",
            file_name=path.name,
            expires_at=datetime.now(UTC) + timedelta(days=1),
            attempts=1,
        )
        .returning(R.id)
    )
    request_id = to_global_id("PrivacyRequest", int(inserted.scalar_one()))
    received = hashlib.sha256()
    chunks = total = 0
    tracemalloc.start()
    try:
        with live.client.stream(
            "GET",
            f"{live.url}/privacy/exports/{request_id}",
            headers={"Authorization": f"Bearer {live.token(ADMIN)}"},
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-length"] == str(size)
            for chunk in response.iter_raw():
                received.update(chunk)
                total += len(chunk)
                chunks += 1
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        path.unlink(missing_ok=True)
    assert total == size and received.hexdigest() == digest.hexdigest()
    assert chunks > 1
    # Server and client together, in this process: far below the file's size.
    assert peak < 8 * 1024 * 1024, peak
