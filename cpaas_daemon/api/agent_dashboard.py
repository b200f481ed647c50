"""Seed 001: ``POST /api/v2/agentDashboard/counters``."""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.api.v2_base import authenticated, success


async def counters(request: web.Request) -> web.Response:
    v2 = await authenticated(request)
    agents = await request.app[keys.AGENT_DASHBOARD].counters(v2.account_id, v2.ssid)
    return success(agents, code=200)
