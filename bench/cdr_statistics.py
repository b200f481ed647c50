"""Benchmark: CDR API latency over HTTP on 10M ``calls`` rows, per store (target p99 < 50 ms).

For each store of ``BENCH_STORES`` (``bench._stores``: SQLite, and a private PostgreSQL)
``run()`` bulk-loads ``ROWS`` calls (``BENCH_CDR_ROWS``: 10M, 100k with ``BENCH_QUICK``)
into the ``calls`` table under the schema as of migration 0100, then opens the store,
which applies every later migration (indexes, rollups: each must bring existing rows
along, as in a production upgrade; ``schema_upgrade_s`` is that time plus ANALYZE), then
starts the daemon (``bench._daemon``, the real ``create_app``, in its own process, on
that store; no PBX needed) and times, one request at a time, from this process:

* ``GET /api/get_cdr_statistics`` for the largest account (40 % of the rows);
* ``POST /api/get_cdr_by_date`` with ``record_count`` 1000 over one week, first page;
* the same at offset ``ROWS // 50`` (200,000 at 10M: ``by_date_1000_deep``).

The data: 5 accounts (40/25/15/12/8 % of the calls) over the last 90 days, kinds
click2call/OTP/campaign/inbound/callback, 97 % with a CDR (ANSWER 60 %, NOANSWER, BUSY,
CANCEL, CONGESTION, CHANUNAVAIL), the rest still ``originated`` or ``refused``.
Latency is the client's: request sent to the last byte of the body (JSON decoding on the
client is not included). The first request of each kind is reported apart, as "cold".
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import structlog

from bench._live import ACCOUNT, HEADERS, SECRET, free_port, percentile, start_daemon
from bench._stores import BenchStore, Stores, per_store, size
from cpaas_daemon.accounts.repository import hash_secret

QUICK = bool(os.environ.get("BENCH_QUICK"))
ROWS = size("BENCH_CDR_ROWS", 10_000_000, 100_000)
RUNS = 50 if QUICK else 200
DEEP_OFFSET = ROWS // 50
DAYS = 90
ACCOUNTS = ((ACCOUNT, 40), ("acct_b", 25), ("acct_c", 15), ("acct_d", 12), ("acct_e", 8))
STATUSES = (("ANSWER", 60), ("NOANSWER", 18), ("BUSY", 9), ("CANCEL", 6), ("CONGESTION", 4),
            ("CHANUNAVAIL", 3))  # fmt: skip
KINDS = (("c2c", 40), ("otp", 15), ("campaign", 30), ("inbound", 10), ("callback", 5))
DIRECTION = {"c2c": "outbound", "otp": "outbound", "campaign": "outbound-campaign",
             "inbound": "inbound", "callback": "outbound"}  # fmt: skip
TARGET_P99_MS = 50
CALLS_MIGRATION = 100  # 0100_calls.sql: accounts and calls exist from here on


class _Stamps:
    """Stored-form UTC stamps (``2026-11-22T16:01:46.000Z``) from epoch seconds, fast."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def __call__(self, epoch: int) -> str:
        day, second = divmod(epoch, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
        hour, rest = divmod(second, 3600)
        return f"{prefix}{hour:02d}:{rest // 60:02d}:{rest % 60:02d}.000Z"


def _calls(now: datetime) -> Iterator[tuple[Any, ...]]:
    """Rows in time order, as the daemon writes them."""
    rng = random.Random(3)
    stamp = _Stamps()
    accounts = rng.choices([a for a, _ in ACCOUNTS], [w for _, w in ACCOUNTS], k=ROWS)
    kinds = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS], k=ROWS)
    statuses = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES], k=ROWS)
    first = int(now.timestamp()) - DAYS * 86400
    step = DAYS * 86400 / ROWS
    for n in range(ROWS):
        kind, status = kinds[n], statuses[n]
        created = first + int(n * step)
        done = rng.random() < 0.97
        ring = 2 + n % 24
        billsec = 5 + (n * 7919) % 396 if done and status == "ANSWER" else 0
        number = f"{(n * 104729) % 10**8:08d}"
        yield (
            f"{n:010x}", accounts[n], kind, DIRECTION[kind], "91" + number, "92" + number,
            "92" + number, "15551230000", f"cpaas-{kind}",
            f"CM{n % 40:010x}" if kind == "campaign" else None,
            "completed" if done else ("originated", "refused")[n % 2], stamp(created),
            stamp(created) if done else None,
            stamp(created + ring) if billsec else None,
            stamp(created + ring + billsec) if done else None,
            ring + billsec if done else None, billsec if done else None,
            status if done else None, "completed" if done else None,
            f"{created}.{n}" if done else None,
            stamp(created + ring + billsec + 1) if done else None,
        )  # fmt: skip


