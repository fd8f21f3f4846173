"""Dates and times in the console: in the page's language, on Oslo's clock (summer and winter
time), a date without a time, nothing for None, always in a ``<time>`` element with the exact
value; and every template shows its dates through the one filter. A form's time is read on the
same clock and handed on in UTC: the autumn hour that happens twice as its first occurrence, the
hour skipped in spring refused."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gateway.console.catalog import TEXTS
from gateway.console.dates import (
    SKIPPED_HOUR,
    SkippedHourError,
    local_text,
    time_element,
    utc_from_local,
)
from gateway.console.web import _templates

TEMPLATES = Path(__file__).resolve().parents[2] / "gateway" / "console" / "templates"


@pytest.mark.parametrize(
    ("value", "nb", "en"),
    [
        # winter time: UTC+1
        ("2026-11-30T13:05:00+00:00", "30. nov. 2026 kl. 14:05", "30 Nov 2026, 14:05"),
        # summer time: UTC+2
        ("2026-07-01T12:05:00+00:00", "1. jul. 2026 kl. 14:05", "1 Jul 2026, 14:05"),
        # the night summer time begins: 01:30 UTC is already 03:30 in Oslo
        ("2026-03-29T01:30:00Z", "29. mar. 2026 kl. 03:30", "29 Mar 2026, 03:30"),
        # a time with another offset, and one as the schema hands it back in-process
        ("2026-05-17T09:00:00-04:00", "17. mai 2026 kl. 15:00", "17 May 2026, 15:00"),
        (datetime(2026, 1, 2, 23, 30, tzinfo=UTC), "3. jan. 2026 kl. 00:30", "3 Jan 2026, 00:30"),
    ],
)
def test_a_time_in_both_languages_on_oslos_clock(value: object, nb: str, en: str) -> None:
    assert local_text("nb", value) == nb
    assert local_text("en", value) == en


@pytest.mark.parametrize("value", ["2012-06-02", date(2012, 6, 2)])
def test_a_date_has_no_time(value: object) -> None:
    assert local_text("nb", value) == "2. jun. 2012"
    assert local_text("en", value) == "2 Jun 2012"
    assert time_element("en", value) == '<time datetime="2012-06-02">2 Jun 2012</time>'


def test_a_due_date_is_the_day_in_oslo() -> None:
    # 22:30 UTC on 31 March is half past midnight on 1 April in Oslo (summer time)
    due = "2026-03-31T22:30:00+00:00"
    assert local_text("nb", due, date_only=True) == "1. apr. 2026"
    assert local_text("en", due, date_only=True) == "1 Apr 2026"
    assert time_element("nb", due, date_only=True) == (
        '<time datetime="2026-03-31T22:30:00+00:00">1. apr. 2026</time>'
    ), "the exact time stays machine-readable"


def test_none_is_nothing_and_other_text_is_shown_as_it_is() -> None:
    assert local_text("nb", None) == "" and str(time_element("nb", None)) == ""
    assert local_text("en", "") == ""
    assert str(time_element("en", "<soon>")) == "&lt;soon&gt;"


def test_the_time_elements_value_is_the_exact_time_in_utc() -> None:
    shown = time_element("nb", datetime(2026, 11, 30, 14, 5, 9, tzinfo=UTC))
    assert shown == '<time datetime="2026-11-30T14:05:09+00:00">30. nov. 2026 kl. 15:05</time>'


def test_the_templates_filter_uses_the_pages_language() -> None:
    template = _templates.from_string("{{ at|when }} / {{ due|when(date_only=True) }}")
    values = {"at": "2026-11-30T13:05:00+00:00", "due": "2026-12-31T12:00:00+00:00"}
    assert template.render(language="en", **values) == (
        '<time datetime="2026-11-30T13:05:00+00:00">30 Nov 2026, 14:05</time> / '
        '<time datetime="2026-12-31T12:00:00+00:00">31 Dec 2026</time>'
    )
    assert "30. nov. 2026 kl. 14:05" in template.render(language="nb", **values)


def test_every_template_shows_its_times_through_the_filter() -> None:
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<time" not in text, f"{path.name}: a <time> written by hand, not by |when"
        # a value shown on its own: {{ request.createdAt }}, {{ run.finishedAt or "" }}
        shown = re.findall(r"\{\{\s*[\w.]+(?:At|\.at|birth_?[dD]ate)\s*([^}]*)\}\}", text)
        assert all(rest.startswith("|when") for rest in shown), (path.name, shown)


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        # winter time: UTC+1
        ("2026-01-15T10:00", datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),
        # summer time: UTC+2, with seconds and the space some browsers' autofill sends
        ("2026-07-01T10:00:30", datetime(2026, 7, 1, 8, 0, 30, tzinfo=UTC)),
        (" 2026-07-01T10:00 ", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        # 25 October 2026: 02:00-02:59 happens twice; the first time (still summer time) is meant
        ("2026-10-25T02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-10-25T01:59", datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),
        ("2026-10-25T03:00", datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        # 29 March 2026: the last minute before the gap and the first after it
        ("2026-03-29T01:59", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        ("2026-03-29T03:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        # a time that states its own offset keeps it
        ("2026-01-15T10:00+00:00", datetime(2026, 1, 15, 10, 0, tzinfo=UTC)),
    ],
)
def test_a_forms_time_is_read_as_norwegian_time(typed: str, utc: datetime) -> None:
    converted = utc_from_local(typed)
    assert converted == utc and converted.utcoffset() is not None
    assert converted.tzinfo == UTC


def test_the_autumn_hour_reads_back_as_the_time_typed() -> None:
    """The first 02:30 on the night summer time ends is shown again as 02:30."""
    assert local_text("nb", utc_from_local("2026-10-25T02:30")) == "25. okt. 2026 kl. 02:30"


@pytest.mark.parametrize("typed", ["2026-03-29T02:00", "2026-03-29T02:30", "2026-03-29T02:59"])
def test_a_time_in_the_hour_skipped_in_spring_is_refused(typed: str) -> None:
    with pytest.raises(SkippedHourError):
        utc_from_local(typed)
    assert TEXTS[SKIPPED_HOUR]["nb"] and TEXTS[SKIPPED_HOUR]["en"], "refused in words"


@pytest.mark.parametrize("typed", ["", "i går", "yesterday", "2026-13-01T10:00", "10:00"])
def test_what_is_no_time_is_refused(typed: str) -> None:
    with pytest.raises(ValueError) as refused:
        utc_from_local(typed)
    assert not isinstance(refused.value, SkippedHourError)
