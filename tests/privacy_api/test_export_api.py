"""Access and portability through the API (docs/privacy-actions.md §1, docs/interfaces.md "HTTP").

``requestExport`` queues a background job; the console polls ``privacyRequest(id)`` until
COMPLETED and downloads ``downloadUrl`` with an administrator's bearer token. The XML validates
against the shipped XSD and the JSON carries the same content (compared with the structure
helpers of ``tests/privacy/test_export.py``); a restricted person can be exported; only system
administrators download; an incident that affected a person is in their export (without its
description), and in nobody else's. A gateway of its own per backend.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import (
    ADMIN,
    ADMIN2,
    JUSTIFICATION,
    NON_ADMINS,
    download,
    export,
    ok,
    privacy_gateway,
    request_export,
    restrict,
    wait_until_finished,
)
from test_export import from_xml, lexical

from config.ids import from_global_id
from store.privacy.schema_check import validate_xml

SECTIONS = [
    "personal_data",
    "communication",
    "teaching_material",
    "assessments",
    "calendar",
    "student_answers",
    "files",
    "data_requests",
]
RESTRICTED = "elev.sara"


@dataclass
class Exported:
    request: dict[str, Any]
    body: bytes
    headers: dict[str, str]


@dataclass
class Setup:
    live: LiveGateway
    folder: Path
    #: (username, format) -> the finished export
    exports: dict[tuple[str, str], Exported]
    queued: dict[str, Any]


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    with privacy_gateway(request.param, tmp_path_factory, "exports") as live:
        queued = request_export(live, "elev.ola", "XML")
        wait_until_finished(live, queued["id"])
        restrict(live, RESTRICTED)
        exports = {}
        for username in ("elev.ola", "larer.hansen", "foresatt.kari", RESTRICTED):
            for fmt in ("XML", "JSON"):
                finished, body = export(live, username, fmt)
                headers = dict(download(live, finished["downloadUrl"]).headers)
                exports[(username, fmt)] = Exported(finished, body, headers)
        yield Setup(live, tmp_path_factory.mktemp("downloads"), exports, queued)


def _structures(setup: Setup, username: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The XML export (validated against the XSD) and the JSON export, as comparable structures."""
    path = setup.folder / f"{setup.live.backend}-{username}.xml"
    path.write_bytes(setup.exports[(username, "XML")].body)
    validate_xml(path)
    return from_xml(path), lexical(json.loads(setup.exports[(username, "JSON")].body))


def _without_request(structure: dict[str, Any]) -> dict[str, Any]:
    """Two requests, two headers: the request id and the time of generation differ. The staff
    access log's entries differ too: downloading the first export is a logged read the second
    one may already show (the log is written in batches)."""
    header = {
        k: v for k, v in structure["export"].items() if k not in {"request_id", "generated_at"}
    }
    data = dict(structure["data"])
    data["personal_data"] = [
        item for item in data["personal_data"] if item["kind"] != "access_log_entry"
    ]
    return {**structure, "export": header, "data": data}


def test_an_export_is_a_background_job(setup: Setup) -> None:
    live, queued = setup.live, setup.queued
    assert queued["action"] == "EXPORT" and queued["format"] == "XML"
    assert queued["status"] in {"QUEUED", "RUNNING"}  # the worker may already have claimed it
    assert queued["downloadUrl"] is None and queued["completedAt"] is None
    assert queued["justification"] == JUSTIFICATION
    done = wait_until_finished(live, queued["id"])
    assert done["status"] == "COMPLETED" and done["error"] is None
    assert done["completedAt"] is not None and done["expiresAt"] is not None
    assert done["downloadUrl"] == f"/privacy/exports/{queued['id']}"
    effects = {(e["category"], e["outcome"]) for e in done["effects"]}
    assert {outcome for _category, outcome in effects} == {"KEPT"}
    assert "INTERNAL_LOGIC" not in {category for category, _outcome in effects}


