"""Two daemon processes on one PostgreSQL store, each driving its own simulated PBX
(``east`` and ``west``): work is claimed once across them (docs/scaling.md, "Work
claimed once across nodes"). Both nodes poll the same callbacks -- exactly the race the
claims must win; a campaign is dialled by the node holding its lease (the race of two
nodes claiming one campaign's contacts at once is tests/unit/campaigns/test_claims.py).

Seen from outside only: HTTP, each simulator's Originates on the wire, the shared rows.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon.sim.daemon_config import SIM_AMI_SECRET
from cpaas_daemon.sim.server import SimulatedAsterisk
from cpaas_daemon.store.db import Database
from tests.daemon_process import (
    ACCOUNT,
    Client,
    Process,
    cli,
    daemon_process,
    environment,
    until,
)
from tests.harness import ACCOUNTS, free_port, running_sim
from tests.integration.callbacks.helpers import new_callback, originates_for
from tests.integration.campaigns.helpers import (
    campaign_on,
    number,
    originates,
    upload_prompt,
)
from tests.store_rig import ON_POSTGRES, store_at, store_environment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="several daemons share a PostgreSQL store only (TEST_STORE=postgresql)",
    ),
]
WALL = "%Y-%m-%d %H:%M:%S"
CONTACTS = 80
CALLBACKS = 20


@dataclass
class Node:
    pbx_id: str
    sim: SimulatedAsterisk
    env: dict[str, str]
    config: Path


@dataclass
class Cluster:
    nodes: list[Node]
    store: Database  # the shared store, read by the test

    def dialled(self) -> Counter[str]:
        """Campaign Originates per number, over both PBXs' wires."""
        return sum((originates(node.sim.actions) for node in self.nodes), Counter())

    def callback_originates(self, request_id: str) -> int:
        return sum(len(originates_for(node.sim, request_id)) for node in self.nodes)


def pbx_toml(pbx_id: str, sim: SimulatedAsterisk, workdir: Path) -> str:
    return (
        f'[[pbx]]\nid = "{pbx_id}"\ncdr_csv_path = "{workdir / "Master.csv"}"\n'
        f'queue_log_path = "{workdir / "queue_log"}"\n'
        f'[pbx.ami]\nhost = "127.0.0.1"\nport = {sim.port}\nsecret = "{SIM_AMI_SECRET}"\n'
        "reconnect_min = 0.05\nreconnect_max = 0.2\nping_interval = 1.0\n"
    )


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    """Two PBXs and the settings of a daemon for each; one store, one uploads folder."""
    shared = tmp_path / "shared.sqlite3"  # names the one PostgreSQL database
    async with AsyncExitStack() as stack:
        nodes = []
        for pbx_id in ("east", "west"):
            workdir, agi_port = tmp_path / pbx_id, free_port()
            workdir.mkdir()
            sim = await stack.enter_async_context(running_sim(workdir, agi_port))
            env = environment(workdir, sim, agi_port, free_port()) | store_environment(shared)
            env |= {
                "CPAAS_CAMPAIGNS__UPLOADS_DIR": str(tmp_path / "uploads"),
                "CPAAS_DIAL__EXTENSION_TEMPLATE": "Local/{number}@sim-endpoints",
                "CPAAS_CALLBACKS__POLL_SECONDS": "0.5",
                "CPAAS_CLUSTER__NODE_ID": f"node-{pbx_id}",  # one host: ids must differ
            }
            config = workdir / "cpaas.toml"
            config.write_text(pbx_toml(pbx_id, sim, workdir), encoding="utf-8")
            nodes.append(Node(pbx_id, sim, env, config))
        added = await cli(nodes[0].env, "accounts", "add", ACCOUNT, "--auth", ACCOUNTS[ACCOUNT])
        assert await added.wait() == 0
        upload_prompt(tmp_path / "uploads")
        store = store_at(shared)
        await store.open()
        stack.push_async_callback(store.close)
        yield Cluster(nodes, store)


def started(node: Node) -> Any:
    return daemon_process(node.env, "--config", str(node.config))


