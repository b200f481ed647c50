"""Benchmark: queue_log ingest rate and report latency on ~1M generated lines.

``run()`` writes a realistic queue_log (answered, abandoned, timed-out and transferred
calls, agent ring attempts, DID lines, pauses) into a temporary directory, tails it into
a fresh SQLite store and then times the reports the HTTP API serves. It is
self-contained so the project's ``make bench`` harness can import and call it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cpaas_daemon.queue_log.filters import ReportFilter
from cpaas_daemon.queue_log.paging import PageRequest
from cpaas_daemon.queue_log.reports import Reports
from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.store.sqlite import SqliteDatabase

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


def generate(path: Path, lines: int, seed: int = 4) -> int:
    """Write about ``lines`` lines to ``path``; returns how many were written."""
    rng = random.Random(seed)
    written, number = 0, 0
    step = SPAN / (lines / 4.5)
    with path.open("w", encoding="utf-8") as file:
        file.write(f"{START}|NONE|NONE|NONE|QUEUESTART|\n")
        while written < lines:
            now = START + int(number / 2 * step)
            batch = list(_call_lines(rng, number, now))
            file.write("\n".join(batch) + "\n")
            written += len(batch)
            number += 2
    return written + 1


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _bench(directory: Path, lines: int, repeats: int) -> dict[str, Any]:
    log_path = directory / "queue_log"
    written = generate(log_path, lines)
    db = SqliteDatabase(directory / "bench.sqlite3")
    await db.open()
    try:
        tailer = QueueLogTailer(log_path, QueueLogRepository(db), poll_interval=1.0)
        started = time.perf_counter()
        stored = await tailer.poll_once()
        ingest_s = time.perf_counter() - started
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
    return {
        "lines_written": written,
        "lines_stored": stored,
        "ingest_seconds": round(ingest_s, 2),
        "ingest_lines_per_s": round(stored / ingest_s),
        "report_latency": latency,
    }


def run(lines: int = 1_000_000, repeats: int = 100) -> dict[str, Any]:
    """Generate, ingest and query ``lines`` lines in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="queue_log_bench_") as tmp:
        return asyncio.run(_bench(Path(tmp), lines, repeats))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(run(args.lines, args.repeats)))
