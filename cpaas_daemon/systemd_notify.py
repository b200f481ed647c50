"""sd_notify without a dependency: READY=1 once serving, WATCHDOG=1 at half the interval.

Only acts when systemd set ``NOTIFY_SOCKET`` (Type=notify); elsewhere it is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Callable, Mapping


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


@contextlib.asynccontextmanager
async def watchdog(healthy: Callable[[], bool]) -> AsyncIterator[None]:
    """Send READY=1, then WATCHDOG=1 while ``healthy()``; systemd restarts us if we stall."""
    notify("READY=1")
    usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
    task: asyncio.Task[None] | None = None
    if usec:

        async def ping() -> None:
            while True:
                await asyncio.sleep(usec / 2_000_000)
                if healthy():
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
