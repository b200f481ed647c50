"""How the wallboard plugs into the app: its hub, the hub's task and the streams' end.

Open streams are ended in ``on_shutdown``, not in the cleanup context: aiohttp waits for
running handlers (up to its shutdown timeout) *before* it runs cleanup contexts, so a
stream still open then would hold shutdown for a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.wallboard.campaigns import CampaignProgress
from cpaas_daemon.wallboard.hub import WallboardHub
from cpaas_daemon.wallboard.source import BoardSource


def setup_wallboard(app: web.Application) -> None:
    """Needs the queue stats service, the tracker, the bus and the store already set."""
    source = BoardSource(app[keys.QUEUE_STATS], app[keys.TRACKER], CampaignProgress(app[keys.DB]))
    app[keys.WALLBOARD] = WallboardHub(source.build, app[keys.BUS])
    app.on_shutdown.append(_end_streams)


async def _end_streams(app: web.Application) -> None:
    app[keys.WALLBOARD].close()


async def wallboard_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the hub for the app's lifetime; cancelled and awaited on shutdown."""
    hub = app[keys.WALLBOARD]
    task = asyncio.create_task(hub.run(), name="wallboard.hub")
    yield
    hub.close()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
