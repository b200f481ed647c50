"""Two daemons (real processes) on one PostgreSQL, driving two simulated PBXs: each PBX
is worked by exactly one of them, and when one is killed (-9) the other takes its PBX
within ``lease_seconds`` plus a renewal interval, and places calls on it. Nothing is
dialled twice: every Originate on either simulator names a distinct request."""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.daemon_process import ACCOUNT, Client, Process, cli, daemon_process, environment, until
from tests.harness import ACCOUNTS, free_port, running_sim
from tests.integration.calls.test_call_control import LONG_CALL
from tests.integration.calls.test_click2call import originates
from tests.integration.calls.test_otp import seed_body as otp_body
from tests.integration.campaigns.helpers import campaign_on, number, upload_prompt
from tests.integration.campaigns.helpers import originates as originates_per_number
from tests.integration.pbx.test_multi_pbx import pbx_entry
from tests.store_rig import ON_POSTGRES, opened_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="several daemons share a PostgreSQL store; run with TEST_STORE=postgresql",
    ),
]

LEASE = 3.0
INTERVAL = LEASE / 3


@dataclass
class Node:
    name: str
    process: Process
    client: Client
    agi_port: int

    async def health(self) -> dict[str, Any]:
        async with self.client.session.get(self.client.url + "/health") as response:
            body: dict[str, Any] = await response.json()
            return body


def toml_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).lower() if isinstance(value, bool) else str(value)