CALL_COLUMNS = (
    "request_id", "account_id", "kind", "direction", "agent_number", "customer_number",
    "dialed_number", "caller_id", "destination_context", "campaign_id", "state", "created_at",
    "call_date", "answer", "end_time", "call_duration", "billsec", "dial_status",
    "call_status", "uniqueid", "cdr_at",
)  # fmt: skip


async def fill(store: BenchStore, now: datetime) -> tuple[float, float]:
    """Write the rows as an older schema would hold them, then upgrade to the current one.

    The rows go in under the schema as of the ``calls`` table (migration 0100), in bulk
    (``bench._stores``: executemany in big transactions on SQLite, COPY on PostgreSQL);
    opening the store then applies every later migration, which must bring existing rows
    along (indexes, rollups) exactly as it would when a production daemon with years of
    CDRs is upgraded. Returns (fill seconds, upgrade seconds, ANALYZE included).
    """
    await store.schema_until(CALLS_MIGRATION)
    started = time.perf_counter()
    auth = hash_secret(SECRET)
    await store.bulk("accounts", ("account_id", "auth_hash"), [(a, auth) for a, _ in ACCOUNTS])
    await store.bulk("calls", CALL_COLUMNS, _calls(now))
    filled = time.perf_counter()
    db = store.database()
    await db.open()
    await db.close()
    await store.analyze()
    return filled - started, time.perf_counter() - filled


async def _timed(call: Any, runs: int) -> dict[str, Any]:
    cold = await call()
    samples = [await call() for _ in range(runs)]
    return {
        "cold_ms": round(cold * 1000, 1),
        "p50_ms": round(percentile(samples, 0.50) * 1000, 1),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
    }


async def _measure(url: str, now: datetime) -> dict[str, Any]:
    week_end = (now - timedelta(days=DAYS // 2)).date()
    week = {
        "start_call_date": (week_end - timedelta(days=6)).isoformat(),
        "end_call_date": week_end.isoformat(),
        "record_count": 1000,
    }
    sizes: dict[str, int] = {}

    async with aiohttp.ClientSession() as session:

        def timer(method: str, path: str, body: Any = None) -> Any:
            async def call() -> float:
                started = time.perf_counter()
                async with session.request(
                    method, url + path, json=body, headers=HEADERS
                ) as response:
                    raw = await response.read()
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} {raw[:200]!r}")
                sizes[path + json.dumps(body)] = len(raw)
                return elapsed

            return call

        stats = await _timed(timer("GET", "/api/get_cdr_statistics"), RUNS)
        by_date = await _timed(timer("POST", "/api/get_cdr_by_date", week), RUNS)
        deep = await _timed(
            timer("POST", "/api/get_cdr_by_date", week | {"offset": DEEP_OFFSET}), RUNS // 4
        )  # "by_date_1000_deep": the key stays the same whatever ROWS is
        async with session.get(url + "/api/get_cdr_statistics", headers=HEADERS) as response:
            total = (await response.json())["response"]["result"]["total_calls"][0]
    return {
        "statistics": stats,
        "by_date_1000": by_date,
        "by_date_1000_deep": deep,
        "account_calls_with_cdr": total,
        "by_date_body_kib": round(sizes[f"/api/get_cdr_by_date{json.dumps(week)}"] / 1024),
    }


async def _one(stores: Stores, kind: str, now: datetime) -> dict[str, Any]:
    """Fill one store, serve it from a daemon process, time the endpoints."""
    store = await stores.fresh(kind, "cpaas")
    seconds, upgrade = await fill(store, now)
    # Blocks the loop until the daemon is ready; nothing else runs meanwhile.
    daemon, url = start_daemon(
        stores.tmp, free_port(), free_port(), no_ami=True, **store.daemon_overrides()
    )
    try:
        result = await _measure(url, now)
    finally:
        daemon.stop()
    flat: dict[str, Any] = {
        "fill_s": round(seconds, 1),
        "fill_rows_per_s": round(ROWS / seconds),
        "schema_upgrade_s": round(upgrade, 1),
    }
    for name, value in result.items():
        if isinstance(value, dict):
            flat |= {f"{name}_{key}": figure for key, figure in value.items()}
        else:
            flat[name] = value
    return flat


async def _all() -> dict[str, Any]:
    now = datetime.now(UTC)

    async def one(stores_: Stores, kind: str) -> dict[str, Any]:
        return await _one(stores_, kind, now)

    figures = {"rows": ROWS, "deep_offset": DEEP_OFFSET, "target_p99_ms": TARGET_P99_MS}
    return figures | await per_store(one)


def run() -> dict[str, Any]:
    return asyncio.run(_all())


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # JSON alone
    print(json.dumps(run()))
