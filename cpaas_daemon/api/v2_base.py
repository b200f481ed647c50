"""The v2 dialect (seeds 000 and 001): ``userId``/``token``/``ssid`` in a JSON body,
``{"message": ..., "status": "success"}`` answers and numeric error codes.

Services raise errors that say what happened (``error_id``); the table below is the
only place that knows the vendor's numbers, so both endpoints agree on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from cpaas_daemon.accounts.limits import AuthThrottle
from cpaas_daemon.api.errors import ApiError, Renderer
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.stats.access import StatsAccess
from cpaas_daemon.stats.errors import InvalidParameter, InvalidType

MAX_BODY = 1 << 16

CODES = {
    "invalid_parameter": 1000,
    "invalid_type": 1001,
    "user_id_missing": 1002,
    "agent_not_found": 1003,
    "store_unavailable": 1010,
    "invalid_token": 1014,
    "permission_denied": 1015,
    "token_missing": 1020,
    "internal": 1032,
    "account_suspended": 1039,
    "agent_not_logged_in": 1043,
}
MESSAGES = {
    1000: "Invalid parameter",
    1001: "Invalid data type",
    1002: "UserId not provided",
    1003: "AgentId does not exist",
    1010: "Error in DB connect",
    1014: "Invalid token",
    1015: "Permission denied",
    1020: "Token not found",
    1032: "Internal server error",
    1039: "User account suspended",
    1043: "Agent is not logged in",
    1501: "Agent dashboard error",
}


def error_code(error: ApiError, internal: int = 1032) -> int:
    """Known ids map by the table; other failures by status (5xx internal, else 1000)."""
    if error.error_id == "internal":
        return internal
    return CODES.get(error.error_id, internal if error.status >= 500 else 1000)


def _renderer(internal: int) -> Renderer:
    def render(error: ApiError) -> web.Response:
        code = error_code(error, internal)
        body = {"status": "error", "code": code, "message": MESSAGES[code], "error": error.message}
        return json_response(body, status=error.status)

    return render


# The two endpoints differ only in the code of an internal error.
render_error = _renderer(1032)
render_agent_error = _renderer(1501)


@dataclass(frozen=True)
class V2Request:
    """An authenticated v2 request: the account and the rest of its body."""

    account_id: str
    ssid: str | None
    body: dict[str, Any]


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidType(f"{name} must be a string")
    return value


def success(message: Any, **extra: Any) -> web.Response:
    return json_response({"message": message, "status": "success", **extra})


class V2Auth:
    """``userId`` + ``token`` (our account id + auth secret), throttled like every login."""

    def __init__(self, throttle: AuthThrottle, access: StatsAccess) -> None:
        self._throttle = throttle
        self._access = access

    async def authenticated(self, request: web.Request) -> V2Request:
        """Parse the JSON body and check ``userId`` + ``token`` (our account id + auth secret)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise InvalidParameter("request body too large")
        raw = await request.read()
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):  # too deeply nested: also junk
            raise InvalidParameter("request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidType("request body must be a JSON object")
        user_id = _optional_string(body, "userId") or ""
        token = _optional_string(body, "token") or ""
        ssid = _optional_string(body, "ssid")
        with self._throttle.attempt(request.remote, user_id.strip()):
            account_id = await self._access.account(user_id.strip(), token)
        structlog.contextvars.bind_contextvars(account=account_id)
        return V2Request(account_id, ssid or None, body)