def pbx_toml(entries: list[dict[str, Any]]) -> str:
    """``[[pbx]]`` tables (the environment cannot express a list of them)."""
    lines = []
    for entry in entries:
        lines.append("[[pbx]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in entry.items() if k != "ami"]
        lines.append("[pbx.ami]")
        lines += [f"{k} = {toml_value(v)}" for k, v in entry["ami"].items()]
    return "\n".join(lines) + "\n"


def announced_agi(sim: SimulatedAsterisk) -> str | None:
    """The FastAGI address the last daemon that logged in to ``sim`` set: its owner's."""
    values = [
        str(a["Value"]) for a in sim.actions
        if a.get("Action") == "Setvar" and a.get("Variable") == ["CPAAS_AGI"]
    ]  # fmt: skip
    return values[-1] if values else None


def senders(sim: SimulatedAsterisk) -> dict[str, int]:
    """Each Originate's request id -> the pid of the daemon that sent it (its ActionID
    is ``cpaas-<pid>-<client>-<n>.<request_id>``)."""
    found = {}
    for action in originates(sim):
        prefix, request_id = str(action["ActionID"]).rsplit(".", 1)
        found[request_id] = int(prefix.split("-")[1])
    return found


def requests_dialled(sims: dict[str, SimulatedAsterisk]) -> list[str]:
    """The request id of every Originate on every simulator (one per call placed)."""
    found = []
    for sim in sims.values():
        for action in originates(sim):
            variables = action["Variable"]
            assert isinstance(variables, list)
            found += [v.split("=", 1)[1] for v in variables if v.startswith("__CPAAS_REQUEST_ID=")]
    return found


@dataclass
class Cluster:
    sims: dict[str, SimulatedAsterisk]
    nodes: dict[str, Node]

    async def settled(self) -> None:
        """node-a took both PBXs, then handed pbx2 to node-b: one each, logged in."""

        async def one_each() -> bool:
            health = {name: await node.health() for name, node in self.nodes.items()}
            return {name: h["cluster"]["pbx"] for name, h in health.items()} == {
                "node-a": ["pbx1"],
                "node-b": ["pbx2"],
            } and {name: h["pbx"] for name, h in health.items()} == {
                "node-a": {"pbx1": True, "pbx2": False},
                "node-b": {"pbx1": False, "pbx2": True},
            }

        await until(one_each, 4 * LEASE)


async def start_cluster(
    stack: AsyncExitStack,
    tmp_path: Path,
    agi_port: int,
    pbx_ids: tuple[str, ...],
    node_names: tuple[str, ...] = ("node-a", "node-b"),
) -> Cluster:
    """A simulator per PBX, then the nodes in order (node-a takes every PBX first)."""
    sims: dict[str, SimulatedAsterisk] = {}
    entries = []
    for pbx_id in pbx_ids:
        workdir = tmp_path / pbx_id
        workdir.mkdir()
        sims[pbx_id] = await stack.enter_async_context(
            running_sim(workdir, agi_port, time_scale=0.2)
        )
        entries.append(pbx_entry(pbx_id, sims[pbx_id], workdir))
    config = tmp_path / "cluster.toml"
    config.write_text(pbx_toml(entries), encoding="utf-8")
    base = environment(tmp_path, sims[pbx_ids[0]], agi_port, free_port())
    base["CPAAS_CLUSTER__LEASE_SECONDS"] = str(LEASE)
    base["CPAAS_LIMITS__CALLS_PER_SECOND"] = "100"
    # Unanswered calls ring 10 s, not 30: a dead node's calls are settled that much sooner.
    base["CPAAS_DIAL__ORIGINATE_TIMEOUT_MS"] = "10000"
    added = await cli(base, "accounts", "add", ACCOUNT, "--auth", ACCOUNTS[ACCOUNT])
    assert await added.wait() == 0
    nodes = {}
    for name in node_names:
        port = free_port()
        env = {
            **base,
            "CPAAS_CLUSTER__NODE_ID": name,
            "CPAAS_HTTP__PORT": str(free_port()),
            "CPAAS_AGI__PORT": str(port),
        }
        process, client = await stack.enter_async_context(
            daemon_process(env, "--config", str(config))
        )
        nodes[name] = Node(name, process, client, port)
    return Cluster(sims, nodes)


@pytest.fixture
async def cluster(tmp_path: Path, agi_port: int) -> AsyncIterator[Cluster]:
    async with AsyncExitStack() as stack:
        yield await start_cluster(stack, tmp_path, agi_port, ("pbx1", "pbx2"))


async def test_each_pbx_has_one_owner_and_a_killed_owners_pbx_moves_without_double_dials(
    cluster: Cluster,
) -> None:
    a, b = cluster.nodes["node-a"], cluster.nodes["node-b"]

    await cluster.settled()
    # On the wire: each PBX was last set up by its owner (its FastAGI port), and only
    # its owner is logged in to it.
    assert announced_agi(cluster.sims["pbx1"]) == f"agi://127.0.0.1:{a.agi_port}"
    assert announced_agi(cluster.sims["pbx2"]) == f"agi://127.0.0.1:{b.agi_port}"
    assert [len(sim.sessions) for sim in cluster.sims.values()] == [1, 1]

    # Each node places calls on the PBX it works, and only there.
    placed = []
    for node, pbx_id in ((a, "pbx1"), (b, "pbx2")):
        before = len(originates(cluster.sims[pbx_id]))
        reply = await node.client.call("POST", "/api/click2call", LONG_CALL)
        placed.append(reply["response"]["request_id"])
        assert len(originates(cluster.sims[pbx_id])) == before + 1

    # node-a worked pbx2 before it handed it over: it starts that same Pbx again.
    b.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    await b.process.wait()

    async def a_has_both() -> bool:
        health = await a.health()
        return bool(health["cluster"]["pbx"] == ["pbx1", "pbx2"] and health["pbx"]["pbx2"])

    await until(a_has_both, 3 * LEASE)
    took = time.monotonic() - killed
    print(f"pbx2 taken over by node-a {took:.2f} s after node-b was killed")
    assert took < LEASE + INTERVAL + 1.0  # the stated bound, plus an AMI login
    assert announced_agi(cluster.sims["pbx2"]) == f"agi://127.0.0.1:{a.agi_port}"

    # node-a now places calls on pbx2 too (least loaded first: both carry one call).
    for _ in range(2):
        reply = await a.client.call("POST", "/api/click2call", LONG_CALL)
        placed.append(reply["response"]["request_id"])
    assert len(originates(cluster.sims["pbx1"])) == 2
    assert len(originates(cluster.sims["pbx2"])) == 2
    dialled = requests_dialled(cluster.sims)
    assert sorted(dialled) == sorted(placed)  # each call once, nothing twice


async def test_a_campaign_is_dialled_by_one_node_and_picked_up_when_it_dies(
    cluster: Cluster, tmp_path: Path
) -> None:
    a, b = cluster.nodes["node-a"], cluster.nodes["node-b"]
    await cluster.settled()
    upload_prompt(tmp_path / "uploads")
    numbers = [number(i) for i in range(40)]
    campaign_id = await campaign_on(a.client, numbers, max_retries="1")  # BUSY retried once

    async def dialled() -> int:
        actions = [*cluster.sims["pbx1"].actions, *cluster.sims["pbx2"].actions]
        return sum(originates_per_number(actions).values())

    async def dialled_some() -> bool:
        return await dialled() >= 10

    await until(dialled_some, 20)
    assert (
        (await a.health())["cluster"]["campaigns"],
        (await b.health())["cluster"]["campaigns"],
    ) == ([campaign_id], [])
    assert originates(cluster.sims["pbx2"]) == []  # node-a dials on its own PBX only

    a.process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    await a.process.wait()

    async def b_dials_it() -> bool:
        return bool((await b.health())["cluster"]["campaigns"] == [campaign_id])

    await until(b_dials_it, 3 * LEASE)
    took = time.monotonic() - killed
    print(f"campaign picked up by node-b {took:.2f} s after node-a was killed")
    assert took < LEASE + INTERVAL + 1.0

    async def completed() -> bool:
        body = await b.client.call("GET", f"/api/get_campaign_details?campaign_id={campaign_id}")
        return bool(body["response"]["result"][0]["campaign_status"] == "3")

    await until(completed, 60)
    counts = originates_per_number([*cluster.sims["pbx1"].actions, *cluster.sims["pbx2"].actions])
    assert set(counts) == set(numbers)  # everyone was dialled ...
    too_often = {n: c for n, c in counts.items() if c > (2 if n.endswith("4") else 1)}
    assert too_often == {}  # ... and nobody more often than their retries allow


async def test_a_node_without_the_pbx_forwards_call_placing_and_modify_call_to_its_owner(
    tmp_path: Path, agi_port: int
) -> None:
    """One PBX, two nodes: node-b works none (a standby, still healthy) and answers call
    control (click2call, OTP, modify_call) by forwarding it, with the client's own auth,
    to node-a."""
    async with AsyncExitStack() as stack:
        cluster = await start_cluster(stack, tmp_path, agi_port, ("pbx1",))
        a, b = cluster.nodes["node-a"], cluster.nodes["node-b"]
        sim = cluster.sims["pbx1"]
        health = await b.health()
        assert (health["status"], health["cluster"]["pbx"]) == ("ok", [])
        assert (await a.health())["cluster"]["pbx"] == ["pbx1"]

        reply = await b.client.call("POST", "/api/click2call", LONG_CALL)
        request_id = reply["response"]["request_id"]
        assert requests_dialled(cluster.sims) == [request_id]  # placed once, by node-a

        async def agent_up() -> bool:
            body = await a.client.call("GET", "/api/live_calls")
            return any(
                call["request_id"] == request_id and call.get("agent_channel_state") == "Up"
                for call in body["response"]["result"]
            )

        await until(agent_up, 10)
        hangup = {"request_id": request_id, "leg": "agent", "modify_type": "2"}
        reply = await b.client.call("POST", "/api/modify_call", hangup)
        assert reply["response"]["message"] == "call hangup successfully"
        assert [x for x in sim.actions if x.get("Action") == "Hangup"] != []

        async with opened_store(tmp_path / "cpaas.sqlite3") as db:
            template = await AnnounceTemplateRepository(db).add(ACCOUNT, "Your code is {otp}")
        reply = await b.client.call("POST", "/api/outbound_call", otp_body(template))
        otp_id = reply["response"]["request_id"]
        assert requests_dialled(cluster.sims) == [request_id, otp_id]
        assert senders(sim)[otp_id] == a.process.pid

        # Without the client's credentials nothing is forwarded: node-b refuses it itself.
        async with b.client.session.post(
            b.client.url + "/api/click2call",
            json=LONG_CALL,
            headers={"account": ACCOUNT, "auth": "wrong-secret"},
        ) as response:
            assert response.status == 401
        assert requests_dialled(cluster.sims) == [request_id, otp_id]


async def test_any_node_shows_the_live_calls_of_every_pbx(cluster: Cluster) -> None:
    """Each node places a call on its own PBX; either node's live views show both (the
    other node is asked over HTTP and its answer merged)."""
    a, b = cluster.nodes["node-a"], cluster.nodes["node-b"]
    await cluster.settled()
    placed = set()
    for node in (a, b):
        reply = await node.client.call("POST", "/api/click2call", LONG_CALL)
        placed.add(reply["response"]["request_id"])
    assert set(senders(cluster.sims["pbx1"])) | set(senders(cluster.sims["pbx2"])) == placed
    assert len(senders(cluster.sims["pbx1"])) == len(senders(cluster.sims["pbx2"])) == 1

    async def both_live_everywhere() -> bool:
        for node in (a, b):
            body = await node.client.call("GET", "/api/live_calls")
            if {call["request_id"] for call in body["response"]["result"]} != placed:
                return False
        return True

    await until(both_live_everywhere, 10)
    for node in (a, b):
        body = await node.client.call("GET", "/api/get_live_call_statistics")
        assert body["response"]["result"]["live_calls_c2c"] == 2


async def test_a_paused_owner_resumed_after_the_takeover_dials_nothing_on_the_lost_pbx(
    cluster: Cluster,
) -> None:
    """SIGSTOP node-b (pbx2's owner) until node-a has taken pbx2, then SIGCONT it and send
    it a click2call at once: its lease lapsed on its own clock while it was stopped, so
    it does not dial on pbx2 with its old token; the call is placed by node-a. Then
    node-b stops cleanly (SIGTERM in the fixture) although it was stopping pbx2 then
    (its keeper once lost that cancellation and never ended)."""
    a, b = cluster.nodes["node-a"], cluster.nodes["node-b"]
    await cluster.settled()
    b.process.send_signal(signal.SIGSTOP)
    try:

        async def a_has_both() -> bool:
            health = await a.health()
            return bool(health["cluster"]["pbx"] == ["pbx1", "pbx2"] and health["pbx"]["pbx2"])

        await until(a_has_both, 3 * LEASE)
    finally:
        b.process.send_signal(signal.SIGCONT)
    reply = await b.client.call("POST", "/api/click2call", LONG_CALL)
    request_id = reply["response"]["request_id"]
    sent_by = {**senders(cluster.sims["pbx1"]), **senders(cluster.sims["pbx2"])}
    assert sent_by == {request_id: a.process.pid}  # forwarded to node-a, dialled once
