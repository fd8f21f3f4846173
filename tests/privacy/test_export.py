"""The access/portability export (store/privacy/export.py) on the demo school.

XML exports validate against the shipped XSD and the JSON export carries the same content
(both are converted to one Python structure and compared); INTERNAL_LOGIC and other people's
personal data stay out; the art. 15 information and per-item provenance are in; and the writers
stream: peak Python memory does not grow with the number of rows.
"""

from __future__ import annotations

import asyncio
import io
import json
import tracemalloc
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from config.language import BOKMAAL, LANGUAGES
from config.settings import PrivacyNoticeSettings, Settings
from store import tables as t
from store.db import make_engine
from store.privacy.base import DataCategory, Effect, Outcome
from store.privacy.export import EXCLUDED_CATEGORIES, XSD_PATH, write_export
from store.privacy.export_texts import source_legend
from store.privacy.providers import UnknownSubjectError
from store.privacy.schema_check import ExportSchemaError, validate_xml
from store.tables import DataSource

T = TypeVar("T")
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
GENERATED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REQUEST_ID = 41
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
LIST_INFORMATION = {"purposes", "categories", "sources", "recipients", "rights"}


# --- helpers ----------------------------------------------------------------------------------


def run(url: str, body: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                result = await body(conn)
                await conn.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def person(conn: AsyncConnection, username: str) -> int:
    p = t.people.c
    return int((await conn.execute(select(p.id).where(p.username == username))).scalar_one())


def ids(url: str, *usernames: str) -> list[int]:
    async def body(conn: AsyncConnection) -> list[int]:
        return [await person(conn, username) for username in usernames]

    return run(url, body)


def export(
    url: str,
    username: str,
    folder: Path,
    fmt: Literal["XML", "JSON"],
    notices: Mapping[str, PrivacyNoticeSettings] | None = None,
) -> tuple[Path, list[Effect]]:
    path = folder / f"{username}.{fmt.lower()}"

    async def body(conn: AsyncConnection) -> list[Effect]:
        subject = await person(conn, username)
        with path.open("wb") as out:
            return await write_export(
                conn,
                subject,
                fmt,
                out,
                notices or Settings().privacy_notices(),
                GENERATED_AT,
                REQUEST_ID,
            )

    return path, run(url, body)


def both(url: str, username: str, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The XML and the JSON export of ``username``, validated, as comparable structures."""
    xml_path, xml_effects = export(url, username, folder, "XML")
    json_path, json_effects = export(url, username, folder, "JSON")
    assert xml_effects == json_effects
    validate_xml(xml_path)
    return from_xml(xml_path), lexical(json.loads(json_path.read_text("utf-8")))


def lexical(value: Any) -> Any:
    """JSON values as XML text: the common structure both formats are compared in."""
    if isinstance(value, dict):
        return {k: lexical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lexical(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value


def _xml_item(element: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    field_sources: dict[str, str] = {}
    children: list[dict[str, Any]] = []
    for child in element:
        if child.tag == "children":
            children = [_xml_item(c) for c in child]
            continue
        fields[child.tag] = None if child.get(XSI_NIL) == "true" else (child.text or "")
        if child.get("source") is not None:
            field_sources[child.tag] = child.get("source")
    item: dict[str, Any] = {"kind": element.tag, "source": element.get("source")}
    item["fields"] = fields
    if field_sources:
        item["field_sources"] = field_sources
    if children:
        item["children"] = children
    return item


def from_xml(path: Path) -> dict[str, Any]:
    root = etree.parse(str(path)).getroot()
    assert root.tag == "tavle_export"
    information: dict[str, Any] = {}
    info_element, data_element = list(root)
    for node in info_element:
        if node.tag == "source_legend":
            information[node.tag] = {e.get("code"): e.text for e in node}
        elif node.tag in LIST_INFORMATION or node.tag == "excluded_categories":
            information[node.tag] = [e.text for e in node]
        else:
            information[node.tag] = node.text
    data = {section.tag: [_xml_item(item) for item in section] for section in data_element}
    return {"export": dict(root.attrib), "information": information, "data": data}


def items(structure: dict[str, Any], section: str, kind: str) -> list[dict[str, Any]]:
    return [i for i in structure["data"][section] if i["kind"] == kind]


# --- format and content ---------------------------------------------------------------------


@pytest.mark.parametrize("username", ["elev.ola", "larer.hansen"])
def test_xml_validates_and_json_has_the_same_content(
    demo: str, tmp_path: Path, username: str
) -> None:
    from_xml_file, from_json_file = both(demo, username, tmp_path)
    assert from_xml_file == from_json_file
    assert list(from_json_file["data"]) == SECTIONS
    assert from_json_file["export"] == {
        "format_version": "1",
        "request_id": str(REQUEST_ID),
        "subject_id": from_json_file["export"]["subject_id"],
        "generated_at": GENERATED_AT.isoformat(),
        "language": BOKMAAL,
    }


def test_student_export_content(demo: str, tmp_path: Path) -> None:
    structure = both(demo, "elev.ola", tmp_path)[1]
    kari, knut, ola = ids(demo, "foresatt.kari", "foresatt.knut", "elev.ola")
    (profile,) = items(structure, "personal_data", "profile")
    assert profile["fields"]["username"] == "elev.ola"
    assert profile["fields"]["given_name"] == "Ola"
    assert profile["fields"]["national_id"] == "02861250137"
    assert profile["fields"]["feide_id"] == "ola.nordmann@feide.example.no"
    assert profile["fields"]["processing_state"] == "ACTIVE"
    assert structure["export"]["subject_id"] == str(ola)
    # Guardian links by reference: the relation and the internal id, no name.
    links = items(structure, "personal_data", "guardian_link")
    assert sorted(
        (x["fields"]["relation"], x["fields"]["other_person_id"]) for x in links
    ) == sorted([("HAS_GUARDIAN", str(kari)), ("HAS_GUARDIAN", str(knut))])
    enrolments = items(structure, "personal_data", "enrolment")
    assert {e["fields"]["course_name"] for e in enrolments} == {"8A", "Matematikk 8", "Norsk 8"}
    # His own post and comment; not the teacher's post he commented on.
    assert [p["fields"]["body"] for p in items(structure, "communication", "post")] == [
        "Noen som har sett den blå matteboka mi? Glemte den i gymsalen."
    ]
    assert [c["fields"]["body"] for c in items(structure, "communication", "comment")] == [
        "Kommer det oppgaver fra kapittel 3.4 også?"
    ]
    documents = items(structure, "teaching_material", "document")
    assert {(d["fields"]["title"], d["fields"]["visibility"]) for d in documents} == {
        ("Huskeliste", "PRIVATE"),
        ("Gruppenotater", "SHARED"),
    }
    # Registrations about him, unpublished ones included, with the assessor's name.
    received = items(structure, "assessments", "assessment_received")
    assert len(received) == 7
    assert {r["fields"]["assessor_name"] for r in received} == {"Per Hansen", "Jonas Dahl"}
    assert {r["source"] for r in received} == {"REGISTRATION"}
    half_year = [r for r in received if r["fields"]["kind"] == "HALF_YEAR"]
    assert sorted(r["fields"]["published"] for r in half_year) == ["false", "true"]
    assert items(structure, "assessments", "assessment_given") == []
    (event,) = items(structure, "calendar", "calendar_event")
    assert event["fields"]["title"] == "Fotballtrening" and event["fields"]["course_code"] is None
    submissions = items(structure, "student_answers", "submission")
    assert len(submissions) == 4
    files = sorted(a["fields"]["filename"] for s in submissions for a in s.get("children", []))
    assert files == ["brok-oppgavesett-3.pdf", "heisen-novelle.docx"]


def test_teacher_export_has_given_assessments_without_the_students_data(
    demo: str, tmp_path: Path
) -> None:
    structure = both(demo, "larer.hansen", tmp_path)[1]
    given = items(structure, "assessments", "assessment_given")
    assert len(given) == 7
    for item in given:
        assert set(item["fields"]) == {
            "id",
            "course_code",
            "course_name",
            "kind",
            "published",
            "created_at",
        }
    assert items(structure, "assessments", "assessment_received") == []
    assert len(items(structure, "teaching_material", "assignment")) == 3
    assert len(items(structure, "communication", "message")) == 3
    (link,) = items(structure, "personal_data", "guardian_link")
    assert link["fields"]["relation"] == "IS_GUARDIAN_OF"


def test_export_leaves_out_internal_logic(demo: str, tmp_path: Path) -> None:
    for fmt in ("XML", "JSON"):
        path, effects = export(demo, "larer.hansen", tmp_path, fmt)
        raw = path.read_text("utf-8")
        # larer.hansen's preferences: theme=dark, notifications.email=false.
        assert "notifications.email" not in raw and "theme" not in raw
        assert "internal_logic" not in raw.replace('"excluded_categories"', "")
        assert DataCategory.INTERNAL_LOGIC not in {e.category for e in effects}
    structure = both(demo, "larer.hansen", tmp_path)[1]
    assert structure["information"]["excluded_categories"] == ["INTERNAL_LOGIC"]
    assert [c.value for c in EXCLUDED_CATEGORIES] == ["INTERNAL_LOGIC"]
    assert "internal_logic" not in structure["data"]


# Things the exports must not contain: other people's names, ids, contributions and
# registrations. (Own texts may mention people, e.g. Hansen's "Hei Kari!", so the names
# checked are ones no own text of the subject contains.)
NOT_IN_OLA = [
    "Kari",  # guardian (only referenced by id)
    "Knut",  # guardian
    "04827910153",  # Kari's national id
    "foresatt.",
    "Jakob",  # commented on Ola's post
    "Den ligger på hylla ved kontoret til Per.",  # ... with this comment
    "Husk prøve i brøk og desimaltall",  # the teacher's post Ola commented on
    "Ja, 3.1-3.4.",  # the teacher's reply under it
    "Får vi bruke kalkulator?",  # another student's comment under it
    "Stigningstallet er 2",  # another student's answer
]
NOT_IN_HANSEN = [
    "Emma",  # his child: referenced by id only
    "11831151070",  # Emma's national id
    "Linn",  # Emma's other guardian
    "Han hadde fotballturnering",  # Kari's reply in their conversation
    "Ola skrev en veldig god novelle",  # Dahl's message in the group conversation
    "Vi kommer gjerne og hører på",  # Knut's message there
    "Stabil innsats. Arbeid videre med likninger.",  # a comment he registered about Ola
    "Forstyrret undervisningen",  # a remark he registered about Ola
    "Ugyldig fravær",  # an absence he registered about Jakob
    "Her er oppgavene mine",  # Ola's answer to his assignment
    "elev.",
    "Nordmann",
]


@pytest.mark.parametrize(
    ("username", "forbidden"),
    [("elev.ola", NOT_IN_OLA), ("larer.hansen", NOT_IN_HANSEN)],
)
def test_export_leaves_out_other_peoples_personal_data(
    demo: str, tmp_path: Path, username: str, forbidden: list[str]
) -> None:
    for fmt in ("XML", "JSON"):
        raw = export(demo, username, tmp_path, fmt)[0].read_text("utf-8")
        found = [text for text in forbidden if text in raw]
        assert not found, f"{fmt} export of {username} contains {found}"


def test_art15_information_comes_from_the_settings(demo: str, tmp_path: Path) -> None:
    info = PrivacyNoticeSettings(
        controller="Testby kommune",
        data_protection_officer="Personvernombudet i Testby",
        purposes=["Undervisning"],
        recipients=[],
    )
    for fmt in ("XML", "JSON"):
        export(demo, "elev.ola", tmp_path, fmt, {language: info for language in LANGUAGES})
    validate_xml(tmp_path / "elev.ola.xml")
    xml = from_xml(tmp_path / "elev.ola.xml")
    data = lexical(json.loads((tmp_path / "elev.ola.json").read_text("utf-8")))
    assert xml == data
    expected = {
        "controller": "Testby kommune",
        "data_protection_officer": "Personvernombudet i Testby",
        "purposes": ["Undervisning"],
        "legal_basis": info.legal_basis,
        "categories": info.categories,
        "sources": info.sources,
        "recipients": [],
        "third_country_transfers": info.third_country_transfers,
        "retention": info.retention,
        "rights": info.rights,
        "automated_decision_making": info.automated_decision_making,
        "source_legend": source_legend(BOKMAAL),
        "excluded_categories": ["INTERNAL_LOGIC"],
    }
    assert data["information"] == expected
    assert "GDPR art. 6(1)(e)" in data["information"]["legal_basis"]
    assert "No automated decision-making" in data["information"]["automated_decision_making"]


def test_every_item_states_its_source(demo_copy: str, tmp_path: Path) -> None:
    async def rectify(conn: AsyncConnection) -> None:
        ola = await person(conn, "elev.ola")
        await conn.execute(
            update(t.people)
            .where(t.people.c.id == ola)
            .values(email="ola@example.no", email_source=DataSource.ADMINISTRATOR)
        )

    run(demo_copy, rectify)
    structure = both(demo_copy, "elev.ola", tmp_path)[1]
    codes = {str(code) for code in DataSource}

    def check(item: dict[str, Any]) -> None:
        assert item["source"] in codes, item["kind"]
        for child in item.get("children", []):
            check(child)

    for section in structure["data"].values():
        for item in section:
            check(item)
    (profile,) = items(structure, "personal_data", "profile")
    assert profile["source"] == "ROSTER"
    assert profile["field_sources"] == {
        "given_name": "ROSTER",
        "family_name": "ROSTER",
        "email": "ADMINISTRATOR",
        "national_id": "ROSTER",
    }
    assert profile["fields"]["email"] == "ola@example.no"
    assert {p["source"] for p in items(structure, "communication", "post")} == {"PERSON"}
    assert {r["source"] for r in items(structure, "personal_data", "role_assignment")} == {"ROSTER"}


def test_export_effects_count_items_per_category_as_kept(demo: str, tmp_path: Path) -> None:
    _, effects = export(demo, "elev.ola", tmp_path, "JSON")
    assert {e.category: e.count for e in effects} == {
        DataCategory.PERSONAL_DATA: 7,
        DataCategory.COMMUNICATION: 2,
        DataCategory.TEACHING_MATERIAL: 2,
        DataCategory.ASSESSMENTS: 7,
        DataCategory.CALENDAR: 1,
        DataCategory.STUDENT_ANSWERS: 6,  # 4 submissions, 2 attachments
    }
    assert {e.outcome for e in effects} == {Outcome.KEPT}


def test_text_that_xml_cannot_carry_is_replaced_in_both_formats(
    demo_copy: str, tmp_path: Path
) -> None:
    async def odd_text(conn: AsyncConnection) -> None:
        ola = await person(conn, "elev.ola")
        await conn.execute(
            update(t.documents)
            .where(t.documents.c.owner_id == ola, t.documents.c.course_id.is_(None))
            .values(body="bell\x07 & <tag> \r\n tab\t end ")
        )

    run(demo_copy, odd_text)
    from_xml_file, from_json_file = both(demo_copy, "elev.ola", tmp_path)
    assert from_xml_file == from_json_file
    (note,) = [
        d
        for d in items(from_json_file, "teaching_material", "document")
        if d["fields"]["visibility"] == "PRIVATE"
    ]
    assert note["fields"]["body"] == "bell\ufffd & <tag> \r\n tab\t end "


def test_validation_names_the_first_error_without_the_value(demo: str, tmp_path: Path) -> None:
    path, _ = export(demo, "elev.ola", tmp_path, "XML")
    raw = path.read_text("utf-8")
    assert XSD_PATH.exists()
    broken = tmp_path / "broken.xml"
    broken.write_text(raw.replace("<enabled>true</enabled>", "<enabled>Ola</enabled>"), "utf-8")
    with pytest.raises(ExportSchemaError, match="enabled") as error:
        validate_xml(broken)
    assert "Ola" not in str(error.value)
    broken.write_text(raw.replace("<calendar>", "<calendar><message/>"), "utf-8")
    with pytest.raises(ExportSchemaError, match="message"):
        validate_xml(broken)


def test_export_of_an_unknown_person_is_an_error_and_writes_nothing(
    demo: str, tmp_path: Path
) -> None:
    async def body(conn: AsyncConnection) -> None:
        out = io.BytesIO()
        with pytest.raises(UnknownSubjectError):
            await write_export(
                conn, 987_654, "XML", out, Settings().privacy_notices(), GENERATED_AT, REQUEST_ID
            )
        assert out.getvalue() == b""

    run(demo, body)


# --- streaming ----------------------------------------------------------------------------------


async def _add_messages(conn: AsyncConnection, author: int, count: int) -> None:
    """``count`` more messages by ``author`` (Core executemany, in batches)."""
    c = t.conversations.c
    sent = datetime(2026, 1, 1, tzinfo=UTC)
    conversation = (
        await conn.execute(t.conversations.insert().values(created_at=sent).returning(c.id))
    ).scalar_one()
    await conn.execute(
        t.conversation_participants.insert().values(conversation_id=conversation, person_id=author)
    )
    body = "Melding nummer {0} med litt tekst for å gi raden en realistisk størrelse. " * 3
    for start in range(0, count, 5000):
        await conn.execute(
            t.messages.insert(),
            [
                {
                    "conversation_id": conversation,
                    "author_id": author,
                    "body": body.format(i),
                    "sent_at": sent + timedelta(seconds=i),
                    "source": DataSource.PERSON,
                }
                for i in range(start, min(count, start + 5000))
            ],
        )


def _peak_while_exporting(url: str, path: Path, fmt: Literal["XML", "JSON"]) -> tuple[int, int]:
    """(peak traced Python memory in bytes, file size) while writing an export of elev.ola."""

    async def body(conn: AsyncConnection) -> int:
        subject = await person(conn, "elev.ola")
        tracemalloc.start()
        try:
            with path.open("wb") as out:
                await write_export(
                    conn, subject, fmt, out, Settings().privacy_notices(), GENERATED_AT, REQUEST_ID
                )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return peak

    peak = run(url, body)
    return peak, path.stat().st_size


@pytest.mark.parametrize("fmt", ["XML", "JSON"])
def test_export_streams_in_bounded_memory(
    demo_copy: str, tmp_path: Path, fmt: Literal["XML", "JSON"]
) -> None:
    async def add(conn: AsyncConnection, count: int) -> None:
        await _add_messages(conn, await person(conn, "elev.ola"), count)

    async def add_5k(conn: AsyncConnection) -> None:
        await add(conn, 5_000)

    async def add_15k(conn: AsyncConnection) -> None:
        await add(conn, 15_000)

    run(demo_copy, add_5k)
    small_peak, small_size = _peak_while_exporting(demo_copy, tmp_path / "small", fmt)
    run(demo_copy, add_15k)
    large_peak, large_size = _peak_while_exporting(demo_copy, tmp_path / "large", fmt)

    # 15,000 more messages add megabytes to the file but (nearly) nothing to the peak.
    assert large_size - small_size > 15_000 * 200
    assert large_peak - small_peak < 1_000_000, (small_peak, large_peak)
    assert large_peak < 4_000_000, large_peak
    if fmt == "XML":
        validate_xml(tmp_path / "large")
