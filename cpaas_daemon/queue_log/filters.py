"""The report filter: date range, time-of-day window, agents, queues and the user's scope.

queue_log epochs are UTC; ``start``/``end`` dates and ``secondsstart``/``secondsend``
are read in the reporting zone (default UTC), so "2026-11-22" means that local day.
The time-of-day window is the wall clock of that zone: :meth:`ReportFilter.where`
computes it in SQL from the zone's UTC offset, split at the zone's transitions, and
:meth:`ReportFilter.day_windows` gives the same instants as epoch ranges an index can
seek to; either way a DST change inside the range is exact (a window hour that a spring
gap skips selects nothing that day, an hour a fold repeats selects both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cpaas_daemon.errors import ValidationFailed
from cpaas_daemon.parsing import whole_number

DAY = 86400
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Scope:
    """What a stats user may see: ``queues`` None means every queue."""

    queues: frozenset[str] | None = None

    def allows(self, queue: str) -> bool:
        return self.queues is None or queue in self.queues


@dataclass(frozen=True)
class ReportFilter:
    """Calls that entered a queue in [start, end) (epochs), narrowed by the other fields."""

    start: int
    end: int
    tz: ZoneInfo = UTC
    seconds: tuple[int, int] | None = None
    agents: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def from_epochs(cls, start: int, end: int, scope: Scope | None = None) -> ReportFilter:
        return cls(start, end, scope=scope or Scope())

    @classmethod
    def from_query(
        cls, query: Mapping[str, str], tz: ZoneInfo, scope: Scope, today: date | None = None
    ) -> ReportFilter:
        """Asternic's GET variables; dates default to today, ``end`` is inclusive."""
        today = today or datetime.now(tz).date()
        start_day = _date(query, "start")
        end_day = _date(query, "end")
        if start_day is None:
            start_day = end_day or today
        if end_day is None:
            end_day = max(start_day, today)
        if end_day < start_day:
            raise ValidationFailed("end is before start")
        window = None
        if "secondsstart" in query or "secondsend" in query:
            window = (_seconds(query, "secondsstart", 0), _seconds(query, "secondsend", DAY))
        return cls(
            start=_midnight(start_day, tz),
            end=_midnight(end_day + timedelta(days=1), tz),
            tz=tz,
            seconds=window,
            agents=_names(query.get("agent", "")),
            queues=_names(query.get("queue", "")),
            scope=scope,
        )

    def visible_queues(self) -> tuple[str, ...] | None:
        """The queues to restrict to (None: no restriction; empty: nothing visible)."""
        if self.scope.queues is None:
            return self.queues or None
        if not self.queues:
            return tuple(sorted(self.scope.queues))
        return tuple(queue for queue in self.queues if queue in self.scope.queues)

    def where(self, time_column: str = "enter_epoch") -> tuple[str, list[object]]:
        """SQL conditions (joined by AND) and their parameters, for queue_calls."""
        clauses = [f"{time_column} >= ? AND {time_column} < ?"]
        params: list[object] = [self.start, self.end]
        queues = self.visible_queues()
        if queues is not None:
            clauses.append(f"queue IN ({', '.join('?' * len(queues))})" if queues else "1 = 0")
            params.extend(queues)
        if self.agents:
            clauses.append(f"agent IN ({', '.join('?' * len(self.agents))})")
            params.extend(self.agents)
        if self.seconds is not None:
            clause, extra = self._time_of_day(time_column)
            clauses.append(clause)
            params.extend(extra)
        return " AND ".join(clauses), params

    def day_windows(self) -> list[tuple[int, int]]:
        """The instants of [start, end) whose wall-clock time of day is in ``seconds``, as
        sorted, disjoint, half-open epoch ranges (about one per day): exactly what the
        time-of-day clause of :meth:`where` selects, for whole-second epochs."""
        assert self.seconds is not None
        low, high = self.seconds
        # The clause's inclusive bounds as time-of-day intervals inside [0, DAY - 1].
        spans = [(low, high)] if low <= high else [(low, DAY - 1), (0, high)]
        pieces = []
        for first, last, offset in self._offset_spans():
            for tod_low, tod_high in spans:
                # t opens a window when (t + offset) % DAY == tod_low.
                opening = (first + offset - tod_low) // DAY * DAY - offset + tod_low
                width = min(tod_high, DAY - 1) - tod_low + 1
                for lo in range(opening, last, DAY):
                    if width > 0 and max(lo, first) < min(lo + width, last):
                        pieces.append((max(lo, first), min(lo + width, last)))
        windows: list[tuple[int, int]] = []
        for lo, hi in sorted(pieces):
            if windows and windows[-1][1] >= lo:  # touching: across midnight or a transition
                windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
            else:
                windows.append((lo, hi))
        return windows

    def _offset_spans(self) -> list[tuple[int, int, int]]:
        """[(from_epoch, until_epoch, utc_offset), ...] tiling [start, end)."""
        spans, first = [], self.start
        for until, offset in _offset_segments(self.tz, self.start, self.end):
            spans.append((first, until, offset))
            first = until
        return spans

    def _time_of_day(self, column: str) -> tuple[str, list[object]]:
        assert self.seconds is not None
        segments = _offset_segments(self.tz, self.start, self.end)
        # Typed: PostgreSQL cannot infer a parameter's type from a CASE branch alone.
        offset_sql = " ".join(f"WHEN {column} < ? THEN CAST(? AS INTEGER)" for _ in segments[:-1])
        params: list[object] = [value for segment in segments[:-1] for value in segment]
        offset = f"CASE {offset_sql} ELSE CAST(? AS INTEGER) END" if offset_sql else "?"
        params.append(segments[-1][1])
        low, high = self.seconds
        joiner = "AND" if low <= high else "OR"  # a window may wrap past midnight
        tod = f"(({column} + {offset}) % {DAY})"
        return f"({tod} >= ? {joiner} {tod} <= ?)", [*params, low, *params, high]


def _date(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{name} must be a date as yyyy-mm-dd") from None


def _seconds(query: Mapping[str, str], name: str, default: int) -> int:
    value = query.get(name, "").strip()
    if not value:
        return default
    seconds = whole_number(value)
    if seconds is None or seconds < 0:
        raise ValidationFailed(f"{name} must be seconds since midnight (0-86400)")
    return min(seconds, DAY)


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _midnight(day: date, tz: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def _utcoffset(tz: ZoneInfo, epoch: int) -> int:
    offset = datetime.fromtimestamp(epoch, tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _offset_segments(tz: ZoneInfo, start: int, end: int) -> list[tuple[int, int]]:
    """[(until_epoch, utc_offset), ...] covering [start, end); the last one is open-ended.

    Scans day by day and bisects to the second where the offset changes (a zone changes
    at most a few times a year, so this stays cheap for multi-year ranges).
    """
    segments: list[tuple[int, int]] = []
    current = _utcoffset(tz, start)
    cursor = start
    while cursor < end:
        step = min(cursor + DAY, end)
        if _utcoffset(tz, step) != current:
            low, high = cursor, step
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _utcoffset(tz, middle) == current else (low, middle)
            segments.append((high, current))
            current = _utcoffset(tz, high)
            step = high
        cursor = step
    segments.append((end, current))
    return segments
