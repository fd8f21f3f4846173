"""The retention registry: how long each data category is kept after a person left.

A CSV file the school owner edits (``TAVLE_RETENTION_FILE``; the shipped default is
``retention.csv`` beside this module): per data category an ISO 8601 duration counted from the
moment the person left (``people.restricted_at``: restricted by the roster import or by an
administrator), the purpose of keeping it and the legal basis. It is read and checked once when
the gateway starts; an unknown or missing category, a category listed twice or a duration that
is not ``PnYnMnWnD`` stops the start with ``RetentionFileError`` naming the line.

A person is *expired* when the retention of every category has passed since they left: their
leaving time lies before the earliest of the cutoffs ``now - keep_for`` (the longest duration
wins). ``expiredSubjects`` lists them for the privacy tool; erasing them stays a decision of a
system administrator.
"""

from __future__ import annotations

import csv
import hashlib
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store import audit
from store import tables as t
from store.privacy.base import DataCategory

DEFAULT_RETENTION_FILE = Path(__file__).with_name("retention.csv")
#: the audit action written when the gateway starts with a registry whose content differs from
#: the one the last such entry names (``detail``: ``sha256:<digest of the file's bytes>``)
LOADED_ACTION = "RETENTION_REGISTRY_LOADED"
_COLUMNS = ("category", "keep_for", "purpose", "legal_basis")
#: optional: the purpose and legal basis in Norwegian Bokmål, for the Bokmål privacy notice
#: (without them, on a line without them or left blank, it shows ``purpose`` and
#: ``legal_basis`` as written)
_BOKMAAL_COLUMNS = ("purpose_nb", "legal_basis_nb")
#: the subset of ISO 8601 durations a retention period is: dates only, no fractions
_DURATION = re.compile(r"P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?")


class RetentionFileError(ValueError):
    """The retention registry cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration of whole years, months, weeks and days (``P5Y``, ``P1Y6M``)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    text: str = ""

    def describe(self) -> str:
        """In words: ``P1Y6M`` is "1 year 6 months"."""
        parts = [
            f"{count} {unit}{'' if count == 1 else 's'}"
            for count, unit in (
                (self.years, "year"),
                (self.months, "month"),
                (self.weeks, "week"),
                (self.days, "day"),
            )
            if count
        ]
        return " ".join(parts) or "0 days"

    def before(self, moment: datetime) -> datetime:
        """``moment`` minus this duration, calendar-wise: years and months move the date (the
        day clamped to the month's last, 31 Aug - P6M = 28/29 Feb), weeks and days are exact."""
        months = moment.year * 12 + (moment.month - 1) - self.years * 12 - self.months
        year, month = divmod(months, 12)
        month += 1
        day = min(moment.day, monthrange(year, month)[1])
        moved = moment.replace(year=year, month=month, day=day)
        return moved - timedelta(weeks=self.weeks, days=self.days)


def parse_duration(text: str) -> Duration:
    """The duration ``text`` names; ``ValueError`` for anything but ``PnYnMnWnD`` with at
    least one part (no time part, no fractions, no sign)."""
    found = _DURATION.fullmatch(text)
    if found is None or text == "P":
        raise ValueError(f"{text!r} is not an ISO 8601 duration of years, months, weeks and days")
    years, months, weeks, days = (int(part) if part else 0 for part in found.groups())
    return Duration(years, months, weeks, days, text)


@dataclass(frozen=True)
class RetentionRule:
    category: DataCategory
    keep_for: Duration
    purpose: str
    legal_basis: str
    #: the Bokmål texts, when the file has them
    purpose_nb: str | None = None
    legal_basis_nb: str | None = None


@dataclass(frozen=True)
class RetentionRegistry:
    #: one rule per data category, in ``DataCategory`` order
    rules: tuple[RetentionRule, ...]
    #: ``sha256:<hex>`` of the file's bytes: what the audit log records, never the content
    digest: str
    source: str

    def expiry_cutoff(self, now: datetime) -> datetime:
        """People who left before this moment are expired: every category's retention has
        passed (the earliest of the cutoffs, i.e. the longest duration)."""
        return min(rule.keep_for.before(now) for rule in self.rules)


def parse_registry(content: bytes, source: str = "<retention file>") -> RetentionRegistry:
    """The registry in ``content`` (the file's bytes), checked; ``RetentionFileError``."""

    def fail(line: int | None, why: str) -> RetentionFileError:
        where = source if line is None else f"{source}, line {line}"
        return RetentionFileError(f"retention registry {where}: {why}")

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(None, "not UTF-8") from exc
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise fail(None, "empty")
    rows = list(csv.reader([line for _, line in numbered], skipinitialspace=True))
    header = tuple(cell.strip() for cell in rows[0])
    if header not in (_COLUMNS, _COLUMNS + _BOKMAAL_COLUMNS):
        raise fail(
            numbered[0][0],
            f"the header must be {','.join(_COLUMNS)} "
            f"(optionally followed by {','.join(_BOKMAAL_COLUMNS)})",
        )
    found: dict[DataCategory, RetentionRule] = {}
    for (number, _), row in zip(numbered[1:], rows[1:], strict=True):
        cells = [cell.strip() for cell in row]
        # a line without the Bokmål texts is allowed under either header
        if len(cells) not in (len(_COLUMNS), len(header)):
            raise fail(number, f"{len(cells)} fields, expected {len(header)}")
        name, keep_for, purpose, legal_basis = cells[:4]
        purpose_nb, legal_basis_nb = cells[4:] or ["", ""]
        try:
            category = DataCategory(name)
        except ValueError:
            known = ", ".join(c.value for c in DataCategory)
            raise fail(number, f"unknown category {name!r} (known: {known})") from None
        if category in found:
            raise fail(number, f"category {name} is listed twice")
        try:
            duration = parse_duration(keep_for)
        except ValueError as exc:
            raise fail(number, str(exc)) from None
        if not purpose or not legal_basis:
            raise fail(number, "purpose and legal_basis must not be blank")
        found[category] = RetentionRule(
            category, duration, purpose, legal_basis, purpose_nb or None, legal_basis_nb or None
        )
    missing = [c.value for c in DataCategory if c not in found]
    if missing:
        raise fail(None, f"no retention for {', '.join(missing)}")
    return RetentionRegistry(
        rules=tuple(found[c] for c in DataCategory),
        digest="sha256:" + hashlib.sha256(content).hexdigest(),
        source=source,
    )


@lru_cache(maxsize=8)
def retention_registry(path: Path | None) -> RetentionRegistry:
    """The registry in ``path`` (None: the shipped default), read and checked once per process
    (the gateway reads it at its start, so a faulty file stops the start)."""
    file = path or DEFAULT_RETENTION_FILE
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise RetentionFileError(f"retention registry {file}: cannot be read ({exc})") from exc
    return parse_registry(content, str(file))


async def record_loaded(conn: AsyncConnection, registry: RetentionRegistry) -> bool:
    """Append a ``RETENTION_REGISTRY_LOADED`` entry (its digest in ``detail``) unless the last
    such entry names the same digest: a changed registry is in the audit log from the start that
    first used it. Inside the caller's transaction. Whether an entry was written."""
    a = t.audit_entries.c
    last = (
        await conn.execute(
            select(a.detail).where(a.action == LOADED_ACTION).order_by(a.id.desc()).limit(1)
        )
    ).scalar()
    if last == registry.digest:
        return False
    await audit.append(
        conn,
        audit.AuditEvent(
            actor_id=None,
            action=LOADED_ACTION,
            target_type="RetentionRegistry",
            detail=registry.digest,
        ),
    )
    return True
