"""Uploaded files over real HTTP: multipart uploads, limits, attaching, signed downloads, and
what the privacy actions do to the bytes (docs/interfaces.md "Uploads", docs/privacy-actions.md).

Each backend gets a gateway of its own (``own_gateway``) with small limits, so "too big" needs
no large body: ``TAVLE_MAX_FILE_BYTES`` 64 KiB, a quota of 1 MiB. The activity is made here
through the API: larer.hansen's assignment in MAT8 (8A's students: elev.ola, elev.jakob,
elev.amina, elev.sara; foresatt.kari is elev.ola's guardian; larer.nilsen teaches at Sagene).
"""

from __future__ import annotations

import base64
import json
import socket
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway, own_gateway
from sqlalchemy import func, select

from config.ids import from_global_id
from gateway.files import ROUTE as FILES_ROUTE
from resolvers.services import files as file_service
from store import tables as t

MAX_FILE = 64 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
TEXT = "Svar på oppgave 3: Ærlig talt, jeg vet ikke.\n".encode()
PREFLIGHT = {"Apollo-Require-Preflight": "true"}

UPLOAD = """mutation($file: Upload!) {
  uploadFile(file: $file) { id filename contentType sizeBytes downloadUrl }
}"""
SUBMIT = """mutation($input: SubmitAnswerInput!) {
  submitAnswer(input: $input) {
    id attachments { filename contentType sizeBytes file { id filename downloadUrl } }
  }
}"""
SUBMISSION_FILES = """query($id: ID!) {
  submission(id: $id) { id attachments { filename file { id filename sizeBytes downloadUrl } } }
}"""
CREATE_DOCUMENT = """mutation($title: String!, $course: ID, $file: ID) {
  createDocument(title: $title, courseId: $course, fileId: $file) {
    id file { id filename contentType downloadUrl }
  }
}"""
DOCUMENT_FILE = """query($id: ID!) {
  node(id: $id) { ... on Document { id file { id filename downloadUrl } } }
}"""
CREATE_ASSIGNMENT = """mutation($input: CreateAssignmentInput!) {
  createAssignment(input: $input) { id }
}"""


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with own_gateway(
        request.param,
        tmp_path_factory,
        "files",
        max_file_bytes=MAX_FILE,
        file_quota_bytes=1024 * 1024,
        job_poll_seconds=0.1,
    ) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def assignment(live: LiveGateway) -> str:
    result = live.gql(
        CREATE_ASSIGNMENT,
        {"input": {"courseId": live.course_id("c-bjs-mat8"), "title": "Innlevering med vedlegg"}},
        as_user="larer.hansen",
    )
    assert result.errors == [], result.errors
    return str(result.data["createAssignment"]["id"])


def upload(
    live: LiveGateway,
    who: str,
    name: str,
    content: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """``uploadFile`` as a multipart request (GraphQL multipart request spec)."""
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}})
    return live.client.post(
        f"{live.url}/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, content_type)},
        headers={
            "Authorization": f"Bearer {live.token(who)}",
            **(PREFLIGHT if headers is None else headers),
        },
    )


def uploaded(live: LiveGateway, who: str, name: str, content: bytes, kind: str) -> dict[str, Any]:
    response = upload(live, who, name, content, kind)
    assert response.status_code == 200, response.text
    result = GraphQLResult(response.json())
    assert result.errors == [], result.errors
    return result.data["uploadFile"]  # type: ignore[no-any-return]


