"""Languages without a gateway: reading ``Accept-Language`` (``config.language``), the
notification texts (``resolvers.services.notices.TEXTS``: every kind in both languages, with the
same parameters), and the privacy notice's Bokmål words for the registry's periods. The HTTP
behaviour is in tests/privacy_api/test_languages.py."""

from __future__ import annotations

from string import Formatter

import pytest

from config.language import BOKMAAL, DEFAULT, ENGLISH, LANGUAGES, choose, from_accept_language, pick
from resolvers.services.notices import TEXTS, text
from schema.privacy_notice import CATEGORY_NAMES_NB, describe_duration
from store.privacy.base import DataCategory
from store.privacy.retention import parse_duration


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("en", ENGLISH),
        ("EN-us", ENGLISH),
        ("en_US", ENGLISH),  # not a language tag, but sent by some clients
        ("nb", BOKMAAL),
        ("nb-NO", BOKMAAL),
        ("no", BOKMAAL),
        ("nn", BOKMAAL),
        ("nb;q=0.5, en;q=0.9", ENGLISH),
        ("en;q=0.5, nb;q=0.5", ENGLISH),  # equal quality: the first listed
        ("nb;q=0.5, en;q=0.5", BOKMAAL),
        ("en; q=0.8 , nb ; q = 0.9", BOKMAAL),  # blanks around the parts
        ("EN;Q=0.8, nb;q=0.7", ENGLISH),  # names are case-insensitive
        ("de, fr;q=0.9", None),
        ("*", None),
        ("*;q=0.5, en;q=0.1", ENGLISH),
        ("en;q=0", None),  # "not English"
        ("en;q=0.000, nb;q=0.001", BOKMAAL),
        ("en;q=1.0", ENGLISH),
        ("en;q=1.5, nb;q=0.2", BOKMAAL),  # above 1: malformed, left out
        ("en;q=1e0, nb;q=0.2", BOKMAAL),  # exponents are not qvalues
        ("en;q=nan, nb;q=0.2", BOKMAAL),
        ("en;q=inf, nb;q=0.2", BOKMAAL),
        ("en;q=-1, nb;q=0.2", BOKMAAL),
        ("en;q=0.1234, nb;q=0.2", BOKMAAL),  # at most three decimals
        ("en;q=, nb;q=0.2", BOKMAAL),
        ("en;level=1", ENGLISH),  # other parameters are ignored
        (",,,en,,", ENGLISH),
        (";q=1", None),
        ("-en", None),
        ("english", None),
    ],
)
def test_from_accept_language(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_only_the_first_entries_of_a_long_header_are_read() -> None:
    padding = ", ".join(["de"] * 40)
    assert from_accept_language(f"{padding}, en") is None
    assert from_accept_language(f"en, {padding}") == ENGLISH


def test_choose_and_pick() -> None:
    assert DEFAULT == BOKMAAL
    assert choose(None) == BOKMAAL
    assert choose(None, "en") == ENGLISH
    assert choose(BOKMAAL, "en") == BOKMAAL  # the preference wins
    assert choose(ENGLISH, "nb") == ENGLISH
    assert choose("de", "en") == ENGLISH  # an unknown stored value counts as none
    assert choose("de") == BOKMAAL
    assert pick(None, ENGLISH) == ENGLISH
    assert pick(ENGLISH, BOKMAAL) == ENGLISH
    assert pick(None, "de") == BOKMAAL


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_every_notification_kind_has_both_languages_with_the_same_fields(kind: str) -> None:
    texts = TEXTS[kind]
    assert set(texts) == set(LANGUAGES), kind
    for language in LANGUAGES:
        assert texts[language].strip(), (kind, language)
    assert _fields(texts[BOKMAAL]) == _fields(texts[ENGLISH]), kind
    # a translation, not a copy
    assert texts[BOKMAAL] != texts[ENGLISH], kind
    params = {name: "1" for name in _fields(texts[BOKMAAL])}
    for language in LANGUAGES:
        assert text(kind, language, **params)


@pytest.mark.parametrize("category", list(DataCategory))
def test_every_data_category_has_a_bokmaal_name(category: DataCategory) -> None:
    assert CATEGORY_NAMES_NB.get(category.value, "").strip(), category


@pytest.mark.parametrize(
    ("duration", "bokmaal", "english"),
    [
        ("P5Y", "5 år", "5 years"),
        ("P1Y", "1 år", "1 year"),
        ("P6M", "6 måneder", "6 months"),
        ("P1M", "1 måned", "1 month"),
        ("P1Y6M", "1 år 6 måneder", "1 year 6 months"),
        ("P2W", "2 uker", "2 weeks"),
        ("P1W1D", "1 uke 1 dag", "1 week 1 day"),
        ("P90D", "90 dager", "90 days"),
        ("P0D", "0 dager", "0 days"),
    ],
)
def test_durations_in_words(duration: str, bokmaal: str, english: str) -> None:
    parsed = parse_duration(duration)
    assert describe_duration(parsed, BOKMAAL) == bokmaal
    assert describe_duration(parsed, ENGLISH) == english
