"""Asternic Call Center Stats PRO REST dialect (seed 004): ``/stats/rest/index.php``.

One URL; the ``entity`` query variable selects the function (``reports``,
``reports/<name>``, ``realtime``, ``queues[/<id>]``, ``agents[/<id>]``, ``call/<id>``,
``search``). Every value is rendered as a string, as in the vendor's examples. Users
authenticate with HTTP Basic and see only their queues. The seed shows no error shape,
so errors are ``{"error": <message>, "status": "<code>"}`` with the HTTP status.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from cpaas_daemon.accounts.limits import AuthThrottle
from cpaas_daemon.api.errors import ApiError
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.errors import NotFound, Unauthorized, ValidationFailed
from cpaas_daemon.queue_log.filters import ReportFilter, Scope
from cpaas_daemon.queue_log.paging import Page, PageRequest
from cpaas_daemon.queue_log.service import QueueStats
from cpaas_daemon.queue_log.users import StatsUsers

PATH = "/stats/rest/index.php"
REALM = 'Basic realm="stats"'


def render_error(error: ApiError) -> web.Response:
    headers = {"WWW-Authenticate": REALM} if error.status == 401 else None
    body = {"error": error.message, "status": str(error.status)}
    return json_response(body, status=error.status, headers=headers)


def _strings(value: Any) -> Any:
    """Asternic renders every scalar as a JSON string."""
    if isinstance(value, dict):
        return {str(key): _strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strings(item) for item in value]
    return "" if value is None else str(value)


def _grid(page: Page) -> dict[str, Any]:
    return {
        "page": page.page,
        "total": page.total_pages,
        "records": page.records,
        "rows": page.rows,
    }


def _id(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(f"{what} id must be an integer") from None


class StatsUserAuth:
    """HTTP Basic over the ``stats_users``: what the Asternic API and the wallboard share."""

    def __init__(self, throttle: AuthThrottle, users: StatsUsers) -> None:
        self._throttle = throttle
        self._users = users

    async def scope(self, request: web.Request) -> Scope:
        """The queues the user may see; 401 (with the realm) for bad credentials."""
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            raise Unauthorized("authentication required")
        try:
            name, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("malformed Basic credentials") from None
        with self._throttle.attempt(request.remote, f"stats:{name}"):
            scope = await self._users.authenticate(name, password)
            if scope is None:
                raise Unauthorized("wrong user name or password")
        return scope


class AsternicApi:
    """Seed 004's one URL, over the queue stats service."""

    def __init__(self, auth: StatsUserAuth, stats: QueueStats) -> None:
        self._auth = auth
        self._stats = stats

    async def stats_rest(self, request: web.Request) -> web.Response:
        scope = await self._auth.scope(request)
        stats = self._stats.in_zone(request.query.get("tz"))
        query = request.query
        entity, _, argument = query.get("entity", "").strip("/").partition("/")
        page = PageRequest.parse(query.get("page"), query.get("rows"))
        body: dict[str, Any]
        if entity == "reports" and not argument:
            body = {"data": [{"report": name} for name in stats.reports.names]}
        elif entity == "reports":
            flt = ReportFilter.from_query(query, stats.tz, scope)
            body = _grid(await stats.reports.run(argument, flt, page))
        elif entity == "search" and not argument:
            flt = ReportFilter.from_query(query, stats.tz, scope)
            body = _grid(await stats.lookups.search(flt, page))
        elif entity == "queues":
            queue_id = _id(argument, "queue") if argument else None
            body = {"data": await stats.lookups.queues(scope, queue_id)}
        elif entity == "agents":
            agent_id = _id(argument, "agent") if argument else None
            body = {"data": await stats.lookups.agents(scope, agent_id)}
        elif entity == "call" and argument:
            flow = await stats.lookups.callflow(argument, scope, page)
            body = {
                "totalpages": flow.total_pages,
                "currpage": flow.page,
                "totalrecords": flow.records,
                "data": flow.rows,
            }
        elif entity == "realtime" and not argument:
            body = await stats.realtime.snapshot(scope)
        else:
            raise NotFound(f"no such entity: {query.get('entity', '')}")
        return json_response(_strings(body))
