"""The privacy export's own explanatory texts, in every language (``config.language``).

An export is written for the person it is about, so its human-readable texts follow the
language rule for things written for a person: their stored preference, else Bokmål (there is
no request of theirs to read a header from). The art. 15 information itself comes from the
configured privacy notice in that language (``Settings.privacy_notice_in``); the texts here are
the ones the export adds. Only texts are translated: codes, keys and element names stay as they
are, so the machine-readable structure is the same in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from store.tables import DataSource

#: What the provenance codes on every item mean (art. 15(1)(g): where the data came from),
#: code -> language -> text.
SOURCE_LEGEND: Final[Mapping[DataSource, Mapping[str, str]]] = {
    DataSource.ROSTER: {
        "nb": "Skolens administrative system (overført ved import)",
        "en": "The school administrative system (roster import)",
    },
    DataSource.PERSON: {
        "nb": "Deg selv: noe du har skrevet, levert eller gjort",
        "en": "You: your own contribution or activity",
    },
    DataSource.REGISTRATION: {
        "nb": "En registrering gjort av en lærer eller en annen ansatt ved skolen",
        "en": "A registration by a teacher or other school staff",
    },
    DataSource.ADMINISTRATOR: {
        "nb": "En systemadministrator (for eksempel ved retting)",
        "en": "A system administrator (for example a rectification)",
    },
}


def source_legend(language: str) -> dict[str, str]:
    """The provenance codes and what they mean, in ``language``."""
    return {str(code): texts[language] for code, texts in SOURCE_LEGEND.items()}
