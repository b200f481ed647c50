"""The HTTP listener as production runs it (``run``, the tests' daemon, the benchmarks).

aiohttp gives no deadline for a client that trickles its request, and its listener has
no connection cap (issue 10.3). Here:

* ``keepalive_timeout`` = ``http.header_timeout``: aiohttp closes a connection whose
  next request has not been parsed by then -- from the connection's first moment, so it
  is also the header read deadline;
* :func:`body_deadline` (each dialect's middleware) reads a body within ``http.body_timeout``
  (multipart uploads: the whole request within ``http.upload_timeout``), else 408;
* :class:`~cpaas_daemon.connections.ConnectionGuard` caps connections in total and per
  peer address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.typedefs import Middleware

from cpaas_daemon import keys
from cpaas_daemon.api.errors import ApiError, Handler, Renderer
from cpaas_daemon.config import HttpConfig
from cpaas_daemon.connections import ConnectionGuard


class RequestTimeout(ApiError):
    status = 408
    error_id = "request_timeout"


def body_deadline(config: HttpConfig, render: Renderer) -> Middleware:
    """Inside a dialect's error middleware, and given its renderer, so a 408 is in the
    endpoint's dialect. Only the app that owns the matched route applies it: the root
    app's deadline leaves a dialect's request to that dialect's own."""

    @web.middleware
    async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        match_info = request.match_info
        if not request.body_exists or match_info.current_app is not match_info.apps[-1]:
            return await handler(request)
        if request.content_type.startswith("multipart/"):
            try:
                async with asyncio.timeout(config.upload_timeout):
                    return await handler(request)
            except TimeoutError:
                return _timed_out(render, "upload not received in time")
        if (request.content_length or 0) > request.client_max_size:
            return await handler(request)  # refused by the handler's own size check, unread
        try:
            async with asyncio.timeout(config.body_timeout):  # no extra task, unlike wait_for
                await request.read()  # kept by the request for the handler
        except TimeoutError:
            return _timed_out(render, "request body not received in time")
        return await handler(request)

    return deadline


def _timed_out(render: Renderer, message: str) -> web.StreamResponse:
    """408 in the dialect, then the connection is closed: the rest of the body may still
    be on its way and must not be read as the next request."""
    response = render(RequestTimeout(message))
    response.force_close()
    return response


@asynccontextmanager
async def serving(app: web.Application, host: str, port: int) -> AsyncIterator[int]:
    """Serve ``app`` on ``host:port`` (0: a free port, yielded). OSError if it cannot bind."""
    core = app[keys.DOMAINS].core
    config = core.config.http
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, keepalive_timeout=config.header_timeout
    )
    await runner.setup()
    guard = ConnectionGuard(
        "http", config.max_connections, config.max_connections_per_peer, core.metrics
    )
    server = runner.server
    assert server is not None
    try:
        listener = await asyncio.get_running_loop().create_server(
            lambda: guard.wrap(server()), host, port
        )
    except OSError:
        await runner.cleanup()
        raise
    try:
        yield int(listener.sockets[0].getsockname()[1])
    finally:
        listener.close()
        await runner.cleanup()
