"""Three daemons (real processes) on one PostgreSQL, two simulated PBXs: a campaign and
callbacks are each dialled once across the cluster, also when the node running the
campaign is killed (-9) halfway; the survivors then answer the same statistics, equal to
what the simulators placed. And a PBX lost in the cluster: a click2call sent to the node
working it is forwarded to the node working the other PBX (docs/scaling.md).

Seen from outside only: HTTP, each simulator's Originates on the wire."""

from __future__ import annotations

import csv
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.daemon_process import ACCOUNT, until
from tests.harness import ACCOUNTS
from tests.integration.callbacks.helpers import new_callback, originates_for
from tests.integration.calls.test_call_control import LONG_CALL
from tests.integration.campaigns.helpers import (
    calls_without_outcome,
    campaign_on,
    number,
    upload_prompt,
)
from tests.integration.campaigns.helpers import originates as originates_per_number
from tests.integration.cluster.test_two_daemons import (
    INTERVAL,
    LEASE,
    Cluster,
    Node,
    senders,
    start_cluster,
)
from tests.store_rig import ON_POSTGRES, opened_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="several daemons share a PostgreSQL store; run with TEST_STORE=postgresql",
    ),
]

CONTACTS = 60
CALLBACKS = 10
NODES = ("node-a", "node-b", "node-c")


@pytest.fixture
async def three(tmp_path: Path, agi_port: int) -> AsyncIterator[Cluster]:
    async with AsyncExitStack() as stack:
        yield await start_cluster(stack, tmp_path, agi_port, ("pbx1", "pbx2"), NODES)


async def holdings(cluster: Cluster) -> dict[str, list[str]]:
    """Each node's PBX leases, as its /health says."""
    return {name: (await node.health())["cluster"]["pbx"] for name, node in cluster.nodes.items()}


async def settled(cluster: Cluster, nodes: list[Node]) -> dict[str, str]:
    """Until each PBX is worked (logged in) by one of ``nodes``, one PBX each at most:
    PBX id -> its node's name."""
    owners: dict[str, str] = {}

    async def one_each() -> bool:
        owners.clear()
        for node in nodes:
            health = await node.health()
            held = health["cluster"]["pbx"]
            if len(held) > 1 or not all(health["pbx"][pbx_id] for pbx_id in held):
                return False
            owners.update(dict.fromkeys(held, node.name))
        return sorted(owners) == ["pbx1", "pbx2"]

    await until(one_each, 4 * LEASE)
    return owners


async def delivering(node: Node) -> bool:
    """Whether the node runs the webhook delivery worker (holds its lease), per /metrics."""
    async with node.client.session.get(node.client.url + "/metrics") as response:
        text = await response.text()
    return 'cpaas_leases_held{kind="webhooks"} 1.0' in text


def campaign_dials(cluster: Cluster, numbers: list[str]) -> Counter[str]:
    """Originates per campaign number, over both PBXs' wires (a callback's first leg
    dials its agent, another number)."""
    every = originates_per_number([*cluster.sims["pbx1"].actions, *cluster.sims["pbx2"].actions])
    return Counter({n: c for n, c in every.items() if n in numbers})


def recorded_calls(master_csv: Path) -> Counter[str]:
    """Dispositions of the calls a simulator recorded (answered ones only, as Asterisk's
    default cdr.conf): the first leg (``;1``) of each call the daemon placed carries its
    request id in the userfield."""
    with master_csv.open(newline="", encoding="utf-8") as lines:
        rows = [row for row in csv.reader(lines) if row[-1] and row[5].endswith(";1")]
    return Counter(row[14] for row in rows)


def callback_dials(cluster: Cluster, request_id: str) -> int:
    return sum(len(originates_for(sim, request_id)) for sim in cluster.sims.values())


async def cdr_statistics(node: Node, campaign_id: str) -> tuple[Any, Any]:
    """The account's statistics and the campaign's, as this node answers them."""
    account = await node.client.call("GET", "/api/get_cdr_statistics")
    campaign = await node.client.call(
        "POST", "/api/get_campaign_cdr_statistics", {"campaign_id": campaign_id}
    )
    return account["response"]["result"], campaign["response"]["result"]


async def all_done(survivors: list[Node], campaign_id: str, callbacks: list[str]) -> None:
    """Until the campaign is completed and every callback too, as a survivor says."""

    async def completed() -> bool:
        body = await survivors[0].client.call(
            "GET", f"/api/get_campaign_details?campaign_id={campaign_id}"
        )
        return bool(body["response"]["result"][0]["campaign_status"] == "3")

    await until(completed, 60)

    async def callbacks_done() -> bool:
        states = []
        for request_id in callbacks:
            body = await survivors[1].client.call("GET", f"/api/callback?request_id={request_id}")
            states.append(body["response"]["result"]["state"])
        return states == ["completed"] * len(callbacks)

    await until(callbacks_done, 30)


