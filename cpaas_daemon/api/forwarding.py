"""Any node answers any call-control request: a click2call or modify_call that needs a
PBX another node works is forwarded over HTTP to that node (docs/scaling.md).

The node's address is the ``holder_url`` stored with its PBX lease (``cluster.api_url``).
The request is sent on as it came (method, path and query, body) with the client's own
``account``/``auth`` headers, after this node has authenticated them, plus
``X-Cpaas-Forwarded-By: <node>``: a forwarded request is never forwarded again, so two
nodes that disagree for a moment cannot bounce it between them. The holder's answer
(status and body) is the client's answer.

When:
* click2call: this node works no healthy PBX; the request goes to the node holding the
  first live lease of a PBX (configuration order). A node with a PBX that is full
  answers 503 itself, as before.
* modify_call by ``request_id``: the call's row names a PBX this node does not work; the
  request goes to that PBX's holder. A modify_call naming only a raw ``channel`` is
  answered here (the channel is looked up among this node's live channels).
* live views (live calls, live call statistics): asked of every other live node working
  a PBX and merged with this node's own (:meth:`Forwarder.gather`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from cpaas_daemon.calls.placement import NotSent
from cpaas_daemon.cluster.leases import PBX, Holding, LeaseRepository
from cpaas_daemon.errors import Unavailable
from cpaas_daemon.pbx.pool import PbxPool

log = structlog.get_logger(__name__)

FORWARDED_BY = "X-Cpaas-Forwarded-By"
_PASSED = ("account", "auth", "Authorization", "Content-Type")


class Forwarder:
    def __init__(self, pool: PbxPool, leases: LeaseRepository, timeout: float) -> None:
        self._pool = pool
        self._leases = leases
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self, _app: web.Application | None = None) -> None:
        if self._session is not None:
            await self._session.close()

    async def for_new_call(self, request: web.Request) -> Holding | None:
        """The node to send a new call to, when this node works no healthy PBX."""
        if FORWARDED_BY in request.headers or self._pool.connected:
            return None
        holdings = await self._leases.holdings(PBX)
        for pbx in self._pool.pbxes:
            if (held := self._elsewhere(holdings.get(pbx.id))) is not None:
                return held
        return None

    async def for_pbx(self, request: web.Request, pbx_id: str | None) -> Holding | None:
        """The node working ``pbx_id``, when that is not this node."""
        if FORWARDED_BY in request.headers or pbx_id is None or self._pool.owns(pbx_id):
            return None
        return self._elsewhere((await self._leases.holdings(PBX)).get(pbx_id))

    def _elsewhere(self, held: Holding | None) -> Holding | None:
        if held is None or not held.live or not held.holder_url:
            return None
        return None if held.holder == self._leases.node_id else held

    async def forward(self, request: web.Request, to: Holding) -> web.Response:
        """The holder's answer to the same request. Not reached: NotSent (503, nothing
        was done there); reached but no answer: Unavailable (503, it may have acted: a
        click2call must not simply be sent again)."""
        bound = log.bind(node=to.holder, pbx=to.name, path=request.path)
        try:
            status, payload, content_type = await self._send(request, to)
        except aiohttp.ClientConnectorError as exc:
            bound.warning("api.forward_failed", error=str(exc))
            raise NotSent(f"node {to.holder} working PBX {to.name} is unreachable", "") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            bound.warning("api.forward_lost", error=str(exc))
            raise Unavailable(
                f"node {to.holder} working PBX {to.name} did not answer; it may have acted"
            ) from exc
        bound.info("api.forwarded", status=status)
        return web.Response(status=status, body=payload, content_type=content_type)

    async def gather(self, request: web.Request) -> list[dict[str, Any]]:
        """The ``response`` objects the other live nodes working PBXs give to the same
        (read-only) request, for a live view of the whole cluster: each node knows the
        calls of its own PBXs only. A node that does not answer 200 is left out and
        logged (its PBXs move to a live node within ``L + L/3``, whose tracker then
        rebuilds their calls from CoreShowChannels)."""
        if FORWARDED_BY in request.headers:
            return []
        nodes = {
            held.holder: held
            for held in (await self._leases.holdings(PBX)).values()
            if self._elsewhere(held) is not None
        }
        answers = await asyncio.gather(
            *(self._send(request, held) for held in nodes.values()), return_exceptions=True
        )
        found = []
        for held, answer in zip(nodes.values(), answers, strict=True):
            if isinstance(answer, BaseException) or answer[0] != 200:
                failure = answer if isinstance(answer, BaseException) else answer[0]
                log.warning("api.gather_failed", node=held.holder, error=str(failure))
                continue
            found.append(json.loads(answer[1])["response"])
        return found

    async def _send(self, request: web.Request, to: Holding) -> tuple[int, bytes, str]:
        headers = {name: request.headers[name] for name in _PASSED if name in request.headers}
        headers[FORWARDED_BY] = self._leases.node_id
        body = await request.read()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        async with self._session.request(
            request.method, to.holder_url + request.path_qs, data=body, headers=headers
        ) as response:
            return response.status, await response.read(), response.content_type
