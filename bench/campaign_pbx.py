"""Benchmark: campaign Originates/s with one and with two PBXs, and the daemon's CPU per call.

The campaign run of ``originate_rate`` (campaigns at 1,200 calls/minute each, numbers
ending in 9: answered and held 60 s) with fresh processes each time: the daemon
(``bench._daemon``) configured with ``[[pbx]]`` entries (docs/scaling.md) for one
simulator, then for two (``bench._sim``, each its own process: two Asterisks). The same
code path both times: one ``[[pbx]]`` entry is not the legacy ``[ami]`` configuration, so
only the number of PBXs changes. Two loads: ``pbx_N`` is ``originate_rate``'s 14
campaigns (280/s nominal), ``pbx_N_saturated`` 30 campaigns (600/s nominal, more than
the two cores can place), so that the machine and not the campaigns' pace sets the rate.

Per run: Originates/s (the simulators' own counters, summed, over the dialling span),
how they split per PBX, and the CPU of each process over the window:
``daemon_cpu_ms_per_call`` is what one call costs the daemon, the figure that says whether
a second PBX makes each call dearer (routing, a second AMI link, a second event stream);
``sim_cpu_ms_per_call`` is the simulators' cost, summed. On a 2-core machine the daemon,
the simulators and this client share the cores, so Originates/s is bounded by their sum;
the projection ``projected_per_s_on_own_core`` (1000 / daemon CPU ms per call) is the
daemon's ceiling with a core to itself and the PBXs elsewhere, as in production.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench._live import Child, free_port, start_daemon, start_sim
from bench.originate_rate import CAMPAIGNS, QUICK, TIME_SCALE, _campaigns
from cpaas_daemon.sim.daemon_config import SIM_AMI_SECRET

PBX_COUNTS = (1, 2)
LOADS = (("", CAMPAIGNS), ("_saturated", 6 if QUICK else 30))  # (key suffix, campaigns)
_AMI = {"host": "127.0.0.1", "secret": SIM_AMI_SECRET, "reconnect_min": 0.05,
        "reconnect_max": 0.5, "ping_interval": 5.0, "ping_timeout": 5.0,
        "action_timeout": 10.0}  # fmt: skip


def pbx_entries(ports: list[int]) -> list[dict[str, Any]]:
    """One ``[[pbx]]`` entry per simulator."""
    return [
        {
            "id": f"pbx{n}",
            "ami": _AMI | {"port": port},
            "outbound_template": "Local/{number}@sim-endpoints",
        }
        for n, port in enumerate(ports, 1)
    ]


async def _all_healthy(url: str, count: int) -> None:
    """Until /health says every PBX is logged in (the daemon's ready line needs only one)."""
    async with aiohttp.ClientSession() as session:
        async with asyncio.timeout(30):
            while True:
                async with session.get(url + "/health") as response:
                    pbx = (await response.json(content_type=None)).get("pbx", {})
                if len(pbx) == count and all(pbx.values()):
                    return
                await asyncio.sleep(0.1)


async def _run(count: int, campaigns: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        agi_port = free_port()
        sims: list[Child] = []
        try:
            ports = []
            for n in range(count):
                (tmp / f"pbx{n}").mkdir()
                sim, port = start_sim(tmp / f"pbx{n}", TIME_SCALE, agi_port, every=0.25)
                sims.append(sim)
                ports.append(port)
            daemon, url = start_daemon(
                tmp, ports[0], agi_port, pbx=pbx_entries(ports),
                campaigns={"max_concurrent_calls": 100_000},
            )  # fmt: skip
            try:
                await _all_healthy(url, count)
                figures = await _campaigns(url, tmp, sims, daemon, campaigns)
            finally:
                daemon.stop()
        finally:
            for sim in sims:
                sim.stop()
    per_call = figures["campaign_daemon_cpu_ms_per_call"]
    return {key.removeprefix("campaign_"): value for key, value in figures.items()} | {
        "projected_per_s_on_own_core": round(1000 / max(1e-9, per_call))
    }


def run() -> dict[str, Any]:
    result: dict[str, Any] = {"load_before": _load()}
    for suffix, campaigns in LOADS:
        for count in PBX_COUNTS:
            result[f"pbx_{count}{suffix}"] = asyncio.run(_run(count, campaigns))
            time.sleep(2)  # let the previous run's processes go before the next one's window
        one, two = result[f"pbx_1{suffix}"], result[f"pbx_2{suffix}"]
        result[f"two_vs_one{suffix}_originates"] = round(
            two["originates_per_s"] / one["originates_per_s"], 2
        )
        result[f"two_vs_one{suffix}_daemon_cpu_per_call"] = round(
            two["daemon_cpu_ms_per_call"] / one["daemon_cpu_ms_per_call"], 2
        )
    result["load_after"] = _load()
    return result


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as loadavg:
        return " ".join(loadavg.read().split()[:3])


if __name__ == "__main__":
    print(json.dumps(run()))
