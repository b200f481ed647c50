"""Reports read through the daily and hourly rollups give exactly what the detail table
gives.

Each grouped report is run twice on the same generated log: as served (whole UTC days
from ``queue_calls_daily``, whole hours of what is left from ``queue_calls_hourly``,
partial hours from ``queue_calls``) and with both rollups switched off (one scan of
``queue_calls``, the query the reports ran before the rollups). Ranges cover zones whose
midnight is not UTC's (Kolkata +5:30, Kathmandu +5:45, New York), a DST change (Sydney,
2026-10-04), single days, agent, queue and scope filters, and time-of-day windows on
whole hours (09:00-17:00) and on partial ones (09:30, a +5:30 zone, the DST day).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from cpaas_daemon.queue_log import reports as reports_module
from cpaas_daemon.queue_log.filters import ReportFilter, Scope
from cpaas_daemon.queue_log.paging import PageRequest
from cpaas_daemon.queue_log.reports import Reports
from tests.unit.queue_log.test_calls import generate

GROUPED = (
    "answered_calls_by_queue",
    "answered_calls_by_agent",
    "answered_calls_by_holdtime",
    "answered_calls_by_event",
    "unanswered_calls_by_queue",
    "answered_calls_by_url",
    "answered_calls_by_did",
)
OFFICE = {"secondsstart": "32400", "secondsend": "61200"}  # 09:00-17:00
HALF_PAST = {"secondsstart": "34200", "secondsend": "63000"}  # 09:30-17:30
SCOPE = frozenset({"sales", "a"})
FILTERS = [
    ("UTC", {"start": "2026-09-21", "end": "2026-10-20"}, None),
    ("UTC", {"start": "2026-09-25", "end": "2026-09-25"}, None),
    ("Asia/Kolkata", {"start": "2026-09-22", "end": "2026-10-08"}, None),
    ("Asia/Kathmandu", {"start": "2026-09-23", "end": "2026-09-24"}, None),
    ("America/New_York", {"start": "2026-09-20", "end": "2026-10-02"}, None),
    ("Australia/Sydney", {"start": "2026-09-28", "end": "2026-10-09"}, None),
    ("UTC", {"start": "2026-09-21", "end": "2026-10-20", "agent": "Agent 1,Agent 3"}, None),
    ("Europe/Paris", {"start": "2026-09-21", "end": "2026-10-20", "queue": "sales,a"}, None),
    ("UTC", {"start": "2026-09-21", "end": "2026-10-20"}, frozenset({"support", "b"})),
    ("UTC", {"start": "2026-09-22", "end": "2026-10-03", "queue": "sales"}, frozenset({"b"})),
    ("UTC", {"start": "2026-09-21", "end": "2026-10-20", "secondsstart": "32400"}, None),
    ("UTC", {"start": "2026-01-01", "end": "2026-01-31"}, None),
    (
        "Australia/Sydney",
        {"start": "2026-09-28", "end": "2026-10-09", "secondsstart": "5400", "secondsend": "12600"},
        None,
    ),
    (
        "Asia/Kathmandu",
        {
            "start": "2026-09-22",
            "end": "2026-10-08",
            "secondsstart": "79200",
            "secondsend": "21600",
        },
        None,
    ),
    *[
        (zone, {"start": start, "end": end, **OFFICE, **narrowed}, scope)
        for zone, start, end in (
            ("UTC", "2026-09-21", "2026-10-20"),
            ("Asia/Kolkata", "2026-09-22", "2026-10-08"),
            ("Australia/Sydney", "2026-10-04", "2026-10-04"),  # 23 hours: DST begins
            ("Australia/Sydney", "2026-09-28", "2026-10-09"),
        )
        for narrowed, scope in (({}, None), ({"agent": "Agent 2"}, None), ({}, SCOPE))
    ],
    ("UTC", {"start": "2026-09-21", "end": "2026-10-20", **HALF_PAST}, None),
    ("Asia/Kolkata", {"start": "2026-09-22", "end": "2026-10-08", **HALF_PAST}, None),
    ("Australia/Sydney", {"start": "2026-10-04", "end": "2026-10-04", **HALF_PAST}, None),
    ("Europe/Paris", {"start": "2026-09-24", "end": "2026-09-24"}, None),  # hours + edges
]


@pytest.fixture(scope="module")
def log_text(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("rollup") / "queue_log"
    generate(path, 1200, 7, gap=3600)  # about 25 days
    return path.read_text(encoding="utf-8")


@pytest.fixture
async def ingested(tailer, db, log_path, log_text):
    log_path.write_text(log_text, encoding="utf-8")
    await tailer.poll_once()
    return db


@pytest.mark.parametrize(("zone", "query", "scope"), FILTERS)
async def test_rollup_and_detail_give_the_same_reports(ingested, monkeypatch, zone, query, scope):
    tz = ZoneInfo(zone)
    flt = ReportFilter.from_query(query, tz, Scope(scope), today=date(2026, 10, 20))
    reports = Reports(ingested, tz)
    served = {name: await reports.run(name, flt, PageRequest()) for name in GROUPED}
    monkeypatch.setattr(reports_module, "split_days", lambda flt: (None, [flt]))
    monkeypatch.setattr(reports_module, "split_hours", lambda edges: ([], edges))
    for name in GROUPED:
        detail = await reports.run(name, flt, PageRequest())
        assert served[name].rows == detail.rows, name
        assert served[name].records == detail.records, name
    assert any(page.rows for page in served.values()) or query["start"].startswith("2026-01")


def test_whole_utc_days_are_split_from_the_partial_ones():
    kolkata = ReportFilter.from_query(
        {"start": "2026-09-22", "end": "2026-09-24"}, ZoneInfo("Asia/Kolkata"), Scope()
    )
    days, edges = reports_module.split_days(kolkata)
    assert days is not None
    assert (days.start, days.end) == (1_790_035_200, 1_790_208_000)  # 09-22 .. 09-24 UTC
    assert [(edge.start, edge.end) for edge in edges] == [
        (1_790_015_400, 1_790_035_200),  # 09-22 00:00 +05:30 .. 09-22 00:00 UTC
        (1_790_208_000, 1_790_274_600),  # 09-24 00:00 UTC .. 09-25 00:00 +05:30
    ]
    one_day = {"start": "2026-09-22", "end": "2026-09-22"}
    utc_day = ReportFilter.from_query(one_day, ZoneInfo("UTC"), Scope())
    assert reports_module.split_days(utc_day)[1] == []
    paris_day = ReportFilter.from_query(one_day, ZoneInfo("Europe/Paris"), Scope())
    assert reports_module.split_days(paris_day) == (None, [paris_day])


def test_a_time_of_day_filter_reads_one_window_a_day_until_there_are_too_many():
    office = {"secondsstart": "32400", "secondsend": "61200"}
    month = ReportFilter.from_query(
        {"start": "2026-09-01", "end": "2026-09-30", **office}, ZoneInfo("UTC"), Scope()
    )
    days, edges = reports_module.split_days(month)
    assert days is None
    assert [(edge.start % 86400, edge.end - edge.start, edge.seconds) for edge in edges] == [
        (32400, 28801, None)
    ] * 30
    years = ReportFilter.from_query(
        {"start": "2025-01-01", "end": "2026-09-30", **office}, ZoneInfo("UTC"), Scope()
    )
    assert reports_module.split_days(years) == (None, [years])


def test_the_parts_left_to_queue_calls_are_split_into_whole_and_partial_hours():
    office = {"start": "2026-09-22", "end": "2026-09-23", **OFFICE}
    kolkata = ReportFilter.from_query(office, ZoneInfo("Asia/Kolkata"), Scope())
    hours, rest = reports_module.split_hours(reports_module.split_days(kolkata)[1])
    day = 1_790_035_200  # 2026-09-22 00:00 UTC; 09:00 +05:30 is 03:30 UTC
    assert [(part.start - day, part.end - day) for part in hours] == [
        (4 * 3600, 11 * 3600),
        (86400 + 4 * 3600, 86400 + 11 * 3600),
    ]
    assert [(part.start - day, part.end - day) for part in rest] == [
        (12600, 14400),  # 03:30 .. 04:00
        (39600, 41401),  # 11:00 .. 11:30:00 inclusive
        (86400 + 12600, 86400 + 14400),
        (86400 + 39600, 86400 + 41401),
    ]
    assert all(part.seconds is None for part in hours + rest)
    utc = ReportFilter.from_query(office, ZoneInfo("UTC"), Scope())
    hours, rest = reports_module.split_hours(reports_module.split_days(utc)[1])
    assert [(part.start - day, part.end - day) for part in hours[:1]] == [(9 * 3600, 17 * 3600)]
    assert [(part.start - day, part.end - day) for part in rest[:1]] == [(61200, 61201)]
    within_an_hour = ReportFilter.from_epochs(day + 600, day + 1200)
    assert reports_module.split_hours([within_an_hour]) == ([], [within_an_hour])


@pytest.mark.parametrize(
    ("report", "query", "hourly"),
    [
        ("answered_calls_by_agent", OFFICE, True),
        ("unanswered_calls_by_queue", HALF_PAST, True),
        ("answered_calls_by_event", {**OFFICE, "queue": "sales"}, False),  # not kept per queue
        ("answered_calls_by_url", OFFICE, False),
    ],
)
async def test_whole_hours_of_a_window_are_read_from_the_hourly_rollup(
    ingested, report, query, hourly
):
    """Emptying the hourly rollup changes what a report that reads it answers, and only
    that; a filter the rollup cannot answer still reads queue_calls."""
    flt = ReportFilter.from_query(
        {"start": "2026-09-21", "end": "2026-10-20", **query},
        ZoneInfo("UTC"),
        Scope(),
        today=date(2026, 10, 20),
    )
    reports = Reports(ingested)
    before = await reports.run(report, flt, PageRequest())
    assert before.rows
    await ingested.execute("DELETE FROM queue_calls_hourly")
    after = await reports.run(report, flt, PageRequest())
    assert (after.rows != before.rows) is hourly
