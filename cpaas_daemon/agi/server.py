"""A FastAGI server the dialplan reaches with ``AGI(agi://host:port/<route>?secret=...)``.

Anyone who can reach the port could otherwise speak for any call (issue 10.1), so a
session is served only when

* its ``secret`` query parameter (``agi_request``, or ``agi_network_script``) equals
  the daemon's AGI secret, compared in constant time -- the daemon sets the dialplan
  global ``CPAAS_AGI_SECRET`` to it at every AMI login, so only Asterisk knows it;
* its ``agi_uniqueid`` is a channel the daemon itself sees live on AMI
  (:meth:`CallTracker.seen`); handlers get that record as :attr:`AgiRequest.live` and
  trust it, not values the session reports about itself;
* the connection fits under ``agi.max_connections`` (total and per peer).

panoramisk's own FastAGI Application is not used: on Python 3.11 it relies on the removed
``asyncio.coroutine`` and spins forever on a connection closed mid-handshake. Its
``Request.send_command`` (which parses ``200 result=...`` lines) is reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import structlog
from panoramisk.fast_agi import Request

from cpaas_daemon.config import AgiConfig
from cpaas_daemon.connections import ConnectionGuard, peer_of
from cpaas_daemon.metrics import Metrics

if TYPE_CHECKING:
    from cpaas_daemon.calls.tracker import LiveChannel

log = structlog.get_logger(__name__)

HEADER_TIMEOUT = 5.0
LIVE_WAIT = 2.0  # how long a session may wait for its channel's Newchannel on AMI
COMMAND_TIMEOUT = 120.0
_SAFE_ARG = re.compile(r'^[^"\r\n\\]*$')


class AgiHangup(Exception):
    """The channel hung up while a command ran (``200 result=-1`` or ``HANGUP``)."""


class AgiRequest:
    """One call's AGI session: its ``agi_*`` variables and a command channel."""

    def __init__(
        self, headers: dict[str, str], request: Request, live: LiveChannel | None = None
    ) -> None:
        self.headers = headers
        self._request = request
        self.live = live  # the daemon's own record of the channel (set once checked)

    @property
    def route(self) -> str:
        return self.headers.get("agi_network_script", "").split("?", 1)[0]

    @property
    def secret(self) -> str:
        return self._query("secret")

    @property
    def pbx_id(self) -> str:
        """Which PBX the session comes from (the ``CPAAS_PBX_ID`` global its dialplan
        sends as ``&pbx=``); empty from a dialplan that sends none."""
        return self._query("pbx")

    def _query(self, name: str) -> str:
        """A query parameter of the AGI URL (res_agi sends the URL as ``agi_request``;
        the part after the host is also in ``agi_network_script``)."""
        for source in (
            self.headers.get("agi_request", ""),
            self.headers.get("agi_network_script", ""),
        ):
            values = parse_qs(urlsplit(source).query or source.partition("?")[2]).get(name)
            if values:
                return values[0]
        return ""

    @property
    def uniqueid(self) -> str:
        return self.headers.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.headers.get("agi_channel", "")

    async def command(self, line: str) -> dict[str, Any]:
        if "\n" in line or "\r" in line:
            raise ValueError("AGI command must be one line")
        result: dict[str, Any] = await asyncio.wait_for(
            self._request.send_command(line), COMMAND_TIMEOUT
        )
        if result.get("error") in ("AGIResultHangup", "AGIAppError"):
            raise AgiHangup(result.get("msg", "hangup"))
        return result

    async def get_variable(self, name: str) -> str:
        result = await self.command(f"GET VARIABLE {name}")
        value, data = result.get("result", ("0", ""))
        return str(data) if value == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        if not _SAFE_ARG.match(value):
            raise ValueError(f"unsafe AGI value for {name}")
        await self.command(f'SET VARIABLE {name} "{value}"')

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str:
        """Play ``prompt`` and collect up to ``max_digits`` DTMF digits."""
        result = await self.command(f"GET DATA {prompt} {timeout_ms} {max_digits}")
        digits, _ = result.get("result", ("", ""))
        return str(digits) if str(digits).lstrip("-").isdigit() or digits == "" else ""


AgiHandler = Callable[[AgiRequest], Awaitable[None]]
LiveLookup = Callable[[str, float, str | None], Awaitable["LiveChannel | None"]]
"""``(uniqueid, within, pbx_id or None for any PBX)`` -> the live channel."""


class FastAgiServer:
    def __init__(self, config: AgiConfig, metrics: Metrics, secret: str, live: LiveLookup) -> None:
        self._config = config
        self._metrics = metrics
        self._secret = secret.encode()
        self._live = live
        self._guard = ConnectionGuard(
            "agi", config.max_connections, config.max_connections_per_peer, metrics
        )
        self._routes: dict[str, AgiHandler] = {}
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FastAGI server not started")
        return int(self._server.sockets[0].getsockname()[1])

    def route(self, name: str, handler: AgiHandler) -> None:
        self._routes[name] = handler

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self._config.host, self._config.port
        )
        log.info("agi.listening", host=self._config.host, port=self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._sessions):
            task.cancel()
        for task in list(self._sessions):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = peer_of(writer.transport)
        if not self._guard.admit(peer):
            writer.transport.abort()
            return
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            await self._session(reader, writer)
        finally:
            if task is not None:
                self._sessions.discard(task)
            writer.close()
            self._guard.release(peer)

    def _refused(self, limit: str, bound: Any, **why: str) -> None:
        self._metrics.limit_rejections.labels(limit).inc()
        bound.warning("agi.refused", limit=limit, **why)  # never the secret it sent

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\n\n"), HEADER_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            log.warning("agi.bad_handshake")
            return
        headers = dict(
            line.split(": ", 1)
            for line in raw.decode("utf-8", "replace").splitlines()
            if ": " in line
        )
        request = AgiRequest(headers, Request(None, headers, reader, writer))
        route = request.route.strip("/")
        handler = self._routes.get(route)
        bound = log.bind(agi_route=route, channel=request.channel, uniqueid=request.uniqueid)
        if not hmac.compare_digest(request.secret.encode(), self._secret):
            self._refused("agi_auth", bound, peer=peer_of(writer.transport))
            return
        if handler is None:
            bound.warning("agi.no_route")
            return
        request.live = await self._live(request.uniqueid, LIVE_WAIT, request.pbx_id or None)
        if request.live is None:
            self._refused("agi_channel", bound)
            return
        try:
            await handler(request)
        except AgiHangup:
            bound.info("agi.hangup")
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
            bound.info("agi.connection_closed", error=repr(exc))
        except Exception:
            bound.exception("agi.handler_failed")
