"""A time-of-day filter read as day windows selects exactly what its SQL clause selects.

The reports seek each day's window by index (:meth:`ReportFilter.day_windows`) instead of
evaluating the wall-clock clause of :meth:`ReportFilter.where` on every call of the range.
Both are run here over every minute of ranges that cross a spring gap and an autumn fold
(Paris, Sydney), a 30-minute DST shift (Lord Howe), a +5:45 zone (Kathmandu), windows
that wrap past midnight and windows inside the hour a gap skips.
"""

from __future__ import annotations

import itertools
import sqlite3
from datetime import date

import pytest

from cpaas_daemon.queue_log.filters import ReportFilter, Scope, _offset_segments
from cpaas_daemon.timefmt import zone

CASES = [
    ("Europe/Paris", "2026-03-27", "2026-03-31", 9 * 3600, 17 * 3600),
    ("Europe/Paris", "2026-03-28", "2026-03-30", 2 * 3600, 3 * 3600 - 1),  # skipped hour
    ("Europe/Paris", "2026-10-23", "2026-10-27", 2 * 3600, 3 * 3600 - 1),  # repeated hour
    ("Europe/Paris", "2026-10-23", "2026-10-27", 22 * 3600, 6 * 3600),  # wraps midnight
    ("Australia/Sydney", "2026-10-02", "2026-10-06", 1 * 3600 + 1800, 3 * 3600 + 1800),
    ("Australia/Lord_Howe", "2026-04-03", "2026-04-07", 1 * 3600, 2 * 3600 + 1799),
    ("Asia/Kathmandu", "2026-09-22", "2026-09-25", 23 * 3600, 86400),
    ("UTC", "2026-09-22", "2026-09-22", 0, 0),
    ("UTC", "2026-09-22", "2026-09-23", 86400, 3600),  # wraps, nothing after 24:00
]


@pytest.mark.parametrize(("tz_name", "start", "end", "low", "high"), CASES)
def test_day_windows_select_what_the_time_of_day_clause_selects(tz_name, start, end, low, high):
    flt = ReportFilter.from_query(
        {"start": start, "end": end, "secondsstart": str(low), "secondsend": str(high)},
        zone(tz_name),
        Scope(),
        today=date(2026, 11, 23),
    )
    transitions = [until for until, _ in _offset_segments(flt.tz, flt.start, flt.end)[:-1]]
    assert transitions or tz_name in ("Asia/Kathmandu", "UTC")
    epochs = set(range(flt.start - 60, flt.end + 60, 60))
    for moment in [*transitions, *(flt.start + k * 86400 for k in range(6))]:
        epochs.update(range(moment - 2, moment + 3))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE calls (enter_epoch INTEGER)")
    db.executemany("INSERT INTO calls VALUES (?)", [(epoch,) for epoch in epochs])
    where, params = flt.where()
    by_clause = {
        row[0] for row in db.execute(f"SELECT enter_epoch FROM calls WHERE {where}", params)
    }
    windows = flt.day_windows()
    by_windows = {epoch for epoch in epochs if any(lo <= epoch < hi for lo, hi in windows)}
    assert by_windows == by_clause
    assert by_clause or (low, high) == (2 * 3600, 3 * 3600 - 1)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(windows))
