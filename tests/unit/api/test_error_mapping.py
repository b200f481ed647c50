"""Only the API layer gives domain failures an HTTP status: each keeps the answer the
client got when they were ApiErrors themselves."""

from __future__ import annotations

import pytest

from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.api.errors import as_api_error
from cpaas_daemon.calls.placement import NotSent, Refused, Uncertain
from cpaas_daemon.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from cpaas_daemon.stats.errors import InvalidParameter, InvalidToken
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.tts.errors import TtsUnavailable


@pytest.mark.parametrize(
    ("failure", "status", "error_id", "details"),
    [
        (AmiRefused("No such channel"), 502, "pbx_error", {}),
        (Refused("No such channel", "abcdef0123"), 502, "pbx_error", {}),
        (AmiUnavailable("PBX is not connected", sent=False), 503, "pbx_unavailable", {}),
        (NotSent("PBX is not connected", "abcdef0123"), 503, "pbx_unavailable", {}),
        (
            Uncertain("link lost", "abcdef0123"),
            503,
            "pbx_unavailable",
            {"request_id": "abcdef0123"},  # the client follows it instead of re-placing it
        ),
        (StoreUnavailable("disk full"), 503, "store_unavailable", {}),
    ],
)
def test_domain_failures_map_to_the_status_the_client_always_got(
    failure: Exception, status: int, error_id: str, details: dict[str, str]
) -> None:
    error = as_api_error(failure)
    assert error is not None
    assert (error.status, error.error_id, error.message, error.details) == (
        status,
        error_id,
        str(failure),
        details,
    )


def test_an_unknown_exception_is_not_mapped() -> None:
    assert as_api_error(RuntimeError("bug")) is None


@pytest.mark.parametrize(
    ("failure", "status", "error_id"),
    [
        (ValidationFailed("agent_number is required"), 400, "validation_failed"),
        (InvalidParameter("unknown Field"), 400, "invalid_parameter"),
        (InvalidToken("invalid token"), 401, "invalid_token"),
        (Forbidden("not yours"), 403, "forbidden"),
        (NotFound("cdr not found"), 404, "not_found"),
        (Conflict("already stopped"), 409, "conflict"),
        (TooManyRequests("slow down", details={"limit": "cps"}), 429, "rate_limited"),
        (TtsUnavailable("no engine"), 503, "tts_unavailable"),
    ],
)
def test_domain_errors_get_their_status_from_the_api_layer_only(
    failure: DomainError, status: int, error_id: str
) -> None:
    """Domain errors carry no status; the API layer gives each class the one clients got."""
    assert not hasattr(failure, "status")
    error = as_api_error(failure)
    assert error is not None
    assert (error.status, error.error_id, error.message, error.details) == (
        status,
        error_id,
        failure.message,
        failure.details,
    )
