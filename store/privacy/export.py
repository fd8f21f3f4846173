"""The access and portability export (GDPR art. 15 and 20): streaming XML and JSON writers.

``write_export`` writes one file with all stored data about a person, category by category,
straight from each provider's async iterator to ``out``: one item is held at a time, never the
whole document (XML through lxml's incremental ``etree.xmlfile``; JSON one ``json.dumps`` per
item). ``INTERNAL_LOGIC`` is left out (docs/privacy-actions.md), and the file says so.

Both formats carry the same content under the same names (``tavle-export.xsd`` documents the
mapping):

* ``export``: format version, request id, subject id, generation time, and the ``language``
  the explanatory texts are in;
* ``information``: the art. 15 information from ``PrivacyNoticeSettings`` (controller, DPO,
  purposes, legal basis, categories, sources, recipients, transfers, retention, rights,
  automated decision-making), a legend of the provenance codes, and the excluded categories;
* ``data``: per category (lower-case name), the items: ``kind``, ``source`` (provenance),
  ``fields`` (NULL as ``xsi:nil`` / ``null``), ``field_sources`` for fields with their own
  provenance, and ``children`` (a submission's attachments).

The explanatory texts (the art. 15 information and the legend) are in the subject's stored
preferred language, else Bokmål (``config.language.choose``; ``store.privacy.export_texts``);
the data, codes and names are the same in every language.

Values are written as text the XSD types accept: timestamps ISO 8601, booleans
``true``/``false`` (JSON booleans), integers. Characters XML 1.0 cannot carry (most control
characters) are replaced by U+FFFD in *both* formats, so the two never differ.

Nothing here logs personal data: only request ids and counts.
"""

from __future__ import annotations

import enum
import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from config.language import choose
from config.settings import PrivacyNoticeSettings
from store import tables as t
from store.privacy.base import DataCategory, Effect, ExportItem, Outcome, PrivacyProvider
from store.privacy.export_texts import source_legend
from store.privacy.providers import PROVIDERS, Sourced, UnknownSubjectError

log = logging.getLogger("tavle.privacy.export")

FORMAT_VERSION = "1"
XSD_PATH = Path(__file__).with_name("tavle-export.xsd")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_NIL = f"{{{XSI}}}nil"

#: Never exported: "Data i kategorien «Intern logikk» inkluderes ikke".
EXCLUDED_CATEGORIES: tuple[DataCategory, ...] = (DataCategory.INTERNAL_LOGIC,)

#: List-valued information fields and the element name of one entry in XML.
_LIST_ENTRY = {
    "purposes": "purpose",
    "categories": "category",
    "sources": "source",
    "recipients": "recipient",
    "rights": "right",
}

# XML 1.0 cannot carry these (nor lone surrogates, which UTF-8 cannot encode either).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Scalar = str | int | bool | None


def section_name(category: DataCategory) -> str:
    """The element (XML) / key (JSON) of a category's section: ``personal_data`` etc."""
    return category.value.lower()


