"""Benchmark: queue_log ingest rate and report latency on 10M generated lines, per store.

For each store in ``BENCH_STORES`` (``bench._stores``: SQLite, and a private PostgreSQL):

* **ingest**: a realistic queue_log of ``BENCH_QUEUE_LOG_INGEST`` lines (1M; answered,
  abandoned, timed-out and transferred calls, agent ring attempts, DID lines, pauses) is
  written to a file and tailed into a fresh store by the daemon's ``QueueLogTailer``
  (parse, per-call merge, daily rollup, offset: the production path); lines per second.
* **reports**: ``BENCH_QUEUE_LOG_LINES`` lines (10M; 100k with ``BENCH_QUICK``) of the
  same generator go into another store in bulk: parsed by the daemon's parser and merged
  into ``queue_calls`` rows by its own :func:`~cpaas_daemon.queue_log.calls.merge`, then
  loaded under the schema as of migration 0301 (executemany / COPY); opening the store
  applies 0302 onwards as an upgrade would (the daily rollup's backfill, the report
  indexes). The reports the HTTP API serves are then timed through ``Reports``, one at
  a time (no HTTP: the latency is the store's and the report code's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from bench._stores import BenchStore, Stores, per_store, size
from cpaas_daemon.queue_log.calls import COLUMNS, merge, plan
from cpaas_daemon.queue_log.filters import ReportFilter
from cpaas_daemon.queue_log.paging import PageRequest
from cpaas_daemon.queue_log.parser import QueueLogLine, parse_line
from cpaas_daemon.queue_log.reports import Reports
from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer, line_hash

LINES = size("BENCH_QUEUE_LOG_LINES", 10_000_000, 100_000)
INGEST_LINES = size("BENCH_QUEUE_LOG_INGEST", 1_000_000, 100_000)
REPEATS = 100
BEFORE_ROLLUP = 301  # the schema the bulk load writes under: 0302 onwards upgrade it
TARGET_P99_MS = 50
QUEUES = ("sales", "support", "billing", "2000", "2001")
AGENTS = tuple(f"Agent {n}" for n in range(201, 231))
START = 1_790_000_000  # 2026-09-21 UTC; the log spans 30 days
SPAN = 30 * 86400
REPORTS = (
    "answered_calls_by_queue",
    "answered_calls_by_agent",
    "answered_calls_by_holdtime",
    "answered_calls_by_event",
    "unanswered_calls_by_queue",
)
PARIS = ZoneInfo("Europe/Paris")


def _call_lines(rng: random.Random, number: int, now: int) -> Iterator[str]:
    """The lines one queue call writes, in Asterisk's order."""
    callid = f"{now}.{number}"
    queue = rng.choice(QUEUES)
    if rng.random() < 0.3:
        yield f"{now}|{callid}|{queue}|NONE|DID|55501{number % 100:02d}"
    yield f"{now}|{callid}|{queue}|NONE|ENTERQUEUE|url{number % 7}|06{number:08d}|1"
    wait = 0
    for _ in range(rng.randint(0, 3)):
        wait += 5
        yield f"{now + wait}|{callid}|{queue}|{rng.choice(AGENTS)}|RINGNOANSWER|5000"
    fate = rng.random()
    if fate < 0.70:
        agent, talk = rng.choice(AGENTS), rng.randint(5, 600)
        yield f"{now + wait}|{callid}|{queue}|{agent}|CONNECT|{wait}|{now}.{number + 1}|2"
        end = rng.choice(("COMPLETEAGENT", "COMPLETECALLER"))
        if rng.random() < 0.05:
            yield f"{now + wait + talk}|{callid}|{queue}|{agent}|TRANSFER|300|ctx|{wait}|{talk}|1"
        else:
            yield f"{now + wait + talk}|{callid}|{queue}|{agent}|{end}|{wait}|{talk}|1"
    elif fate < 0.90:
        yield f"{now + wait + 2}|{callid}|{queue}|NONE|ABANDON|1|1|{wait + 2}"
    elif fate < 0.97:
        yield f"{now + 60}|{callid}|{queue}|NONE|EXITWITHTIMEOUT|1|1|60"
    else:
        yield f"{now + wait + 1}|{callid}|{queue}|NONE|EXITWITHKEY|5|1|1|{wait + 1}"
    if rng.random() < 0.02:
        agent = rng.choice(AGENTS)
        yield f"{now}|NONE|{queue}|{agent}|PAUSE|lunch"
        yield f"{now + 1}|NONE|{queue}|{agent}|UNPAUSE|"


def _lines(lines: int, seed: int = 4) -> Iterator[str]:
    """About ``lines`` lines (whole calls) with their newlines, in file order."""
    rng = random.Random(seed)
    written, number = 0, 0
    step = SPAN / (lines / 4.5)
    yield f"{START}|NONE|NONE|NONE|QUEUESTART|\n"
    while written < lines:
        now = START + int(number / 2 * step)
        batch = list(_call_lines(rng, number, now))
        yield "\n".join(batch) + "\n"
        written += len(batch)
        number += 2


def generate(path: Path, lines: int, seed: int = 4) -> int:
    """Write about ``lines`` lines to ``path``; returns how many were written."""
    with path.open("w", encoding="utf-8") as file:
        return sum(file.write(text) and text.count("\n") for text in _lines(lines, seed))


