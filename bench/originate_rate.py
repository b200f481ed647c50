"""Benchmark: Originates per second the daemon sustains against the simulator (target 200/s).

Three processes on 127.0.0.1, so the daemon has a core of its own: the simulator
(``bench._sim``), the daemon (``bench._daemon``: the real ``create_app``, production
logging at info level as JSON) and this process, the HTTP client. CPU seconds of each are
read from ``/proc`` over the measured window, so the report shows who was busy; if the
simulator is at 100 % of a core it, not the daemon, set the ceiling, and the figures say so.

(a) click2call: ``CONCURRENCY`` clients post ``/api/click2call`` back to back for
``DURATION`` seconds (after ``WARMUP``). Figures: requests answered 200 per second,
Originates the simulator accepted per second (its own counter), HTTP p50/p99/max.
Both numbers end in 9 (the simulator answers and holds for 60 s), at time scale 1, so no
call ends inside the window: what is measured is placing calls, with the ~75 AMI events
each call's set-up brings back, not their teardown.

(b) campaigns: ``CAMPAIGNS`` campaigns at the API's highest pace (1,200 calls per
minute, 20/s each) over lists of numbers ending in 9; the simulator's Originate counter
gives the rate achieved while they dial.

``c2c_daemon_cpu_ms_per_call`` is the daemon's CPU time per accepted click2call (HTTP,
two SQLite writes, the Originate, and the AMI events the call brings back); 1000 / that
is ``c2c_projected_per_s_on_own_core``, the ceiling on a core of its own -- a projection,
not a measurement, useful when a busy neighbour shares the machine.

Peers (documented defaults, not measured): Twilio grants each account 1 outbound call
per second (CPS) by default; VICIdial's ``servers.outbound_calls_per_second`` defaults
to 20 per server.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench._live import (
    ACCOUNT,
    HEADERS,
    Child,
    free_port,
    percentile,
    probe,
    profile,
    start_daemon,
    start_sim,
)

QUICK = bool(os.environ.get("BENCH_QUICK"))
CONCURRENCY = 20
WARMUP = 1.0 if QUICK else 2.0
DURATION = 3.0 if QUICK else 10.0
TIME_SCALE = 1.0  # calls hold 60 s: none ends inside the window
CAMPAIGNS = 3 if QUICK else 14
CAMPAIGN_CPM = 1200  # the API's ceiling per campaign
CAMPAIGN_SECONDS = 3.0 if QUICK else 10.0  # contacts per campaign = 20/s x this
TARGET = 200

PEERS = {
    "peer_twilio_default_cps": "1 (documented, not measured: twilio.com/docs/glossary/cps)",
    "peer_vicidial_default_cps": (
        "20 per server (documented, not measured: VICIdial servers.outbound_calls_per_second"
        " default)"
    ),
}


def _sim_rate(sim: Child, start: float, end: float) -> tuple[float, int]:
    """Originates per second the simulator counted between two monotonic instants."""
    samples = [s for s in sim.lines if start <= s["t"] <= end]
    if len(samples) < 2:
        return 0.0, 0
    first, last = samples[0], samples[-1]
    count = last["originates"] - first["originates"]
    return count / max(1e-9, last["t"] - first["t"]), count


class Usage:
    """CPU seconds of the processes between :meth:`start` and :meth:`stop` (the
    simulators' summed: with several PBXs, ``sim_cpu_pct`` can pass 100)."""

    def __init__(self, sims: list[Child], daemon: Child) -> None:
        self.sims, self.daemon = sims, daemon

    def _now(self) -> tuple[float, float, float]:
        sims = sum(sim.cpu() for sim in self.sims)
        return (self.daemon.cpu(), sims, time.process_time())

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.c0 = self._now()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        now = self._now()
        self.daemon_cpu_s = now[0] - self.c0[0]
        self.sim_cpu_s = now[1] - self.c0[1]
        daemon, sim, client = (
            round(100 * (b - a) / wall) for a, b in zip(self.c0, now, strict=True)
        )
        return {"daemon_cpu_pct": daemon, "sim_cpu_pct": sim, "client_cpu_pct": client}


async def _click2call(url: str, sim: Child, daemon: Child) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(10**7))
    window: list[float] = []

    async def client(session: aiohttp.ClientSession, stop_at: float) -> None:
        while time.monotonic() < stop_at:
            n = next(counter)
            body = {
                "agent_number": f"91{n:07d}9",
                "destination_number": f"92{n:07d}9",
                "caller_id": "15551230000",
            }
            started = time.monotonic()
            async with session.post(url + "/api/click2call", json=body, headers=HEADERS) as r:
                await r.read()
            done = time.monotonic()
            if window and window[0] <= done <= window[1]:
                latencies.append(done - started)
                statuses[r.status] = statuses.get(r.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        before = await probe(session, url)
        begin = time.monotonic()
        window[:] = [begin + WARMUP, begin + WARMUP + DURATION]
        usage = Usage([sim], daemon)
        workers = [asyncio.create_task(client(session, window[1])) for _ in range(CONCURRENCY)]
        await asyncio.sleep(WARMUP)
        usage.start()
        spies = [profile(daemon, DURATION, "c2c-daemon"), profile(sim, DURATION, "c2c-sim")]
        await asyncio.gather(*workers)
        for spy in filter(None, spies):
            spy.wait()
        cpu = usage.stop()
        await asyncio.sleep(0.6)  # one more simulator sample after the window
        after = await probe(session, url)
    sim_rate, sim_count = _sim_rate(sim, window[0] - 0.3, window[1] + 0.3)
    accepted = statuses.get(200, 0)
    cpu_ms = usage.daemon_cpu_s * 1000 / max(1, accepted)
    return {
        "c2c_clients": CONCURRENCY,
        "c2c_window_s": DURATION,
        "c2c_accepted_per_s": round(accepted / DURATION, 1),
        "c2c_sim_originates_per_s": round(sim_rate, 1),
        "c2c_non_200": sum(n for s, n in statuses.items() if s != 200),
        "c2c_http_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "c2c_http_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "c2c_http_max_ms": round(max(latencies, default=0) * 1000, 1),
        "c2c_ami_events_per_call": round(
            (after["ami_events"] - before["ami_events"]) / max(1, sim_count), 1
        ),
        **{f"c2c_{key}": value for key, value in cpu.items()},
        "c2c_daemon_cpu_ms_per_call": round(cpu_ms, 2),
        "c2c_projected_per_s_on_own_core": round(1000 / max(1e-9, cpu_ms)),
    }


def _wall(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _originated(sims: list[Child]) -> int:
    """Originates the simulators have accepted so far (their latest samples, summed)."""
    return sum(sim.lines[-1]["originates"] for sim in sims)


def _dialling_span(sims: list[Child], starts: list[int]) -> float:
    """From the last sample before any simulator saw a call of ours to the first sample
    that saw the last one (0.25 s resolution at both ends)."""
    firsts, lasts = [], []
    for sim, start in zip(sims, starts, strict=True):
        ours = [s for s in sim.lines if s["originates"] > start]
        if not ours:
            continue
        firsts.append(max((s["t"] for s in sim.lines if s["originates"] == start), default=0))
        lasts.append(min(s["t"] for s in ours if s["originates"] == ours[-1]["originates"]))
    return max(1e-9, max(lasts, default=0) - min(firsts, default=0))


async def _campaigns(
    url: str, tmp: Path, sims: list[Child], daemon: Child, campaigns: int = CAMPAIGNS
) -> dict[str, Any]:
    """``campaigns`` campaigns at ``CAMPAIGN_CPM`` over the simulators (one per PBX)."""
    per_campaign = int(CAMPAIGN_CPM / 60 * CAMPAIGN_SECONDS)
    (tmp / "uploads" / ACCOUNT).mkdir(parents=True, exist_ok=True)
    (tmp / "uploads" / ACCOUNT / "prompt-8khz.wav").write_bytes(b"RIFF")
    async with aiohttp.ClientSession() as session:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with session.post(url + path, json=body, headers=HEADERS) as response:
                reply: dict[str, Any] = await response.json(content_type=None)
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} {reply}")
                return reply["response"]  # type: ignore[no-any-return]

        lists = []
        for c in range(campaigns):
            list_id = (await post("/api/create_campaign_list", {"list_name": f"l{c}"}))["list_id"]
            contacts = [
                {"contact_name": f"c{i}", "contact_number": f"93{c:02d}{i:05d}9"}
                for i in range(per_campaign)
            ]
            await post("/api/add_contact_to_list", {"list_id": list_id, "contacts": contacts})
            lists.append(list_id)
        now = datetime.now(UTC)
        base = {
            "campaign_type": "0",
            "campaign_caller_id": "15551230000",
            "dynamic_announcement": "0",
            "recorded_filename": "prompt-8khz.wav",
            "repeat": "1",
            "max_retries": "0",
            "retry_time": "0",
            "calls_per_minute": str(CAMPAIGN_CPM),
            "campaign_start_date": _wall(now - timedelta(minutes=1)),
            "campaign_end_date": _wall(now + timedelta(minutes=30)),
            "time_zone": "UTC",
        }
        starts = [s.lines[-1]["originates"] for s in sims]
        usage = Usage(sims, daemon)
        usage.start()
        spy = profile(daemon, CAMPAIGN_SECONDS, "campaign-daemon")
        for c, list_id in enumerate(lists):
            await post(
                "/api/create_campaign", {**base, "list_id": list_id, "campaign_name": f"b{c}"}
            )
        total = campaigns * per_campaign
        deadline = time.monotonic() + CAMPAIGN_SECONDS * 4 + 10
        while time.monotonic() < deadline:
            if _originated(sims) - sum(starts) >= total:
                break
            await asyncio.sleep(0.25)
        cpu = usage.stop()
    if spy is not None:
        spy.wait()
    await asyncio.sleep(0.6)
    per_sim = [s.lines[-1]["originates"] - start for s, start in zip(sims, starts, strict=True)]
    placed = sum(per_sim)
    return {
        "campaigns": campaigns,
        "campaign_calls_per_minute_each": CAMPAIGN_CPM,
        "campaign_nominal_per_s": round(campaigns * CAMPAIGN_CPM / 60, 1),
        "campaign_contacts": total,
        "campaign_originated": placed,
        "campaign_originated_per_pbx": per_sim,
        "campaign_originates_per_s": round(placed / _dialling_span(sims, starts), 1),
        **{f"campaign_{key}": value for key, value in cpu.items()},
        "campaign_daemon_cpu_ms_per_call": round(usage.daemon_cpu_s * 1000 / max(1, placed), 2),
        "campaign_sim_cpu_ms_per_call": round(usage.sim_cpu_s * 1000 / max(1, placed), 2),
    }


async def _measure(part: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        agi_port = free_port()
        sim, ami_port = start_sim(tmp, TIME_SCALE, agi_port, every=0.25)
        try:
            extra = {"campaigns": {"max_concurrent_calls": 100_000}}
            daemon, url = start_daemon(tmp, ami_port, agi_port, **extra)
            try:
                if part == "c2c":
                    return await _click2call(url, sim, daemon)
                return await _campaigns(url, tmp, [sim], daemon)
            finally:
                daemon.stop()
        finally:
            sim.stop()


def run() -> dict[str, Any]:
    result: dict[str, Any] = {"target_per_s": TARGET}
    result |= asyncio.run(_measure("c2c"))
    if importlib.util.find_spec("cpaas_daemon.campaigns") is not None:
        result |= asyncio.run(_measure("campaigns"))
    else:
        result["campaign_originates_per_s"] = "n/a (cpaas_daemon.campaigns not importable)"
    return result | PEERS


if __name__ == "__main__":
    print(json.dumps(run()))
