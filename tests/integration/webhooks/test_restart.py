"""kill -9 in the middle of a delivery: nothing is lost, the duplicate has the same id."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.daemon_process import ACCOUNT, cli, daemon_process, environment, until
from tests.harness import ACCOUNTS, free_port
from tests.integration.webhooks.helpers import CALL, events_of, has
from tests.integration.webhooks.receiver import Receiver, verify
from tests.store_rig import opened_store

pytestmark = pytest.mark.slow


async def test_kill_9_mid_delivery_loses_nothing_and_resends_with_the_same_id(
    sim: SimulatedAsterisk, agi_port: int, tmp_path: Path, receiver: Receiver
) -> None:
    env = environment(tmp_path, sim, agi_port, free_port())
    env["CPAAS_CDR__CSV_PATH"] = str(tmp_path / "Master.csv")  # CDRs written while dead
    env["CPAAS_WEBHOOKS__ALLOWED_NETWORKS"] = "127.0.0.0/8"
    env["CPAAS_WEBHOOKS__RETRY_SCALE"] = "0.00001"
    env["CPAAS_WEBHOOKS__POLL_INTERVAL"] = "0.05"
    added = await cli(env, "accounts", "add", ACCOUNT, "--auth", ACCOUNTS[ACCOUNT])
    assert await added.wait() == 0
    receiver.delays["/crm"] = lambda seen: 5.0 if seen == 0 else 0.0  # the first POST hangs

    async with daemon_process(env) as (process, client):
        body = await client.call("POST", "/api/webhooks", {"url": receiver.url("/crm")})
        secret = body["response"]["secret"]
        body = await client.call("POST", "/api/click2call", CALL)
        request_id = body["response"]["request_id"]
        [first] = await receiver.wait(lambda: receiver.at("/crm"))
        process.send_signal(signal.SIGKILL)  # mid-POST: its 200 will never be recorded
        await process.wait()
    await sim.wait_idle()

    env["CPAAS_HTTP__PORT"] = str(free_port())
    async with daemon_process(env):
        await receiver.wait(lambda: has(receiver, "/crm", request_id, "call.completed"))

        async with opened_store(tmp_path / "cpaas.sqlite3") as db:

            async def all_recorded() -> bool:
                sql = "SELECT COUNT(*) FROM webhook_deliveries WHERE state != 'delivered'"
                return await db.fetchval(sql) == 0

            await until(all_recorded, 10)
            stored = {row[0] for row in await db.fetchall("SELECT event_id FROM webhook_events")}

    received = receiver.at("/crm")
    assert [r.headers["webhook-id"] for r in received].count(first.headers["webhook-id"]) == 2
    assert all(verify(secret, r.headers, r.raw) for r in received)
    assert {r.headers["webhook-id"] for r in received} == stored  # nothing lost
    sequences = [e["sequence"] for e in events_of(receiver, "/crm", request_id)]
    assert sorted(set(sequences)) == list(range(1, max(sequences) + 1))