def exported_providers() -> tuple[PrivacyProvider, ...]:
    """The providers whose data goes into an export, in category order."""
    return tuple(p for p in PROVIDERS if p.category not in EXCLUDED_CATEGORIES)


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def plain(value: Any) -> Scalar:
    """A field value as the JSON scalar both formats are derived from."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, str):
        return _text(value)
    # The type only: a value in an exception message could be personal data.
    raise TypeError(f"cannot export a value of type {type(value).__name__}")


def lexical(value: Scalar) -> str | None:
    """The XML text of a scalar (``None`` is written as ``xsi:nil``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def information(info: PrivacyNoticeSettings, language: str) -> dict[str, Any]:
    """The art. 15 information (``info``, already in ``language``), in the order the XSD lists
    it."""
    return {
        "controller": _text(info.controller),
        "data_protection_officer": _text(info.data_protection_officer),
        "purposes": [_text(x) for x in info.purposes],
        "legal_basis": _text(info.legal_basis),
        "categories": [_text(x) for x in info.categories],
        "sources": [_text(x) for x in info.sources],
        "recipients": [_text(x) for x in info.recipients],
        "third_country_transfers": _text(info.third_country_transfers),
        "retention": _text(info.retention),
        "rights": [_text(x) for x in info.rights],
        "automated_decision_making": _text(info.automated_decision_making),
        "source_legend": source_legend(language),
        "excluded_categories": [c.value for c in EXCLUDED_CATEGORIES],
    }


def _header(
    subject_id: int, generated_at: datetime, request_id: int, language: str
) -> dict[str, Scalar]:
    return {
        "format_version": FORMAT_VERSION,
        "request_id": request_id,
        "subject_id": subject_id,
        "generated_at": plain(generated_at),
        "language": language,
    }


def item_size(item: ExportItem) -> int:
    """The item and its children, counted."""
    return 1 + sum(item_size(child) for child in item.children)


# --- JSON -----------------------------------------------------------------------------------


def item_json(item: ExportItem) -> dict[str, Any]:
    fields: dict[str, Scalar] = {}
    field_sources: dict[str, str] = {}
    for name, value in item.fields.items():
        if isinstance(value, Sourced):
            field_sources[name] = str(value.source)
            value = value.value
        fields[name] = plain(value)
    record: dict[str, Any] = {"kind": item.kind, "source": str(item.source), "fields": fields}
    if field_sources:
        record["field_sources"] = field_sources
    if item.children:
        record["children"] = [item_json(child) for child in item.children]
    return record


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _write_json(
    conn: AsyncConnection,
    subject_id: int,
    out: BinaryIO,
    info: PrivacyNoticeSettings,
    language: str,
    generated_at: datetime,
    request_id: int,
) -> dict[DataCategory, int]:
    def put(text: str) -> None:
        out.write(text.encode("utf-8"))

    counts: dict[DataCategory, int] = {}
    put('{\n"export": ' + _dumps(_header(subject_id, generated_at, request_id, language)))
    put(',\n"information": ' + _dumps(information(info, language)))
    put(',\n"data": {')
    for index, provider in enumerate(exported_providers()):
        put(("," if index else "") + "\n" + _dumps(section_name(provider.category)) + ": [")
        n = 0
        async for item in provider.export(conn, subject_id):
            put(("," if n else "") + "\n" + _dumps(item_json(item)))
            n += item_size(item)
        put("\n]")
        counts[provider.category] = n
    put("\n}\n}\n")
    return counts


# --- XML ------------------------------------------------------------------------------------


def item_element(item: ExportItem) -> Any:
    """One item as a small element tree (``etree._Element``), written and then dropped."""
    texts: list[tuple[str, str | None, str | None]] = []  # (name, text, own source)
    for name, value in item.fields.items():
        if isinstance(value, Sourced):
            texts.append((name, lexical(plain(value.value)), str(value.source)))
        else:
            texts.append((name, lexical(plain(value)), None))
    # Declare xsi once on the item when a field needs xsi:nil, not on every such field.
    nsmap = {"xsi": XSI} if any(text is None for _, text, _ in texts) else None
    element = etree.Element(item.kind, source=str(item.source), nsmap=nsmap)
    for name, text, own_source in texts:
        field = etree.SubElement(element, name)
        if own_source is not None:
            field.set("source", own_source)
        if text is None:
            field.set(_XSI_NIL, "true")
        else:
            field.text = text
    if item.children:
        children = etree.SubElement(element, "children")
        for child in item.children:
            children.append(item_element(child))
    return element


def information_element(info: PrivacyNoticeSettings, language: str) -> Any:
    element = etree.Element("information")
    for name, value in information(info, language).items():
        node = etree.SubElement(element, name)
        if name == "source_legend":
            for code, text in value.items():
                etree.SubElement(node, "entry", code=code).text = text
        elif name == "excluded_categories":
            for category in value:
                etree.SubElement(node, "category").text = category
        elif isinstance(value, list):
            for entry in value:
                etree.SubElement(node, _LIST_ENTRY[name]).text = entry
        else:
            node.text = value
    return element


async def _write_xml(
    conn: AsyncConnection,
    subject_id: int,
    out: BinaryIO,
    info: PrivacyNoticeSettings,
    language: str,
    generated_at: datetime,
    request_id: int,
) -> dict[DataCategory, int]:
    counts: dict[DataCategory, int] = {}
    header = {
        k: lexical(v) or ""
        for k, v in _header(subject_id, generated_at, request_id, language).items()
    }
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("tavle_export", header, nsmap={"xsi": XSI}):
            xf.write("\n", information_element(info, language), "\n")
            with xf.element("data"):
                for provider in exported_providers():
                    xf.write("\n")
                    n = 0
                    with xf.element(section_name(provider.category)):
                        async for item in provider.export(conn, subject_id):
                            xf.write("\n", item_element(item))
                            n += item_size(item)
                        xf.write("\n")
                    counts[provider.category] = n
                    xf.flush()
                xf.write("\n")
            xf.write("\n")
    out.write(b"\n")
    return counts


# --- entry point ----------------------------------------------------------------------------


def kept_effects(counts: Iterable[tuple[DataCategory, int]]) -> list[Effect]:
    return [Effect(category, Outcome.KEPT, n) for category, n in counts if n > 0]


async def write_export(
    conn: AsyncConnection,
    subject_id: int,
    fmt: Literal["XML", "JSON"],
    out: BinaryIO,
    notices: Mapping[str, PrivacyNoticeSettings],
    generated_at: datetime,
    request_id: int,
) -> list[Effect]:
    """Write the subject's export in ``fmt`` to ``out``; return items per category, as KEPT.

    ``notices`` is the art. 15 information by language (``Settings.privacy_notices``); the
    export's texts are in the subject's stored preferred language, else Bokmål.

    Reads only (runs inside whatever transaction ``conn`` has); an unknown ``subject_id`` raises
    :class:`UnknownSubjectError` before anything is written. Items are counted with their
    children (a submission with two attachments counts 3), categories without data are left
    out of the effects.
    """
    p = t.people.c
    subject = (await conn.execute(select(p.preferred_language).where(p.id == subject_id))).first()
    if subject is None:
        raise UnknownSubjectError(f"no person with id {subject_id}")
    language = choose(subject.preferred_language)
    info = notices[language]
    if fmt == "XML":
        counts = await _write_xml(conn, subject_id, out, info, language, generated_at, request_id)
    elif fmt == "JSON":
        counts = await _write_json(conn, subject_id, out, info, language, generated_at, request_id)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    found = kept_effects(counts.items())
    log.info(
        "privacy export written: request %s, %s",
        request_id,
        ", ".join(f"{e.category.value}={e.count}" for e in found) or "no data",
    )
    return found
