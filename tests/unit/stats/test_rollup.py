"""The rollups (migration 0401) give exactly the numbers of the per-call definition.

Generated calls (every kind, outcome and state, campaigns with and without ids, DIDs,
DTMF, repeated customer numbers, queue_calls rows, transfer legs) are counted twice: by
the Ecounters code, which reads ``stats_call_rollup`` and ``stats_call_facts``, and by
the per-call queries that define the counters (stats/call_window.py). Windows include
America/New_York's DST days, Asia/Kolkata's and Asia/Kathmandu's 30/45-minute offsets,
multi-day ranges and the callType / campaignId filters. The write paths are then
replayed out of order (queue rows before the CDR, CDRs late, summaries applied twice or
changed) and the two must still agree.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.model import CallKind, channel_id_for
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.cdr.queries import CdrQueries
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.stats import call_window, rollup
from cpaas_daemon.stats.codes import FIELDS, NUMBER_FIELDS
from cpaas_daemon.stats.fields import SUMMARY, field_counters
from cpaas_daemon.stats.history import (
    WindowTotals,
    base_counters,
    detail_rows,
    rollup_rows,
    window_totals,
)
from cpaas_daemon.stats.query import CounterQuery
from cpaas_daemon.stats.window import Window
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.dialect import count_where

KINDS = ("c2c", "otp", "callback", "campaign", "inbound")
STATUSES = (None, "ANSWER", "ANSWER", "NOANSWER", "BUSY", "CANCEL", "CONGESTION", "DND", "X")
STATES = ("queued", "originated", "refused", "uncertain", "completed")
QUEUE_EVENTS = ("COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER", "ABANDON")
FIRST = datetime(2026, 3, 6, tzinfo=UTC)  # spans New York's spring DST change (03-08)


def _detail_per_number(account_id: str, query: CounterQuery) -> tuple[str, list[Any]]:
    """The per-number Fields straight from the per-call definition (retries numbered)."""
    cte, params = call_window.per_call(account_id, query)
    connected, missed, ghost = (f"outcome = '{o}'" for o in ("connected", "missed", "ghost"))
    sql = (
        cte + ", w AS (SELECT customer_number AS num, outcome, ROW_NUMBER() OVER"
        " (PARTITION BY customer_number ORDER BY created_at, id) AS seq"
        " FROM per_call WHERE customer_number != ''), per AS (SELECT COUNT(*) AS k,"
        f" {count_where(connected)} AS a, {count_where(missed)} AS m,"
        f" {count_where(ghost)} AS g, {count_where(f'seq > 1 AND {connected}')} AS ra,"
        f" {count_where(f'seq > 1 AND {ghost}')} AS rg FROM w GROUP BY num) " + SUMMARY
    )
    return sql, params


async def expected(db: Database, account_id: str, query: CounterQuery) -> dict[str, Any]:
    """Every window counter and Field, computed from every call of the window."""
    totals = WindowTotals()
    for row in await detail_rows(db, account_id, query):
        totals.add(row)
    where, params = call_window.where(account_id, query)
    calls, numbers = await db.fetchone(
        f"SELECT COUNT(*), COUNT(DISTINCT c.customer_number) FROM calls c WHERE {where}"
        " AND c.customer_number != ''",
        params,
    ) or (0, 0)
    totals.counts["fresh"], totals.counts["repeat"] = numbers, calls - numbers
    values = await field_counters(db, account_id, query, totals)
    values.update(
        {
            k: v or 0
            for k, v in dict(await db.fetchone(*_detail_per_number(account_id, query))).items()
        }
    )
    return {**base_counters(totals), **values}


async def actual(db: Database, account_id: str, query: CounterQuery) -> dict[str, Any]:
    assert await rollup_rows(db, account_id, query) is not None, "the window should align"
    totals = await window_totals(db, account_id, query)
    found = {**base_counters(totals), **await field_counters(db, account_id, query, totals)}
    # As Ecounters asks when per-number Fields are wanted: freshCall/repeatCall from them.
    lean = await window_totals(db, account_id, query, numbers=False)
    fields = await field_counters(db, account_id, query, lean)
    assert {**base_counters(lean), **fields} == found
    return found


async def assert_consistent(db: Database) -> None:
    """Facts equal the view recomputed from scratch; rollups equal the facts' sums."""
    facts = await db.fetchall("SELECT * FROM stats_call_facts ORDER BY call_id")
    fresh = await db.fetchall("SELECT * FROM stats_call_source ORDER BY call_id")
    assert [tuple(r) for r in facts] == [tuple(r) for r in fresh]
    drift = await db.fetchall(
        "SELECT * FROM (SELECT account_id, span, bucket, kind, outcome, dial_status,"
        " campaign_key, did, dtmf_inputs, transferred, n, talk, short, queued, wait, rung, ring"
        " FROM stats_call_rollup EXCEPT SELECT account_id, span, bucket / (span / 900) * span,"
        " kind, outcome, dial_status, campaign_key, did, dtmf_inputs, transferred, COUNT(*),"
        " SUM(CASE WHEN outcome = 'connected' THEN talk ELSE 0 END),"
        f" {count_where('outcome = ' + repr('connected') + ' AND talk < 5')},"
        " COUNT(wait), COALESCE(SUM(wait), 0), COUNT(ring), COALESCE(SUM(ring), 0)"
        " FROM stats_call_facts,"
        " (SELECT 900 AS span UNION ALL SELECT 3600 UNION ALL SELECT 86400) AS spans"
        " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) AS drift"
    )
    assert [tuple(r) for r in drift] == []
    status = await db.fetchall(
        "SELECT account_id, campaign_key, dial_status, n FROM stats_cdr_status EXCEPT"
        " SELECT account_id, campaign_key, dial_status, COUNT(*) FROM stats_call_facts"
        " WHERE has_cdr = 1 GROUP BY 1, 2, 3"
    )
    assert [tuple(r) for r in status] == []


