"""Seed 000: ``POST /api/v2/overallCount/Ecounters``."""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.api.v2_base import authenticated, success
from cpaas_daemon.stats.query import parse_query


async def ecounters(request: web.Request) -> web.Response:
    v2 = await authenticated(request)
    service = request.app[keys.ECOUNTERS]
    query = parse_query(v2.body.get("filter"), v2.body.get("Field"), service.zone)
    return success(await service.message(v2.account_id, query, v2.ssid))
