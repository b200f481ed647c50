"""Failures a client can act on, named for what went wrong; nothing here knows HTTP.

Services raise a :class:`DomainError` subclass (bad input they are handed, a missing
resource, a conflict ...) with a stable ``error_id`` and a human message.
``api/errors.py`` alone gives each class its HTTP status, and the dialect's middleware
turns the result into that vendor's JSON (``{"response": {"success": "false", ...}}``,
``{"code": 1001, ...}`` ...). Failures of the PBX, of a call placement and of the store
are plain exceptions of their own domains too (``ami/errors.py``,
``calls/placement.py``, ``store/errors.py``).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure the caller can act on; ``details`` are extra fields for the answer."""

    error_id = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        error_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if error_id is not None:
            self.error_id = error_id
        self.details = details or {}


class ValidationFailed(DomainError):
    error_id = "validation_failed"


class Unauthorized(DomainError):
    """Missing or wrong credentials (a failed login, counted by the login throttle)."""

    error_id = "unauthorized"


class Forbidden(DomainError):
    error_id = "forbidden"


class NotFound(DomainError):
    error_id = "not_found"


class Conflict(DomainError):
    error_id = "conflict"


class Unprocessable(DomainError):
    error_id = "unprocessable"


class TooManyRequests(DomainError):
    error_id = "rate_limited"


class Unavailable(DomainError):
    """Something the request needs cannot work now (e.g. speech synthesis)."""

    error_id = "unavailable"
