"""The daemon as a real OS process (``python -m cpaas_daemon run``), configured the way
production configures it (``CPAAS_`` variables) and seen from outside over HTTP only --
for tests that kill it with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import ACCOUNTS
from tests.store_rig import store_environment

ACCOUNT = "account_1"
Process = asyncio.subprocess.Process


class Client:
    """The daemon seen from outside: HTTP only."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"account": ACCOUNT, "auth": ACCOUNTS[ACCOUNT]}
        async with self.session.request(
            method, self.url + path, json=body, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()


def environment(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int, http_port: int
) -> dict[str, str]:
    """The daemon's configuration, given the way production gives it: CPAAS_ variables."""
    return {
        **os.environ,
        "CPAAS_HTTP__HOST": "127.0.0.1",
        "CPAAS_HTTP__PORT": str(http_port),
        "CPAAS_AMI__PORT": str(sim.port),
        "CPAAS_AMI__SECRET": sim.config.secret,
        "CPAAS_AMI__RECONNECT_MIN": "0.05",
        "CPAAS_AGI__PORT": str(agi_port),
        "CPAAS_STORE__PATH": str(tmp_path / "cpaas.sqlite3"),
        **store_environment(tmp_path / "cpaas.sqlite3"),
        "CPAAS_DIAL__OUTBOUND_TEMPLATE": "Local/{number}@sim-endpoints",
        "CPAAS_CAMPAIGNS__UPLOADS_DIR": str(tmp_path / "uploads"),
        "CPAAS_TTS__CACHE_DIR": str(tmp_path / "tts"),
        "CPAAS_LOG__LEVEL": "warning",
    }


async def cli(env: dict[str, str], *args: str) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cpaas_daemon", *args, env=env
    )


async def until(probe: Callable[[], Awaitable[bool]], within: float) -> None:
    """Poll what is only observable from outside (HTTP, the simulator's action log)."""
    async with asyncio.timeout(within):
        while not await probe():  # noqa: ASYNC110 - no event to await across processes
            await asyncio.sleep(0.05)


@asynccontextmanager
async def daemon_process(env: dict[str, str], *args: str) -> AsyncIterator[tuple[Process, Client]]:
    """``run`` with ``args`` (``--config FILE``), once its /health answers 200."""
    process = await cli(env, "run", *args)
    url = f"http://127.0.0.1:{env['CPAAS_HTTP__PORT']}"
    try:
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                try:
                    async with session.get(url + "/health") as response:
                        return response.status == 200
                except aiohttp.ClientConnectionError:
                    return False

            await until(healthy, 15)
            yield process, Client(session, url)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
