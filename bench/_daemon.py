"""The daemon as a child process for the live benchmarks (not a benchmark itself).

``python -m bench._daemon --dir D --ami-port P --agi-port A`` runs the real
``create_app`` (store in ``D``, AMI to the simulator on ``P``), adds the benchmark
account, waits for the AMI login and prints ``{"http_port": N}`` as its one stdout line.
It adds one route, ``GET /bench/probe``, that reports what only the process itself can
see: RSS and peak RSS from ``/proc/self/status``, tracemalloc current/peak (with
``--tracemalloc``), live channels and calls in the tracker, and the daemon's counters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tracemalloc
from typing import Any, TextIO

if "--tracemalloc" in sys.argv:  # before the daemon's imports, so they are traced too
    tracemalloc.start()

import asyncio
import signal
from pathlib import Path

from aiohttp import web

from bench._live import ACCOUNT, SECRET
from cpaas_daemon import keys
from cpaas_daemon.app import create_app
from cpaas_daemon.config import Config
from cpaas_daemon.http_server import serving
from cpaas_daemon.log import setup_logging
from cpaas_daemon.sim.daemon_config import daemon_config

# What production runs under systemd (JSON logs at info level, no TTS engine to spawn)
# and AMI timings that a loaded benchmark machine cannot trip by accident.
_BENCH = {
    "ami": {"ping_interval": 5.0, "ping_timeout": 5.0, "action_timeout": 10.0},
    "tts": {"engine": "none"},
    # One account drives every benchmark: the limiter runs on every call (its cost is
    # measured) but never refuses one.
    "limits": {"calls_per_second": 1e9, "max_concurrent_calls": 10**9},
    "queue_log": {"poll_interval": 0.5},
    "log": {"format": "json", "level": "info"},
}


def config(tmp: Path, ami_port: int, agi_port: int, extra: dict[str, Any]) -> Config:
    """The daemon's configuration: sections of ``extra`` merge over the bench's own; a
    list (``pbx``: the ``[[pbx]]`` entries) is taken as it is."""
    overrides: dict[str, Any] = {
        name: value for name, value in extra.items() if isinstance(value, list)
    }
    for name in _BENCH.keys() | (extra.keys() - overrides.keys()):
        overrides[name] = {**_BENCH.get(name, {}), **extra.get(name, {})}
    return daemon_config(tmp, ami_port, agi_port, **overrides)


def _status() -> dict[str, int]:
    figures = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0])
    return figures


async def probe(request: web.Request) -> web.Response:
    app = request.app
    metrics = app[keys.DOMAINS].core.metrics.registry
    tracker = app[keys.DOMAINS].core.tracker
    body: dict[str, Any] = {
        "rss_kib": _status()["VmRSS"],
        "hwm_kib": _status()["VmHWM"],
        "live_channels": sum(1 for _ in tracker.live_channels()),
        "live_calls": sum(tracker.live_calls().values()),
        "ami_events": metrics.get_sample_value("cpaas_ami_events_total") or 0,
        "cdr_rows": metrics.get_sample_value("cpaas_cdr_rows_total") or 0,
    }
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        body |= {
            "traced_kib": current // 1024,
            "traced_peak_kib": peak // 1024,
            "tracemalloc_overhead_kib": tracemalloc.get_tracemalloc_memory() // 1024,
        }
        if request.query.get("reset_peak"):
            tracemalloc.reset_peak()
    return web.json_response(body)


async def serve(args: argparse.Namespace, ready: TextIO) -> None:
    settings = config(args.dir, args.ami_port, args.agi_port, json.loads(args.extra))
    setup_logging(settings.log.format, settings.log.level)  # as main.py does; to stderr
    app = create_app(settings)
    app.router.add_get("/bench/probe", probe)
    async with serving(app, "127.0.0.1", 0) as http_port:
        await _ready(app, args, http_port, ready)


async def _ready(app: web.Application, args: argparse.Namespace, port: int, ready: TextIO) -> None:
    """Account, AMI login, then the 'ready' line; serves until SIGTERM."""
    if ACCOUNT not in await app[keys.DOMAINS].core.accounts.list_ids():
        await app[keys.DOMAINS].core.accounts.add(ACCOUNT, SECRET)
    if not args.no_ami:
        async with asyncio.timeout(20):
            await app[keys.DOMAINS].pbx.pool.wait_connected()
    print(json.dumps({"http_port": port}), file=ready, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._daemon")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--ami-port", type=int, required=True)
    parser.add_argument("--agi-port", type=int, required=True)
    parser.add_argument("--extra", default="{}")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--no-ami", action="store_true", help="do not wait for the AMI login")
    args = parser.parse_args()
    # The parent reads only the ready line on stdout; anything else written to fd 1 (the
    # daemon's own output) goes to stderr instead.
    ready = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    asyncio.run(serve(args, ready))


if __name__ == "__main__":
    main()
