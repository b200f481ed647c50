"""kill -9 of a real daemon process in the middle of a campaign, then a restart: the
campaign finishes and no contact is dialled more often than its retries allow."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.daemon_process import ACCOUNT, cli, daemon_process, environment, until
from tests.harness import ACCOUNTS, free_port
from tests.integration.campaigns.helpers import (
    calls_without_outcome,
    campaign_on,
    number,
    originates,
    upload_prompt,
    window,
)
from tests.store_rig import opened_store

pytestmark = pytest.mark.slow
BUSY = "4"


async def calls_unheard(database: Path, campaign_id: str) -> set[str]:
    """Numbers whose calls row the PBX never reported on: no CDR, or the ``NO ANSWER``
    one written for a call whose end nobody heard (no end time: cdr/lost_calls.py)."""
    async with opened_store(database) as db:
        rows = await db.fetchall(
            "SELECT dialed_number FROM calls WHERE campaign_id = ? AND (cdr_at IS NULL"
            " OR (dial_status = 'NOANSWER' AND end_time IS NULL))",
            (campaign_id,),
        )
    return {row[0] for row in rows}


async def test_kill_9_halfway_then_restart_dials_nobody_twice(
    sim: SimulatedAsterisk, agi_port: int, tmp_path: Path
) -> None:
    sim.core.started -= 3600  # the PBX has been up long before the campaign (Uptime)
    env = environment(tmp_path, sim, agi_port, free_port())
    env["CPAAS_CDR__CSV_PATH"] = str(tmp_path / "Master.csv")  # the simulator's records
    env["CPAAS_DIAL__ORIGINATE_TIMEOUT_MS"] = "10000"  # lost calls settled 20 s sooner
    added = await cli(env, "accounts", "add", ACCOUNT, "--auth", ACCOUNTS[ACCOUNT])
    assert await added.wait() == 0
    upload_prompt(tmp_path / "uploads")
    numbers = [number(i) for i in range(60)]

    async def halfway() -> bool:
        return sum(originates(sim.actions).values()) >= len(numbers) // 2

    async with daemon_process(env) as (process, client):
        campaign_id = await campaign_on(
            client,
            numbers,
            campaign_name="restart",
            max_retries="1",
            calls_per_minute="600",
            **window(),
        )
        await until(halfway, 20)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    dialled_before_kill = sum(originates(sim.actions).values())

    env["CPAAS_HTTP__PORT"] = str(free_port())
    async with daemon_process(env) as (_, client):

        async def completed() -> bool:
            path = f"/api/get_campaign_details?campaign_id={campaign_id}"
            body = await client.call("GET", path)
            return bool(body["response"]["result"][0]["campaign_status"] == "3")

        # Its attempts left open wait for the lost calls' CDRs (originate timeout +
        # grace after the login, cdr/lost_calls.py), then finish: ~25 s.
        await until(completed, 70)

    dialled = originates(sim.actions)
    assert dialled_before_kill < sum(dialled.values())  # the restarted daemon dialled on
    for n in numbers:
        assert dialled[n] <= (2 if n.endswith(BUSY) else 1), n
    # A contact is left undialled only if a calls row without CDR stands for it: that
    # Originate may have left just before the kill, so it is never sent again.
    undialled = {n for n in numbers if dialled[n] == 0}
    assert undialled <= await calls_unheard(tmp_path / "cpaas.sqlite3", campaign_id)
    # Every call ended with a CDR, those that ended unheard while the daemon was dead
    # included (NO ANSWER: Master.csv has no record of them), so every contact has its
    # call's outcome and none is UNKNOWN.
    async with opened_store(tmp_path / "cpaas.sqlite3") as db:
        assert await calls_without_outcome(db, campaign_id) == []
