"""Two simulated Asterisks over TCP behind one daemon ([[pbx]]): where originates go,
what happens when one is lost, and that every row names the PBX that produced it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cpaas_daemon import keys
from cpaas_daemon.ami.actions import AmiAction
from cpaas_daemon.sim.daemon_config import SIM_AMI_SECRET, daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, running_daemon, running_sim
from tests.integration.api.test_asternic import basic
from tests.integration.api.test_asternic_realtime import realtime
from tests.integration.calls.test_call_control import LONG_CALL
from tests.integration.calls.test_click2call import SEED_BODY, originates
from tests.integration.calls.test_inbound import CALLER, DID

CAPACITY = 2


@dataclass
class TwoPbx:
    daemon: Daemon
    sims: dict[str, SimulatedAsterisk]
    dirs: dict[str, Path]

    async def calls_on(self) -> dict[str, str]:
        rows = await self.daemon.app[keys.DOMAINS].core.db.fetchall(
            "SELECT request_id, pbx_id FROM calls"
        )
        return {row["request_id"]: row["pbx_id"] for row in rows}

    async def healthy(self, **expected: bool) -> bool:
        _, health = await self.daemon.get("/health", account=None)
        return bool(health["pbx"] == expected)


def pbx_entry(pbx_id: str, sim: SimulatedAsterisk, workdir: Path) -> dict[str, Any]:
    return {
        "id": pbx_id,
        "ami": {
            "host": "127.0.0.1", "port": sim.port, "secret": SIM_AMI_SECRET,
            "reconnect_min": 0.05, "reconnect_max": 0.2, "ping_interval": 1.0,
            "ping_timeout": 1.0, "action_timeout": 5.0,
        },
        "max_channels": CAPACITY,
        "cdr_csv_path": str(workdir / "Master.csv"),
        "queue_log_path": str(workdir / "queue_log"),
    }  # fmt: skip


@pytest.fixture
async def two(tmp_path: Path, agi_port: int) -> AsyncIterator[TwoPbx]:
    """pbx1 and pbx2, each a simulator (calls at a fifth of real time: a long call stays
    up 12 s) with its own Master.csv and queue_log; at most two calls each."""
    async with AsyncExitStack() as stack:
        sims, dirs = {}, {}
        for pbx_id in ("pbx1", "pbx2"):
            dirs[pbx_id] = tmp_path / pbx_id
            dirs[pbx_id].mkdir()
            sims[pbx_id] = await stack.enter_async_context(
                running_sim(dirs[pbx_id], agi_port, time_scale=0.2)
            )
        config = daemon_config(
            tmp_path,
            ami_port=sims["pbx1"].port,
            agi_port=agi_port,
            pbx=[pbx_entry(pbx_id, sims[pbx_id], dirs[pbx_id]) for pbx_id in sims],
            limits={"calls_per_second": 100.0},
        )
        daemon = await stack.enter_async_context(running_daemon(config))
        both = TwoPbx(daemon, sims, dirs)
        await daemon.wait_for(lambda: both.healthy(pbx1=True, pbx2=True))
        yield both


async def place(daemon: Daemon, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
    status, reply = await daemon.post("/api/click2call", body)
    return status, reply["response"]


async def test_originates_spread_over_both_and_stop_at_capacity(two: TwoPbx) -> None:
    placed = []
    for _ in range(2 * CAPACITY):
        status, reply = await place(two.daemon, LONG_CALL)
        assert status == 200
        placed.append(reply["request_id"])
    # Least loaded first, ties to the first configured: 1, 2, 1, 2.
    on = await two.calls_on()
    assert [on[request_id] for request_id in placed] == ["pbx1", "pbx2", "pbx1", "pbx2"]
    assert len(originates(two.sims["pbx1"])) == len(originates(two.sims["pbx2"])) == CAPACITY
    # Each went out on its own PBX's Originate, and named its own request.
    for pbx_id, sim in two.sims.items():
        sent = {str(action["Variable"]) for action in originates(sim)}
        mine = [rid for rid in placed if on[rid] == pbx_id]
        assert all(any(rid in variables for variables in sent) for rid in mine)

    status, reply = await place(two.daemon, LONG_CALL)
    assert status == 503
    assert reply == {
        "success": "false",
        "message": "every connected PBX is at its max_channels; no call was placed",
    }
    assert len(await two.calls_on()) == 2 * CAPACITY  # nothing written, nothing dialled

    _, live = await two.daemon.get("/api/get_live_call_statistics")
    assert live["response"]["result"]["live_calls_c2c"] == 2 * CAPACITY  # both PBXs


async def test_a_burst_of_originates_at_once_spreads_and_stops_at_capacity(two: TwoPbx) -> None:
    """Calls placed at the same moment see each other's PBX: none overshoots."""
    replies = await asyncio.gather(*(place(two.daemon, LONG_CALL) for _ in range(2 * CAPACITY + 2)))
    assert sorted(status for status, _ in replies) == [200] * 2 * CAPACITY + [503] * 2
    on = await two.calls_on()
    assert sorted(on.values()) == ["pbx1"] * CAPACITY + ["pbx2"] * CAPACITY
    assert len(originates(two.sims["pbx1"])) == len(originates(two.sims["pbx2"])) == CAPACITY


