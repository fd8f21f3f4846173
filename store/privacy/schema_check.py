"""Validation of an XML export against ``tavle-export.xsd``.

The file is checked while it is parsed (lxml's ``iterparse`` with the schema plugged into the
parser), and finished items are dropped as it goes, so a large export is validated in bounded
memory. The parser resolves no entities and fetches nothing from the network.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from store.privacy.export import XSD_PATH

# libxml2 quotes offending values ("'abc' is not a valid value of ..."); a value from an
# export can be personal data, so quoted literals are blanked in the error message.
_QUOTED_VALUE = re.compile(r"'[^']*' is not")
_THE_VALUE = re.compile(r"The value '[^']*'")


class ExportSchemaError(ValueError):
    """An export is not valid against the XSD; the message names the first error."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@lru_cache(maxsize=1)
def export_schema() -> Any:
    """The compiled XSD (``etree.XMLSchema``), loaded once."""
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def _scrub(message: str) -> str:
    return _THE_VALUE.sub("The value '…'", _QUOTED_VALUE.sub("'…' is not", message))


def validate_xml(path: str | Path) -> None:
    """Raise :class:`ExportSchemaError` with the first XSD (or well-formedness) error."""
    try:
        for _event, element in etree.iterparse(
            str(path),
            events=("end",),
            schema=export_schema(),
            resolve_entities=False,
            no_network=True,
            huge_tree=True,
        ):
            parent = element.getparent()
            if parent is not None and parent.getparent() is not None:
                grandparent = parent.getparent()
                if grandparent.tag == "data":
                    # A finished item: validated already, free it and the ones before it.
                    element.clear()
                    while element.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as error:
        # The exception's own message, not ``error.error_log``: lxml's log can still hold
        # entries from earlier parses. Schema errors found while streaming carry no line (0).
        line = error.lineno or None
        raise ExportSchemaError(_scrub(str(error.msg)), line) from None
