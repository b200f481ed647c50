"""Benchmark: the daemon's memory idle and with 1,000 concurrent calls up.

The simulator runs in its own process (``bench._sim``), so the figures are the daemon's
alone; the daemon is ``bench._daemon`` (the real ``create_app``), which reports its own
``VmRSS``/``VmHWM`` from ``/proc/self/status`` and tracemalloc figures.

Calls are click2calls whose two numbers end in 9: the simulator answers both legs and
holds them (60 s x ``TIME_SCALE``), so every call stays up -- four channels each, two
Local pairs -- until the measurement is over. The run waits until the daemon's tracker
sees ``CALLS`` live calls, then reads.

Two passes, each on a fresh simulator and daemon:

1. RSS: idle (logged in to AMI, nothing placed), at ``CALLS / 2`` and at ``CALLS`` live
   calls. The slope between the last two is the marginal memory per live call (one-time
   warm-up costs of the first requests fall before it).
2. tracemalloc (started before the daemon's imports): Python heap traced idle and at
   ``CALLS``, and the peak while placing them. tracemalloc's own bookkeeping is not in
   these figures; this pass is slower, which is why RSS comes from pass 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench._live import free_port, place_calls, probe, rss_kib, start_daemon, start_sim

QUICK = bool(os.environ.get("BENCH_QUICK"))
CALLS = 100 if QUICK else 1000
CONCURRENCY = 20
TIME_SCALE = 3.0  # calls hold 180 s: all of them are still up when memory is read


async def _until_live(session: aiohttp.ClientSession, url: str, calls: int) -> dict[str, Any]:
    async with asyncio.timeout(120):
        while (await probe(session, url))["live_calls"] < calls:  # noqa: ASYNC110
            await asyncio.sleep(0.2)  # another process: polled over HTTP
    await asyncio.sleep(1.0)  # let the last events and log lines settle
    return await probe(session, url)


async def _pass(traced: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        agi_port = free_port()
        sim, ami_port = start_sim(tmp, TIME_SCALE, agi_port)
        try:
            daemon, url = start_daemon(tmp, ami_port, agi_port, tracemalloc=traced)
            try:
                async with aiohttp.ClientSession() as session:
                    await asyncio.sleep(1.0)
                    idle = await probe(session, url)
                    if traced:
                        async with session.get(url + "/bench/probe?reset_peak=1"):
                            pass
                    half = CALLS // 2
                    statuses = await place_calls(session, url, half, CONCURRENCY)
                    middle = await _until_live(session, url, half)
                    more = await place_calls(session, url, CALLS - half, CONCURRENCY, half)
                    full = await _until_live(session, url, CALLS)
                    for status, count in more.items():
                        statuses[status] = statuses.get(status, 0) + count
                    sim_rss = rss_kib(sim.pid)
            finally:
                daemon.stop()
        finally:
            sim.stop()
    if statuses.get(200) != CALLS:
        raise RuntimeError(f"click2call answers: {statuses}")
    return {"idle": idle, "middle": middle, "full": full, "sim_rss_kib": sim_rss}


def run() -> dict[str, Any]:
    rss = asyncio.run(_pass(traced=False))
    traced = asyncio.run(_pass(traced=True))
    idle, middle, full = rss["idle"], rss["middle"], rss["full"]
    half = CALLS // 2
    return {
        "calls": CALLS,
        "live_channels": full["live_channels"],
        "ami_events_received": int(full["ami_events"]),
        "rss_idle_mib": round(idle["rss_kib"] / 1024, 1),
        f"rss_at_{half}_calls_mib": round(middle["rss_kib"] / 1024, 1),
        f"rss_at_{CALLS}_calls_mib": round(full["rss_kib"] / 1024, 1),
        "rss_peak_mib": round(full["hwm_kib"] / 1024, 1),
        "rss_per_call_kib": round((full["rss_kib"] - middle["rss_kib"]) / (CALLS - half), 1),
        "traced_idle_mib": round(traced["idle"]["traced_kib"] / 1024, 1),
        f"traced_at_{CALLS}_calls_mib": round(traced["full"]["traced_kib"] / 1024, 1),
        "traced_peak_mib": round(traced["full"]["traced_peak_kib"] / 1024, 1),
        "traced_per_call_kib": round(
            (traced["full"]["traced_kib"] - traced["middle"]["traced_kib"]) / (CALLS - half), 1
        ),
        "sim_rss_mib_separate_process": round(rss["sim_rss_kib"] / 1024, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run()))
