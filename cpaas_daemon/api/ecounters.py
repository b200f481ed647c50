"""Seed 000: ``POST /api/v2/overallCount/Ecounters``."""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon.api.v2_base import V2Auth, success
from cpaas_daemon.stats.ecounters import Ecounters
from cpaas_daemon.stats.query import parse_query


class EcountersApi:
    """Seed 000's endpoint, over the overall counters."""

    def __init__(self, auth: V2Auth, ecounters: Ecounters) -> None:
        self._auth = auth
        self._ecounters = ecounters

    async def ecounters(self, request: web.Request) -> web.Response:
        v2 = await self._auth.authenticated(request)
        service = self._ecounters
        query = parse_query(v2.body.get("filter"), v2.body.get("Field"), service.zone)
        return success(await service.message(v2.account_id, query, v2.ssid))