@pytest.mark.parametrize("username", ["elev.ola", "larer.hansen", "foresatt.kari", RESTRICTED])
def test_xml_validates_and_json_carries_the_same_content(setup: Setup, username: str) -> None:
    from_xml_file, from_json_file = _structures(setup, username)
    assert _without_request(from_xml_file) == _without_request(from_json_file)
    assert list(from_json_file["data"]) == SECTIONS
    assert from_json_file["export"]["subject_id"] == str(setup.live.person_pk(username))
    xml, js = setup.exports[(username, "XML")], setup.exports[(username, "JSON")]
    assert xml.headers["content-type"].startswith("application/xml")
    assert js.headers["content-type"].startswith("application/json")
    assert xml.headers["cache-control"] == js.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("username", ["elev.ola", "larer.hansen", "foresatt.kari"])
def test_the_export_holds_the_person_and_the_art15_information(setup: Setup, username: str) -> None:
    structure = json.loads(setup.exports[(username, "JSON")].body)
    (profile,) = [i for i in structure["data"]["personal_data"] if i["kind"] == "profile"]
    assert profile["fields"]["username"] == username
    information = structure["information"]
    for key in ("controller", "legal_basis", "retention", "automated_decision_making"):
        assert information[key], key
    for key in ("purposes", "sources", "recipients", "rights"):
        assert information[key] and all(information[key]), key
    assert information["excluded_categories"] == ["INTERNAL_LOGIC"]
    assert "internal_logic" not in structure["data"]
    # INTERNAL_LOGIC (the demo people's preferences) is left out.
    raw = setup.exports[(username, "JSON")].body.decode()
    assert "notifications.email" not in raw
    # The header names the export's language; a preference named so would be a second one.
    assert structure["export"]["language"] == "nb" and raw.count('"language"') == 1


def test_a_restricted_person_can_be_exported(setup: Setup) -> None:
    for fmt in ("XML", "JSON"):
        assert setup.exports[(RESTRICTED, fmt)].request["status"] == "COMPLETED"
    structure = json.loads(setup.exports[(RESTRICTED, "JSON")].body)
    (profile,) = [i for i in structure["data"]["personal_data"] if i["kind"] == "profile"]
    assert profile["fields"]["processing_state"] == "RESTRICTED"
    assert profile["fields"]["restricted_at"] is not None
    assert [i["kind"] for i in structure["data"]["student_answers"]] == ["submission"]


@pytest.mark.parametrize("role", list(NON_ADMINS))
def test_only_system_administrators_download(setup: Setup, role: str) -> None:
    url = setup.exports[("elev.ola", "XML")].request["downloadUrl"]
    response = download(setup.live, url, who=NON_ADMINS[role])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert b"Nordmann" not in response.content


