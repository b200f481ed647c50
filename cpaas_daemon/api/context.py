"""Per-request log context: every line of a request carries its request_id and path.

A request logs one ``http.request`` line when it ends; what the services did on the way
(e.g. the call placed: request_id, kind, channel) rides on it rather than on lines of
their own (:func:`cpaas_daemon.log.add_to_request_line`).
"""

from __future__ import annotations

import secrets
import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from cpaas_daemon.api.errors import Handler
from cpaas_daemon.log import request_line
from cpaas_daemon.metrics import Metrics

log = structlog.get_logger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"


def context_middleware(metrics: Metrics) -> Middleware:
    """The root app's outermost middleware: every dialect's requests are counted here."""

    @web.middleware
    async def context(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = (
            incoming if incoming.isalnum() and len(incoming) <= 64 else secrets.token_hex(8)
        )
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(http_request_id=request_id)
        started = time.perf_counter()
        with request_line() as line:  # what the services add (a placed call's request_id ...)
            response = await handler(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        elapsed = time.perf_counter() - started
        route = _route(request)
        metrics.http_requests.labels(request.method, route, str(response.status)).inc()
        metrics.http_latency.labels(route).observe(elapsed)
        log.info(
            "http.request",
            method=request.method,
            path=request.path,
            status=response.status,
            ms=round(elapsed * 1000, 2),
            **line.fields,
        )
        return response

    return context


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