def wall(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(WALL)


async def test_one_campaign_on_two_nodes_is_dialled_by_its_holder_each_contact_once(
    cluster: Cluster,
) -> None:
    east, west = cluster.nodes
    numbers = [number(i) for i in range(CONTACTS)]
    # Created on east before west starts: west finds it unfinished at start-up, held by
    # east (its lease), and leaves it alone.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    async with started(east) as (_, client):
        campaign_id = await campaign_on(
            client,
            numbers,
            campaign_name="shared",
            max_retries="0",
            calls_per_minute="1200",
            campaign_start_date=wall(start),
            campaign_end_date=wall(start + timedelta(hours=1)),
            time_zone="UTC",
        )
        async with started(west):

            async def all_dialled() -> bool:
                return len(cluster.dialled()) == CONTACTS

            await until(all_dialled, 40)

            async def completed() -> bool:
                path = f"/api/get_campaign_details?campaign_id={campaign_id}"
                body = await client.call("GET", path)
                return bool(body["response"]["result"][0]["campaign_status"] == "3")

            await until(completed, 30)

    assert cluster.dialled() == Counter(dict.fromkeys(numbers, 1))  # each once, on one wire
    per_pbx = {node.pbx_id: sum(originates(node.sim.actions).values()) for node in cluster.nodes}
    assert per_pbx == {"east": CONTACTS, "west": 0}  # the lease holder's PBX only
    rows = await cluster.store.fetchall(
        "SELECT dialed_number, COUNT(*) AS n FROM calls WHERE campaign_id = ?"
        " GROUP BY dialed_number",
        (campaign_id,),
    )
    assert {row["dialed_number"]: row["n"] for row in rows} == dict.fromkeys(numbers, 1)
    attempts = await cluster.store.fetchval(
        "SELECT COUNT(*) FROM campaign_attempts WHERE campaign_id = ?", (campaign_id,)
    )
    assert attempts == CONTACTS


async def create_callback(client: Client, due: datetime) -> str:
    body = await client.call("POST", "/api/callback", new_callback(0) | {
        "time_zone": "UTC", "scheduled_at": wall(due),
    })  # fmt: skip
    return str(body["response"]["request_id"])


async def callback_state(client: Client, request_id: str) -> str:
    body = await client.call("GET", f"/api/callback?request_id={request_id}")
    return str(body["response"]["result"]["state"])


async def test_twenty_callbacks_created_on_both_nodes_are_each_placed_once(
    cluster: Cluster,
) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    async with started(cluster.nodes[0]) as (_, east), started(cluster.nodes[1]) as (_, west):
        ids = [await create_callback((east, west)[n % 2], due) for n in range(CALLBACKS)]

        async def all_completed() -> bool:
            states = [await callback_state(west, rid) for rid in ids]
            return states == ["completed"] * CALLBACKS

        await until(all_completed, 30)

    assert [cluster.callback_originates(rid) for rid in ids] == [1] * CALLBACKS
    rows = await cluster.store.fetchall(
        "SELECT request_id, pbx_id FROM calls WHERE kind = 'callback'"
    )
    assert sorted(row["request_id"] for row in rows) == sorted(ids)  # one calls row each
    assert {row["pbx_id"] for row in rows} <= {"east", "west"}


async def test_callbacks_of_a_node_killed_before_their_time_are_placed_by_the_other(
    cluster: Cluster,
) -> None:
    east, west = cluster.nodes
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    async with started(west) as (_, survivor):
        async with started(east) as (process, doomed):
            ids = [await create_callback(doomed, due) for _ in range(CALLBACKS // 2)]
            await kill_9(process)
            assert datetime.now(UTC) < due  # dead before any of them was due

        async def all_completed() -> bool:
            states = [await callback_state(survivor, rid) for rid in ids]
            return states == ["completed"] * len(ids)

        await until(all_completed, 30)

    assert [len(originates_for(west.sim, rid)) for rid in ids] == [1] * len(ids)
    assert [len(originates_for(east.sim, rid)) for rid in ids] == [0] * len(ids)


async def kill_9(process: Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()
