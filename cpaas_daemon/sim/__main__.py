"""``python -m cpaas_daemon.sim --port 5038 --time-scale 1``: run the simulator standalone."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from cpaas_daemon.sim.server import SimConfig, SimulatedAsterisk


def _parse() -> SimConfig:
    parser = argparse.ArgumentParser(prog="python -m cpaas_daemon.sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5038)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--queue-log", type=Path, default=None)
    parser.add_argument("--cdr-csv", type=Path, default=None)
    parser.add_argument(
        "--global", dest="globals", action="append", default=[], metavar="NAME=VALUE"
    )
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.globals)
    return SimConfig(
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        globals=overrides,
        queue_log_path=args.queue_log,
        cdr_csv_path=args.cdr_csv,
    )


async def _serve(config: SimConfig) -> None:
    sim = SimulatedAsterisk(config)
    await sim.start()
    print(f"simulated Asterisk listening on {config.host}:{sim.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main() -> None:
    """Entry point."""
    asyncio.run(_serve(_parse()))


if __name__ == "__main__":
    main()
