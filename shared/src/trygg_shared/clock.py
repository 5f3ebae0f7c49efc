"""Clocks: the wall clock every service runs on, and the one tests set and move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved (`advance`): for tests and simulations."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        """Move the clock on (`timedelta` keywords); returns the new moment."""
        self.moment += timedelta(**delta)
        return self.moment
