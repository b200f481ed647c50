"""The queue_log domain: its stats service.

The domain's choice of the zone reports use stays here. The files are followed per PBX
(:mod:`cpaas_daemon.pbx.plugin`): each PBX's tailer is started and stopped with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cpaas_daemon.core import Core
from cpaas_daemon.pbx.plugin import PbxPlugin
from cpaas_daemon.queue_log.service import QueueStats
from cpaas_daemon.queue_log.users import StatsUsers


@dataclass(frozen=True)
class QueueLogPlugin:
    stats: QueueStats


def build(core: Core, pbx: PbxPlugin) -> QueueLogPlugin:
    """Reports use the PBX's zone (``ami.pbx_timezone``, default UTC) for dates."""
    db = core.db
    zone = ZoneInfo(core.config.ami.pbx_timezone)
    return QueueLogPlugin(stats=QueueStats(db, pbx.pool, StatsUsers(db, core.metrics), zone))
