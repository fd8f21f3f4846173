"""Dates and times as the console shows them: in the page's language, on Oslo's clock.

The schema hands back times as ``datetime`` objects in-process (ISO 8601 text once a page has
made them plain) and dates (a date of birth) as ``date`` objects or ``YYYY-MM-DD`` text. The
``when`` filter shows any of them as a ``<time>`` element whose ``datetime`` attribute keeps the
exact value, and whose text is the local reading: ``30. nov. 2026 kl. 14:05`` in Bokmål,
``30 Nov 2026, 14:05`` in English, in Europe/Oslo's time (summer or winter time as it was on that
day). A due date is a time too, but a day is what it means: ``when(value, date_only=True)``
shows its Oslo date alone. The words and patterns are the catalog's (``when.*``, ``month.*``).

The other way, a form's ``datetime-local`` value (a wall-clock time without an offset) is read on
the same clock, Norwegian time, and handed to the schema in UTC (:func:`utc_from_local`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from gateway.console.catalog import translator

#: the zone every time is shown in (the gateway's users are Norwegian schools)
OSLO = ZoneInfo("Europe/Oslo")
#: the catalog's words for a time of day that does not exist in Norway
SKIPPED_HOUR = "when.skipped_hour"


class SkippedHourError(ValueError):
    """A wall-clock time in the hour Oslo skips when summer time begins (02:00-02:59 on the last
    Sunday of March): no instant has it, so it is refused rather than guessed."""


def _parsed(value: object) -> date | datetime | None:
    """The value as a date or an aware time (a time without an offset is read as UTC); None
    when it is neither."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    return None


def _machine(value: date | datetime) -> str:
    """The exact value for the ``datetime`` attribute: a date as it is, a time in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def local_text(language: str, value: object, date_only: bool = False) -> str:
    """The value as read in ``language`` on Oslo's clock; a date (or ``date_only``) without the
    time; "" for None; text that is not a date or time as it is."""
    if value is None or value == "":
        return ""
    parsed = _parsed(value)
    if parsed is None:
        return str(value)
    t = translator(language)
    local = parsed.astimezone(OSLO) if isinstance(parsed, datetime) else parsed
    day = t("when.date", day=local.day, month=t(f"month.{local.month}"), year=local.year)
    if not isinstance(local, datetime) or date_only:
        return day
    return t("when.time", date=day, hours=f"{local.hour:02d}", minutes=f"{local.minute:02d}")


def time_element(language: str, value: object, date_only: bool = False) -> Markup:
    """``<time datetime="exact">local reading</time>``; nothing for None, the text itself (escaped)
    for a value that is no date or time."""
    text = local_text(language, value, date_only)
    parsed = _parsed(value)
    if parsed is None:
        return escape(text)
    return Markup('<time datetime="{}">{}</time>').format(_machine(parsed), text)


@pass_context
def when(context: Context, value: Any, date_only: bool = False) -> Markup:
    """The templates' ``when`` filter: :func:`time_element` in the page's language."""
    return time_element(str(context.get("language") or ""), value, date_only)


def utc_from_local(text: str) -> datetime:
    """A form's time (``datetime-local``: ``2026-11-30T14:05``, seconds optional) read as
    Norwegian time, in UTC. In the autumn hour that happens twice (02:00-02:59 on the last Sunday
    of October) the first one is meant (summer time, ``fold=0``); a time with its own offset keeps
    it. ``ValueError`` when the text is no time; :class:`SkippedHourError` (a ``ValueError``) for a
    time in the hour skipped in spring."""
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    wall = parsed.replace(fold=0)
    moment = wall.replace(tzinfo=OSLO).astimezone(UTC)
    if moment.astimezone(OSLO).replace(tzinfo=None) != wall:
        raise SkippedHourError(text)
    return moment
