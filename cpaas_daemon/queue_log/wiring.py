"""How the queue_log domain plugs into the app: its statistics service.

Kept here so ``app.create_app`` needs one line and the domain's choices (which zone
reports use) stay with the domain. The files are followed per PBX
(:mod:`cpaas_daemon.pbx.wiring`): each PBX's tailer is started and stopped with it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.config import Config
from cpaas_daemon.pbx.pool import PbxPool
from cpaas_daemon.queue_log.service import QueueStats
from cpaas_daemon.queue_log.users import StatsUsers
from cpaas_daemon.store.db import Database


def setup_queue_log(app: web.Application, config: Config, db: Database, pbxes: PbxPool) -> None:
    """Reports use the PBX's zone (``ami.pbx_timezone``, default UTC) for dates."""
    zone = ZoneInfo(config.ami.pbx_timezone)
    app[keys.QUEUE_STATS] = QueueStats(db, pbxes, StatsUsers(db, app[keys.METRICS]), zone)
