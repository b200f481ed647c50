"""Operational endpoints: ``/health`` for systemd/load balancers, ``/metrics`` for Prometheus."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cpaas_daemon import keys
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.store.errors import StoreUnavailable


async def health(request: web.Request) -> web.Response:
    """200 only when some PBX's AMI is logged in and the database answers; 503
    otherwise. ``pbx`` says which PBXs are healthy."""
    pbxes = request.app[keys.AMI]
    ami_ok = pbxes.connected
    try:
        db_ok = await request.app[keys.DB].fetchval("SELECT 1") == 1
    except StoreUnavailable:
        db_ok = False
    body = {
        "status": "ok" if ami_ok and db_ok else "degraded",
        "ami": ami_ok,
        "db": db_ok,
        "pbx": pbxes.health(),
    }
    return json_response(body, status=200 if ami_ok and db_ok else 503)


async def metrics(request: web.Request) -> web.Response:
    payload = generate_latest(request.app[keys.METRICS].registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
