"""Operational endpoints: ``/health`` for systemd/load balancers, ``/metrics`` for Prometheus."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.pbx.pool import PbxPool
from cpaas_daemon.store.db import Database
from cpaas_daemon.store.errors import StoreUnavailable


class OpsApi:
    """The operational endpoints, over the PBXs, the store and the metrics."""

    def __init__(
        self,
        pbxes: PbxPool,
        db: Database,
        metrics: Metrics,
        node_id: str,
        campaigns: Callable[[], list[str]],
    ) -> None:
        self._pbxes = pbxes
        self._db = db
        self._metrics = metrics
        self._node_id = node_id
        self._campaigns = campaigns

    async def health(self, request: web.Request) -> web.Response:
        """200 when the database answers and some PBX this node works is logged in, or
        this node works none (a standby node of a cluster); 503 otherwise. ``pbx`` says
        which PBXs are healthy here; ``cluster`` names this node and what it holds the
        leases of (docs/scaling.md)."""
        owned = self._pbxes.owned()
        ami_ok = self._pbxes.connected or not owned
        try:
            db_ok = await self._db.fetchval("SELECT 1") == 1
        except StoreUnavailable:
            db_ok = False
        body = {
            "status": "ok" if ami_ok and db_ok else "degraded",
            "ami": ami_ok,
            "db": db_ok,
            "pbx": self._pbxes.health(),
            "cluster": {"node": self._node_id, "pbx": owned, "campaigns": self._campaigns()},
        }
        return json_response(body, status=200 if ami_ok and db_ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        payload = generate_latest(self._metrics.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