def refused_upload(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    result = GraphQLResult(response.json())
    assert result.data is None or result.data["uploadFile"] is None
    return result.codes()


def file_count(live: LiveGateway) -> int:
    return int(live.scalar(select(func.count()).select_from(t.files)))


def files_dir(live: LiveGateway) -> Path:
    return live.state.settings.files_dir


def stored_keys(live: LiveGateway) -> set[str]:
    folder = files_dir(live)
    return {p.name for p in folder.glob("??/*")} if folder.exists() else set()


def key_of(live: LiveGateway, file_id: str) -> str:
    pk = from_global_id(file_id)[1]
    return str(live.scalar(select(t.files.c.storage_key).where(t.files.c.id == pk)))


def get(live: LiveGateway, url: str) -> httpx.Response:
    return live.client.get(f"{live.url}{url}")


def submit(live: LiveGateway, who: str, assignment: str, ids: list[str]) -> GraphQLResult:
    return live.gql(
        SUBMIT,
        {"input": {"assignmentId": assignment, "body": "Se vedlegg", "attachmentIds": ids}},
        as_user=who,
    )


# --- uploading ----------------------------------------------------------------------------------


def test_an_upload_is_stored_privately_under_a_random_key(live: LiveGateway) -> None:
    before = stored_keys(live)
    found = uploaded(live, "elev.ola", "../../etc/Min oppgave.png", PNG, "image/png")
    assert found["filename"] == "Min oppgave.png"  # the last segment only
    assert found["contentType"] == "image/png"
    assert found["sizeBytes"] == len(PNG)
    assert found["downloadUrl"].startswith(f"/files/{found['id']}?token=")
    key = key_of(live, found["id"])
    assert stored_keys(live) - before == {key}
    path = files_dir(live) / key[:2] / key
    assert path.read_bytes() == PNG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(files_dir(live).stat().st_mode) == 0o700
    # The owner downloads it by the link the answer gave.
    response = get(live, found["downloadUrl"])
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["content-disposition"].startswith('attachment; filename="Min')
    # The owner finds their file by id.
    mine = live.gql(
        "query($id: ID!) { node(id: $id) { ... on FileRef { id filename } } }",
        {"id": found["id"]},
        as_user="elev.ola",
    )
    assert mine.data["node"] == {"id": found["id"], "filename": "Min oppgave.png"}
    other = live.gql(
        "query($id: ID!) { node(id: $id) { ... on FileRef { id } } }",
        {"id": found["id"]},
        as_user="elev.jakob",
    )
    assert other.data["node"] is None and other.codes() == {"NOT_FOUND"}


@pytest.mark.parametrize(
    ("name", "content", "kind", "why"),
    [
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_FILE, "image/png", "larger than"),
        ("page.html", b"<html></html>", "text/html", "not accepted"),
        ("fake.png", PDF, "image/png", "do not match"),
        ("fake.pdf", PNG, "application/pdf", "do not match"),
        ("bin.txt", b"abc\x00\x01def", "text/plain", "do not match"),
        ("fake.docx", b"PK\x03\x04 not really a zip", file_service.DOCX, "match"),
        ("empty.txt", b"", "text/plain", "empty"),
    ],
)
def test_a_refused_upload_stores_nothing(
    live: LiveGateway, name: str, content: bytes, kind: str, why: str
) -> None:
    rows, keys = file_count(live), stored_keys(live)
    response = upload(live, "elev.ola", name, content, kind)
    assert refused_upload(response) == {"BAD_USER_INPUT"}
    assert why in response.json()["errors"][0]["message"]
    assert file_count(live) == rows
    assert stored_keys(live) == keys


