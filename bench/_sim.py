"""The simulator as a child process for the live benchmarks (not a benchmark itself).

Like ``python -m cpaas_daemon.sim``, plus what a benchmark needs to see from outside:
its first stdout line is ``{"port": N}``, then every ``--every`` seconds one JSON line
with the monotonic time, the Originates it has accepted so far and its live channels.
(CLOCK_MONOTONIC is system-wide on Linux, so the parent can line these up with its own.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path

from cpaas_daemon.sim.daemon_config import SIM_AMI_SECRET
from cpaas_daemon.sim.server import SimConfig, SimulatedAsterisk


async def serve(args: argparse.Namespace) -> None:
    sim = SimulatedAsterisk(
        SimConfig(
            port=args.port,
            time_scale=args.time_scale,
            globals={"CPAAS_AGI": f"agi://127.0.0.1:{args.agi_port}"},
            queue_log_path=args.queue_log,
            secret=SIM_AMI_SECRET,
        )
    )
    await sim.start()
    print(json.dumps({"port": sim.port}), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        while not stop.is_set():
            sim.actions.clear()  # the record of every action is for tests; not needed here
            line = {
                "t": time.monotonic(),
                "originates": sim.calls_processed,
                "channels": len(sim.channels),
            }
            print(json.dumps(line), flush=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.every)
    finally:
        await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._sim")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--agi-port", type=int, required=True)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--queue-log", type=Path, default=None)
    parser.add_argument("--every", type=float, default=0.5)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
