"""Each dialect's sub-app owns its URL prefixes: a URL no route serves is answered in
the shape of the dialect whose prefix it is under, exactly as when the renderer was
chosen by prefix (``/wallboardx`` is the Asternic shape, ``/api`` without a slash the
generic one), and a 405 or bad body on ``/stop_campaign`` is in seed 003's shape."""

from __future__ import annotations

from typing import Any

import pytest

from cpaas_daemon.app import create_app
from cpaas_daemon.sim.daemon_config import daemon_config
from tests.harness import free_port

CPAAS_404 = {"response": {"success": "false", "message": "no such endpoint"}}
V2_404 = {
    "status": "error",
    "code": 1000,
    "message": "Invalid parameter",
    "error": "no such endpoint",
}
ISALES_404 = {"resultCode": "404", "resultDesc": "no such endpoint"}
ASTERNIC_404 = {"error": "no such endpoint", "status": "404"}
GENERIC_404 = {"error": {"id": "http_404", "message": "no such endpoint"}}


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    """The daemon app, its PBX unreachable (closed port): routing needs no PBX."""
    return await aiohttp_client(
        create_app(daemon_config(tmp_path, ami_port=free_port(), agi_port=free_port()))
    )


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/api/nope", 404, CPAAS_404),
        ("POST", "/api/v2/nope", 404, V2_404),
        ("POST", "/api/v2/agentDashboard/nope", 404, V2_404),
        ("GET", "/rest/isales/nope", 404, ISALES_404),
        ("GET", "/stats/nope", 404, ASTERNIC_404),
        ("GET", "/wallboardx", 404, ASTERNIC_404),
        ("GET", "/nope", 404, GENERIC_404),
        ("GET", "/api", 404, GENERIC_404),
        (
            "GET",
            "/stop_campaign",
            405,
            {"response": {"success": "false", "message": "method not allowed for this endpoint"}},
        ),
        (
            "GET",
            "/api/v2/overallCount/Ecounters",
            405,
            {**V2_404, "error": "method not allowed for this endpoint"},
        ),
    ],
)
async def test_an_unserved_url_is_answered_in_the_dialect_of_its_prefix(
    client: Any, method: str, path: str, status: int, body: dict[str, Any]
) -> None:
    response = await client.request(method, path)
    assert (response.status, await response.json()) == (status, body)


async def test_the_seed_stop_path_and_the_v2_dialect_each_keep_their_own_shape(client: Any) -> None:
    stop = await client.post("/stop_campaign", data=b"{", headers={"account": "a", "auth": "b"})
    assert stop.status == 401  # authentication comes before the body, in seed 003's shape
    assert await stop.json() == {
        "response": {"success": "false", "message": "invalid account or auth"}
    }
    v2 = await client.post("/api/v2/agentDashboard/counters", data=b"[")
    assert (v2.status, (await v2.json())["code"]) == (400, 1000)
