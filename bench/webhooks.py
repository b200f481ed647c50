"""Benchmark: webhook events delivered per second, and how late ``call.completed`` is.

Three processes on 127.0.0.1 as in ``originate_rate`` (simulator, daemon, this one), and
here this process is also the CRM: an aiohttp receiver that answers 200 and stamps each
POST with CLOCK_MONOTONIC (system-wide on Linux, so comparable across the processes).

(a) delivery: one endpoint subscribed to every event type; click2calls paced at
``RATE`` per second for ``DURATION`` seconds (numbers ending in 0: both legs answer,
talk 3 s, hang up), so each call brings 4 events (initiated, answered per party,
completed: these phones answer without ringing first, so no ``call.ringing``). Then
the same with an endpoint that wants ``call.completed`` only (``only_completed``:
Twilio's StatusCallback at the end of a call). A second AMI
session to the simulator (this process's own, raw TCP) stamps each Hangup; the latency
of a call is its ``call.completed`` POST's arrival minus the last Hangup of its legs --
what a CRM waiting for the end of a call sees, including the daemon's CDR batching
(``cdr.ingest.FLUSH_INTERVAL``). Target: p99 < 100 ms. The event's ``timestamp`` (when
the summary stored it) splits that into ``hangup_to_stored`` and ``stored_to_post``.
This process stamps the Hangups too: when it is starved of CPU (a loaded machine) its
stamps are late, and the Hangup -> POST figures too low (even negative).

(b) originate cost: the same paced click2calls (numbers ending in 9, calls stay up, no
teardown inside the window) with no endpoint; with one that wants ``call.completed``
only (the cost of the outbox on the originate path: ``call.initiated`` is written by a
trigger inside the INSERT of the call's row, no extra statement; nothing is delivered
in the window); and with one that wants everything (plus delivering 3 events per call
from the same process). The daemon's CPU ms per call and click2call's HTTP latency.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench._live import (
    HEADERS,
    Child,
    free_port,
    percentile,
    profile,
    start_daemon,
    start_sim,
)
from cpaas_daemon.calls.model import request_id_from_uniqueid
from cpaas_daemon.sim.daemon_config import SIM_AMI_SECRET

QUICK = bool(os.environ.get("BENCH_QUICK"))
RATE = 200  # click2calls per second
DURATION = 3.0 if QUICK else 10.0
DRAIN = 15.0  # seconds to wait for the last events after the last call ends
TARGET_P99_MS = 100


class Crm:
    """The receiver: POST arrival times, by event type and by request_id, and when each
    event was stored (its ``timestamp``, on CLOCK_MONOTONIC), which splits a latency
    into the daemon's way to the store (CDR batching, summary) and the delivery."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, str | None]] = []
        self.stored: dict[str | None, float] = {}  # request_id -> call.completed stored
        self._wall_to_mono = time.monotonic() - time.time()

    async def handle(self, request: web.Request) -> web.Response:
        event = json.loads(await request.read())
        self.arrivals.append((time.monotonic(), event["type"], event["request_id"]))
        if event["type"] == "call.completed":
            stamp = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
            self.stored[event["request_id"]] = stamp.timestamp() + self._wall_to_mono
        return web.Response()


class Hangups:
    """A raw AMI session of our own: the monotonic time of each Hangup, per call.

    The simulator sends ~75 events per call to every session; this one scans the bytes
    for Hangup frames (C-speed ``find``) instead of parsing every line, so the receiver
    sharing this process is not slowed down by it.
    """

    def __init__(self) -> None:
        self.last: dict[str, float] = {}  # request_id -> last Hangup seen

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"Action: Login\r\nUsername: cpaas\r\nSecret: {SIM_AMI_SECRET}\r\n\r\n".encode()
        )
        pending = b""
        while chunk := await reader.read(1 << 16):
            now = time.monotonic()
            data = pending + chunk
            cut = data.rfind(b"\r\n\r\n") + 4  # complete frames only
            frames, pending = data[:cut], data[cut:]
            at = frames.find(b"Event: Hangup\r\n")
            while at >= 0:
                end = frames.find(b"\r\n\r\n", at)
                linked = frames.find(b"Linkedid: ", at, end)
                if linked >= 0:
                    value = frames[linked + 10 : frames.find(b"\r\n", linked, end + 2)]
                    request_id = request_id_from_uniqueid(value.decode())
                    if request_id is not None:
                        self.last[request_id] = now
                at = frames.find(b"Event: Hangup\r\n", end)


