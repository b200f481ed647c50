"""One error type for the whole daemon; each API dialect renders it in its own shape.

Services raise :class:`ApiError` (or a subclass) with an HTTP status, a stable
``error_id`` and a human message for bad input they are handed. The dialect's middleware
turns it into that vendor's JSON (``{"response": {"success": "false", ...}}``,
``{"code": 1001, ...}`` ...). Failures of the PBX, of a call placement and of the store
are plain exceptions of their own domains (``ami/errors.py``, ``calls/placement.py``,
``store/errors.py``); ``api/errors.py`` alone maps them to :class:`PbxUnavailable` and
friends.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A failure a client can act on: bad input, missing resource, PBX unavailable."""

    status = 400
    error_id = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if error_id is not None:
            self.error_id = error_id
        self.details = details or {}


class ValidationFailed(ApiError):
    status = 400
    error_id = "validation_failed"


class Unauthorized(ApiError):
    status = 401
    error_id = "unauthorized"


class Forbidden(ApiError):
    status = 403
    error_id = "forbidden"


class NotFound(ApiError):
    status = 404
    error_id = "not_found"


class Conflict(ApiError):
    status = 409
    error_id = "conflict"


class Unprocessable(ApiError):
    status = 422
    error_id = "unprocessable"


class TooManyRequests(ApiError):
    status = 429
    error_id = "rate_limited"


class PbxUnavailable(ApiError):
    """What the client sees when AMI is not connected or dropped mid-action."""

    status = 503
    error_id = "pbx_unavailable"
