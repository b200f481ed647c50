"""Reports read through the daily rollup give exactly what the detail table gives.

Each grouped report is run twice on the same generated log: as served (whole UTC days
from ``queue_calls_daily``, partial days from ``queue_calls``) and with the rollup
switched off (one scan of ``queue_calls``, the query the reports ran before the rollup).
Ranges cover zones whose midnight is not UTC's (Kolkata +5:30, Kathmandu +5:45, New
York), a DST change (Sydney, 2026-10-04), single days, agent, queue and scope filters.
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
