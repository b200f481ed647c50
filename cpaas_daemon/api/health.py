"""Operational endpoints: ``/health`` for systemd/load balancers, ``/metrics`` for Prometheus."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.errors import StoreUnavailable


class OpsApi:
    """The operational endpoints, over the AMI link, the store and the metrics."""

    def __init__(self, ami: AmiClient, db: Database, metrics: Metrics) -> None:
        self._ami = ami
        self._db = db
        self._metrics = metrics

    async def health(self, request: web.Request) -> web.Response:
        """200 only when AMI is logged in and the database answers; 503 otherwise."""
        ami_ok = self._ami.connected
        try:
            db_ok = await self._db.fetchval("SELECT 1") == 1
        except StoreUnavailable:
            db_ok = False
        body = {"status": "ok" if ami_ok and db_ok else "degraded", "ami": ami_ok, "db": db_ok}
        return json_response(body, status=200 if ami_ok and db_ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        payload = generate_latest(self._metrics.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
