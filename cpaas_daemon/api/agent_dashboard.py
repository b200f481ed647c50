"""Seed 001: ``POST /api/v2/agentDashboard/counters``."""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon.api.v2_base import V2Auth, success
from cpaas_daemon.stats.agents import AgentDashboard
from cpaas_daemon.stats.errors import InvalidParameter


class AgentDashboardApi:
    """Seed 001's endpoint, over the agent dashboard."""

    def __init__(self, auth: V2Auth, agents: AgentDashboard) -> None:
        self._auth = auth
        self._agents = agents

    async def counters(self, request: web.Request) -> web.Response:
        """The counters of the agent ``ssid`` names. Seed 001 lists ``ssid`` as required, so a
        missing or empty one is 1000 (checked after the token, like every other parameter)."""
        v2 = await self._auth.authenticated(request)
        if v2.ssid is None:
            raise InvalidParameter("ssid is required")
        agents = await self._agents.counters(v2.account_id, v2.ssid)
        return success(agents, code=200)
