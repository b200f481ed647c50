"""The v2 statistics domain (seeds 000 and 001): who may read them, the agent dashboard
and the overall counters."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cpaas_daemon.core import Core
from cpaas_daemon.stats.access import StatsAccess
from cpaas_daemon.stats.agents import AgentDashboard
from cpaas_daemon.stats.ecounters import Ecounters


@dataclass(frozen=True)
class StatsPlugin:
    access: StatsAccess
    agents: AgentDashboard
    ecounters: Ecounters


def build(core: Core) -> StatsPlugin:
    agents = AgentDashboard(core.db, ZoneInfo(core.config.ami.pbx_timezone))
    agents.members.subscribe(core.bus)  # queue_log's interfaces meet their member names
    return StatsPlugin(
        access=StatsAccess(core.accounts),
        agents=agents,
        ecounters=Ecounters(core.db, core.tracker, agents),
    )