async def generate(db: Database, rng: random.Random, count: int = 1500) -> None:
    """Calls over 6 days for acme and globex; queue rows and transfer legs in any order."""
    calls, queue_rows, legs = [], [], []
    for number in range(count):
        kind = rng.choice(KINDS)
        created = FIRST + timedelta(
            seconds=rng.randrange(6 * 86400), milliseconds=rng.randrange(1000)
        )
        status = rng.choice(STATUSES)
        has_cdr = status not in (None, "DND")
        rid = f"{number:010x}"
        uniqueid = f"{number}.1" if kind == "inbound" and has_cdr else None
        billsec = rng.choice((0, 2, 4, 5, 30, 61.0)) if status == "ANSWER" else 0
        calls.append((
            rid, rng.choice(("acme", "acme", "globex")), kind, "x",
            rng.choice(("", "9100", "9101", "9102", "9103", "9104")),
            rng.choice(("5550100", "5550200")) if kind == "inbound" else "",
            rng.choice((None, "C1", "C2", "")) if kind == "campaign" else None,
            rng.choice(("", "", "1", "2#", "3x")),
            "completed" if has_cdr else rng.choice(STATES),
            created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            status, billsec if has_cdr else None,
            billsec + rng.randrange(20) if has_cdr else None,
            created.isoformat() if has_cdr else None, uniqueid,
        ))  # fmt: skip
        if kind == "inbound":
            for queue in rng.sample(("sales", "support"), rng.randrange(3)):
                queue_rows.append((
                    f"{number}.1", queue, int(created.timestamp()),
                    rng.choice(("pending", "waiting", "answered", "unanswered")),
                    rng.choice(QUEUE_EVENTS), rng.randrange(60), rng.randrange(200),
                ))  # fmt: skip
        if kind in ("c2c", "callback") and rng.random() < 0.1:
            legs.append((f"k{number}", rid, "cpaas-transfer"))
    rng.shuffle(queue_rows)
    half = len(queue_rows) // 2
    await _queue(db, queue_rows[:half])  # before their calls exist
    await db.executemany(
        "INSERT INTO calls (request_id, account_id, kind, direction, customer_number,"
        " dialed_number, campaign_id, dtmf_inputs, state, created_at, dial_status, billsec,"
        " call_duration, cdr_at, uniqueid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        calls,
    )
    await _queue(db, queue_rows[half:])
    await db.executemany(
        "INSERT INTO cdr_legs (leg_key, request_id, account_code, source, destination,"
        " destination_context, caller_id, channel, destination_channel, last_application,"
        " last_data, duration, billsec, disposition, uniqueid, userfield, received_at)"
        " VALUES (?, ?, '', '', '', ?, '', '', '', 'Dial', '', 1, 1, 'ANSWERED', '', '', '')",
        legs,
    )


async def _queue(db: Database, rows: list[tuple[Any, ...]]) -> None:
    await db.executemany(
        "INSERT INTO queue_calls (callid, queue, enter_epoch, status, event, wait, talk)"
        " VALUES (?,?,?,?,?,?,?)",
        rows,
    )


def _queries() -> list[tuple[str, CounterQuery]]:
    fields = tuple(sorted(FIELDS))
    found = []
    for zone in ("UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham"):
        tz = ZoneInfo(zone)
        for first, last in ((7, 7), (8, 8), (6, 11), (9, 10), (5, 5)):
            window = Window.days(date(2026, 3, first), date(2026, 3, last), tz)
            found.append((f"{zone} {first}-{last}", CounterQuery(window, fields=fields)))
    window = Window.days(date(2026, 3, 7), date(2026, 3, 9), ZoneInfo("Asia/Kolkata"))
    for kinds in ({CallKind.INBOUND}, {CallKind.C2C, CallKind.CAMPAIGN}):
        found.append(
            (f"kinds {kinds}", CounterQuery(window, kinds=frozenset(kinds), fields=fields))
        )
    for campaigns in ({"C1"}, {"C1", "C2"}, {""}, {"nope"}):
        query = CounterQuery(window, campaigns=frozenset(campaigns), fields=fields)
        found.append((f"campaigns {campaigns}", query))
    return found