async def test_modify_call_hangs_up_a_call_living_on_pbx2(two: TwoPbx) -> None:
    first = (await place(two.daemon, LONG_CALL))[1]["request_id"]
    second = (await place(two.daemon, LONG_CALL))[1]["request_id"]
    assert (await two.calls_on())[second] == "pbx2"

    async def agent_of(request_id: str) -> str | None:
        _, body = await two.daemon.get("/api/live_calls")
        for call in body["response"]["result"]:
            if call["request_id"] == request_id and call.get("agent_channel_state") == "Up":
                return str(call["agent_channel"])
        return None

    channel = await two.daemon.wait_for(lambda: agent_of(second))
    status, body = await two.daemon.post(
        "/api/modify_call", {"request_id": second, "leg": "agent", "modify_type": "2"}
    )
    assert (status, body["response"]["message"]) == (200, "call hangup successfully")
    hangups = {
        pbx_id: [a["Channel"] for a in sim.actions if a["Action"] == "Hangup"]
        for pbx_id, sim in two.sims.items()
    }
    assert hangups == {"pbx1": [], "pbx2": [channel]}
    await two.daemon.wait_for(lambda: _gone(two, second))
    assert await agent_of(first) is not None  # the call on pbx1 is untouched


async def _gone(two: TwoPbx, request_id: str) -> bool:
    _, body = await two.daemon.get("/api/live_calls")
    return all(call["request_id"] != request_id for call in body["response"]["result"])


async def test_a_lost_pbx_gets_no_calls_and_losing_both_is_a_503(two: TwoPbx) -> None:
    await two.sims["pbx1"].stop()  # the Asterisk is gone
    await two.daemon.wait_for(lambda: two.healthy(pbx1=False, pbx2=True))
    status, health = await two.daemon.get("/health", account=None)
    assert (status, health["status"]) == (200, "ok")  # one PBX still carries calls
    placed = [(await place(two.daemon, SEED_BODY))[1]["request_id"] for _ in range(2)]
    on = await two.calls_on()
    assert [on[request_id] for request_id in placed] == ["pbx2", "pbx2"]

    await two.sims["pbx2"].stop()
    await two.daemon.wait_for(lambda: two.healthy(pbx1=False, pbx2=False))
    status, reply = await place(two.daemon, SEED_BODY)
    assert (status, reply["message"]) == (503, "PBX is not connected; no call was placed")


async def test_cdrs_queue_log_lines_and_read_positions_name_their_pbx(two: TwoPbx) -> None:
    placed = [(await place(two.daemon, SEED_BODY))[1]["request_id"] for _ in range(2)]
    cdrs = [await two.daemon.cdr(request_id) for request_id in placed]
    assert [cdr["call_status"] for [cdr] in cdrs] == ["ANSWERED", "ANSWERED"]
    on = await two.calls_on()
    assert sorted(on.values()) == ["pbx1", "pbx2"]
    for sim in two.sims.values():
        await sim.wait_idle()
    db = two.daemon.app[keys.DOMAINS].core.db

    async def all_csv_read() -> bool:
        """Each PBX's Master.csv is read to its end, each from its own position."""
        rows = await db.fetchall('SELECT pbx_id, path, "offset" FROM cdr_csv_positions')
        return {row["pbx_id"]: (row["path"], row["offset"]) for row in rows} == {
            pbx_id: (str(path / "Master.csv"), (path / "Master.csv").stat().st_size)
            for pbx_id, path in two.dirs.items()
        }

    await two.daemon.wait_for(all_csv_read)
    legs = await db.fetchall("SELECT request_id, pbx_id FROM cdr_legs")
    # Every leg once (AMI and Master.csv agree), under the PBX that wrote it; the legs
    # naming a request name the PBX its call was placed on.
    per_pbx = {pbx_id: sum(leg["pbx_id"] == pbx_id for leg in legs) for pbx_id in two.dirs}
    assert per_pbx == {
        pbx_id: len((path / "Master.csv").read_text().splitlines())
        for pbx_id, path in two.dirs.items()
    }
    assert min(per_pbx.values()) >= 2
    assert {(leg["request_id"], leg["pbx_id"]) for leg in legs if leg["request_id"]} == set(
        on.items()
    )

    async def queue_logs_read() -> bool:
        rows = await db.fetchall("SELECT pbx_id, path FROM queue_log_positions")
        return {row["pbx_id"]: row["path"] for row in rows} == {
            pbx_id: str(path / "queue_log") for pbx_id, path in two.dirs.items()
        }

    await two.daemon.wait_for(queue_logs_read)
    started = await db.fetchall(
        "SELECT pbx_id, COUNT(*) AS n FROM queue_log WHERE event = 'QUEUESTART' GROUP BY pbx_id"
    )
    # Both files start alike (QUEUESTART): still one line each, not one for both.
    assert {row["pbx_id"]: row["n"] for row in started} == {"pbx1": 1, "pbx2": 1}

    _, stats = await two.daemon.get("/api/get_cdr_statistics")
    assert stats["response"]["result"]["total_calls"] == [2]


