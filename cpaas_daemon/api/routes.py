"""The whole URL table of the daemon, one line per endpoint, grouped by dialect."""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon.api import health


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/health", health.health)
    app.router.add_get("/metrics", health.metrics)
