"""The time window of the counters: whole local days in one IANA zone.

Calls are stored with UTC ISO times and queue_log with UTC epochs, so a window is kept in
both forms; "today" depends on the zone, which is why the zone is part of the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cpaas_daemon.timefmt import iso, utc_now

MAX_DAYS = 366
"""A longer range would scan years of calls on every dashboard refresh."""


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC, covering local days ``first`` .. ``last`` in ``tz``."""

    first: date
    last: date
    tz: ZoneInfo
    start: datetime
    end: datetime

    @classmethod
    def days(cls, first: date, last: date, tz: ZoneInfo) -> Window:
        start = datetime.combine(first, time(), tz)
        end = datetime.combine(last + timedelta(days=1), time(), tz)
        return cls(first, last, tz, start, end)

    @classmethod
    def today(cls, tz: ZoneInfo, now: datetime | None = None) -> Window:
        day = (now or utc_now()).astimezone(tz).date()
        return cls.days(day, day, tz)

    @property
    def start_iso(self) -> str:
        return iso(self.start)

    @property
    def end_iso(self) -> str:
        return iso(self.end)

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        return int(self.end.timestamp())
