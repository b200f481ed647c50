"""Seed 001: ``POST /api/v2/agentDashboard/counters``."""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.api.v2_base import authenticated, success
from cpaas_daemon.stats.errors import InvalidParameter


async def counters(request: web.Request) -> web.Response:
    """The counters of the agent ``ssid`` names. Seed 001 lists ``ssid`` as required, so a
    missing or empty one is 1000 (checked after the token, like every other parameter)."""
    v2 = await authenticated(request)
    if v2.ssid is None:
        raise InvalidParameter("ssid is required")
    agents = await request.app[keys.AGENT_DASHBOARD].counters(v2.account_id, v2.ssid)
    return success(agents, code=200)
