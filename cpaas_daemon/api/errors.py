"""Render any failure in the dialect of the endpoint that was called.

Each vendor document has its own error shape, so each dialect's sub-application gets its
own :func:`error_middleware` built with its renderer (``api/routes.py``). A handler
raises :class:`ApiError` or a plain exception of its domain; :func:`as_api_error` is the
one place that gives the latter an HTTP status, and an unexpected exception is logged
with its traceback and answered as a 500 in the same dialect, without internals.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.typedefs import Middleware

from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.calls.placement import NotSent, PlacementFailed, Refused, Uncertain
from cpaas_daemon.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    Unprocessable,
    ValidationFailed,
)
from cpaas_daemon.store.errors import StoreUnavailable

log = structlog.get_logger(__name__)


class ApiError(Exception):
    """A failure as the client sees it: an HTTP status, a stable ``error_id``, a message
    and extra fields; each dialect renders it in its own shape."""

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


class PbxUnavailable(ApiError):
    """What the client sees when AMI is not connected or dropped mid-action."""

    status = 503
    error_id = "pbx_unavailable"


# The status of each domain failure (its nearest class here decides).
STATUSES: dict[type[DomainError], int] = {
    DomainError: 400,
    ValidationFailed: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Unprocessable: 422,
    TooManyRequests: 429,
    Unavailable: 503,
}

Renderer = Callable[[ApiError], web.Response]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def generic_renderer(error: ApiError) -> web.Response:
    """The shape of the endpoints no vendor specifies (``/health`` ...) and unknown URLs."""
    body = {"error": {"id": error.error_id, "message": error.message, **error.details}}
    return json_response(body, status=error.status)


def _http_error_as_api_error(exc: web.HTTPException) -> ApiError:
    messages = {404: "no such endpoint", 405: "method not allowed for this endpoint"}
    message = messages.get(exc.status, exc.reason)
    if exc.status == 413:
        message = "request body too large"
    return ApiError(message, status=exc.status, error_id=f"http_{exc.status}")


def _pbx_refused(message: str) -> ApiError:
    return ApiError(message, status=502, error_id="pbx_error")


def as_api_error(exc: Exception) -> ApiError | None:
    """A domain failure as the client sees it (None: not one the API knows).

    The AMI and placement outcomes are plain exceptions of their own domains; this is the
    one place that gives them an HTTP status. An uncertain call names its request, so the
    client can follow it instead of placing it again.
    """
    match exc:
        case ApiError():
            return exc
        case DomainError():
            status = next(STATUSES[c] for c in type(exc).__mro__ if c in STATUSES)
            return ApiError(exc.message, status=status, error_id=exc.error_id, details=exc.details)
        case AmiRefused() | Refused():
            return _pbx_refused(exc.message)
        case AmiUnavailable() | NotSent():
            return PbxUnavailable(exc.message)
        case Uncertain():
            return PbxUnavailable(exc.message, details={"request_id": exc.request_id})
        case StoreUnavailable():
            return ApiError(exc.message, status=503, error_id="store_unavailable")
    return None


# What :func:`as_api_error` knows: every other exception is a 500.
DOMAIN_FAILURES = (
    ApiError,
    DomainError,
    AmiRefused,
    AmiUnavailable,
    PlacementFailed,
    StoreUnavailable,
)


def error_middleware(render: Renderer) -> Middleware:
    """The error middleware of one dialect: every failure rendered by ``render``."""

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except DOMAIN_FAILURES as failure:
            exc = as_api_error(failure)
            assert exc is not None
            log.info("request.rejected", status=exc.status, error=exc.error_id, reason=exc.message)
            return render(exc)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return render(_http_error_as_api_error(exc))
        except json.JSONDecodeError:
            return render(ApiError("request body is not valid JSON"))
        except BadHttpMessage as exc:  # e.g. a multipart part whose headers hold control bytes
            log.info("request.malformed", reason=exc.message)
            return render(ApiError("malformed request body", error_id="malformed"))
        except Exception:
            log.exception("request.failed")
            return render(ApiError("internal error", status=500, error_id="internal"))

    return errors
