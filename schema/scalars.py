"""The ``DateTime`` scalar: ISO 8601 with a UTC offset in, UTC with an offset out.

A date-time without an offset (``2026-01-01T10:00:00``) is ambiguous: the browser meant its own
time zone, the server would have to guess. Such inputs are refused with ``BAD_USER_INPUT``
telling the client to send an offset (docs/interfaces.md, "Date-times"); so is a date-time that
is not a moment in years 1-9999 once moved to UTC. (Written as a literal in the document, such a
value fails validation instead.) Every input is converted to UTC on the way in, so two inputs
can always be compared and stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types.scalar import ScalarDefinition

from config.errors import ScalarValueError


def _refuse(message: str) -> ScalarValueError:
    """The refusal, typed: the gateway counts it (``gateway.error_codes``) and the phase that
    found the value gives its code."""
    return ScalarValueError(message)


def parse_datetime(value: object) -> datetime:
    """An aware UTC ``datetime`` from an ISO 8601 string with an offset (``Z`` or ``+01:00``)."""
    if not isinstance(value, str):
        raise _refuse("A DateTime is an ISO 8601 string, e.g. 2026-01-01T10:00:00+01:00")
    shown = value[:64]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(
            f"'{shown}' is not an ISO 8601 date-time, e.g. 2026-01-01T10:00:00+01:00"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _refuse(
            f"'{shown}' has no UTC offset: send the time zone's offset, e.g. "
            f"'{parsed.isoformat()}+01:00', or 'Z' for UTC"
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise _refuse(f"'{shown}' is outside the years 1-9999 in UTC") from None


def serialize_datetime(value: datetime) -> str:
    return value.isoformat()


DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description=(
        "Date and time, ISO 8601 with a UTC offset (e.g. 2026-01-01T10:00:00+01:00 or "
        "2026-01-01T09:00:00Z); inputs without an offset are refused. Outputs are in UTC."
    ),
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)

#: the scalars whose Python type Strawberry would otherwise map to its own definitions
SCALAR_MAP: dict[object, ScalarDefinition] = {datetime: DATETIME}
