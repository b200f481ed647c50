"""The wallboard domain: its hub and the hub's task.

Open streams must be ended in ``on_shutdown``, not in the cleanup context: aiohttp waits
for running handlers (up to its shutdown timeout) *before* it runs cleanup contexts, so a
stream still open then would hold shutdown for a minute. ``shutdown`` is that hook.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context
from cpaas_daemon.queue_log.plugin import QueueLogPlugin
from cpaas_daemon.wallboard.campaigns import CampaignProgress
from cpaas_daemon.wallboard.hub import WallboardHub
from cpaas_daemon.wallboard.source import BoardSource


@dataclass(frozen=True)
class WallboardPlugin:
    hub: WallboardHub
    contexts: tuple[Context, ...]
    shutdown: Callable[[web.Application], Awaitable[None]]


def build(core: Core, queue_log: QueueLogPlugin) -> WallboardPlugin:
    source = BoardSource(queue_log.stats, core.tracker, CampaignProgress(core.db))
    hub = WallboardHub(source.build, core.bus)

    async def end_streams(_app: web.Application) -> None:
        hub.close()

    return WallboardPlugin(hub=hub, contexts=(_hub_running(hub),), shutdown=end_streams)


def _hub_running(hub: WallboardHub) -> Context:
    """Run the hub for the app's lifetime; cancelled and awaited on shutdown."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(hub.run(), name="wallboard.hub")
        yield
        hub.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
