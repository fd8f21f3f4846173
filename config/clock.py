"""The time the product's rules run on: due dates, retention, expiry, daily upkeep, audit times.

Everything that decides by the calendar asks :func:`now` rather than ``datetime.now``, so that
a test can run a school year (or several) in seconds with a :class:`ManualClock`. Timeouts,
leases and measurements keep the real monotonic and wall clocks: they are about processes, not
about the rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeVar


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until it is moved: for tests that span months."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a ManualClock needs a timezone-aware start time")
        self._at = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ValueError("time does not run backwards")
        self._at += by
        return self._at


_clock: Clock = SystemClock()
C = TypeVar("C", bound=Clock)


def now() -> datetime:
    """The current time by the clock in use (the real time unless a test set another)."""
    return _clock.now()


def today() -> date:
    """Today's date in UTC by the clock in use."""
    return _clock.now().date()


@contextmanager
def using(clock: C) -> Iterator[C]:
    """Run the enclosed code (and every thread of this process) on ``clock``."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous
