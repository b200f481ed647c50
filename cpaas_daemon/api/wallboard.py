"""The live wallboard: ``/wallboard`` (page), ``/wallboard/snapshot`` (JSON) and
``/wallboard/events`` (Server-Sent Events). docs/wallboard.md describes the tiles.

It is an operator tool over the same data as the Asternic stats API, so it uses the
same HTTP Basic ``stats_users`` and the same error shape (a 401 carries
``WWW-Authenticate``, which makes a browser ask for the password), and each user sees
only their queues. Static assets are public: they hold code, never data.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from cpaas_daemon.api.asternic import StatsUserAuth
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.wallboard import page as wallboard_page
from cpaas_daemon.wallboard.hub import WallboardHub

PATH = "/wallboard"
HEARTBEAT_SECONDS = 15.0  # keeps proxies and NAT from closing a quiet stream
RECONNECT_MS = 3000  # EventSource's retry delay after the stream drops
STATIC_PATH = f"{PATH}/static"
STATIC_DIR = wallboard_page.STATIC_DIR
_NO_STORE = {"Cache-Control": "no-store"}


def sse_event(name: str, data: dict[str, Any]) -> bytes:
    """One SSE message; compact JSON never contains a newline, so one ``data:`` line."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class WallboardApi:
    """The wallboard's page, snapshot and event stream, over its hub."""

    def __init__(self, auth: StatsUserAuth, hub: WallboardHub) -> None:
        self._auth = auth
        self._hub = hub

    async def page(self, request: web.Request) -> web.Response:
        scope = await self._auth.scope(request)
        board = await self._hub.fresh()
        html = wallboard_page.render(board.visible_to(scope))
        return web.Response(text=html, content_type="text/html", headers=_NO_STORE)

    async def snapshot(self, request: web.Request) -> web.Response:
        scope = await self._auth.scope(request)
        board = await self._hub.fresh()
        return json_response(board.visible_to(scope), headers=_NO_STORE)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """A ``board`` event on connect and after each change; comments as heartbeats."""
        scope = await self._auth.scope(request)
        hub = self._hub
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "X-Accel-Buffering": "no",  # nginx: pass events through as they come
                **_NO_STORE,
            }
        )
        await response.prepare(request)
        try:
            await response.write(f"retry: {RECONNECT_MS}\n\n".encode())
            with hub.watch(scope) as viewer:
                async for board in viewer.updates(HEARTBEAT_SECONDS):
                    message = (
                        b": keep-alive\n\n"
                        if board is None
                        else sse_event("board", board.visible_to(scope))
                    )
                    await response.write(message)
        except ConnectionResetError:
            pass  # the screen went away; watch() has already forgotten it
        return response
