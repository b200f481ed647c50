"""Issue 10.4: per-account call limits and failed-login throttling, attacked over HTTP.

Each test asserts what the attacker and the other tenants see: the dialect's 429, the
Originates that reached the PBX, and that everyone else is still served.
"""

from __future__ import annotations

import asyncio
import base64
import time

from cpaas_daemon import keys
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon

CALL = {"agent_number": "919979270010", "caller_id": "15168148111"}


def originates(sim: SimulatedAsterisk, account: str) -> int:
    return sum(
        1
        for a in sim.actions
        if str(a.get("Action", "")).lower() == "originate" and a.get("Account") == account
    )


def rejections(daemon: Daemon, limit: str) -> float:
    value = daemon.app[keys.DOMAINS].core.metrics.registry.get_sample_value(
        "cpaas_limit_rejections_total", {"limit": limit}
    )
    return value or 0.0


async def click2call(daemon: Daemon, n: int, account: str = "account_1", agent: str = "0") -> list:
    bodies = [
        {**CALL, "agent_number": f"91997927{n:03d}{agent}", "destination_number": "918000680020"}
        for n in range(n)
    ]
    return list(await asyncio.gather(*(daemon.post("/api/click2call", b, account) for b in bodies)))


async def test_a_burst_past_the_accounts_calls_per_second_is_429_and_never_dialled(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    await daemon.app[keys.DOMAINS].core.accounts.set_limits("account_1", 2.0, None)
    answers = await click2call(daemon, 30)
    ok = [body for status, body in answers if status == 200]
    refused = [body for status, body in answers if status == 429]
    assert (len(ok), len(refused)) == (2, 28)
    assert refused[0] == {
        "response": {
            "success": "false",
            "limit": "calls_per_second",
            "message": "account account_1 may place 2 calls per second; no call was placed",
        }
    }
    assert originates(sim, "account_1") == 2
    assert rejections(daemon, "calls_per_second") == 28
    # the other tenant is not slowed down by the first one's flood
    assert [status for status, _ in await click2call(daemon, 3, "account_2")] == [200] * 3


async def test_concurrent_calls_past_the_accounts_limit_are_429_until_one_ends(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    await daemon.app[keys.DOMAINS].core.accounts.set_limits("account_1", 100.0, 2)
    first = await click2call(daemon, 2, agent="9")  # agents ending in 9 stay up
    assert [status for status, _ in first] == [200, 200]
    status, body = await daemon.post(
        "/api/click2call", {**CALL, "destination_number": "918000680020"}
    )
    assert (status, body["response"]["limit"]) == (429, "concurrent_calls")
    assert originates(sim, "account_1") == 2
    for _, answer in first:
        await daemon.cdr(answer["response"]["request_id"])  # both calls have ended
    limiter = daemon.app[keys.DOMAINS].core.call_limiter
    limiter._clock = lambda: time.monotonic() + limiter.GRACE_SECONDS  # past the grace
    status, _ = await daemon.post("/api/click2call", {**CALL, "destination_number": "918000680020"})
    assert status == 200


async def test_repeated_wrong_secrets_are_throttled_in_every_dialect(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    config = daemon.app[keys.DOMAINS].core.config.limits
    bad = {"account": "account_1", "auth": "not-the-secret-at-all"}
    for _ in range(config.auth_failures_per_peer):
        async with daemon.session.post(
            daemon.url + "/api/click2call", json=CALL, headers=bad
        ) as response:
            assert response.status == 401
    # Now even the right secret from this peer is refused, without being checked.
    status, body = await daemon.post(
        "/api/click2call", {**CALL, "destination_number": "918000680020"}
    )
    assert (status, body["response"]["limit"]) == (429, "auth_peer")
    async with daemon.session.post(
        daemon.url + "/api/v2/overallCount/Ecounters",
        json={"userId": "account_1", "token": "x"},
    ) as response:
        assert response.status == 429
        assert (await response.json())["status"] == "error"
    isales = base64.b64encode(b"account_1:" + daemon.accounts["account_1"].encode()).decode()
    async with daemon.session.get(
        daemon.url + "/rest/isales/v2/openapi/campaigns/1/statistics",
        headers={"Authorization": f"Basic {isales}"},
    ) as response:
        assert response.status == 429
    basic = base64.b64encode(b"someone:password").decode()
    async with daemon.session.get(
        daemon.url + "/stats/rest/index.php?entity=queues",
        headers={"Authorization": f"Basic {basic}"},
    ) as response:
        assert response.status == 429
    assert originates(sim, "account_1") == 0
    assert rejections(daemon, "auth_peer") == 4
    async with daemon.session.get(daemon.url + "/health") as response:
        assert response.status == 200  # the daemon still answers


async def test_metrics_record_requests_by_route_and_status_latency_and_rejections(
    daemon: Daemon,
) -> None:
    """Issue 10.8: what an operator alerts on is on /metrics."""
    await daemon.app[keys.DOMAINS].core.accounts.set_limits("account_1", 1.0, None)
    await click2call(daemon, 3)
    await daemon.get("/api/no/such/path/1234")
    async with daemon.session.get(daemon.url + "/metrics") as response:
        text = await response.text()
    assert (
        'cpaas_http_requests_total{method="POST",route="/api/click2call",status="200"} 1.0' in text
    )
    assert (
        'cpaas_http_requests_total{method="POST",route="/api/click2call",status="429"} 2.0' in text
    )
    assert 'cpaas_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'cpaas_http_request_seconds_count{route="/api/click2call"} 3.0' in text
    assert 'cpaas_limit_rejections_total{limit="calls_per_second"} 2.0' in text
    assert "/no/such/path" not in text
