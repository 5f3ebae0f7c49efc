"""Quiet hours for relatives: a message created at night waits for the morning, unless it is about today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """`start`-`end` in local time, e.g. 21:00-08:00 (crossing midnight) or 13:00-14:00."""

    start: time
    end: time
    timezone: ZoneInfo

    def is_quiet(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release_at(self, moment: datetime, *, about: date | None = None) -> datetime | None:
        """When a message created at `moment` may be sent; None = now.

        A message about today's visit (its `about` day is today in local time) goes now even in
        quiet hours: waiting until morning would make it useless.
        """
        if not self.is_quiet(moment):
            return None
        local = moment.astimezone(self.timezone)
        if about is not None and about == local.date():
            return None
        end_day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(end_day, self.end, tzinfo=self.timezone)
