"""Restarts in the middle of work: what is lost or duplicated must be nothing.

- The daemon is SIGKILLed while a callback is being dialled: it is dialled exactly once,
  and its CDR (written by Asterisk while the daemon was dead) still completes it.
- Asterisk restarts in the middle of a campaign (Shutdown, EOF, refused connections,
  every call cut without a CDR): the campaign finishes, nobody is dialled more than their
  retries allow, and every contact ends with an outcome -- a CDR, or, for a call the
  restart cut before Asterisk reported it, the attempt outcome UNKNOWN (it is not
  re-dialled: the person may have answered).
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.daemon_process import ACCOUNT, cli, daemon_process, environment, until
from tests.harness import ACCOUNTS, Daemon, free_port, running_daemon
from tests.integration.callbacks.helpers import new_callback, originates_for
from tests.integration.campaigns.helpers import (
    campaign_body,
    create_campaign,
    new_list,
    number,
    originates,
    upload_prompt,
    wait_completed,
)

pytestmark = pytest.mark.slow


async def test_kill_9_while_a_callback_dials_neither_redials_nor_loses_its_cdr(
    sim: SimulatedAsterisk, agi_port: int, tmp_path: Path
) -> None:
    env = environment(tmp_path, sim, agi_port, free_port())
    env["CPAAS_CDR__CSV_PATH"] = str(tmp_path / "Master.csv")
    added = await cli(env, "accounts", "add", ACCOUNT, "--auth", ACCOUNTS[ACCOUNT])
    assert await added.wait() == 0

    async with daemon_process(env) as (process, client):
        reply = await client.call("POST", "/api/callback", new_callback(2))
        request_id = reply["response"]["request_id"]

        async def dialling() -> bool:
            return bool(originates_for(sim, request_id))

        await until(dialling, 10)
        process.send_signal(signal.SIGKILL)  # the Originate is out; the daemon dies
        await process.wait()
    await sim.wait_idle()  # the call runs to its end with nobody listening

    env["CPAAS_HTTP__PORT"] = str(free_port())
    async with daemon_process(env) as (_, client):

        async def settled() -> bool:
            body = await client.call("GET", f"/api/callback?request_id={request_id}")
            return bool(body["response"]["result"]["state"] == "completed")

        await until(settled, 15)
        body = await client.call("POST", "/api/get_cdr_by_request_id", {"request_id": request_id})
        [cdr] = body["response"]["result"]
        assert cdr["call_status"] == "ANSWERED"
    assert len(originates_for(sim, request_id)) == 1


async def test_asterisk_restart_mid_campaign_finishes_without_double_dials(
    sim: SimulatedAsterisk, agi_port: int, tmp_path: Path
) -> None:
    # Unanswered calls ring 10 s, not 30: the calls the restart cut are settled sooner.
    config = daemon_config(tmp_path, sim.port, agi_port, dial={"originate_timeout_ms": 10000})
    async with running_daemon(config) as daemon:
        await _restart_mid_campaign(daemon, sim, tmp_path)


async def _restart_mid_campaign(daemon: Daemon, sim: SimulatedAsterisk, tmp_path: Path) -> None:
    upload_prompt(tmp_path / "uploads")
    numbers = [number(i) for i in range(40)]
    list_id = await new_list(daemon, numbers)
    campaign_id = await create_campaign(
        daemon,
        campaign_body(list_id, retry_on_statuses="BUSY", max_retries="1", calls_per_minute="600"),
    )

    async def halfway() -> bool:
        return sum(originates(sim.actions).values()) >= len(numbers) // 2

    await daemon.wait_for(halfway, within=20)
    await sim.restart(down_for=1.0)
    await wait_completed(daemon, campaign_id, within=60)

    dialled = originates(sim.actions)
    for n in numbers:
        assert 1 <= dialled[n] <= (2 if n.endswith("4") else 1), n
    status, body = await daemon.post("/api/get_cdr_by_campaign_id", {"campaign_id": campaign_id})
    assert status == 200
    with_cdr = {row["dialed_number"] for row in body["response"]["result"]}
    db = daemon.app[keys.DOMAINS].core.db
    unknown = {
        row[0]
        for row in await db.fetchall(
            "SELECT c.contact_number FROM campaign_attempts a JOIN campaign_contacts c"
            " USING (contact_id) WHERE a.campaign_id = ? AND a.outcome = 'UNKNOWN'",
            (campaign_id,),
        )
    }
    assert with_cdr | unknown == set(numbers)  # nobody is left without an outcome
    open_targets = await db.fetchval(
        "SELECT COUNT(*) FROM campaign_targets WHERE campaign_id = ? AND state != 'done'",
        (campaign_id,),
    )
    assert open_targets == 0