async def test_each_pbx_is_told_its_own_id_at_login(two: TwoPbx) -> None:
    for pbx_id, sim in two.sims.items():
        told = {
            variable: str(action["Value"])
            for action in sim.actions
            if action["Action"] == "Setvar" and "Channel" not in action
            for variable in action["Variable"]  # a header Asterisk allows repeated: a list
        }
        assert told["CPAAS_PBX_ID"] == pbx_id
        assert told["CPAAS_OUTBOUND_TEMPLATE"] == "Local/{number}@sim-endpoints"


async def test_inbound_calls_on_both_pbxs_are_each_their_own_pbxs_call(two: TwoPbx) -> None:
    """The FastAGI hook is told its PBX (&pbx=): the two simulators mint the same
    Uniqueids, and each call is still linked to the channel on its own PBX (looked up
    on any PBX, the second session found the first PBX's channel, already linked)."""
    await two.daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
    for sim in two.sims.values():  # both usually '<this second>.1'
        await sim.inbound_call(DID, CALLER, variables={"__AGENT_WAIT": "20"})

    async def both_live() -> bool:
        _, body = await two.daemon.get("/api/get_live_call_statistics")
        return bool(body["response"]["result"]["live_calls_inbound"] == 2)

    await two.daemon.wait_for(both_live)
    rows = await two.daemon.app[keys.DOMAINS].core.db.fetchall(
        "SELECT pbx_id FROM calls WHERE kind = 'inbound' ORDER BY pbx_id"
    )
    assert [row["pbx_id"] for row in rows] == ["pbx1", "pbx2"]


async def test_the_realtime_queue_view_shows_callers_waiting_on_both_pbxs(two: TwoPbx) -> None:
    """QueueStatus goes to every healthy PBX: one queue, a caller waiting on each, both
    shown (each PBX numbers its caller 1: the view renumbers them 1, 2)."""
    await two.daemon.app[keys.DOMAINS].queue_log.stats.users.add("admin", "*", "admin-pass")
    admin = basic("admin", "admin-pass")
    for pbx_id, digit in (("pbx1", "1"), ("pbx2", "2")):
        waiting = {
            "Channel": "Local/5550200@inbound-support",
            "Application": "Wait",
            "Data": "30",
            "CallerID": f'"On {pbx_id}" <062222222{digit}>',
            "Async": "true",
        }  # not an Originate the daemon sends (into an application): built by hand
        await (
            two.daemon.app[keys.DOMAINS]
            .pbx.pool.get(pbx_id)
            .client.send(AmiAction("Originate", waiting, as_list=False))
        )

    async def both_waiting() -> dict[str, Any] | None:
        body = await realtime(two.daemon, admin)
        return body if len(body["waiting calls"].get("support", {})) == 2 else None

    body = await two.daemon.wait_for(both_waiting)
    callers = body["waiting calls"]["support"]
    assert sorted(callers) == ["1", "2"]
    assert {caller["calleridNum"] for caller in callers.values()} == {
        "0622222221",
        "0622222222",
    }
    assert body["summary"]["queue"]["support"]["Waiting"] == "2"
    assert body["summary"]["queue"]["support"]["Agents"] == "4"  # two members on each PBX

    await two.sims["pbx2"].stop()  # pbx2 lost: the view is pbx1's alone, still a 200
    await two.daemon.wait_for(lambda: two.healthy(pbx1=True, pbx2=False))
    body = await realtime(two.daemon, admin)
    assert [c["calleridNum"] for c in body["waiting calls"]["support"].values()] == ["0622222221"]
