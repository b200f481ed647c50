"""Report numbers after ingesting real and synthetic queue_logs, checked by hand."""

from __future__ import annotations

import shutil
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from cpaas_daemon.queue_log.filters import ReportFilter, Scope
from cpaas_daemon.queue_log.paging import PageRequest
from cpaas_daemon.queue_log.reports import Reports
from tests.fixtures import ASTERISK

UTC = ZoneInfo("UTC")
CAPTURE_DAY = {"start": "2026-11-22", "end": "2026-11-22"}  # 1795363294 = 2026-11-22 16:01 UTC


def day_filter(scope: Scope | None = None, **query: str) -> ReportFilter:
    return ReportFilter.from_query({**CAPTURE_DAY, **query}, UTC, scope or Scope())


async def rows(reports: Reports, name: str, flt: ReportFilter) -> list[dict]:
    return (await reports.run(name, flt, PageRequest())).rows


@pytest.fixture
async def fixture_reports(tailer, db, log_path) -> Reports:
    shutil.copy(ASTERISK / "queue_log.txt", log_path)
    assert await tailer.poll_once() == 32  # 32 lines in the file, all stored
    return Reports(db, UTC)


# Hand count of queue_log.txt: five queue calls.
#   .35 sales   ENTERQUEUE, CONNECT Agent 201 (hold 0), COMPLETEAGENT 0|5   -> answered, talk 5
#   .39 sales   ENTERQUEUE, CONNECT Agent 202 (hold 0), COMPLETECALLER 0|6  -> answered, talk 6
#   .43 support ENTERQUEUE, 4 x RINGNOANSWER, ABANDON 1|1|14                -> unanswered, wait 14
#   .71 support ENTERQUEUE, 2 RINGNOANSWER, 2 RINGCANCELED, ABANDON ..|10   -> unanswered, wait 10
#   .81 support same as .71                                                 -> unanswered, wait 10
# The other lines (QUEUESTART x2, ADDMEMBER, PAUSE, UNPAUSE, PENALTY, CPAASMARK,
# REMOVEMEMBER) are not calls.
async def test_answered_by_queue_counts_the_two_sales_calls(fixture_reports):
    assert await rows(fixture_reports, "answered_calls_by_queue", day_filter()) == [
        {"Queue": "sales", "Received": 2, "% Calls": "100.00"}
    ]


async def test_answered_by_agent_splits_talk_time_5_and_6_seconds(fixture_reports):
    result = await rows(fixture_reports, "answered_calls_by_agent", day_filter())
    assert [(r["Agent"], r["Calls"], r["Call Time"], r["% Call Time"]) for r in result] == [
        ("Agent 201", 1, 5, "45.45"),  # 5 / 11
        ("Agent 202", 1, 6, "54.55"),  # 6 / 11
    ]


async def test_answered_by_event_tells_agent_from_caller_hangups(fixture_reports):
    result = await rows(fixture_reports, "answered_calls_by_event", day_filter())
    assert [(r["Event"], r["Cause"], r["Count"]) for r in result] == [
        ("COMPLETEAGENT", "Agent hung up", 1),
        ("COMPLETECALLER", "Caller hung up", 1),
    ]


async def test_holdtime_service_level_is_cumulative(fixture_reports):
    result = await rows(fixture_reports, "answered_calls_by_holdtime", day_filter())
    assert result[0] == {"Answer": "15 secs", "Count": 2, "Delta": 2, "% Calls": "100.00"}
    assert result[-1] == {"Answer": "+90 secs", "Count": 2, "Delta": 0, "% Calls": "100.00"}


async def test_unanswered_reports_list_the_three_support_abandons(fixture_reports):
    assert await rows(fixture_reports, "unanswered_calls_by_queue", day_filter()) == [
        {"Queue": "support", "Unanswered": 3, "% Calls": "100.00"}
    ]
    detail = await rows(fixture_reports, "unanswered_calls_detail", day_filter())
    assert [(r["uniqueid"], r["event"], r["waitTime"]) for r in detail] == [
        ("1795363423.43", "ABANDON", 14),
        ("1795363484.71", "ABANDON", 10),
        ("1795363498.81", "ABANDON", 10),
    ]


async def test_answered_detail_row_matches_the_seed_shape(fixture_reports):
    detail = await rows(fixture_reports, "answered_calls_detail", day_filter())
    assert detail[0] == {
        "datetime": "22-11-2026 16:03:24",
        "queue": "sales",
        "agent": "Agent 201",
        "callerid": "0612345678",
        "event": "COMPLETEAGENT",
        "waitTime": 0,
        "ringTime": 0,
        "callTime": 5,
        "agentName": "Agent 201",
        "queueName": "sales",
        "recording": "",
        "uniqueid": "1795363404.35",
        "callflow": "/stats/rest/index.php?entity=call/1795363404.35",
        "url": "",
        "did": "",
    }


