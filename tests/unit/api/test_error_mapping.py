"""Only the API layer gives domain failures an HTTP status: each keeps the answer the
client got when they were ApiErrors themselves."""

from __future__ import annotations

import pytest

from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.api.errors import as_api_error
from cpaas_daemon.calls.placement import NotSent, Refused, Uncertain
from cpaas_daemon.store.errors import StoreUnavailable


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
