"""Benchmark: what the statistics triggers (migration 0401) cost the write paths.

Two stores with the same 200,000 calls, one with the ``stats_*`` triggers and one with
them dropped (the write path as it was before the rollups), then on each: new calls
inserted one transaction per call (``CallRepository.insert``'s shape) and in batches,
CDRs through the real ``CdrIngest._flush`` (two legs per click-to-call: the agent leg
and its Dial, batches of 500 as the ingest flushes them), and queue_calls upserts as
the queue_log tailer writes them. Rates are rows per second; the median of 3 runs.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.model import channel_id_for
from cpaas_daemon.cdr.ingest import CdrIngest
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.sqlite import SqliteDatabase

PREFILL = 200_000
CALLS = 5_000
RUNS = 3
_INSERT = (
    "INSERT INTO calls (request_id, account_id, kind, direction, customer_number,"
    " dialed_number, state, created_at, uniqueid) VALUES (?,?,?,?,?,?,?,?,?)"
)


def _call(number: int) -> tuple[Any, ...]:
    kind = ("c2c", "inbound")[number % 2]
    stamp = f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:{number % 60:02d}:00.000Z"
    return (
        f"{number:010x}", f"acc{number % 4}", kind, "x", f"91{number % 10**8:08d}",
        "5550100" if kind == "inbound" else "", "originated", stamp,
        f"{number}.1" if kind == "inbound" else None,
    )  # fmt: skip


def _legs(number: int) -> list[dict[str, str]]:
    rid = f"{number:010x}"
    base = {
        "UniqueID": channel_id_for(rid, 1_700_000_000), "UserField": rid, "Duration": "40",
        "DestinationContext": "cpaas-c2c", "StartTime": "2026-11-02 10:00:01",
        "EndTime": "2026-11-02 10:00:41", "AnswerTime": "2026-11-02 10:00:05",
    }  # fmt: skip
    return [
        {**base, "LastApplication": "AppDial", "Disposition": "ANSWERED", "BillableSeconds": "36"},
        {**base, "LastApplication": "Dial", "Disposition": "ANSWERED", "BillableSeconds": "30"},
    ]


async def _prepare(path: Path, triggers: bool) -> SqliteDatabase:
    db = SqliteDatabase(path)
    await db.open()
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acc0', 'x')")
    await db.executemany(_INSERT, (_call(n) for n in range(PREFILL)))
    if not triggers:
        names = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats_%'"
        )
        for (name,) in names:
            await db.execute(f"DROP TRIGGER {name}")
    return db


async def _rate(rows: int, work: Any) -> float:
    started = time.perf_counter()
    await work
    return rows / (time.perf_counter() - started)


async def _measure(db: SqliteDatabase, first: int) -> dict[str, float]:
    one_by_one = range(first, first + CALLS)
    batch = range(first + CALLS, first + 3 * CALLS)

    async def singles() -> None:
        for n in one_by_one:
            await db.execute(_INSERT, _call(n))

    async def cdrs() -> None:
        ingest = CdrIngest(db, EventBus(), Metrics(), ZoneInfo("UTC"))
        c2c = [n for n in range(first, first + 3 * CALLS) if n % 2 == 0]
        for at in range(0, len(c2c), 250):
            await ingest._flush([leg for n in c2c[at : at + 250] for leg in _legs(n)])

    inbound = [n for n in range(first, first + 3 * CALLS) if n % 2]
    queue_sql = (
        "INSERT INTO queue_calls (callid, queue, enter_epoch, status, event, wait, talk)"
        " VALUES (?, 'sales', 0, ?, ?, ?, ?) ON CONFLICT (callid, queue) DO UPDATE SET"
        " status = excluded.status, event = excluded.event, wait = excluded.wait,"
        " talk = excluded.talk"
    )
    enter = [(f"{n}.1", "waiting", "ENTERQUEUE", 0, 0) for n in inbound]
    done = [(f"{n}.1", "answered", "COMPLETEAGENT", 7, 60) for n in inbound]
    return {
        "calls_insert_single_rows_s": await _rate(CALLS, singles()),
        "calls_insert_batch_rows_s": await _rate(
            2 * CALLS, db.executemany(_INSERT, map(_call, batch))
        ),
        "cdr_ingest_legs_s": await _rate(3 * CALLS, cdrs()),
        "queue_calls_upsert_rows_s": await _rate(
            len(inbound) * 2, _both(db.executemany(queue_sql, enter), db, queue_sql, done)
        ),
    }


async def _both(first: Any, db: SqliteDatabase, sql: str, rows: list[tuple[Any, ...]]) -> None:
    await first
    await db.executemany(sql, rows)


async def _variant(triggers: bool) -> dict[str, float]:
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = await _prepare(Path(tmp) / "w.sqlite3", triggers)
        try:
            for run in range(RUNS):
                found = await _measure(db, PREFILL + run * 3 * CALLS)
                for key, value in found.items():
                    results.setdefault(key, []).append(value)
        finally:
            await db.close()
    return {key: round(statistics.median(values)) for key, values in results.items()}


def run() -> dict[str, Any]:
    return {
        "prefill_calls": PREFILL,
        "without_triggers": asyncio.run(_variant(False)),
        "with_triggers": asyncio.run(_variant(True)),
    }


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # JSON alone
    print(json.dumps(run(), indent=2))
