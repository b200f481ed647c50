"""Benchmark: calls placed through the daemon on a real Asterisk, against a raw AMI client.

Runs where an Asterisk exists (``tests/real_asterisk/rig.py`` finds it: ``CPAAS_ASTERISK``
or ``../shared/asterisk``), and reports ``skipped`` with the reason elsewhere. One
Asterisk 22 serves both sides in the same run, on loopback:

* **raw pipelined**: a plain asyncio AMI client (no events) writes ``CALLS`` Originates
  of the click-to-call shape (the same Channel, Context, variables and ChannelId the
  daemon sends) in one burst;
* **raw**: the same client keeping ``CONCURRENCY`` Originates in flight, each sender
  waiting for its answer before the next, as the HTTP clients do (the ratio's peer);
* **daemon**: ``CALLS`` ``POST /api/click2call`` from ``CONCURRENCY`` keep-alive HTTP
  clients on bare sockets to the daemon (``bench._daemon``, its own process, production
  logging, limits raised), which validates, writes the call row, and sends the Originate;
  twice, and the second burst is the figure (``daemon_click2call_first``: the first,
  caches cold), as the raw side's is Asterisk's second burst;
* **campaign**: one campaign of ``CALLS`` contacts at the API's highest pace (1,200/min,
  so 20 calls/s is its ceiling).

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
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench._live import (
    ACCOUNT,
    HEADERS,
    CpuGroups,
    cpu_seconds,
    free_port,
    profile,
    start_daemon,
)
from cpaas_daemon.calls.model import channel_id_for, is_originated_leg, other_channel_id
from tests.real_asterisk.rig import AMI_SECRET, AMI_USER, AmiWatch, AsteriskRig, NoAsterisk, locate

CALLS = 300
CONCURRENCY = 50
AGENT, DESTINATION = "91997927{:04d}0", "91800068{:04d}0"  # answer, talk 1 s, hang up


def _originate(n: int) -> bytes:
    """The click-to-call Originate the daemon sends for call ``n`` (ActionID ``raw-n``)."""
    request_id = f"{0xB000000000 + n:010x}"
    channel_id = channel_id_for(request_id)
    return (
        f"Action: Originate\r\nActionID: raw-{n}\r\n"
        f"Channel: Local/{AGENT.format(n)}@sim-endpoints\r\nContext: cpaas-click2call\r\n"
        f"Exten: {DESTINATION.format(n)}\r\nPriority: 1\r\nAsync: true\r\n"
        f"ChannelId: {channel_id}\r\nOtherChannelId: {other_channel_id(channel_id)}\r\n"
        f"Variable: __CPAAS_REQUEST_ID={request_id}\r\nVariable: CPAAS_RECORD=off\r\n"
        f"Variable: CPAAS_DEST_DIAL=Local/{DESTINATION.format(n)}@sim-endpoints\r\n"
        "Variable: CPAAS_RING_TIMEOUT=30\r\n\r\n"
    ).encode()


async def _answers(reader: asyncio.StreamReader, waiting: dict[str, asyncio.Future[bytes]]) -> None:
    """Resolve ``waiting[ActionID]`` with each answer's Response line."""
    action_id, response = "", b""
    while line := await reader.readline():
        if line.startswith(b"ActionID: "):
            action_id = line[10:].strip().decode()
        elif line.startswith(b"Response: "):
            response = line.strip()
        elif line == b"\r\n":
            if (future := waiting.pop(action_id, None)) is not None:
                future.set_result(response)
            action_id, response = "", b""


async def _raw_originates(port: int, in_flight: int) -> float:
    """Accepted Originates per second from a bare AMI client (one session, no events)
    keeping ``in_flight`` Originates unanswered: each of that many senders waits for its
    answer before the next, as the HTTP clients do; ``in_flight=CALLS`` writes them all
    at once."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()
    login = f"Action: Login\r\nActionID: login\r\nUsername: {AMI_USER}\r\nSecret: {AMI_SECRET}"
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[bytes]] = {"login": loop.create_future()}
    answers = asyncio.create_task(_answers(reader, waiting))
    writer.write(f"{login}\r\nEvents: off\r\n\r\n".encode())
    await waiting["login"]
    numbers = iter(range(CALLS))
    refused: list[bytes] = []

    async def sender() -> None:
        for n in numbers:
            waiting[f"raw-{n}"] = answer = loop.create_future()
            writer.write(_originate(n))
            if (response := await answer) != b"Response: Success":
                refused.append(response)

    try:
        started = time.monotonic()
        async with asyncio.timeout(60):
            await asyncio.gather(*(sender() for _ in range(in_flight)))
        elapsed = time.monotonic() - started
    finally:
        answers.cancel()
        writer.close()
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


async def _daemon_originates(port: int) -> float:
    """Accepted click2calls per second (HTTP 200: the Originate was queued)."""
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


async def _side(watch: AmiWatch, run: Any, pids: dict[str, int]) -> dict[str, float]:
    """Run one side; accepted/s from what ``run`` returns (if anything), completed/s from
    the PBX's Hangups of the originated legs, and the CPU ms per call each process in
    ``pids`` spent while the Originates went out (which one was the bottleneck)."""
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
                raw = await _side(watch, lambda: _raw_originates(rig.ami_port, CONCURRENCY), pids)
                daemon, url = start_daemon(
                    Path(tmp), rig.ami_port, free_port(),
                    ami={"username": AMI_USER, "secret": AMI_SECRET},
                    cdr={"fallback_after": 2.0},
                )  # fmt: skip
                try:
                    if groups is not None:
                        groups.put("daemon", daemon.pid)
                    port = int(url.rsplit(":", 1)[1])
                    pids["daemon"] = daemon.pid
                    # The raw side's figure is Asterisk's second burst (after the pipelined
                    # one); the daemon's is its second too: its first warms its caches.
                    cold = await _side(watch, lambda: _daemon_originates(port), pids)
                    cpu = cpu_seconds(daemon.proc.pid)
                    spy = profile(daemon, 4, "real_asterisk_click2call")
                    through = await _side(watch, lambda: _daemon_originates(port), pids)
                    through["daemon_cpu_ms_per_call"] = round(
                        (cpu_seconds(daemon.proc.pid) - cpu) * 1000 / CALLS, 2
                    )
                    if spy is not None:
                        spy.wait()
                    if groups is not None:  # as in one container: one group for both
                        groups.put("asterisk", daemon.pid)
                        shared = await _side(watch, lambda: _daemon_originates(port), pids)
                    campaign = await _side(watch, lambda: _campaign(url, Path(tmp) / "uploads"), {})
                finally:
                    daemon.stop()
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
        "cpu_groups": (
            "one per process" if groups is not None else "shared (no cgroup could be made)"
        ),
    } | ({} if shared is None else {"daemon_click2call_sharing_asterisks_group": shared})


def main() -> None:
    result = asyncio.run(_measure())
    print(json.dumps(result), file=sys.stdout)


if __name__ == "__main__":
    main()
