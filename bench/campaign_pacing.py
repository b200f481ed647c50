"""Benchmark: how evenly the campaign dialer paces Originates at ``calls_per_minute``.

The daemon runs as its own process (``python -m cpaas_daemon run``, configured by
``CPAAS_`` variables as in production); the simulated Asterisk runs in this process so
that the receive time of every Originate can be recorded (``time.monotonic()`` as the
action is read off the AMI socket). One campaign of ``CALLS`` contacts at ``CPM`` calls
per minute (by default 3,000 calls at 300 per minute: a ten-minute campaign) is created over
HTTP, and the gaps between consecutive Originates are compared with the ideal interval
60 / cpm:

* ``gap_error_mean_pct`` / ``gap_error_p99_pct`` / ``gap_error_max_pct``: per-gap
  deviation from the interval, in percent of the interval;
* ``rate_error_pct``: the achieved overall rate against the requested one;
* ``min_gap_ms``: the closest two Originates came on the wire (the pacer's own slots are
  never closer than half an interval; a late send can shorten the gap after it).

``CAMPAIGN_PACING_CALLS`` / ``CAMPAIGN_PACING_CPM`` override the defaults for a quick run.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from cpaas_daemon.sim.daemon_config import SIM_AMI_SECRET
from cpaas_daemon.sim.protocol import Action
from cpaas_daemon.sim.server import SimConfig, SimulatedAsterisk

CALLS = int(os.environ.get("CAMPAIGN_PACING_CALLS", "3000"))
CPM = int(os.environ.get("CAMPAIGN_PACING_CPM", "300"))
TIME_SCALE = 0.05  # simulated calls last 3 s -> 0.15 s: concurrency stays low
WALL = "%Y-%m-%d %H:%M:%S"
ACCOUNT, SECRET = "bench_pacing", "bench-pacing-secret"
HEADERS = {"account": ACCOUNT, "auth": SECRET}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class TimedActions(list[Action]):
    """The simulator's action log, plus the monotonic receive time of each Originate."""

    def __init__(self) -> None:
        super().__init__()
        self.originated_at: list[float] = []

    def append(self, action: Action) -> None:
        if str(action.get("Action", "")).lower() == "originate":
            self.originated_at.append(time.monotonic())
        super().append(action)


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with session.post(url, json=body, headers=HEADERS) as response:
        reply = await response.json()
        if response.status != 200:
            raise RuntimeError(f"{url}: {reply}")
        return reply["response"]


async def _campaign(session: aiohttp.ClientSession, base: str) -> None:
    listed = await _post(session, base + "/api/create_campaign_list", {"list_name": "pacing"})
    contacts = [{"contact_number": f"9199{i:05d}{i % 4}"} for i in range(CALLS)]  # all answer
    await _post(
        session,
        base + "/api/add_contact_to_list",
        {"list_id": listed["list_id"], "contacts": contacts},
    )
    now = datetime.now(UTC)
    await _post(
        session,
        base + "/api/create_campaign",
        {
            "list_id": listed["list_id"],
            "campaign_name": "pacing",
            "campaign_type": "0",
            "campaign_caller_id": "15168148111",
            "recorded_filename": "prompt.wav",
            "calls_per_minute": str(CPM),
            "campaign_start_date": (now - timedelta(minutes=1)).strftime(WALL),
            "campaign_end_date": (now + timedelta(hours=2)).strftime(WALL),
        },
    )


def _figures(times: list[float]) -> dict[str, Any]:
    interval = 60.0 / CPM
    gaps = [b - a for a, b in itertools.pairwise(times)]
    errors = [abs(gap - interval) / interval * 100 for gap in gaps]
    achieved = (len(times) - 1) / (times[-1] - times[0]) * 60
    return {
        "calls": len(times),
        "calls_per_minute": CPM,
        "interval_ms": round(interval * 1000, 1),
        "gap_error_mean_pct": round(statistics.fmean(errors), 2),
        "gap_error_p99_pct": round(percentile(errors, 0.99), 2),
        "gap_error_max_pct": round(max(errors), 2),
        "rate_error_pct": round((achieved - CPM) / CPM * 100, 3),
        "min_gap_ms": round(min(gaps) * 1000, 1),
    }


async def _daemon(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cpaas_daemon", *args, env=env, stdout=asyncio.subprocess.DEVNULL
    )


async def _healthy(session: aiohttp.ClientSession, base: str) -> None:
    async with asyncio.timeout(20):
        while True:
            try:
                async with session.get(base + "/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)


async def _measure(tmp: Path) -> dict[str, Any]:
    agi_port, http_port = free_port(), free_port()
    sim = SimulatedAsterisk(
        SimConfig(
            time_scale=TIME_SCALE,
            globals={"CPAAS_AGI": f"agi://127.0.0.1:{agi_port}"},
            secret=SIM_AMI_SECRET,
        )
    )
    sim.actions = actions = TimedActions()
    await sim.start()
    (tmp / "uploads" / ACCOUNT).mkdir(parents=True)
    (tmp / "uploads" / ACCOUNT / "prompt.wav").write_bytes(b"RIFF")
    env = {
        **os.environ,
        "CPAAS_HTTP__PORT": str(http_port),
        "CPAAS_AMI__PORT": str(sim.port),
        "CPAAS_AMI__SECRET": SIM_AMI_SECRET,
        "CPAAS_AGI__PORT": str(agi_port),
        "CPAAS_STORE__PATH": str(tmp / "cpaas.sqlite3"),
        "CPAAS_DIAL__OUTBOUND_TEMPLATE": "Local/{number}@sim-endpoints",
        "CPAAS_CAMPAIGNS__UPLOADS_DIR": str(tmp / "uploads"),
        "CPAAS_TTS__ENGINE": "none",
        "CPAAS_LOG__LEVEL": "warning",
    }
    added = await _daemon(env, "accounts", "add", ACCOUNT, "--auth", SECRET)
    if await added.wait() != 0:
        raise RuntimeError("could not add the benchmark account")
    daemon = await _daemon(env, "run")
    base = f"http://127.0.0.1:{http_port}"
    try:
        async with aiohttp.ClientSession() as session:
            await _healthy(session, base)
            await _campaign(session, base)
            async with asyncio.timeout(CALLS * 60 / CPM * 1.5 + 30):
                while len(actions.originated_at) < CALLS:  # noqa: ASYNC110 - counting only
                    await asyncio.sleep(0.5)
        return _figures(actions.originated_at)
    finally:
        daemon.terminate()
        await daemon.wait()
        await sim.stop()


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-pacing-") as tmp:
        return asyncio.run(_measure(Path(tmp)))


if __name__ == "__main__":
    print(json.dumps(run()), file=sys.stdout, flush=True)