def _parsed(lines: int) -> Iterator[list[QueueLogLine]]:
    """The generated lines parsed as the tailer parses them (byte offsets included), in
    chunks of whole calls."""
    offset, chunk = 0, []
    for text in _lines(lines):
        for line in text.splitlines():
            parsed = parse_line(line, offset)
            if parsed is not None:
                chunk.append(parsed)
            offset += len(line) + 1
        if len(chunk) >= 100_000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def bulk_load(store: BenchStore, lines: int) -> int:
    """``lines`` lines, and the queue_calls rows the daemon's merge makes of them, loaded
    under the schema before the daily rollup; opening the store then upgrades it."""
    await store.schema_until(BEFORE_ROLLUP)
    file_id = line_hash(next(_lines(1)).encode())
    columns = ("file_id", *QueueLogLine._fields)
    queues: dict[str, None] = {}
    agents: dict[str, None] = {}
    pairs: dict[tuple[str, str], None] = {}
    stored = 0
    for chunk in _parsed(lines):
        await store.bulk("queue_log", columns, ((file_id, *line) for line in chunk))
        batch = plan(chunk)
        await store.bulk("queue_calls", COLUMNS, merge(batch.calls, {}).inserts)
        queues |= dict.fromkeys(batch.queues)
        agents |= dict.fromkeys(batch.agents)
        pairs |= dict.fromkeys(batch.agent_queues)
        stored += len(chunk)
    await store.bulk("queue_names", ("name",), [(name,) for name in queues])
    await store.bulk("agent_names", ("name",), [(name,) for name in agents])
    db = store.database()
    await db.open()  # migrations 0302 onwards: the rollup's backfill, the report indexes
    try:
        await db.executemany(
            "INSERT INTO agent_queues (agent_id, queue_id) SELECT a.agent_id, q.queue_id"
            " FROM agent_names a, queue_names q WHERE a.name = ? AND q.name = ?",
            list(pairs),
        )
    finally:
        await db.close()
    await store.analyze()
    return stored


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _ingest(store: BenchStore, directory: Path, lines: int) -> dict[str, Any]:
    """The production path: the tailer reads a file of ``lines`` lines into ``store``."""
    log_path = directory / "queue_log"
    written = generate(log_path, lines)
    db = store.database()
    await db.open()
    try:
        tailer = QueueLogTailer(log_path, QueueLogRepository(db), poll_interval=1.0)
        started = time.perf_counter()
        stored = await tailer.poll_once()
        ingest_s = time.perf_counter() - started
    finally:
        await db.close()
    log_path.unlink()
    return {
        "ingest_lines_written": written,
        "ingest_lines_stored": stored,
        "ingest_seconds": round(ingest_s, 2),
        "ingest_lines_per_s": round(stored / ingest_s),
    }


async def _latency(store: BenchStore, repeats: int) -> dict[str, dict[str, float]]:
    db = store.database()
    await db.open()
    try:
        reports = Reports(db)
        month = ReportFilter.from_epochs(START, START + SPAN)
        day = ReportFilter.from_epochs(START + 86400 * 10, START + 86400 * 11)
        # 30 local days in Paris (UTC+2: a partial UTC day at each end) and 30 days of
        # 09:00-17:00 only (a time-of-day filter).
        paris = ReportFilter.from_query(
            {"start": "2026-09-22", "end": "2026-10-21"}, PARIS, month.scope
        )
        office = ReportFilter(START, START + SPAN, seconds=(9 * 3600, 17 * 3600))
        windows = (("30d", month), ("1d", day), ("30d Paris", paris), ("30d 9-17h", office))
        latency: dict[str, dict[str, float]] = {}
        for label, window in windows:
            for name in REPORTS if label == "30d" else REPORTS[:2]:
                samples = []
                for _ in range(repeats):
                    began = time.perf_counter()
                    await reports.run(name, window, PageRequest())
                    samples.append((time.perf_counter() - began) * 1000)
                latency[f"{name}[{label}]"] = {
                    "p50_ms": round(statistics.median(samples), 2),
                    "p99_ms": round(_percentile(samples, 0.99), 2),
                }
    finally:
        await db.close()
    return latency


async def _one(stores_: Stores, kind: str, lines: int, repeats: int) -> dict[str, Any]:
    result = await _ingest(await stores_.fresh(kind, "ingest"), stores_.tmp, INGEST_LINES)
    store = await stores_.fresh(kind, "reports")
    started = time.perf_counter()
    result["report_lines"] = await bulk_load(store, lines)
    result["report_load_s"] = round(time.perf_counter() - started, 1)
    result["report_latency"] = await _latency(store, repeats)
    return result


async def _all(lines: int, repeats: int) -> dict[str, Any]:
    async def one(stores_: Stores, kind: str) -> dict[str, Any]:
        return await _one(stores_, kind, lines, repeats)

    return {"lines": lines, "target_p99_ms": TARGET_P99_MS, **await per_store(one)}


def run(lines: int = LINES, repeats: int = REPEATS) -> dict[str, Any]:
    """Ingest, bulk-load and query ``lines`` lines on each store, in a temporary directory."""
    return asyncio.run(_all(lines, repeats))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # JSON alone
    print(json.dumps(run(args.lines, args.repeats)))
