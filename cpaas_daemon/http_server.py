"""The HTTP listener as production runs it (``run``, the tests' daemon, the benchmarks).

aiohttp gives no deadline for a client that trickles its request, and its listener has
no connection cap (issue 10.3). Here:

* ``keepalive_timeout`` = ``http.header_timeout``: aiohttp closes a connection whose
  next request has not been parsed by then -- from the connection's first moment, so it
  is also the header read deadline;
* :func:`body_deadline` (a middleware) reads a body within ``http.body_timeout``
  (multipart uploads: the whole request within ``http.upload_timeout``), else 408;
* :class:`~cpaas_daemon.connections.ConnectionGuard` caps connections in total and per
  peer address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from cpaas_daemon import keys
from cpaas_daemon.api.errors import Handler, render
from cpaas_daemon.connections import ConnectionGuard
from cpaas_daemon.errors import ApiError


class RequestTimeout(ApiError):
    status = 408
    error_id = "request_timeout"


@web.middleware
async def body_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Inside the error middleware, so a 408 is rendered in the endpoint's dialect."""
    config = request.app[keys.CONFIG].http
    if not request.body_exists:
        return await handler(request)
    if request.content_type.startswith("multipart/"):
        try:
            async with asyncio.timeout(config.upload_timeout):
                return await handler(request)
        except TimeoutError:
            return _timed_out(request, "upload not received in time")
    if (request.content_length or 0) > request.client_max_size:
        return await handler(request)  # refused by the handler's own size check, unread
    try:
        async with asyncio.timeout(config.body_timeout):  # no extra task, unlike wait_for
            await request.read()  # kept by the request for the handler
    except TimeoutError:
        return _timed_out(request, "request body not received in time")
    return await handler(request)


def _timed_out(request: web.Request, message: str) -> web.StreamResponse:
    """408 in the dialect, then the connection is closed: the rest of the body may still
    be on its way and must not be read as the next request."""
    response = render(request.path, RequestTimeout(message))
    response.force_close()
    return response


@asynccontextmanager
async def serving(app: web.Application, host: str, port: int) -> AsyncIterator[int]:
    """Serve ``app`` on ``host:port`` (0: a free port, yielded). OSError if it cannot bind."""
    config = app[keys.CONFIG].http
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, keepalive_timeout=config.header_timeout
    )
    await runner.setup()
    guard = ConnectionGuard(
        "http", config.max_connections, config.max_connections_per_peer, app[keys.METRICS]
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