async def assert_all_agree(db: Database) -> None:
    await assert_consistent(db)
    for name, query in _queries():
        for account in ("acme", "globex"):
            assert await actual(db, account, query) == await expected(db, account, query), name


@pytest.mark.slow  # seconds of generated data; make test-fast leaves it to make test
async def test_rollup_counters_equal_the_per_call_definition(db: Database) -> None:
    """Every window key and Field matches the per-call queries, in every zone and filter."""
    await generate(db, random.Random(1))
    totals = await actual(db, "acme", _queries()[10][1])
    assert totals["TC"] > 100
    assert totals["repeatCall"] > 0
    assert totals["TRSC"] > 0
    await assert_all_agree(db)


@pytest.mark.slow  # seconds of generated data; make test-fast leaves it to make test
async def test_rollup_follows_late_and_repeated_cdr_summaries(db: Database) -> None:
    """Pending calls become answered or missed, get re-summarised (same or different
    values), queue rows arrive before the uniqueid that links them, calls are deleted."""
    rng = random.Random(2)
    await generate(db, rng, count=600)
    pending = await db.fetchall("SELECT id, kind FROM calls WHERE cdr_at IS NULL")
    assert len(pending) > 50
    update = (
        "UPDATE calls SET call_date = created_at, call_duration = ?, billsec = ?,"
        " dial_status = ?, call_status = ?, uniqueid = ?, state = 'completed',"
        " cdr_at = COALESCE(cdr_at, created_at) WHERE id = ?"
    )
    for row in pending:  # queue rows first for inbound calls: the uniqueid links them later
        if row["kind"] == "inbound":
            await _queue(db, [(f"late{row['id']}", "sales", 0, "answered", "TRANSFER", 3, 9)])
    for _ in range(2):  # the same summary twice
        for row in pending:
            status = ("ANSWER", "NOANSWER")[row["id"] % 2]
            await db.execute(update, (12, 8, status, status, f"late{row['id']}", row["id"]))
        await assert_all_agree(db)
    for row in pending[::3]:  # a later leg changes the summary
        await db.execute(update, (40, 2, "BUSY", "BUSY", f"late{row['id']}", row["id"]))
    await db.execute(
        "UPDATE queue_calls SET status = 'unanswered', event = 'ABANDON' WHERE queue = 'sales'"
    )
    await db.execute("DELETE FROM queue_calls WHERE queue = 'support'")
    await db.execute("DELETE FROM cdr_legs WHERE id % 2 = 0")
    await db.execute("DELETE FROM calls WHERE id % 7 = 0")
    await db.execute("UPDATE calls SET state = 'refused' WHERE id % 5 = 0 AND cdr_at IS NULL")
    await assert_all_agree(db)


async def test_cdr_ingest_keeps_the_rollup_current(db: Database) -> None:
    """Real Cdr events through CdrIngest: late, duplicated and twice-summarised legs."""
    await generate(db, random.Random(3), count=200)
    await db.execute(
        "INSERT INTO calls (request_id, account_id, kind, direction, customer_number, state,"
        " created_at) VALUES ('00000abcde', 'acme', 'c2c', 'x', '9100', 'originated',"
        " '2026-03-07T10:00:00.000Z')"
    )
    ingest = CdrIngest(db, EventBus(), Metrics(), ZoneInfo("UTC"))

    def leg(app: str, disposition: str, billsec: int, context: str = "cpaas-c2c") -> dict[str, str]:
        return {
            "UniqueID": channel_id_for("00000abcde", 1_700_000_000), "UserField": "00000abcde",
            "LastApplication": app, "Disposition": disposition, "Duration": "20",
            "BillableSeconds": str(billsec), "DestinationContext": context,
            "StartTime": "2026-03-07 10:00:01", "EndTime": "2026-03-07 10:00:21",
        }  # fmt: skip

    window = Window.days(date(2026, 3, 7), date(2026, 3, 7), ZoneInfo("UTC"))
    query = CounterQuery(window, fields=tuple(sorted(FIELDS)))
    await ingest._flush([leg("AppDial", "ANSWERED", 20)])  # agent answered; no Dial yet
    await ingest._flush([leg("Dial", "NO ANSWER", 0)])  # late Dial CDR decides: missed
    await ingest._flush([leg("Dial", "NO ANSWER", 0)])  # the same event again
    assert await actual(db, "acme", query) == await expected(db, "acme", query)
    await ingest._flush([leg("Dial", "ANSWERED", 12, "cpaas-transfer")])  # re-summarised
    assert await actual(db, "acme", query) == await expected(db, "acme", query)
    await assert_consistent(db)