async def statistics_agree(
    three: Cluster, survivors: list[Node], campaign_id: str, placed: int, tmp_path: Path
) -> int:
    """The survivors answer the same figures, those of the wires: every call placed is
    counted once, and the answered ones are those the PBXs recorded in Master.csv (the
    dead node's PBX is caught up by its new owner). The calls the killed node had in
    flight on pbx1 that ended unanswered while no node listened (cdr.conf's ``unanswered
    = no``: no record; the AMI events went to the dead node) are counted too: pbx1's new
    owner wrote their ``NO ANSWER`` CDR, and their contacts have that outcome, not
    UNKNOWN. Returns how many such CDRs it wrote."""
    answered = sum(
        recorded_calls(tmp_path / pbx_id / "Master.csv")["ANSWERED"] for pbx_id in three.sims
    )

    async def all_recorded() -> bool:
        account, _ = await cdr_statistics(survivors[0], campaign_id)
        return bool(account["total_calls"] == [placed + CALLBACKS])

    await until(all_recorded, 30)
    answers = [await cdr_statistics(node, campaign_id) for node in survivors]
    assert answers[0] == answers[1]
    account, campaign = answers[0]
    assert account["total_calls"] == [placed + CALLBACKS]
    assert campaign["total_calls"] == [placed]
    assert account["answer_calls"] == [answered]
    async with opened_store(tmp_path / "cpaas.sqlite3") as db:
        assert await calls_without_outcome(db, campaign_id) == []
        # The CDRs nobody heard the end of: the only legs without a channel name.
        lost = await db.fetchall("SELECT pbx_id, disposition FROM cdr_legs WHERE channel = ''")
    assert {(row["pbx_id"], row["disposition"]) for row in lost} <= {("pbx1", "NO ANSWER")}
    return len(lost)


async def test_a_campaign_and_callbacks_on_three_nodes_dial_each_once_through_a_kill_9(
    three: Cluster, tmp_path: Path
) -> None:
    a = three.nodes["node-a"]
    owners = await settled(three, list(three.nodes.values()))
    assert owners["pbx1"] == "node-a"  # it took both first and kept the first-configured
    assert [await delivering(node) for node in three.nodes.values()] == [True, False, False]
    upload_prompt(tmp_path / "uploads")
    numbers = [number(i) for i in range(CONTACTS)]
    campaign_id = await campaign_on(a.client, numbers, max_retries="1")  # BUSY retried once

    async def dialled_some() -> bool:
        return sum(campaign_dials(three, numbers).values()) >= 10

    await until(dialled_some, 20)
    assert (await a.health())["cluster"]["campaigns"] == [campaign_id]
    survivors = [three.nodes["node-b"], three.nodes["node-c"]]
    # Callbacks created on the survivors, due after node-a's death: any node may place them.
    callbacks = []
    for n in range(CALLBACKS):
        body = await survivors[n % 2].client.call("POST", "/api/callback", new_callback(2))
        callbacks.append(body["response"]["request_id"])

    a.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    await a.process.wait()
    before_kill = sum(campaign_dials(three, numbers).values())
    assert before_kill < CONTACTS  # mid-campaign

    async def picked_up() -> bool:
        held = [(await node.health())["cluster"]["campaigns"] for node in survivors]
        return [campaign_id] in held

    await until(picked_up, 3 * LEASE)
    took = time.monotonic() - killed

    async def one_delivers() -> bool:  # webhook delivery moves to one survivor too
        return sorted([await delivering(node) for node in survivors]) == [False, True]

    await until(one_delivers, 3 * LEASE)
    print(f"campaign picked up {took:.2f} s after node-a was killed ({before_kill} dialled)")
    assert took < LEASE + INTERVAL + 1.0

    await all_done(survivors, campaign_id, callbacks)
    finished = time.monotonic() - killed

    counts = campaign_dials(three, numbers)
    assert set(counts) == set(numbers)  # everyone was dialled ...
    too_often = {n: c for n, c in counts.items() if c > (2 if n.endswith("4") else 1)}
    assert too_often == {}  # ... and nobody more often than their retries allow
    assert [callback_dials(three, rid) for rid in callbacks] == [1] * CALLBACKS

    placed = sum(counts.values())
    lost = await statistics_agree(three, survivors, campaign_id, placed, tmp_path)
    recorded = time.monotonic() - killed
    print(
        f"after the kill: campaign completed and callbacks placed in {finished:.1f} s,"
        f" every CDR stored in {recorded:.1f} s; {placed} campaign calls,"
        f" {lost} of them in flight at the kill, ended unheard: NO ANSWER CDRs"
    )


async def test_a_click2call_to_the_node_of_a_lost_pbx_is_placed_on_the_other_pbx(
    tmp_path: Path, agi_port: int
) -> None:
    """pbx1's simulator stops: node-a (its owner, keeping its lease) has no healthy PBX,
    so it forwards the click2call to node-b, which places it on pbx2; the user gets the
    200 of a placed call."""
    async with AsyncExitStack() as stack:
        cluster = await start_cluster(stack, tmp_path, agi_port, ("pbx1", "pbx2"))
        await cluster.settled()
        a, b = cluster.nodes["node-a"], cluster.nodes["node-b"]
        await cluster.sims["pbx1"].stop()  # the Asterisk is gone

        async def a_sees_it_down() -> bool:
            health = await a.health()
            return bool(health["pbx"]["pbx1"] is False and health["cluster"]["pbx"] == ["pbx1"])

        await until(a_sees_it_down, 10)
        async with a.client.session.post(
            a.client.url + "/api/click2call",
            json=LONG_CALL,
            headers={"account": ACCOUNT, "auth": ACCOUNTS[ACCOUNT]},
        ) as response:
            status, body = response.status, await response.json()
        assert status == 200, body
        assert body["response"]["success"] == "true"
        request_id = body["response"]["request_id"]
        assert senders(cluster.sims["pbx2"]) == {request_id: b.process.pid}  # placed once,
        assert senders(cluster.sims["pbx1"]) == {}  # by node-b, on the PBX still there