async def test_another_day_or_queue_or_scope_shows_nothing(fixture_reports):
    other_day = ReportFilter.from_query({"start": "2026-11-23"}, UTC, Scope(), date(2026, 11, 23))
    assert await rows(fixture_reports, "answered_calls_by_queue", other_day) == []
    assert await rows(fixture_reports, "answered_calls_by_queue", day_filter(queue="support")) == []
    support_only = Scope(frozenset({"support"}))
    assert await rows(fixture_reports, "answered_calls_by_queue", day_filter(support_only)) == []
    assert (
        await rows(
            fixture_reports, "answered_calls_by_queue", day_filter(support_only, queue="sales")
        )
        == []
    )


SYNTHETIC = [
    "1795363200|a|sales|NONE|DID|5550100",
    "1795363200|a|sales|NONE|ENTERQUEUE|www.shop.example|0611|1",
    "1795363220|a|sales|Agent 1|CONNECT|20|a2|20",
    "1795363320|a|sales|Agent 1|TRANSFER|300|ctx|20|100|1",
    "1795366800|b|sales|NONE|ENTERQUEUE||0622|1",  # 17:00 UTC
    "1795366870|b|sales|Agent 2|CONNECT|70|b2|70",
    "1795366900|b|sales|Agent 2|COMPLETEAGENT|70|30|1",
    "1795370400|c|sales|NONE|ENTERQUEUE||0633|1",  # 18:00 UTC
    "1795370460|c|sales|NONE|EXITWITHTIMEOUT|1|1|60",
    "1795370500|d|sales|Agent 3|CONNECT|4|d2|4",  # tailing began mid-call
]


@pytest.fixture
async def synthetic(tailer, db, log_path) -> Reports:
    log_path.write_text("\n".join(SYNTHETIC) + "\n", encoding="utf-8")
    await tailer.poll_once()
    return Reports(db, UTC)


async def test_did_url_and_transfers_are_reported(synthetic):
    by_did = await rows(synthetic, "answered_calls_by_did", day_filter())
    assert [(r["DID"], r["Received"]) for r in by_did] == [("", 2), ("5550100", 1)]
    by_url = await rows(synthetic, "answered_calls_by_url", day_filter())
    assert [(r["URL"], r["Received"]) for r in by_url] == [("", 2), ("www.shop.example", 1)]
    by_event = await rows(synthetic, "answered_calls_by_event", day_filter())
    assert [(r["Event"], r["Count"]) for r in by_event] == [
        ("COMPLETEAGENT", 1),
        ("CONNECT", 1),  # d is still talking
        ("TRANSFER", 1),
    ]


async def test_holdtime_buckets_place_20s_and_70s_waits(synthetic):
    result = await rows(synthetic, "answered_calls_by_holdtime", day_filter())
    # waits: d 4 s (<=15), a 20 s (16-30), b 70 s (61-75)
    assert [(r["Answer"], r["Count"], r["Delta"]) for r in result] == [
        ("15 secs", 1, 1),
        ("30 secs", 2, 1),
        ("45 secs", 2, 0),
        ("60 secs", 2, 0),
        ("75 secs", 3, 1),
        ("90 secs", 3, 0),
        ("+90 secs", 3, 0),
    ]


async def test_time_of_day_window_uses_seconds_since_midnight(synthetic):
    # 17:00-17:59:59 UTC keeps only call b (entered 17:00:00)
    flt = day_filter(secondsstart=str(17 * 3600), secondsend=str(18 * 3600 - 1))
    detail = await rows(synthetic, "answered_calls_detail", flt)
    assert [r["uniqueid"] for r in detail] == ["b"]


async def test_time_of_day_window_follows_the_reporting_zone(synthetic, db):
    paris = ZoneInfo("Europe/Paris")  # UTC+1 in November: 17:00 UTC is 18:00 in Paris
    flt = ReportFilter.from_query(
        {**CAPTURE_DAY, "secondsstart": str(18 * 3600), "secondsend": str(19 * 3600 - 1)},
        paris,
        Scope(),
    )
    detail = await rows(Reports(db, paris), "answered_calls_detail", flt)
    assert [r["uniqueid"] for r in detail] == ["b"]


async def test_agent_filter_and_paging(synthetic):
    flt = day_filter(agent="Agent 1,Agent 2")
    page = await synthetic.run("answered_calls_detail", flt, PageRequest(page=2, rows=1))
    assert (page.page, page.total_pages, page.records) == (2, 2, 2)
    assert [r["uniqueid"] for r in page.rows] == ["b"]
