"""The root app's two keys: what the listener, the tests and the benchmarks reach into.

No handler reads them: handlers are built with the services they use
(``api/routes.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from cpaas_daemon.api.routes import Api
    from cpaas_daemon.domains import Domains

DOMAINS: web.AppKey[Domains] = web.AppKey("domains")
API: web.AppKey[Api] = web.AppKey("api")
