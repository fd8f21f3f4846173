"""The language of a privacy export (store/privacy/export.py, store/privacy/export_texts.py).

An export's explanatory texts (the art. 15 information and the provenance legend) are in the
subject's stored preferred language, else Bokmål, and the document names that language; the
data and every element and key name are the same in both languages, in XML and in JSON. In a
school export, each person's document is in that person's language.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from lxml import etree
from sqlalchemy import select, update

from config.language import BOKMAAL, ENGLISH, LANGUAGES
from config.settings import Settings
from store import tables as t
from store.db import make_engine
from store.privacy.export import write_export
from store.privacy.export_texts import SOURCE_LEGEND, source_legend
from store.privacy.schema_check import validate_xml
from store.privacy.school_export import write_school_export
from store.tables import DataSource

GENERATED_AT = "2026-03-01T12:00:00+00:00"
LISTS = {"purposes", "categories", "sources", "recipients", "rights"}
TEXTS = ("controller", "legal_basis", "retention", "automated_decision_making")


def _export(url: str, username: str, fmt: Literal["XML", "JSON"], path: Path) -> None:
    async def main() -> None:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                p = t.people.c
                subject = (
                    await conn.execute(select(p.id).where(p.username == username))
                ).scalar_one()
                with path.open("wb") as out:
                    await write_export(
                        conn,
                        subject,
                        fmt,
                        out,
                        Settings().privacy_notices(),
                        datetime.fromisoformat(GENERATED_AT),
                        5,
                    )
        finally:
            await engine.dispose()

    asyncio.run(main())


def _prefer(url: str, username: str, language: str | None) -> None:
    async def main() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                p = t.people.c
                await conn.execute(
                    update(t.people)
                    .where(p.username == username)
                    .values(preferred_language=language)
                )
        finally:
            await engine.dispose()

    asyncio.run(main())


def _xml_structure(path: Path) -> dict[str, Any]:
    """The header and the information of an XML export, as the JSON export has them."""
    root = etree.parse(str(path)).getroot()
    information: dict[str, Any] = {}
    for node in root.find("information"):
        if node.tag == "source_legend":
            information[node.tag] = {e.get("code"): e.text for e in node}
        elif node.tag in LISTS or node.tag == "excluded_categories":
            information[node.tag] = [e.text for e in node]
        else:
            information[node.tag] = node.text
    return {"export": dict(root.attrib), "information": information}


def _both(url: str, username: str, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The XML export (validated; header and information) and the whole JSON export."""
    folder.mkdir(parents=True, exist_ok=True)
    xml_path, json_path = folder / f"{username}.xml", folder / f"{username}.json"
    _export(url, username, "XML", xml_path)
    _export(url, username, "JSON", json_path)
    validate_xml(xml_path)
    return _xml_structure(xml_path), json.loads(json_path.read_text("utf-8"))


def _assert_in(language: str, xml: dict[str, Any], data: dict[str, Any]) -> None:
    notice = Settings().privacy_notice_in(language)
    for structure in (xml, data):
        assert structure["export"]["language"] == language
        information = structure["information"]
        for name in TEXTS:
            assert information[name] == getattr(notice, name), name
        for name in LISTS:
            assert information[name] == list(getattr(notice, name)), name
        assert information["source_legend"] == source_legend(language)
        assert information["excluded_categories"] == ["INTERNAL_LOGIC"]


def test_every_export_text_is_in_both_languages() -> None:
    assert set(SOURCE_LEGEND) == set(DataSource)
    for code, texts in SOURCE_LEGEND.items():
        assert set(texts) == set(LANGUAGES), code
        assert all(texts[language].strip() for language in LANGUAGES), code
        assert texts[BOKMAAL] != texts[ENGLISH], code


def test_an_export_of_a_person_without_a_preference_is_in_bokmaal(
    demo_copy: str, tmp_path: Path
) -> None:
    _prefer(demo_copy, "elev.ola", None)
    xml, data = _both(demo_copy, "elev.ola", tmp_path)
    _assert_in(BOKMAAL, xml, data)
    assert "Opplæring, læring og vurdering etter opplæringsloven" in data["information"]["purposes"]


def test_an_export_of_a_person_preferring_english_is_in_english(
    demo_copy: str, tmp_path: Path
) -> None:
    _prefer(demo_copy, "elev.ola", None)
    nb_xml, nb_data = _both(demo_copy, "elev.ola", tmp_path / "nb")
    _prefer(demo_copy, "elev.ola", ENGLISH)
    en_xml, en_data = _both(demo_copy, "elev.ola", tmp_path / "en")
    _assert_in(ENGLISH, en_xml, en_data)
    assert "No automated decision-making" in en_data["information"]["automated_decision_making"]
    # Only the texts differ: the same names in the same order, and the same data (but for the
    # stored preference itself, which is data of the person's).
    assert list(en_data) == list(nb_data)
    assert list(en_data["information"]) == list(nb_data["information"])
    assert list(en_xml["information"]) == list(nb_xml["information"])
    assert list(en_data["information"]["source_legend"]) == list(
        nb_data["information"]["source_legend"]
    )
    for data in (nb_data, en_data):
        (profile,) = (i for i in data["data"]["personal_data"] if i["kind"] == "profile")
        profile["fields"].pop("preferred_language", None)
    assert en_data["data"] == nb_data["data"]


def test_each_person_in_a_school_export_is_in_their_own_language(
    demo_copy: str, tmp_path: Path
) -> None:
    _prefer(demo_copy, "elev.ola", ENGLISH)
    _prefer(demo_copy, "larer.hansen", None)
    archive = tmp_path / "school.zip"

    async def main() -> dict[str, int]:
        engine = make_engine(demo_copy)
        try:
            async with engine.connect() as conn:
                p, r = t.people.c, t.role_assignments.c
                found = await conn.execute(
                    select(p.username, p.id).where(p.username.in_(["elev.ola", "larer.hansen"]))
                )
                people = {row.username: int(row.id) for row in found}
                school = (
                    await conn.execute(select(r.school_id).where(r.person_id == people["elev.ola"]))
                ).scalar_one()
                with archive.open("w+b") as out:
                    await write_school_export(
                        conn,
                        int(school),
                        "JSON",
                        out,
                        Settings().privacy_notices(),
                        datetime.fromisoformat(GENERATED_AT),
                        6,
                        storage=None,
                        spool_dir=tmp_path,
                    )
                return people
        finally:
            await engine.dispose()

    people = asyncio.run(main())
    with zipfile.ZipFile(archive) as zipped:
        ola = json.loads(zipped.read(f"people/{people['elev.ola']}.json"))
        hansen = json.loads(zipped.read(f"people/{people['larer.hansen']}.json"))
    assert ola["export"]["language"] == ENGLISH
    assert ola["information"]["source_legend"] == source_legend(ENGLISH)
    assert hansen["export"]["language"] == BOKMAAL
    assert hansen["information"]["source_legend"] == source_legend(BOKMAAL)
