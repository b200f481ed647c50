"""The queue_log domain: its stats service, its tailer and the tailer's lifetime.

The domain's choices (which file to follow, which zone reports use) stay here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from cpaas_daemon.config import Config
from cpaas_daemon.core import Core
from cpaas_daemon.lifecycle import Context
from cpaas_daemon.queue_log.repository import QueueLogRepository
from cpaas_daemon.queue_log.service import QueueStats
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.queue_log.users import StatsUsers

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class QueueLogPlugin:
    stats: QueueStats
    tailer: QueueLogTailer | None
    contexts: tuple[Context, ...]


def queue_log_path(config: Config) -> Path | None:
    """``queue_log.path``; with ``--simulate`` and no path, the simulator's file."""
    if config.queue_log.path is not None:
        return config.queue_log.path
    return config.sim.queue_log_path if config.simulate else None


def build(core: Core) -> QueueLogPlugin:
    """Reports use the PBX's zone (``ami.pbx_timezone``, default UTC) for dates."""
    config, db = core.config, core.db
    zone = ZoneInfo(config.ami.pbx_timezone)
    stats = QueueStats(db, core.ami, StatsUsers(db, core.metrics), zone)
    path = queue_log_path(config)
    if path is None:
        return QueueLogPlugin(stats=stats, tailer=None, contexts=())
    tailer = QueueLogTailer(path, QueueLogRepository(db), config.queue_log.poll_interval)
    return QueueLogPlugin(stats=stats, tailer=tailer, contexts=(_tailing(tailer),))


def _tailing(tailer: QueueLogTailer) -> Context:
    """Run the tailer for the app's lifetime; cancelled and awaited on shutdown."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(tailer.run(), name="queue_log.tailer")
        log.info("queue_log.tailing", path=str(tailer.path))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