def test_anonymous_and_bad_tokens_do_not_download(setup: Setup) -> None:
    live = setup.live
    url = setup.exports[("elev.ola", "XML")].request["downloadUrl"]
    anonymous = download(live, url, who=None)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    forged = live.client.get(f"{live.url}{url}", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401


def test_any_system_administrator_downloads(setup: Setup) -> None:
    exported = setup.exports[("elev.ola", "XML")]
    response = download(setup.live, exported.request["downloadUrl"], who=ADMIN2)
    assert response.status_code == 200
    assert response.content == exported.body


def test_only_exports_can_be_downloaded(setup: Setup) -> None:
    live = setup.live
    restriction = live.gql(
        "query($s: ID!) { privacyRequests(subjectId: $s) { edges { node { id action } } } }",
        {"s": live.person_id(RESTRICTED)},
        as_user=ADMIN,
    )
    (other,) = [
        e["node"]["id"]
        for e in restriction.data["privacyRequests"]["edges"]
        if e["node"]["action"] == "RESTRICT"
    ]
    assert download(live, f"/privacy/exports/{other}").status_code == 404
    assert download(live, "/privacy/exports/UHJpdmFjeVJlcXVlc3Q6OTk5OTk").status_code == 404


def test_downloads_are_audited(setup: Setup) -> None:
    live = setup.live
    result = live.gql(
        "query($s: ID!) { auditLog(subjectId: $s, first: 500) { edges { node {"
        " action targetId actor { id } } } } }",
        {"s": live.person_id("larer.hansen")},
        as_user=ADMIN,
    )
    downloads = [
        e["node"]
        for e in result.data["auditLog"]["edges"]
        if e["node"]["action"] == "DOWNLOAD_EXPORT"
    ]
    exported = {setup.exports[("larer.hansen", fmt)].request["id"] for fmt in ("XML", "JSON")}
    assert {d["targetId"] for d in downloads} == exported
    assert {d["actor"]["id"] for d in downloads} == {live.person_id(ADMIN)}


INCIDENT_DESCRIPTION = "Nora's and Jonas' answers were mailed to the wrong class"
RECORD_INCIDENT = """
mutation($input: IncidentInput!) { recordIncident(input: $input) { id detectedAt } }"""
REPORT_INCIDENT = """
mutation($id: ID!, $input: IncidentUpdateInput!) {
  updateIncident(incidentId: $id, input: $input) { status authorityNotifiedAt }
}"""
NOTIFY_AFFECTED = """
mutation($id: ID!) { notifyAffected(incidentId: $id) { peopleNotifiedAt } }"""


def _incidents(structure: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in structure["data"]["personal_data"] if i["kind"] == "incident"]


def test_an_incident_is_in_the_affected_persons_export_without_its_description(
    setup: Setup,
) -> None:
    live = setup.live
    now = datetime.now(UTC).replace(microsecond=0)
    recorded = ok(
        live.gql(
            RECORD_INCIDENT,
            {
                "input": {
                    "description": INCIDENT_DESCRIPTION,
                    "detectedAt": (now - timedelta(hours=3)).isoformat(),
                    "categories": ["STUDENT_ANSWERS"],
                    "scope": {"personIds": [live.person_id("elev.nora")]},
                }
            },
            as_user=ADMIN,
        )
    )
    reported = ok(
        live.gql(
            REPORT_INCIDENT,
            {"id": recorded["id"], "input": {"authorityNotifiedAt": now.isoformat()}},
            as_user=ADMIN,
        )
    )
    notified = ok(live.gql(NOTIFY_AFFECTED, {"id": recorded["id"]}, as_user=ADMIN))

    exports = {fmt: export(live, "elev.nora", fmt)[1] for fmt in ("XML", "JSON")}
    for body in exports.values():
        assert INCIDENT_DESCRIPTION.encode() not in body
    path = setup.folder / f"{live.backend}-incident.xml"
    path.write_bytes(exports["XML"])
    validate_xml(path)
    from_xml_file = from_xml(path)
    from_json_file = lexical(json.loads(exports["JSON"]))
    assert _incidents(from_xml_file) == _incidents(from_json_file)

    (incident,) = _incidents(json.loads(exports["JSON"]))
    assert incident["source"] == "ADMINISTRATOR"
    fields = incident["fields"]
    assert set(fields) == {
        "id",
        "detected_at",
        "status",
        "reason",
        "authority_notified_at",
        "people_notified_at",
        "notified_at",
    }
    assert fields["id"] == from_global_id(recorded["id"])[1]
    assert datetime.fromisoformat(fields["detected_at"]) == datetime.fromisoformat(
        recorded["detectedAt"]
    )
    assert fields["status"] == reported["status"] == "REPORTED"
    assert fields["reason"] == "NAMED"
    assert datetime.fromisoformat(fields["authority_notified_at"]) == now
    people_notified = datetime.fromisoformat(fields["people_notified_at"])
    assert people_notified == datetime.fromisoformat(notified["peopleNotifiedAt"])
    assert datetime.fromisoformat(fields["notified_at"]) == people_notified

    # Kari, Nora's guardian, is not affected herself; Ola was not affected either.
    for username in ("foresatt.kari", "elev.ola"):
        assert _incidents(json.loads(export(live, username, "JSON")[1])) == []
