"""Benchmark: calls placed through the daemon on a real Asterisk, against a raw AMI client.

Runs where an Asterisk exists (``tests/real_asterisk/rig.py`` finds it: ``CPAAS_ASTERISK``
or ``../shared/asterisk``), and reports ``skipped`` with the reason elsewhere. One
Asterisk 22 serves both sides in the same run, on loopback:

* **raw pipelined**: a plain asyncio AMI client (no events) writes ``CALLS`` Originates
  of the click-to-call shape (the same Channel, Context, variables and ChannelId the
  daemon sends) in one burst;
* **raw**: the same client keeping ``CONCURRENCY`` Originates in flight, each sender
  waiting for its answer before the next, as the HTTP clients do (the ratio's peer);
  :data:`BURSTS` bursts after the pipelined one, the median's figures;
* **daemon**: ``CALLS`` ``POST /api/click2call`` from ``CONCURRENCY`` keep-alive HTTP
  clients on bare sockets to the daemon (``bench._daemon``, its own process, production
  logging, limits raised), which validates, writes the call row, and sends the Originate;
  a first burst with caches cold (``daemon_click2call_first``), then :data:`BURSTS`,
  the median's figures;
* **campaign**: one campaign of ``CALLS`` contacts at the API's highest pace (1,200/min,
  so 20 calls/s is its ceiling);
* **floors** (``bench._http_floor``, in the daemon's CPU group, the same clients): aiohttp
  answering 200 and doing nothing else, and the thinnest HTTP-to-AMI proxy (the
  Originate on one ``Events: off`` session, no validation, store or events). No daemon
  behind an HTTP API can beat the second: ``http_to_ami_floor_vs_raw`` is the ceiling of
  ``daemon_vs_raw`` on the machine and run at hand.

Asterisk, the daemon and this process each run in a CPU cgroup of their own where one can
be made (``bench._live.CpuGroups``), as systemd runs two services: sharing one, the
kernel shares CPU per thread and a busy Asterisk's hundreds of threads starve the
daemon's one event loop. The daemon's run is repeated with it in Asterisk's group
(``daemon_click2call_sharing_asterisks_group``: both in one container) for comparison.

Figures per side: Originates accepted per second (the answers, or HTTP 200s, first send
to last), completed calls per second (first Originate to the last originated leg's
Hangup; every call talks 1 s), and the CPU ms per call of this process, Asterisk and the
daemon while the Originates went out (``*_cpu_ms_per_call_placing``: who was busy).
``daemon_cpu_ms_per_call`` is the daemon's CPU to the last Hangup (the call's events
too). ``daemon_vs_raw`` is the daemon's accepted rate over the raw client's (target 0.8).
With ``BENCH_PYSPY=<dir>`` the daemon is sampled with py-spy while it places calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench._live import (
    ACCOUNT,
    HEADERS,
    Child,
    CpuGroups,
    cpu_seconds,
    free_port,
    profile,
    start_daemon,
)
from bench._raw_ami import RawAmi, originate
from cpaas_daemon.calls.model import is_originated_leg
from tests.real_asterisk.rig import AMI_SECRET, AMI_USER, AmiWatch, AsteriskRig, NoAsterisk, locate

CALLS = 300
CONCURRENCY = 50
BURSTS = 3
"""Bursts per measured side; the figures are the median one's. A burst of 300 lasts 20-60
ms on the raw side, and single bursts moved 2-3x between runs."""
AGENT, DESTINATION = "91997927{:04d}0", "91800068{:04d}0"  # answer, talk 1 s, hang up


async def _raw_originates(port: int, in_flight: int) -> float:
    """Accepted Originates per second from a bare AMI client (one session, no events)
    keeping ``in_flight`` Originates unanswered: each of that many senders waits for its
    answer before the next, as the HTTP clients do; ``in_flight=CALLS`` writes them all
    at once."""
    ami = await RawAmi.login(port)
    numbers = iter(range(CALLS))
    refused: list[bytes] = []

    async def sender() -> None:
        for n in numbers:
            request_id = f"{0xB000000000 + n:010x}"
            frame = originate(f"raw-{n}", request_id, AGENT.format(n), DESTINATION.format(n))
            if (response := await ami.send(f"raw-{n}", frame)) != b"Response: Success":
                refused.append(response)

    try:
        started = time.monotonic()
        async with asyncio.timeout(60):
            await asyncio.gather(*(sender() for _ in range(in_flight)))
        elapsed = time.monotonic() - started
    finally:
        ami.close()
    if refused:
        raise RuntimeError(f"Asterisk refused {len(refused)} Originates: {refused[0]!r}")
    return CALLS / elapsed


async def _http_client(port: int, numbers: Iterator[int], statuses: list[int]) -> None:
    """One keep-alive HTTP/1.1 connection posting click2calls back to back.

    Bytes on a socket, like the raw AMI client: aiohttp's client cost this process
    1.5-1.9 ms of CPU per request, as much as the daemon spent serving it, on the two
    cores the daemon and Asterisk share with it.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
    for n in numbers:
        body = json.dumps(
            {
                "agent_number": AGENT.format(5000 + n),
                "destination_number": DESTINATION.format(5000 + n),
                "caller_id": "15551230000",
            }
        ).encode()
        writer.write(
            f"POST /api/click2call HTTP/1.1\r\nHost: bench\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status, length = int((await reader.readline()).split()[1]), None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("the daemon answered without a Content-Length")
        await reader.readexactly(length)
        statuses.append(status)
    writer.close()


async def _http_originates(port: int) -> float:
    """Accepted click2calls per second (HTTP 200: the Originate was queued) from the
    daemon, or from a floor (``bench._http_floor``)."""
    numbers = iter(range(CALLS))
    statuses: list[int] = []
    started = time.monotonic()
    async with asyncio.timeout(120):
        await asyncio.gather(*(_http_client(port, numbers, statuses) for _ in range(CONCURRENCY)))
    elapsed = time.monotonic() - started
    if statuses.count(200) != CALLS:
        raise RuntimeError(f"daemon answered {sorted(set(statuses))}")
    return CALLS / elapsed


async def _campaign(url: str, uploads: Path) -> None:
    """Start a campaign of CALLS contacts at 1,200/min (20/s, the API's ceiling)."""
    (uploads / ACCOUNT).mkdir(parents=True, exist_ok=True)
    (uploads / ACCOUNT / "prompt-8khz.wav").write_bytes(b"RIFF")
    now = datetime.now(UTC)
    async with aiohttp.ClientSession() as session:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with session.post(url + path, json=body, headers=HEADERS) as response:
                reply: dict[str, Any] = (await response.json(content_type=None))["response"]
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} {reply}")
                return reply

        list_id = (await post("/api/create_campaign_list", {"list_name": "bench"}))["list_id"]
        contacts = [
            {"contact_name": f"c{n}", "contact_number": DESTINATION.format(8000 + n)}
            for n in range(CALLS)
        ]
        await post("/api/add_contact_to_list", {"list_id": list_id, "contacts": contacts})
        await post(
            "/api/create_campaign",
            {
                "list_id": list_id, "campaign_name": "bench", "campaign_type": "0",
                "campaign_caller_id": "15551230000", "dynamic_announcement": "0",
                "recorded_filename": "prompt-8khz.wav", "repeat": "1", "max_retries": "0",
                "retry_time": "0", "calls_per_minute": "1200", "time_zone": "UTC",
                "campaign_start_date": (now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S"),
                "campaign_end_date": (now + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
            },
        )  # fmt: skip


async def _settled(pids: dict[str, int]) -> None:
    """Wait until every process in ``pids`` is idle (under 5 % of a core over 200 ms), or
    10 s: the last burst's calls leave work behind them (CDRs, the daemon's fallback
    checks 2 s after each Hangup), which would be counted against the next."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            while True:
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                await asyncio.sleep(0.2)
                if all(cpu_seconds(pid) - before[name] < 0.01 for name, pid in pids.items()):
                    return


async def _side(watch: AmiWatch, run: Any, pids: dict[str, int]) -> dict[str, float]:
    """Run one side once its processes are idle; accepted/s from what ``run`` returns (if
    anything), completed/s from the PBX's Hangups of the originated legs, and the CPU ms
    per call each process in ``pids`` spent while the Originates went out (which one was
    the bottleneck)."""
    await _settled(pids)
    seen = len(watch.events)
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.monotonic()
    accepted = await run()
    spent = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}

    def hung_up() -> list[dict[str, str]]:
        return [
            e
            for e in watch.events[seen:]
            if e.get("Event") == "Hangup" and is_originated_leg(e.get("Uniqueid", ""))
        ]

    async with asyncio.timeout(120):
        while len(hung_up()) < CALLS:  # noqa: ASYNC110 - counted from the AMI stream
            await asyncio.sleep(0.05)
    figures = {"completed_calls_per_s": round(CALLS / (time.monotonic() - started), 1)}
    if accepted is not None:
        figures["originates_per_s"] = round(accepted, 1)
        figures |= {
            f"{name}_cpu_ms_per_call_placing": round(cpu * 1000 / CALLS, 2)
            for name, cpu in spent.items()
        }
    return figures


async def _median(watch: AmiWatch, run: Any, pids: dict[str, int]) -> dict[str, Any]:
    """:data:`BURSTS` runs of :func:`_side`: the figures of the one with the median
    Originates/s, and the range over all of them (``originates_per_s_range``)."""
    bursts = sorted(
        [await _side(watch, run, pids) for _ in range(BURSTS)],
        key=lambda figures: figures["originates_per_s"],
    )
    rates = [figures["originates_per_s"] for figures in bursts]
    return bursts[BURSTS // 2] | {"originates_per_s_range": [rates[0], rates[-1]]}


async def _floors(
    watch: AmiWatch, ami_port: int, pids: dict[str, int], groups: CpuGroups | None
) -> dict[str, Any]:
    """What the daemon's figure is bounded by: ``bench._http_floor`` in the daemon's CPU
    group, answering the same clients; measured after a first burst, as the daemon.

    * ``http_floor``: aiohttp reading the JSON and answering 200, nothing else;
    * ``http_to_ami_floor``: that, plus the Originate on one ``Events: off`` session,
      answered once Asterisk accepted it (the calls are placed and completed).
    """
    floors: dict[str, Any] = {}
    for name, argv in (("http_floor", []), ("http_to_ami_floor", ["--ami-port", str(ami_port)])):
        floor = Child([sys.executable, "-m", "bench._http_floor", *argv], name)
        try:
            if groups is not None:
                groups.put("daemon", floor.pid)
            run = partial(_http_originates, int(json.loads(floor.ready)["http_port"]))
            if argv:  # calls placed: each burst waits for its calls' Hangups
                with_floor = {**pids, "floor": floor.pid}
                await _side(watch, run, with_floor)  # warm, as the daemon's first burst
                floors[name] = await _median(watch, run, with_floor)
                continue
            await run()
            cpu = floor.cpu()
            rates = sorted([await run() for _ in range(BURSTS)])
            floors[name] = {
                "requests_per_s": round(rates[BURSTS // 2], 1),
                "floor_cpu_ms_per_request": round((floor.cpu() - cpu) * 1000 / CALLS / BURSTS, 3),
            }
        finally:
            floor.stop()
    return floors


async def _measure() -> dict[str, Any]:
    try:
        binary = locate()
    except NoAsterisk as exc:
        return {"skipped": str(exc)}
    shared: dict[str, float] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-real-") as tmp:
        rig = AsteriskRig(binary, free_port())
        await rig.start()
        groups = CpuGroups.create("bench_client")  # removed below, whatever happens
        try:
            assert rig.process is not None
            if groups is not None:
                groups.put("asterisk", rig.process.pid)
            # Hangups only (an AMI session filter): parsing every Newexten, VarSet and
            # Newstate in this process would slow the HTTP clients that share it.
            async with AmiWatch(rig.ami_port, events="call") as watch:
                watch.send(Action="Filter", Operation="Add", Filter="Event: Hangup")
                pids = {"bench_client": os.getpid(), "asterisk": rig.process.pid}
                pipelined = await _side(watch, lambda: _raw_originates(rig.ami_port, CALLS), pids)
                raw = await _median(watch, lambda: _raw_originates(rig.ami_port, CONCURRENCY), pids)
                daemon, url = start_daemon(
                    Path(tmp), rig.ami_port, free_port(),
                    ami={"username": AMI_USER, "secret": AMI_SECRET},
                    cdr={"fallback_after": 2.0},
                )  # fmt: skip
                try:
                    if groups is not None:
                        groups.put("daemon", daemon.pid)
                    port = int(url.rsplit(":", 1)[1])
                    with_daemon = {**pids, "daemon": daemon.pid}
                    # The raw side's bursts follow a first one (the pipelined); the
                    # daemon's too: its first warms its caches.
                    cold = await _side(watch, lambda: _http_originates(port), with_daemon)
                    cpu = cpu_seconds(daemon.proc.pid)
                    spy = profile(daemon, 4, "real_asterisk_click2call")
                    through = await _median(watch, lambda: _http_originates(port), with_daemon)
                    through["daemon_cpu_ms_per_call"] = round(
                        (cpu_seconds(daemon.proc.pid) - cpu) * 1000 / CALLS / BURSTS, 2
                    )
                    if spy is not None:
                        spy.wait()
                    if groups is not None:  # as in one container: one group for both
                        groups.put("asterisk", daemon.pid)
                        shared = await _median(watch, lambda: _http_originates(port), with_daemon)
                    campaign = await _side(watch, lambda: _campaign(url, Path(tmp) / "uploads"), {})
                finally:
                    daemon.stop()
                floors = await _floors(watch, rig.ami_port, pids, groups)
        finally:
            await rig.stop()
            rig.remove()
            if groups is not None:
                groups.remove()
    return {
        "calls": CALLS,
        "concurrency": CONCURRENCY,
        "raw_pipelined": pipelined,
        "raw": raw,
        "daemon_click2call_first": cold,
        "daemon_click2call": through,
        "daemon_campaign_1200_per_min": campaign,  # nominal 20 calls/s
        "daemon_vs_raw": round(through["originates_per_s"] / raw["originates_per_s"], 2),
        "daemon_vs_raw_pipelined": round(
            through["originates_per_s"] / pipelined["originates_per_s"], 2
        ),
        "daemon_vs_raw_completed": round(
            through["completed_calls_per_s"] / raw["completed_calls_per_s"], 2
        ),
        "peer_raw_ami_originates_per_s": raw["originates_per_s"],
        **floors,
        "http_to_ami_floor_vs_raw": round(
            floors["http_to_ami_floor"]["originates_per_s"] / raw["originates_per_s"], 2
        ),
        "cpu_groups": (
            "one per process" if groups is not None else "shared (no cgroup could be made)"
        ),
    } | ({} if shared is None else {"daemon_click2call_sharing_asterisks_group": shared})


def main() -> None:
    result = asyncio.run(_measure())
    print(json.dumps(result), file=sys.stdout)


if __name__ == "__main__":
    main()