def test_office_and_text_files_are_recognised(live: LiveGateway) -> None:
    import io
    import zipfile

    def package(names: dict[str, bytes]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for member, data in names.items():
                archive.writestr(member, data)
        return out.getvalue()

    docx = package({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    odt = package({"mimetype": file_service.ODT.encode(), "content.xml": b"<office/>"})
    assert uploaded(live, "elev.sara", "a.docx", docx, file_service.DOCX)["sizeBytes"] == len(docx)
    assert uploaded(live, "elev.sara", "b.odt", odt, file_service.ODT)["sizeBytes"] == len(odt)
    assert uploaded(live, "elev.sara", "c.txt", TEXT, "text/plain; charset=utf-8")[
        "contentType"
    ] == ("text/plain")
    # An xlsx declared as a docx: a zip, but not a word document.
    xlsx = package({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert refused_upload(upload(live, "elev.sara", "d.docx", xlsx, file_service.DOCX)) == {
        "BAD_USER_INPUT"
    }


def test_a_multipart_request_without_the_preflight_header_is_refused(live: LiveGateway) -> None:
    rows = file_count(live)
    response = upload(live, "elev.ola", "a.png", PNG, "image/png", headers={})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "Apollo-Require-Preflight" in response.json()["errors"][0]["message"]
    assert file_count(live) == rows


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(live: LiveGateway) -> None:
    limit = max(live.state.settings.max_body_bytes, MAX_FILE + 64 * 1024)
    response = upload(
        live, "elev.ola", "huge.png", b"\x89PNG\r\n\x1a\n" + bytes(limit), "image/png"
    )
    assert response.status_code == 413
    # A JSON body keeps its own limit: the larger one is for uploads only.
    big = live.client.post(
        f"{live.url}/graphql",
        content=b'{"query": "'
        + b" " * (live.state.settings.max_body_bytes + 10)
        + b'{viewer{id}}"}',
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413


def test_a_map_that_names_no_variable_is_refused(live: LiveGateway) -> None:
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}})
    response = live.client.post(
        f"{live.url}/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["query"]})},
        files={"0": ("a.png", PNG, "image/png")},
        headers={"Authorization": f"Bearer {live.token('elev.ola')}", **PREFLIGHT},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# --- attaching ----------------------------------------------------------------------------------


def test_a_student_attaches_their_upload_and_the_teacher_downloads_it(
    live: LiveGateway, assignment: str
) -> None:
    found = uploaded(live, "elev.ola", "Besvarelse.pdf", PDF, "application/pdf")
    result = submit(live, "elev.ola", assignment, [found["id"]])
    assert result.errors == [], result.errors
    (attachment,) = result.data["submitAnswer"]["attachments"]
    assert attachment["filename"] == "Besvarelse.pdf"
    assert attachment["contentType"] == "application/pdf"
    assert attachment["sizeBytes"] == len(PDF)
    assert attachment["file"]["id"] == found["id"]
    submission = result.data["submitAnswer"]["id"]

    teacher = live.gql(SUBMISSION_FILES, {"id": submission}, as_user="larer.hansen")
    assert teacher.errors == [], teacher.errors
    url = teacher.data["submission"]["attachments"][0]["file"]["downloadUrl"]
    response = get(live, url)
    assert response.status_code == 200 and response.content == PDF

    # A file is attached once; someone else's file not at all (and is not revealed).
    again = submit(live, "elev.ola", assignment, [found["id"], found["id"]])
    assert again.codes() == {"BAD_USER_INPUT"}
    theirs = submit(live, "elev.jakob", assignment, [found["id"]])
    assert theirs.codes() == {"NOT_FOUND"}
    # Resubmitting with the same file works: the earlier attachment goes first.
    resubmitted = submit(live, "elev.ola", assignment, [found["id"]])
    assert resubmitted.errors == [], resubmitted.errors


def test_who_gets_a_download_link_of_an_attachment(live: LiveGateway, assignment: str) -> None:
    """Attachment.file as Submission.attachments: self, course_teacher, sysadmin. Everyone else
    gets no link: the submission is not found or its attachments are FORBIDDEN."""
    found = uploaded(live, "elev.jakob", "jakob.png", PNG, "image/png")
    submission = submit(live, "elev.jakob", assignment, [found["id"]])
    assert submission.errors == [], submission.errors
    sid = submission.data["submitAnswer"]["id"]
    expected = {
        "elev.jakob": True,  # self
        "larer.hansen": True,  # course_teacher of MAT8
        "admin": True,  # sysadmin
        "larer.dahl": False,  # teaches the class (NOR8), not this course
        "rektor.bjolsen": False,  # school leader: answers' texts and files are not theirs
        "superuser.bjolsen": False,
        "foresatt.geir": False,  # jakob's guardian: the policy gives guardians no answers
        "elev.ola": False,  # a classmate
        "larer.nilsen": False,  # another school
    }
    for who, granted in expected.items():
        result = live.gql(SUBMISSION_FILES, {"id": sid}, as_user=who)
        sub = result.data["submission"] if result.data else None
        files = sub and sub["attachments"]
        if granted:
            assert result.errors == [], (who, result.errors)
            url = files[0]["file"]["downloadUrl"]
            assert get(live, url).content == PNG, who
        else:
            assert not files, (who, result)
            assert result.codes() & {"FORBIDDEN", "NOT_FOUND"}, (who, result)


def test_a_staff_download_of_an_answers_file_is_in_the_access_log(
    live: LiveGateway, assignment: str
) -> None:
    """Receiving an answer's file is receiving the answer: the teacher's and the administrator's
    downloads leave an entry in the staff access log (by the route), the student's own none."""
    found = uploaded(live, "elev.jakob", "logget.png", PNG, "image/png")
    submission = submit(live, "elev.jakob", assignment, [found["id"]])
    assert submission.errors == [], submission.errors
    sid = submission.data["submitAnswer"]["id"]
    a = t.access_log.c
    live.state.access_log.flush_from_thread()
    since = live.scalar(select(func.coalesce(func.max(a.id), 0)))
    for who in ("elev.jakob", "larer.hansen", "admin"):
        result = live.gql(SUBMISSION_FILES, {"id": sid}, as_user=who)
        assert result.errors == [], (who, result.errors)
        url = result.data["submission"]["attachments"][0]["file"]["downloadUrl"]
        assert get(live, url).content == PNG, who
    live.state.access_log.flush_from_thread()
    added = live.rows(
        select(a.staff_id, a.person_id, a.what, a.operation).where(a.id > since).order_by(a.id)
    )
    jakob = live.person_pk("elev.jakob")
    assert [tuple(row) for row in added] == [
        (live.person_pk(who), jakob, "SUBMISSION", FILES_ROUTE) for who in ("larer.hansen", "admin")
    ], added


def _another_signature(signature: str) -> str:
    """``signature`` with its first character replaced by another, so it differs whatever it
    was (a fixed suffix such as ``AA`` would leave the one signature in a thousand that already
    ends so unchanged)."""
    return ("B" if signature[0] == "A" else "A") + signature[1:]


def test_a_link_is_bound_to_its_viewer_and_expires(live: LiveGateway, assignment: str) -> None:
    found = uploaded(live, "elev.sara", "sara.png", PNG, "image/png")
    assert submit(live, "elev.sara", assignment, [found["id"]]).errors == []
    file_pk = from_global_id(found["id"])[1]
    key = live.state.file_url_key
    good = found["downloadUrl"]
    assert get(live, good).status_code == 200

    path, token = good.split("?token=")
    viewer, expires, signature = token.split(".")
    nilsen = live.person_pk("larer.nilsen")
    hansen = live.person_pk("larer.hansen")
    tampered = [
        f"{path}?token={nilsen}.{expires}.{signature}",  # another viewer, same signature
        f"{path}?token={viewer}.{int(expires) + 3600}.{signature}",  # a later expiry
        f"{path}?token={viewer}.{expires}.{_another_signature(signature)}",
        f"{path}?token=",
        path,
    ]
    for url in tampered:
        assert get(live, url).status_code == 404, url
    # A properly signed link for someone who may not read the answer: refused all the same.
    signed = file_service.sign_download(key, file_pk, nilsen, 60)
    assert get(live, f"{path}?token={signed}").status_code == 404
    # The course's teacher with a signed link: allowed (the check is of the person, not the URL).
    signed = file_service.sign_download(key, file_pk, hansen, 60)
    assert get(live, f"{path}?token={signed}").status_code == 200
    # Expired a second ago.
    past = int(time.time()) - 1
    sig = file_service._signature(key, file_pk, int(viewer), past)
    assert get(live, f"{path}?token={viewer}.{past}.{sig}").status_code == 404
    # Another file's id with this file's token.
    other = uploaded(live, "elev.sara", "other.png", PNG, "image/png")
    assert get(live, f"{other['downloadUrl'].split('?')[0]}?token={token}").status_code == 404


def test_a_document_carries_a_file_for_whoever_sees_it(live: LiveGateway) -> None:
    found = uploaded(live, "larer.hansen", "Arbeidsplan.pdf", PDF, "application/pdf")
    result = live.gql(
        CREATE_DOCUMENT,
        {"title": "Arbeidsplan", "course": live.course_id("c-bjs-mat8"), "file": found["id"]},
        as_user="larer.hansen",
    )
    assert result.errors == [], result.errors
    document = result.data["createDocument"]
    assert document["file"]["id"] == found["id"]
    expected = {
        "larer.hansen": True,  # self
        "elev.ola": True,  # course_member
        "rektor.bjolsen": True,  # school_leader
        "superuser.bjolsen": True,
        "admin": True,
        "foresatt.kari": False,
        "larer.nilsen": False,
    }
    for who, granted in expected.items():
        read = live.gql(DOCUMENT_FILE, {"id": document["id"]}, as_user=who)
        node = read.data["node"]
        if granted:
            assert read.errors == [], (who, read.errors)
            assert get(live, node["file"]["downloadUrl"]).content == PDF, who
        else:
            assert node is None and read.codes() == {"NOT_FOUND"}, (who, read)
    # A private document's file: its owner only.
    mine = uploaded(live, "elev.ola", "notat.txt", TEXT, "text/plain")
    private = live.gql(CREATE_DOCUMENT, {"title": "Notat", "file": mine["id"]}, as_user="elev.ola")
    assert private.errors == [], private.errors
    assert get(live, private.data["createDocument"]["file"]["downloadUrl"]).content == TEXT
    teacher = live.gql(
        DOCUMENT_FILE, {"id": private.data["createDocument"]["id"]}, as_user="larer.hansen"
    )
    assert teacher.data["node"] is None
    # Attached already: not again.
    twice = live.gql(CREATE_DOCUMENT, {"title": "Igjen", "file": mine["id"]}, as_user="elev.ola")
    assert twice.codes() == {"BAD_USER_INPUT"}


def test_the_quota_is_per_person(live: LiveGateway) -> None:
    used = int(
        live.scalar(
            select(func.coalesce(func.sum(t.files.c.size_bytes), 0)).where(
                t.files.c.owner_id == live.person_pk("elev.mia")
            )
        )
    )
    chunk = b"%PDF-" + b"x" * (MAX_FILE - 10)
    n = 0
    while used + len(chunk) <= 1024 * 1024:
        uploaded(live, "elev.mia", f"{n}.pdf", chunk, "application/pdf")
        used += len(chunk)
        n += 1
    response = upload(live, "elev.mia", "over.pdf", chunk, "application/pdf")
    assert refused_upload(response) == {"BAD_USER_INPUT"}
    assert "quota" in response.json()["errors"][0]["message"]
    # Another person is not affected.
    assert uploaded(live, "elev.noah", "ok.pdf", chunk, "application/pdf")


# --- privacy ------------------------------------------------------------------------------------

ADMIN, ADMIN2 = "admin", "admin2"
WHY = "Request from the person, ticket PV-2026-99"


def _privacy(live: LiveGateway, query: str, variables: dict[str, Any], who: str) -> Any:
    result = live.gql(query, variables, as_user=who)
    assert result.errors == [], result.errors
    (value,) = result.data.values()
    return value


def _wait(live: LiveGateway, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        found = _privacy(
            live,
            "query($id: ID!) { privacyRequest(id: $id) { id status downloadUrl } }",
            {"id": request_id},
            ADMIN,
        )
        if found["status"] in ("COMPLETED", "FAILED"):
            return found  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def test_the_export_contains_the_bytes(live: LiveGateway, assignment: str) -> None:
    found = uploaded(live, "elev.thea", "thea.png", PNG, "image/png")
    assert submit(live, "elev.thea", assignment, [found["id"]]).errors == []
    for fmt in ("JSON", "XML"):
        queued = _privacy(
            live,
            "mutation($s: ID!, $j: String!, $f: ExportFormat!) { requestExport(subjectId: $s, "
            "justification: $j, format: $f) { id } }",
            {"s": live.person_id("elev.thea"), "j": WHY, "f": fmt},
            ADMIN,
        )
        done = _wait(live, queued["id"])
        assert done["status"] == "COMPLETED", done
        body = live.client.get(
            f"{live.url}{done['downloadUrl']}",
            headers={"Authorization": f"Bearer {live.token(ADMIN)}"},
        ).content
        if fmt == "JSON":
            (item,) = json.loads(body)["data"]["files"]
            assert item["kind"] == "uploaded_file"
            assert base64.b64decode(item["fields"]["content_base64"]) == PNG
            assert item["fields"]["filename"] == "thea.png"
            assert item["fields"]["attachment_id"] is not None
        else:
            assert base64.b64encode(PNG) in body
            from lxml import etree  # type: ignore[import-untyped]

            from store.privacy.export import XSD_PATH

            schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
            assert schema.validate(etree.fromstring(body)), schema.error_log


def test_restriction_hides_the_files_and_lifting_it_shows_them(
    live: LiveGateway, assignment: str
) -> None:
    found = uploaded(live, "elev.isak", "isak.png", PNG, "image/png")
    submitted = submit(live, "elev.isak", assignment, [found["id"]])
    assert submitted.errors == []
    sid = submitted.data["submitAnswer"]["id"]
    teacher = live.gql(SUBMISSION_FILES, {"id": sid}, as_user="larer.hansen")
    url = teacher.data["submission"]["attachments"][0]["file"]["downloadUrl"]
    own_url = found["downloadUrl"]
    assert get(live, url).status_code == 200

    variables = {"s": live.person_id("elev.isak"), "j": WHY}
    restricted = _privacy(
        live,
        "mutation($s: ID!, $j: String!) { restrictProcessing(subjectId: $s, justification: $j) "
        "{ id effects { category outcome count } } }",
        variables,
        ADMIN,
    )
    assert {"category": "FILES", "outcome": "HIDDEN", "count": 1} in restricted["effects"]
    assert get(live, url).status_code == 404
    assert get(live, own_url).status_code == 404
    admin = live.gql(
        "query($id: ID!) { node(id: $id) { ... on FileRef { id downloadUrl } } }",
        {"id": found["id"]},
        as_user=ADMIN,
    )
    assert admin.data["node"] is None

    _privacy(
        live,
        "mutation($s: ID!, $j: String!) { liftRestriction(subjectId: $s, justification: $j) "
        "{ id } }",
        variables,
        ADMIN,
    )
    assert get(live, url).status_code == 200


def test_erasure_deletes_the_bytes(live: LiveGateway, assignment: str) -> None:
    found = uploaded(live, "elev.amina", "amina.png", PNG, "image/png")
    assert submit(live, "elev.amina", assignment, [found["id"]]).errors == []
    key = key_of(live, found["id"])
    assert key in stored_keys(live)
    owner = live.person_pk("elev.amina")
    requested = _privacy(
        live,
        "mutation($s: ID!, $j: String!) { requestErasure(subjectId: $s, justification: $j) "
        "{ id effects { category outcome count } } }",
        {"s": live.person_id("elev.amina"), "j": WHY},
        ADMIN,
    )
    assert {"category": "FILES", "outcome": "DELETED", "count": 1} in requested["effects"]
    _privacy(
        live,
        "mutation($r: ID!) { confirmErasure(requestId: $r) { id status } }",
        {"r": requested["id"]},
        ADMIN2,
    )
    assert key not in stored_keys(live)
    assert int(live.scalar(select(func.count()).where(t.files.c.owner_id == owner))) == 0
    assert int(live.scalar(select(func.count()).select_from(t.file_deletions))) == 0
    assert get(live, found["downloadUrl"]).status_code == 404


def test_deleting_a_course_deletes_its_answers_and_documents_bytes(live: LiveGateway) -> None:
    made = live.gql(
        CREATE_ASSIGNMENT,
        {"input": {"courseId": live.course_id("c-bjs-mat9"), "title": "Siste innlevering"}},
        as_user="larer.berg",
    )
    assert made.errors == [], made.errors
    answer = uploaded(live, "elev.emma", "emma.png", PNG, "image/png")
    assert (
        submit(live, "elev.emma", made.data["createAssignment"]["id"], [answer["id"]]).errors == []
    )
    plan = uploaded(live, "larer.berg", "plan.pdf", PDF, "application/pdf")
    shared = live.gql(
        CREATE_DOCUMENT,
        {"title": "Plan", "course": live.course_id("c-bjs-mat9"), "file": plan["id"]},
        as_user="larer.berg",
    )
    assert shared.errors == [], shared.errors
    keys = {key_of(live, answer["id"]), key_of(live, plan["id"])}
    assert keys <= stored_keys(live)
    live.execute(
        t.courses.update()
        .where(t.courses.c.sourced_id == "c-bjs-mat9")
        .values(state="ARCHIVED", archived_at=func.now())
    )
    requested = _privacy(
        live,
        "mutation($c: ID!, $j: String!) { requestCourseDeletion(courseId: $c, justification: $j) "
        "{ id effects { item count } } }",
        {"c": live.course_id("c-bjs-mat9"), "j": WHY},
        ADMIN,
    )
    assert {"item": "FILE", "count": 2} in requested["effects"]
    _privacy(
        live,
        "mutation($r: ID!) { confirmCourseDeletion(requestId: $r) { id status } }",
        {"r": requested["id"]},
        ADMIN2,
    )
    assert not keys & stored_keys(live)
    assert int(live.scalar(select(func.count()).select_from(t.file_deletions))) == 0
    assert get(live, answer["downloadUrl"]).status_code == 404


def test_deleting_a_document_deletes_its_file_and_bytes(live: LiveGateway) -> None:
    plan = uploaded(live, "larer.berg", "notes.pdf", PDF, "application/pdf")
    made = live.gql(CREATE_DOCUMENT, {"title": "Notater", "file": plan["id"]}, as_user="larer.berg")
    assert made.errors == [], made.errors
    key = key_of(live, plan["id"])
    assert key in stored_keys(live)
    link = made.data["createDocument"]["file"]["downloadUrl"]
    deleted = live.gql(
        "mutation($id: ID!) { deleteDocument(id: $id) { id } }",
        {"id": made.data["createDocument"]["id"]},
        as_user="larer.berg",
    )
    assert deleted.errors == [], deleted.errors
    assert key not in stored_keys(live)
    assert int(live.scalar(select(func.count()).where(t.files.c.storage_key == key))) == 0
    assert int(live.scalar(select(func.count()).select_from(t.file_deletions))) == 0
    assert get(live, link).status_code == 404


# --- who may send an upload, and races ----------------------------------------------------------

BOUNDARY = "tavle-test-boundary"


def _multipart(content: bytes, content_type: str = "image/png") -> bytes:
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}})
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        + json.dumps({"0": ["variables.file"]}),
    ]
    head = (
        "\r\n".join(parts).encode()
        + (
            f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="a.png"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
    )
    return head + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def _first_answer(live: LiveGateway, head: str, body: bytes) -> bytes:
    """Send a request's head and only part of its body over a raw socket; what the server
    answers before it has the rest (a socket timeout fails the test: it waited for the body)."""
    address = urlsplit(live.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
        return answer


def _head(live: LiveGateway, extra: str) -> str:
    address = urlsplit(live.url)
    return (
        f"POST /graphql HTTP/1.1\r\nHost: {address.hostname}:{address.port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Apollo-Require-Preflight: true\r\n{extra}\r\n"
    )


def test_an_anonymous_upload_is_refused_before_its_body_is_read(live: LiveGateway) -> None:
    rows = file_count(live)
    body = _multipart(PNG)
    # The whole body sent, no token: 401 with UNAUTHENTICATED, as a JSON error.
    response = live.client.post(
        f"{live.url}/graphql",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **PREFLIGHT},
    )
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "bearer token" in error["message"]
    # A refused token: the same, with the reason.
    response = live.client.post(
        f"{live.url}/graphql",
        content=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Authorization": "Bearer not-a-token",
            **PREFLIGHT,
        },
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The answer comes while most of the body is still unsent: it was never waited for, with a
    # declared length and chunked alike.
    declared = _first_answer(live, _head(live, f"Content-Length: {MAX_FILE}\r\n"), body[:100])
    assert declared.startswith(b"HTTP/1.1 401"), declared[:200]
    chunked = _first_answer(
        live, _head(live, "Transfer-Encoding: chunked\r\n"), b"64\r\n" + body[:100] + b"\r\n"
    )
    assert chunked.startswith(b"HTTP/1.1 401"), chunked[:200]
    assert file_count(live) == rows


def test_a_chunked_upload_is_streamed_and_held_to_the_limit(live: LiveGateway) -> None:
    token = {"Authorization": f"Bearer {live.token('elev.ola')}", **PREFLIGHT}
    content_type = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

    def pieces(body: bytes) -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = live.client.post(
        f"{live.url}/graphql", content=pieces(_multipart(PNG)), headers={**token, **content_type}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["uploadFile"]["sizeBytes"] == len(PNG)
    rows = file_count(live)
    limit = max(live.state.settings.max_body_bytes, MAX_FILE + 64 * 1024)
    huge = _multipart(b"\x89PNG\r\n\x1a\n" + bytes(limit))
    response = live.client.post(
        f"{live.url}/graphql", content=pieces(huge), headers={**token, **content_type}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert file_count(live) == rows


@pytest.fixture(scope="module")
def own_assignment(live: LiveGateway) -> str:
    result = live.gql(
        CREATE_ASSIGNMENT,
        {"input": {"courseId": live.course_id("c-bjs-mat8"), "title": "Andre innlevering"}},
        as_user="larer.hansen",
    )
    assert result.errors == [], result.errors
    return str(result.data["createAssignment"]["id"])


def test_parallel_uploads_stay_within_the_quota(live: LiveGateway) -> None:
    who = "foresatt.linn"
    chunk = b"%PDF-" + b"y" * (MAX_FILE - 10)
    used = int(
        live.scalar(
            select(func.coalesce(func.sum(t.files.c.size_bytes), 0)).where(
                t.files.c.owner_id == live.person_pk(who)
            )
        )
    )
    room = (1024 * 1024 - used) // len(chunk)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(
                lambda n: upload(live, who, f"{n}.pdf", chunk, "application/pdf"),
                range(room + 4),
            )
        )
    accepted = [r for r in responses if r.status_code == 200 and not r.json().get("errors")]
    assert len(accepted) == room
    for response in responses:
        if response not in accepted:
            assert "quota" in response.json()["errors"][0]["message"]
    total = live.scalar(
        select(func.sum(t.files.c.size_bytes)).where(t.files.c.owner_id == live.person_pk(who))
    )
    assert int(total) <= 1024 * 1024


def _claims(
    live: LiveGateway, assignment: str, file_id: str, title: str
) -> list[Callable[[], GraphQLResult]]:
    """An answer and a document claiming the same file."""
    return [
        lambda: submit(live, "elev.jakob", assignment, [file_id]),
        lambda: live.gql(CREATE_DOCUMENT, {"title": title, "file": file_id}, as_user="elev.jakob"),
    ]


def test_a_file_claimed_twice_at_once_is_attached_once(
    live: LiveGateway, own_assignment: str
) -> None:
    for n in range(4):
        found = uploaded(live, "elev.jakob", f"race{n}.png", PNG, "image/png")
        calls = _claims(live, own_assignment, found["id"], f"Race {n}")
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda call: call(), calls))
        assert sum(1 for r in results if r.errors == []) == 1, [r.errors for r in results]
        pk = from_global_id(found["id"])[1]
        carried = int(live.scalar(select(func.count()).where(t.attachments.c.file_id == pk))) + int(
            live.scalar(select(func.count()).where(t.documents.c.file_id == pk))
        )
        assert carried == 1