async def _paced(
    session: aiohttp.ClientSession, url: str, last_digit: str, first: int
) -> tuple[list[str], list[float], int]:
    """``RATE`` click2calls per second for ``DURATION``: request_ids, HTTP latencies,
    non-200 answers."""
    ids: list[str] = []
    latencies: list[float] = []
    failed = 0

    async def one(n: int) -> None:
        nonlocal failed
        body = {
            "agent_number": f"91{n:07d}{last_digit}",
            "destination_number": f"92{n:07d}{last_digit}",
            "caller_id": "15551230000",
        }
        started = time.monotonic()
        async with session.post(url + "/api/click2call", json=body, headers=HEADERS) as r:
            reply = await r.json(content_type=None)
        latencies.append(time.monotonic() - started)
        if r.status == 200:
            ids.append(reply["response"]["request_id"])
        else:
            failed += 1

    begin, tasks = time.monotonic(), []
    for i in range(int(RATE * DURATION)):
        await asyncio.sleep(max(0.0, begin + i / RATE - time.monotonic()))
        tasks.append(asyncio.create_task(one(first + i)))
    await asyncio.gather(*tasks)
    return ids, latencies, failed


async def _subscribe(session: aiohttp.ClientSession, url: str, target: str, types: str) -> None:
    body = {"url": target, "event_types": types}
    async with session.post(url + "/api/webhooks", json=body, headers=HEADERS) as r:
        if r.status != 200:
            raise RuntimeError(f"subscribe: {r.status} {await r.text()}")


async def _with_stack(types: str | None, work: Any) -> dict[str, Any]:
    """Simulator, daemon (loopback allowed), receiver subscribed to ``types`` (None: no
    endpoint); ``work(session, url, daemon, crm, ami_port)`` measures."""
    crm = Crm()
    app = web.Application()
    app.router.add_post("/crm", crm.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    crm_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", crm_port).start()
    with tempfile.TemporaryDirectory() as name:
        tmp, agi_port = Path(name), free_port()
        sim, ami_port = start_sim(tmp, 1.0, agi_port, every=0.5)
        try:
            daemon, url = start_daemon(
                tmp,
                ami_port,
                agi_port,
                webhooks={"allowed_networks": ["127.0.0.0/8"]},
                campaigns={"max_concurrent_calls": 100_000},
            )
            try:
                async with aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0)
                ) as session:
                    if types is not None:
                        crm_url = f"http://127.0.0.1:{crm_port}/crm"
                        await _subscribe(session, url, crm_url, types)
                    result: dict[str, Any] = await work(session, url, daemon, crm, ami_port)
                    return result
            finally:
                daemon.stop()
        finally:
            sim.stop()
            await runner.cleanup()


