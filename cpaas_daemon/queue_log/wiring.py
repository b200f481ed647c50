"""How the queue_log domain plugs into the app: its service, its tailer and their lifetime.

Kept here so ``app.create_app`` needs two lines and the domain's choices (which file to
follow, which zone reports use) stay with the domain.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.config import Config
from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.service import QueueStats
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.queue_log.users import StatsUsers
from cpaas_daemon.store.db import Database

log = structlog.get_logger(__name__)


def queue_log_path(config: Config) -> Path | None:
    """``queue_log.path``; with ``--simulate`` and no path, the simulator's file."""
    if config.queue_log.path is not None:
        return config.queue_log.path
    return config.sim.queue_log_path if config.simulate else None


def setup_queue_log(app: web.Application, config: Config, db: Database, ami: AmiClient) -> None:
    """Reports use the PBX's zone (``ami.pbx_timezone``, default UTC) for dates."""
    zone = ZoneInfo(config.ami.pbx_timezone)
    app[keys.QUEUE_STATS] = QueueStats(db, ami, StatsUsers(db, app[keys.METRICS]), zone)
    path = queue_log_path(config)
    if path is not None:
        repository = QueueLogRepository(db)
        app[keys.QUEUE_LOG_TAILER] = QueueLogTailer(
            path, repository, config.queue_log.poll_interval
        )


async def queue_log_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the tailer for the app's lifetime; cancelled and awaited on shutdown."""
    tailer = app.get(keys.QUEUE_LOG_TAILER)
    if tailer is None:
        yield
        return
    task = asyncio.create_task(tailer.run(), name="queue_log.tailer")
    log.info("queue_log.tailing", path=str(tailer.path))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