def test_a_resubmission_deletes_the_files_it_no_longer_carries(
    live: LiveGateway, own_assignment: str
) -> None:
    first = uploaded(live, "elev.sara", "utkast.pdf", PDF, "application/pdf")
    kept = uploaded(live, "elev.sara", "figur.png", PNG, "image/png")
    assert submit(live, "elev.sara", own_assignment, [first["id"], kept["id"]]).errors == []
    old_key, kept_key = key_of(live, first["id"]), key_of(live, kept["id"])
    assert {old_key, kept_key} <= stored_keys(live)
    # The new answer carries one of the two again and a new one: the other is deleted, its
    # row in the same transaction and its bytes after the commit.
    second = uploaded(live, "elev.sara", "endelig.pdf", PDF, "application/pdf")
    again = submit(live, "elev.sara", own_assignment, [kept["id"], second["id"]])
    assert again.errors == [], again.errors
    assert {a["file"]["id"] for a in again.data["submitAnswer"]["attachments"]} == {
        kept["id"],
        second["id"],
    }
    old_pk = from_global_id(first["id"])[1]
    assert int(live.scalar(select(func.count()).where(t.files.c.id == old_pk))) == 0
    assert old_key not in stored_keys(live)
    assert kept_key in stored_keys(live)
    assert int(live.scalar(select(func.count()).select_from(t.file_deletions))) == 0
    assert get(live, first["downloadUrl"]).status_code == 404
    # A resubmission without files deletes the rest.
    second_key = key_of(live, second["id"])
    assert submit(live, "elev.sara", own_assignment, []).errors == []
    assert not {kept_key, second_key} & stored_keys(live)
