"""Benchmark: CDR rows stored per second by the daemon's ingest path, on each store.

For each store in ``BENCH_STORES`` (``bench._stores``: SQLite, and a private PostgreSQL
with production durability), ``CdrIngest`` (``cpaas_daemon/cdr/ingest.py``: the
subscriber the AMI client feeds) is given ``Cdr`` events on its ``EventBus``, all at
once, as a burst off the AMI would deliver them:

* ``our_calls``: two legs per call the daemon placed (a ``calls`` row exists; the first
  leg's Uniqueid is the call's ChannelId, ``UserField`` its request id): the batched leg
  INSERT plus the re-summary of every request the batch touched;
* ``foreign_legs``: legs of calls that are not ours (the INSERT only).

Rows per second run from the first publish to the ``cpaas_cdr_rows_total`` counter
reaching the count. Peer, same run, same store: the same leg rows in one
``executemany`` through the store's own ``Database`` (the storage layer's ceiling).
``ami_events`` reports the SQLite figures too, from the same functions.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from bench._stores import BenchStore, Stores, per_store, size
from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.model import channel_id_for
from cpaas_daemon.cdr.ingest import INSERT_LEGS, CdrIngest
from cpaas_daemon.metrics import Metrics

CALLS = size("BENCH_CDR_INGEST_CALLS", 20_000, 2_000)  # two legs each


def cdr_events(calls: int, ours: bool) -> list[dict[str, str]]:
    """Two Cdr events per call; ``ours``: of calls the daemon placed (request ids
    ``f"{n:010x}"``), else of calls it does not know."""
    template = {
        "Event": "Cdr", "Privilege": "cdr,all", "AccountCode": "bench", "Source": "1001",
        "Destination": "", "DestinationContext": "sim-endpoints", "CallerID": '"" <1001>',
        "Channel": "", "DestinationChannel": "", "LastApplication": "Dial", "LastData": "",
        "StartTime": "2026-11-22 16:01:46", "AnswerTime": "2026-11-22 16:01:47",
        "EndTime": "2026-11-22 16:01:59", "Duration": "13", "BillableSeconds": "12",
        "Disposition": "ANSWERED", "AMAFlags": "DOCUMENTATION", "UniqueID": "", "UserField": "",
    }  # fmt: skip
    events = []
    for n in range(calls):
        request_id = f"{n:010x}"
        for leg, (channel, context) in enumerate(
            ((f"Local/91{n:08d}@sim-endpoints-{n:08x};2", "cpaas-click2call"),
             (f"Local/92{n:08d}@sim-endpoints-{n:08x};1", "sim-endpoints"))
        ):  # fmt: skip
            events.append(
                template
                | {
                    "Channel": channel,
                    "Destination": f"92{n:08d}",
                    "DestinationContext": context,
                    "UniqueID": channel_id_for(request_id)
                    if ours and leg == 0
                    else f"1795363306.{2 * n + leg}",
                    "UserField": request_id if ours else "",
                }
            )
    return events


async def cdr_rate(store: BenchStore, calls: int, ours: bool) -> float:
    """Rows per second ``CdrIngest`` stores into the fresh ``store`` (see the module)."""
    db = store.database()
    await db.open()
    if ours:
        await store.bulk("accounts", ("account_id", "auth_hash"), [("bench", "x")])
        await store.bulk(
            "calls",
            ("request_id", "account_id", "kind", "direction", "state", "created_at"),
            (
                (f"{n:010x}", "bench", "c2c", "outbound", "originated", "2026-11-22T16:01:46.000Z")
                for n in range(calls)
            ),
        )
    bus, metrics = EventBus(), Metrics()
    ingest = CdrIngest(db, bus, metrics, ZoneInfo("UTC"))
    await ingest.start()
    events = cdr_events(calls, ours)
    try:
        started = time.perf_counter()
        for event in events:
            bus.publish(event)
        async with asyncio.timeout(600):
            while metrics.registry.get_sample_value("cpaas_cdr_rows_total") != len(events):  # noqa: ASYNC110
                await asyncio.sleep(0.002)
        elapsed = time.perf_counter() - started
    finally:
        await ingest.stop()
        await db.close()
    return len(events) / elapsed


async def executemany_rate(store: BenchStore, calls: int) -> float:
    """Peer: the same leg rows written with one ``executemany`` (no summary)."""
    db = store.database()
    await db.open()
    try:
        ingest = CdrIngest(db, EventBus(), Metrics(), ZoneInfo("UTC"))
        stamp = "2026-11-22T16:02:00.000Z"
        rows = [ingest._row(event, stamp) for event in cdr_events(calls, ours=True)]
        started = time.perf_counter()
        await db.executemany(INSERT_LEGS, rows)
        return len(rows) / (time.perf_counter() - started)
    finally:
        await db.close()


async def _one(stores_: Stores, kind: str) -> dict[str, Any]:
    ours = await cdr_rate(await stores_.fresh(kind, "ours"), CALLS, ours=True)
    foreign = await cdr_rate(await stores_.fresh(kind, "foreign"), CALLS, ours=False)
    peer = await executemany_rate(await stores_.fresh(kind, "peer"), CALLS)
    return {
        "rows_per_s_our_calls": round(ours),
        "rows_per_s_foreign_legs": round(foreign),
        "peer_executemany_rows_per_s": round(peer),
    }


async def _all() -> dict[str, Any]:
    return {"rows": CALLS * 2, **await per_store(_one)}


def run() -> dict[str, Any]:
    return asyncio.run(_all())


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # JSON alone
    print(json.dumps(run()))
