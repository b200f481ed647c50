"""sd_notify without a dependency: READY=1 once serving, WATCHDOG=1 at half the interval.

Only acts when systemd set ``NOTIFY_SOCKET`` (Type=notify); elsewhere it is a no-op.
WATCHDOG=1 is sent only after the daemon answered its own ``GET /health`` over HTTP
(:func:`health_probe`): a daemon whose listener is full or whose event loop is stuck,
or whose AMI link or database is down, is restarted by systemd (issue 10.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import aiohttp

PROBE_TIMEOUT = 5.0


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())
    return True


def health_probe(host: str, port: int) -> Callable[[], Awaitable[bool]]:
    """True when ``GET /health`` on our own listener answers 200 within PROBE_TIMEOUT:
    it proves HTTP accepts and serves, the database answers and AMI is logged in."""
    target = "127.0.0.1" if host in ("", "0.0.0.0") else ("::1" if host == "::" else host)
    url = f"http://{target}:{port}/health"

    async def probe() -> bool:
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url) as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    return probe


@contextlib.asynccontextmanager
async def watchdog(healthy: Callable[[], Awaitable[bool]]) -> AsyncIterator[None]:
    """Send READY=1, then WATCHDOG=1 while ``healthy()``; systemd restarts us if we stall."""
    notify("READY=1")
    usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
    task: asyncio.Task[None] | None = None
    if usec:

        async def ping() -> None:
            while True:
                await asyncio.sleep(usec / 2_000_000)
                if await healthy():
                    notify("WATCHDOG=1")

        task = asyncio.create_task(ping(), name="sd-watchdog")
    try:
        yield
    finally:
        notify("STOPPING=1")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
