"""Benchmark: Ecounters latency on 1M ``calls`` rows (target p99 < 50 ms).

``run()`` fills a fresh store with 1,000,000 calls of 4 accounts spread over the last
30 days (about 8,300 calls per account per day: click2call, OTP, campaign with DTMF,
inbound with queue calls, transfers), then times the Ecounters service for today (the
default window) without and with every Field, and for a 7-day range, and
``CdrQueries.statistics`` (get_cdr_statistics). ``per_call_reference`` times the same
counters computed from every call of the window (the queries Ecounters ran before the
rollups of migration 0401) on the same data, so one run shows both under the same load.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.cdr.queries import CdrQueries
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.stats import call_window
from cpaas_daemon.stats.agents import AgentDashboard
from cpaas_daemon.stats.codes import FIELDS
from cpaas_daemon.stats.ecounters import Ecounters
from cpaas_daemon.stats.history import detail_rows
from cpaas_daemon.stats.query import CounterQuery, parse_query
from cpaas_daemon.store.sqlite import SqliteDatabase

ROWS = 1_000_000
ACCOUNTS = ("acc1", "acc2", "acc3", "acc4")
DAYS = 30
RUNS = 200
STATUSES = ("ANSWER", "ANSWER", "ANSWER", "NOANSWER", "BUSY", "CANCEL", "CHANUNAVAIL")
KINDS = ("c2c", "c2c", "otp", "campaign", "campaign", "inbound", "inbound", "callback")


def _calls(rng: random.Random, now: datetime) -> Iterator[tuple[Any, ...]]:
    """Rows in time order, as the daemon writes them (a day's calls share pages)."""
    step = DAYS * 86400 / ROWS
    first = now - timedelta(days=DAYS)
    for number in range(ROWS):
        kind = rng.choice(KINDS)
        created = first + timedelta(seconds=number * step)
        stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        status = rng.choice(STATUSES) if rng.random() < 0.97 else None
        billsec = rng.randint(0, 300) if status == "ANSWER" else 0
        yield (
            f"{number:010x}", rng.choice(ACCOUNTS), kind, kind,
            f"91{rng.randrange(10**8):08d}",
            f"5550{rng.randrange(20):03d}" if kind == "inbound" else "",
            f"CMP{rng.randrange(12)}" if kind == "campaign" else None,
            rng.choice(("", "", "1", "2", "12#")) if kind == "campaign" else "",
            "completed" if status else rng.choice(("originated", "refused")),
            stamp, status, billsec, billsec + rng.randint(0, 30),
            stamp if status else None, f"{number}.1" if kind == "inbound" else None,
        )  # fmt: skip


def fill(path: Path) -> float:
    """Write the data set with plain sqlite3 (the fastest path); returns seconds taken."""
    started = time.perf_counter()
    rng = random.Random(7)
    now = datetime.now(UTC)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO accounts (account_id, auth_hash) VALUES (?, 'x')", [(a,) for a in ACCOUNTS]
    )
    conn.executemany(
        "INSERT INTO calls (request_id, account_id, kind, direction, customer_number,"
        " dialed_number, campaign_id, dtmf_inputs, state, created_at, dial_status, billsec,"
        " call_duration, cdr_at, uniqueid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        _calls(rng, now),
    )
    conn.execute(
        "INSERT INTO queue_calls (callid, queue, enter_epoch, status, event, wait, talk)"
        " SELECT uniqueid, 'q' || (id % 5), CAST(strftime('%s', created_at) AS INTEGER),"
        " CASE WHEN id % 4 THEN 'answered' ELSE 'unanswered' END,"
        " CASE WHEN id % 40 = 1 THEN 'TRANSFER' ELSE 'COMPLETEAGENT' END, id % 60, billsec"
        " FROM calls WHERE kind = 'inbound'"
    )
    conn.execute(
        "INSERT INTO cdr_legs (leg_key, request_id, account_code, source, destination,"
        " destination_context, caller_id, channel, destination_channel, last_application,"
        " last_data, duration, billsec, disposition, uniqueid, userfield, received_at)"
        " SELECT 'k' || id, request_id, account_id, '', '', CASE WHEN id % 50 THEN"
        " 'cpaas-click2call' ELSE 'cpaas-transfer' END, '', '', '', 'Dial', '', 1, 1,"
        " 'ANSWERED', '', '', created_at FROM calls WHERE kind = 'c2c'"
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 2),
        "max_ms": round(samples[-1], 2),
    }


_PER_NUMBER_REFERENCE = """, w AS (SELECT customer_number AS num, outcome,
    ROW_NUMBER() OVER (PARTITION BY customer_number ORDER BY created_at, id) AS seq
    FROM per_call WHERE customer_number != '')
SELECT COUNT(DISTINCT num), SUM(seq > 1) FROM w"""


async def _per_call_reference(db: SqliteDatabase, query: CounterQuery) -> None:
    """The window counters as computed before migration 0401: from every call."""
    await detail_rows(db, "acc1", query)
    where, params = call_window.where("acc1", query)
    await db.fetchone(
        "SELECT COUNT(*), COUNT(DISTINCT c.customer_number) FROM calls c"
        f" WHERE {where} AND c.customer_number != ''",
        params,
    )
    if query.fields:
        cte, params = call_window.per_call("acc1", query)
        await db.fetchone(cte + _PER_NUMBER_REFERENCE, params)


async def _cdr_statistics_reference(db: SqliteDatabase) -> None:
    """get_cdr_statistics as it read before migration 0401: every CDR of the account."""
    await db.fetchall(
        "SELECT dial_status, COUNT(*) AS n FROM calls WHERE account_id = ?"
        " AND cdr_at IS NOT NULL GROUP BY dial_status",
        ("acc1",),
    )


async def _measure(path: Path) -> dict[str, Any]:
    db = SqliteDatabase(path)
    await db.open()
    try:
        utc = ZoneInfo("UTC")
        service = Ecounters(db, CallTracker(EventBus(), Metrics()), AgentDashboard(db, utc))
        today = parse_query(None, None, utc)
        every_field = parse_query(None, sorted(FIELDS), utc)
        first = (datetime.now(UTC) - timedelta(days=6)).date().isoformat()
        week = parse_query(
            [{"type": "dateRange", "start": first, "end": datetime.now(UTC).date().isoformat()}],
            None,
            utc,
        )
        sample = await service.message("acc1", today)
        return {
            "today_calls_per_account": sample["TC"],
            "today": await _timed(RUNS, lambda: service.message("acc1", today)),
            "today_all_fields": await _timed(RUNS, lambda: service.message("acc1", every_field)),
            "seven_days": await _timed(RUNS, lambda: service.message("acc1", week)),
            "cdr_statistics": await _timed(RUNS, lambda: CdrQueries(db).statistics("acc1")),
            "per_call_reference": {
                "today": await _timed(20, lambda: _per_call_reference(db, today)),
                "today_all_fields": await _timed(20, lambda: _per_call_reference(db, every_field)),
                "seven_days": await _timed(10, lambda: _per_call_reference(db, week)),
                "cdr_statistics": await _timed(20, lambda: _cdr_statistics_reference(db)),
            },
        }
    finally:
        await db.close()


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"

        async def migrate() -> None:
            db = SqliteDatabase(path)
            await db.open()
            await db.close()

        asyncio.run(migrate())
        seconds = fill(path)
        result = asyncio.run(_measure(path))
    return {"rows": ROWS, "fill_s": round(seconds, 1), **result}


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # JSON alone
    print(json.dumps(run(), indent=2))