async def test_cdr_statistics_equal_a_count_of_the_calls(db: Database) -> None:
    """get_cdr_statistics (and per campaign) from stats_cdr_status equals counting calls."""
    await generate(db, random.Random(4), count=500)
    await db.execute("DELETE FROM calls WHERE id % 3 = 0")
    queries = CdrQueries(db)
    for account in ("acme", "globex", "nobody"):
        for campaign in (None, "C1", "C2", "", "nope"):
            where = "account_id = ? AND cdr_at IS NOT NULL"
            params: list[Any] = [account]
            if campaign is not None:
                where, params = where + " AND campaign_id = ?", [*params, campaign]
            rows = await db.fetchall(
                f"SELECT dial_status, COUNT(*) AS n FROM calls WHERE {where} GROUP BY 1", params
            )
            got = await queries.statistics(account, campaign)
            assert got["total_calls"] == sum(r["n"] for r in rows)
            for row in rows:
                key = {"ANSWER": "answer_calls", "NOANSWER": "noanswer_calls"}.get(row[0])
                if key:
                    assert got[key] == row["n"]
            if campaign is not None:
                assert got["dnd_calls"] == sum(r["n"] for r in rows if r[0] == "DND")


def test_windows_split_into_aligned_buckets() -> None:
    """Day, hour and quarter buckets cover the window exactly; odd offsets do not align."""
    kolkata = Window.days(date(2026, 3, 7), date(2026, 3, 7), ZoneInfo("Asia/Kolkata"))
    runs = rollup.segments(kolkata.start_epoch, kolkata.end_epoch)
    assert runs is not None
    assert [(span, (end - first) // span) for span, first, end in runs] == [
        (900, 2),
        (3600, 23),
        (900, 2),
    ]  # 18:30-19:00, 19:00-18:00 the next day, 18:00-18:30 (UTC)
    assert runs[0][1] == kolkata.start_epoch
    assert runs[-1][2] == kolkata.end_epoch
    utc = Window.days(date(2026, 3, 1), date(2026, 3, 7), ZoneInfo("UTC"))
    assert rollup.segments(utc.start_epoch, utc.end_epoch) == [
        (86400, utc.start_epoch, utc.end_epoch)
    ]
    monrovia = Window.days(date(1971, 1, 1), date(1971, 1, 1), ZoneInfo("Africa/Monrovia"))
    assert rollup.segments(monrovia.start_epoch, monrovia.end_epoch) is None


async def test_unaligned_window_falls_back_to_the_per_call_query(db: Database) -> None:
    """A zone offset off the 15-minute grid (Monrovia's -0:44:30 in 1971) still counts."""
    await db.execute(
        "INSERT INTO calls (request_id, account_id, kind, direction, customer_number, state,"
        " created_at, dial_status, cdr_at) VALUES ('0000000001', 'acme', 'otp', 'x', '1',"
        " 'completed', '1971-01-01T12:00:00.000Z', 'ANSWER', '1971-01-01T12:00:00.000Z')"
    )
    window = Window.days(date(1971, 1, 1), date(1971, 1, 1), ZoneInfo("Africa/Monrovia"))
    query = CounterQuery(window, fields=tuple(NUMBER_FIELDS))
    assert await rollup_rows(db, "acme", query) is None
    totals = await window_totals(db, "acme", query)
    assert base_counters(totals)["CNC"] == 1
    assert base_counters(totals)["freshCall"] == 1
    assert await field_counters(db, "acme", query, totals) == {
        **dict.fromkeys(NUMBER_FIELDS, 0),
        "UC": 1,
        "CA": 1,
    }


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
async def test_dst_and_half_hour_days_have_their_own_length(db: Database, zone: str) -> None:
    """New York's 2026-03-08 is 23 hours; a call at its last UTC minute counts, the next not."""
    tz = ZoneInfo(zone)
    window = Window.days(date(2026, 3, 8), date(2026, 3, 8), tz)
    inside = window.end - timedelta(milliseconds=1)
    for request_id, created in (("000000000a", inside), ("000000000b", window.end)):
        await db.execute(
            "INSERT INTO calls (request_id, account_id, kind, direction, state, created_at)"
            " VALUES (?, 'acme', 'c2c', 'x', 'queued', ?)",
            (request_id, created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"),
        )
    query = CounterQuery(window)
    totals = await window_totals(db, "acme", query)
    assert totals.counts["TC"] == 1
    hours = 23 if zone == "America/New_York" else 24
    assert window.end_epoch - window.start_epoch == hours * 3600
