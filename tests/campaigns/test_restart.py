"""kill -9 of a real daemon process in the middle of a campaign, then a restart: the
campaign finishes and no contact is dialled more often than its retries allow."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.campaigns.helpers import PROMPT, number, originates, upload_prompt, window
from tests.harness import ACCOUNTS, free_port

pytestmark = pytest.mark.slow
ACCOUNT = "account_1"
BUSY = "4"
Process = asyncio.subprocess.Process


class Client:
    """The daemon seen from outside: HTTP only."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"account": ACCOUNT, "auth": ACCOUNTS[ACCOUNT]}
        async with self.session.request(
            method, self.url + path, json=body, headers=headers
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()


def environment(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int, http_port: int
) -> dict[str, str]:
    """The daemon's configuration, given the way production gives it: CPAAS_ variables."""
    return {
        **os.environ,
        "CPAAS_HTTP__HOST": "127.0.0.1",
        "CPAAS_HTTP__PORT": str(http_port),
        "CPAAS_AMI__PORT": str(sim.port),
        "CPAAS_AMI__RECONNECT_MIN": "0.05",
        "CPAAS_AGI__PORT": str(agi_port),
        "CPAAS_STORE__PATH": str(tmp_path / "cpaas.sqlite3"),
        "CPAAS_DIAL__OUTBOUND_TEMPLATE": "Local/{number}@sim-endpoints",
        "CPAAS_CAMPAIGNS__UPLOADS_DIR": str(tmp_path / "uploads"),
        "CPAAS_TTS__CACHE_DIR": str(tmp_path / "tts"),
        "CPAAS_LOG__LEVEL": "warning",
    }


async def cli(env: dict[str, str], *args: str) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cpaas_daemon", *args, env=env
    )


async def until(probe: Callable[[], Awaitable[bool]], within: float) -> None:
    """Poll what is only observable from outside (HTTP, the simulator's action log)."""
    async with asyncio.timeout(within):
        while not await probe():  # noqa: ASYNC110 - no event to await across processes
            await asyncio.sleep(0.05)


@asynccontextmanager
async def daemon_process(env: dict[str, str]) -> AsyncIterator[tuple[Process, Client]]:
    process = await cli(env, "run")
    url = f"http://127.0.0.1:{env['CPAAS_HTTP__PORT']}"
    try:
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                try:
                    async with session.get(url + "/health") as response:
                        return response.status == 200
                except aiohttp.ClientConnectionError:
                    return False

            await until(healthy, 15)
            yield process, Client(session, url)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def start_campaign(client: Client, numbers: list[str]) -> str:
    body = await client.call("POST", "/api/create_campaign_list", {"list_name": "l"})
    list_id = body["response"]["list_id"]
    contacts = [{"contact_number": n} for n in numbers]
    await client.call(
        "POST", "/api/add_contact_to_list", {"list_id": list_id, "contacts": contacts}
    )
    body = await client.call(
        "POST",
        "/api/create_campaign",
        {
            "list_id": list_id,
            "campaign_name": "restart",
            "campaign_type": "0",
            "campaign_caller_id": "15168148111",
            "recorded_filename": PROMPT,
            "retry_on_statuses": "BUSY",
            "max_retries": "1",
            "retry_time": "0",
            "calls_per_minute": "600",
            **window(),
        },
    )
    campaign_id: str = body["response"]["campaign_id"]
    return campaign_id


def calls_without_cdr(database: Path, campaign_id: str) -> set[str]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT dialed_number FROM calls WHERE campaign_id = ? AND cdr_at IS NULL",
            (campaign_id,),
        )
        return {row[0] for row in rows}


async def test_kill_9_halfway_then_restart_dials_nobody_twice(
    sim: SimulatedAsterisk, agi_port: int, tmp_path: Path
) -> None:
    env = environment(tmp_path, sim, agi_port, free_port())
    added = await cli(env, "accounts", "add", ACCOUNT, "--auth", ACCOUNTS[ACCOUNT])
    assert await added.wait() == 0
    upload_prompt(tmp_path / "uploads")
    numbers = [number(i) for i in range(60)]

    async def halfway() -> bool:
        return sum(originates(sim.actions).values()) >= len(numbers) // 2

    async with daemon_process(env) as (process, client):
        campaign_id = await start_campaign(client, numbers)
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

        await until(completed, 40)

    dialled = originates(sim.actions)
    assert dialled_before_kill < sum(dialled.values())  # the restarted daemon dialled on
    for n in numbers:
        assert dialled[n] <= (2 if n.endswith(BUSY) else 1), n
    # A contact is left undialled only if a calls row without CDR stands for it: that
    # Originate may have left just before the kill, so it is never sent again.
    undialled = {n for n in numbers if dialled[n] == 0}
    assert undialled <= calls_without_cdr(tmp_path / "cpaas.sqlite3", campaign_id)
