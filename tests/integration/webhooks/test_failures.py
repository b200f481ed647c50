"""A CRM that is down, slow, failing, gone or redirecting: retried with the same id,
disabled on 410, dead-lettered and redelivered, never followed, never blocking others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.webhooks import retry
from cpaas_daemon.webhooks.worker import PARKED
from tests.harness import Daemon, free_port, running_daemon
from tests.integration.webhooks.helpers import click2call, events_of, has, subscribe
from tests.integration.webhooks.receiver import Receiver, running_receiver, verify


async def delivery_rows(daemon: Daemon) -> list[Any]:
    return await daemon.app[keys.DOMAINS].core.db.fetchall(
        "SELECT * FROM webhook_deliveries ORDER BY id"
    )


async def test_500s_are_retried_with_the_same_id_until_accepted(
    daemon: Daemon, receiver: Receiver
) -> None:
    receiver.answers["/flaky"] = lambda seen: 500 if seen < 2 else 200
    hook = await subscribe(daemon, receiver.url("/flaky"), events="call.initiated")
    await click2call(daemon)
    posts = await receiver.wait(lambda: len(receiver.at("/flaky")) == 3 and receiver.at("/flaky"))
    assert len({p.headers["webhook-id"] for p in posts}) == 1
    assert len({p.raw for p in posts}) == 1  # the body is byte-identical on every retry
    assert all(verify(hook["secret"], p.headers, p.raw) for p in posts)
    [row] = await daemon.wait_for(
        lambda: _rows_in(daemon, "delivered")  # the 200 is recorded
    )
    assert (row["attempts"], row["last_status"]) == (3, 200)
    async with daemon.session.get(daemon.url + "/metrics") as response:
        metrics = await response.text()
    assert 'cpaas_webhook_attempts_total{outcome="retry"} 2.0' in metrics
    assert 'cpaas_webhook_attempts_total{outcome="delivered"} 1.0' in metrics


async def _rows_in(daemon: Daemon, state: str) -> list[Any]:
    return [r for r in await delivery_rows(daemon) if r["state"] == state]


async def test_410_disables_the_endpoint_and_nothing_more_is_sent(
    daemon: Daemon, receiver: Receiver
) -> None:
    receiver.answers["/gone"] = 410
    hook = await subscribe(daemon, receiver.url("/gone"), events="call.initiated")
    await subscribe(daemon, receiver.url("/witness"), events="call.initiated")
    await click2call(daemon)

    async def disabled() -> dict[str, str] | None:
        _, body = await daemon.get("/api/webhooks")
        found = {h["webhook_id"]: h for h in body["response"]["result"]}
        return (
            found[hook["webhook_id"]] if found[hook["webhook_id"]]["enabled"] == "false" else None
        )

    listed = await daemon.wait_for(disabled)
    assert "410" in listed["disabled_reason"]
    second = await click2call(daemon)
    await receiver.wait(lambda: has(receiver, "/witness", second, "call.initiated"))
    assert len(receiver.at("/gone")) == 1
    _, body = await daemon.get(f"/api/webhooks/dead?webhook_id={hook['webhook_id']}")
    [dead] = body["response"]["result"]
    assert (dead["last_status"], dead["type"]) == ("410", "call.initiated")


async def test_a_redirect_is_a_failure_never_followed_then_dead_and_redelivered(
    daemon: Daemon, receiver: Receiver
) -> None:
    receiver.answers["/moved"] = 302
    hook = await subscribe(daemon, receiver.url("/moved"), events="call.initiated")
    request_id = await click2call(daemon)

    async def dead() -> list[dict[str, str]]:
        _, body = await daemon.get("/api/webhooks/dead")
        return body["response"]["result"]  # type: ignore[no-any-return]

    [letter] = await daemon.wait_for(dead, within=20)
    assert len(receiver.at("/moved")) == retry.MAX_ATTEMPTS
    assert receiver.at("/followed") == []
    assert letter["last_status"] == "302"
    assert "redirect" in letter["last_error"]
    assert (letter["webhook_id"], letter["request_id"]) == (hook["webhook_id"], request_id)

    receiver.answers["/moved"] = 200
    status, body = await daemon.post(
        "/api/webhooks/redeliver", {"delivery_id": letter["delivery_id"]}
    )
    assert (status, body["response"]["count"]) == (200, "1")
    again = await receiver.wait(
        lambda: len(receiver.at("/moved")) > retry.MAX_ATTEMPTS and receiver.at("/moved")[-1]
    )
    assert again.headers["webhook-id"] == letter["event_id"]
    assert await daemon.wait_for(lambda: _rows_in(daemon, "delivered"))
    assert await dead() == []


async def test_a_receiver_that_was_down_gets_everything_when_it_comes_up(
    daemon: Daemon,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/late"
    await subscribe(daemon, url)
    request_id = await click2call(daemon)

    async def failed_twice() -> bool:
        rows = await delivery_rows(daemon)
        return bool(rows) and rows[0]["attempts"] >= 2 and "connect" in rows[0]["last_error"]

    await daemon.wait_for(failed_twice)
    # the call's later events wait parked behind the failing one: only it is ever due
    await daemon.wait_for(lambda: _parked(daemon))
    unparked = [r for r in await delivery_rows(daemon) if r["next_at"] != PARKED]
    assert len(unparked) == 1
    async with running_receiver(port) as receiver:
        await receiver.wait(lambda: has(receiver, "/late", request_id, "call.completed"))
        events = events_of(receiver, "/late", request_id)
    assert [e["sequence"] for e in events][:4] == [1, 2, 3, 4]


async def test_a_slow_endpoint_holds_its_own_slots_only(daemon: Daemon, receiver: Receiver) -> None:
    receiver.delays["/slow"] = 3.0  # beyond the 1 s timeout: every attempt times out
    await subscribe(daemon, receiver.url("/slow"), events="call.initiated")
    await subscribe(daemon, receiver.url("/fast"), events="call.initiated")
    await daemon.app[keys.DOMAINS].core.accounts.set_limits(
        "account_1", 100.0, None
    )  # 8 calls at once
    calls = [await click2call(daemon) for _ in range(8)]
    await receiver.wait(
        lambda: all(has(receiver, "/fast", rid, "call.initiated") for rid in calls), within=3
    )
    per_endpoint = daemon.app[keys.DOMAINS].core.config.webhooks.concurrency_per_endpoint
    assert receiver.peak["/slow"] == per_endpoint

    async def timed_out() -> bool:
        return any("timed out" in r["last_error"] for r in await delivery_rows(daemon))

    await daemon.wait_for(timed_out)


async def test_retry_after_is_honoured(daemon: Daemon, receiver: Receiver) -> None:
    receiver.answers["/busy"] = lambda seen: 503 if seen == 0 else 200  # 503 says Retry-After: 1
    await subscribe(daemon, receiver.url("/busy"), events="call.initiated")
    await click2call(daemon)
    first, second = await receiver.wait(
        lambda: len(receiver.at("/busy")) == 2 and receiver.at("/busy")
    )
    assert second.at - first.at >= 0.95


async def test_loopback_is_refused_unless_the_operator_allows_it(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int, receiver: Receiver
) -> None:
    config = daemon_config(
        tmp_path, sim.port, agi_port, webhooks={"retry_scale": 1e-5, "poll_interval": 0.05}
    )
    async with running_daemon(config) as daemon:
        await subscribe(daemon, receiver.url("/literal"), events="call.initiated")
        await subscribe(daemon, f"http://localhost:{receiver.port}/name", events="call.initiated")
        await click2call(daemon)

        async def refused() -> list[Any]:
            rows = await delivery_rows(daemon)
            return [r for r in rows if "refused" in r["last_error"]]

        assert len(await daemon.wait_for(lambda: _all_refused(refused))) == 2
    assert receiver.received == []


async def _parked(daemon: Daemon) -> int:
    return sum(r["next_at"] == PARKED for r in await delivery_rows(daemon))


async def _all_refused(refused: Any) -> list[Any] | None:
    rows = await refused()
    return rows if len(rows) == 2 else None


async def test_a_failing_event_holds_back_the_rest_of_its_call(
    daemon: Daemon, receiver: Receiver
) -> None:
    receiver.answers["/ord"] = lambda seen: 500 if seen < 4 else 200
    await subscribe(daemon, receiver.url("/ord"))
    request_id = await click2call(daemon)
    await receiver.wait(lambda: has(receiver, "/ord", request_id, "call.completed"))
    arrivals = [r.event["sequence"] for r in receiver.at("/ord")]
    assert arrivals[:5] == [1, 1, 1, 1, 1]  # the retries of the first event, nothing else
    assert arrivals == sorted(arrivals)  # never a later event before an earlier one
    assert sorted(set(arrivals)) == list(range(1, max(arrivals) + 1))


async def test_a_disabled_endpoint_gets_nothing_and_logs_never_hold_the_secret(
    daemon: Daemon, receiver: Receiver, capsys: Any
) -> None:
    receiver.answers["/err"] = 500
    failing = await subscribe(daemon, receiver.url("/err"), events="call.initiated")
    off = await subscribe(daemon, receiver.url("/off"), events="call.initiated")
    status, _ = await daemon.call(
        "PATCH", "/api/webhooks", {"webhook_id": off["webhook_id"], "enabled": "false"}
    )
    assert status == 200
    await click2call(daemon)
    await receiver.wait(lambda: len(receiver.at("/err")) >= 3)
    assert receiver.at("/off") == []
    logged = capsys.readouterr()
    assert "webhook.attempt_failed" in logged.out + logged.err
    for secret in (failing["secret"], off["secret"]):
        assert secret not in logged.out + logged.err
        assert secret.removeprefix("whsec_") not in logged.out + logged.err