async def _delivery(
    session: aiohttp.ClientSession, url: str, daemon: Child, crm: Crm, ami: int, *, name: str
) -> dict[str, Any]:
    hangups = Hangups()
    listener = asyncio.create_task(hangups.run(ami))
    cpu0, t0, own0 = daemon.cpu(), time.monotonic(), time.process_time()
    spy = profile(daemon, DURATION + 3, f"webhooks-daemon-{name}")
    ids, _, failed = await _paced(session, url, "0", 0)
    wanted = set(ids)
    deadline = time.monotonic() + DRAIN
    while time.monotonic() < deadline:
        done = {rid for _, kind, rid in crm.arrivals if kind == "call.completed"}
        if wanted <= done:
            break
        await asyncio.sleep(0.1)
    listener.cancel()
    if spy is not None:
        spy.wait()
    elapsed, cpu = time.monotonic() - t0, daemon.cpu() - cpu0
    own = time.process_time() - own0
    completed = {rid: at for at, kind, rid in crm.arrivals if kind == "call.completed"}
    lags = [at - hangups.last[rid] for rid, at in completed.items() if rid in hangups.last]
    if not lags:  # the AMI session saw no Hangup of ours: a figure of 0 would be a lie
        raise RuntimeError("no Hangup of the benchmark's calls was seen on AMI")
    # the stored timestamp has millisecond resolution and the wall clock may step: a
    # split for reading where the time goes, not a figure on its own
    to_store = [crm.stored[rid] - hangups.last[rid] for rid in completed if rid in hangups.last]
    to_post = [at - crm.stored[rid] for rid, at in completed.items()]
    first = min(at for at, _, _ in crm.arrivals)
    last = max(at for at, _, _ in crm.arrivals)
    return {
        "calls": len(ids),
        "calls_refused": failed,
        "events_delivered": len(crm.arrivals),
        "events_per_call": round(len(crm.arrivals) / max(1, len(ids)), 2),
        "events_per_s": round(len(crm.arrivals) / max(1e-9, last - first), 1),
        "completed_missing": len(wanted - completed.keys()),
        "hangup_to_post_p50_ms": round(percentile(lags, 0.50) * 1000, 1),
        "hangup_to_post_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
        "hangup_to_post_max_ms": round(max(lags, default=0) * 1000, 1),
        "hangup_to_stored_p50_ms": round(percentile(to_store, 0.50) * 1000, 1),
        "hangup_to_stored_p99_ms": round(percentile(to_store, 0.99) * 1000, 1),
        "stored_to_post_p50_ms": round(percentile(to_post, 0.50) * 1000, 1),
        "stored_to_post_p99_ms": round(percentile(to_post, 0.99) * 1000, 1),
        "daemon_cpu_pct": round(100 * cpu / elapsed),
        "receiver_and_client_cpu_pct": round(100 * own / elapsed),
    }


def _delivery_named(name: str) -> Any:
    """:func:`_delivery` writing its profile (``BENCH_PYSPY``) under ``name``."""
    return functools.partial(_delivery, name=name)


async def _originate_cost(
    session: aiohttp.ClientSession, url: str, daemon: Child, crm: Crm, ami: int
) -> dict[str, Any]:
    cpu0 = daemon.cpu()
    ids, latencies, failed = await _paced(session, url, "9", 0)
    return {
        "cpu_ms_per_call": round((daemon.cpu() - cpu0) * 1000 / max(1, len(ids)), 3),
        "http_p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "http_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "refused": failed,
    }


def run() -> dict[str, Any]:
    result: dict[str, Any] = {"rate_per_s": RATE, "window_s": DURATION}
    result |= asyncio.run(_with_stack("*", _delivery_named("all")))
    completed = asyncio.run(_with_stack("call.completed", _delivery_named("completed")))
    result["only_completed"] = {
        key: completed[key]
        for key in ("events_per_s", "completed_missing", "daemon_cpu_pct")
        if key in completed
    } | {
        key: value
        for key, value in completed.items()
        if key.startswith(("hangup_to_", "stored_to_post"))
    }
    result["p99_target_ms"] = TARGET_P99_MS
    bare = asyncio.run(_with_stack(None, _originate_cost))
    outbox = asyncio.run(_with_stack("call.completed", _originate_cost))
    everything = asyncio.run(_with_stack("*", _originate_cost))
    result["originate_no_endpoint"] = bare
    result["originate_endpoint_wants_completed"] = outbox
    result["originate_endpoint_wants_all"] = everything
    for name, figures in (("outbox", outbox), ("all", everything)):
        result[f"originate_cpu_cost_{name}_pct"] = round(
            100 * (figures["cpu_ms_per_call"] / max(1e-9, bare["cpu_ms_per_call"]) - 1), 1
        )
    return result


if __name__ == "__main__":
    print(json.dumps(run()))
