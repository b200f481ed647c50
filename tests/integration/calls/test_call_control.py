"""Live call control, PBX faults and operational endpoints, over HTTP and AMI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.calls.model import request_id_from_uniqueid
from cpaas_daemon.config import default_node_id
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, free_port, running_daemon
from tests.integration.calls.test_click2call import SEED_BODY, originates
from tests.netfault import FaultyLink

# What the daemon sends on its own at login and while idle (Setvar: the dialplan globals).
CONNECTION_UPKEEP = ("Login", "Ping", "CoreShowChannels", "Setvar")
LONG_CALL = {**SEED_BODY, "agent_number": "919979270019", "destination_number": "918000680029"}


async def live_channels(daemon: Daemon, request_id: str) -> list[str]:
    tracker = daemon.app[keys.DOMAINS].core.tracker
    return [
        channel.name
        for channel in tracker.live_channels()
        if (info := tracker.request_of(channel)) is not None and info.request_id == request_id
    ]


async def bridged_call(daemon: Daemon) -> tuple[str, list[str]]:
    """A click-to-call whose both legs answer and stay up; returns its live channels."""
    _, reply = await daemon.post("/api/click2call", LONG_CALL)
    request_id = reply["response"]["request_id"]

    async def both_legs_up() -> list[str] | None:
        names = await live_channels(daemon, request_id)
        return names if len(names) >= 4 else None  # two Local pairs

    return request_id, await daemon.wait_for(both_legs_up)


@pytest.fixture
async def link(sim: SimulatedAsterisk) -> AsyncIterator[FaultyLink]:
    proxy = FaultyLink(sim.port)
    await proxy.start()
    yield proxy
    await proxy.stop()


async def test_link_cut_mid_originate_never_places_a_second_call(
    tmp_path: Path, sim: SimulatedAsterisk, link: FaultyLink, agi_port: int
) -> None:
    async with running_daemon(daemon_config(tmp_path, link.port, agi_port)) as daemon:
        link.cut_after = b"Action: Originate"
        status, body = await daemon.post("/api/click2call", SEED_BODY)
        assert status == 503
        assert body["response"]["success"] == "false"
        request_id = body["response"]["request_id"]
        assert link.cuts == 1

        # The daemon reconnects by itself and keeps working ...
        await daemon.wait_for(lambda: _connected(daemon))
        # ... the call Asterisk did place completes its CDR ...
        [cdr] = await daemon.cdr(request_id)
        assert cdr["call_status"] == "ANSWERED"
        # ... and it was never sent a second time.
        assert len(originates(sim)) == 1


async def _connected(daemon: Daemon) -> bool:
    return daemon.app[keys.DOMAINS].pbx.pool.connected


async def test_pbx_down_answers_503_and_dials_nothing(tmp_path: Path, agi_port: int) -> None:
    config = daemon_config(tmp_path, free_port(), agi_port)
    async with running_daemon(config, connect=False) as daemon:
        status, body = await daemon.post("/api/click2call", SEED_BODY)
        assert status == 503
        assert body == {
            "response": {"success": "false", "message": "PBX is not connected; no call was placed"}
        }
        _, stats = await daemon.get("/api/get_cdr_statistics")
        assert stats["response"]["result"]["total_calls"] == [0]
        rows = await daemon.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM calls")
        assert rows == 0
        status, health = await daemon.get("/health", account=None)
        assert (status, health["ami"], health["db"]) == (503, False, True)


async def test_health_and_metrics(daemon: Daemon) -> None:
    status, health = await daemon.get("/health", account=None)
    assert (status, health) == (
        200,
        {
            "status": "ok", "ami": True, "db": True, "pbx": {"default": True},
            "cluster": {"node": default_node_id(), "pbx": ["default"], "campaigns": []},
        },
    )  # fmt: skip
    async with daemon.session.get(daemon.url + "/metrics") as response:
        text = await response.text()
    assert 'cpaas_ami_connected{pbx="default"} 1.0' in text
    assert 'cpaas_leases_held{kind="pbx"} 1.0' in text


async def test_live_statistics_and_hangup(daemon: Daemon, sim: SimulatedAsterisk) -> None:
    request_id, _ = await bridged_call(daemon)
    _, live = await daemon.get("/api/get_live_call_statistics")
    assert live == {
        "response": {
            "result": {
                "live_calls_c2c": 1,
                "live_calls_campaign": 0,
                "live_calls_inbound": 0,
                "live_calls_otp": 0,
            },
            "success": "true",
        }
    }
    _, other = await daemon.get("/api/get_live_call_statistics", account="account_2")
    assert other["response"]["result"]["live_calls_c2c"] == 0

    agent_channel = next(
        c.name
        for c in daemon.app[keys.DOMAINS].core.tracker.live_channels()
        if request_id_from_uniqueid(c.uniqueid) == request_id and c.name.endswith(";1")
    )
    # Another account cannot touch it, and learns nothing about it.
    status, body = await daemon.post(
        "/api/modify_call", {"channel": agent_channel, "modify_type": "2"}, account="account_2"
    )
    assert status == 404
    assert not [a for a in sim.actions if a["Action"] == "Hangup"]

    status, body = await daemon.post(
        "/api/modify_call", {"channel": agent_channel, "modify_type": "2"}
    )
    assert (status, body) == (
        200,
        {"response": {"message": "call hangup successfully", "success": "true"}},
    )
    [hangup] = [a for a in sim.actions if a["Action"] == "Hangup"]
    assert hangup["Channel"] == agent_channel
    [cdr] = await daemon.cdr(request_id)
    assert cdr["call_status"] == "ANSWERED"
    assert await daemon.wait_for(lambda: _no_live(daemon, request_id))


async def _no_live(daemon: Daemon, request_id: str) -> bool:
    return not await live_channels(daemon, request_id)


async def test_blind_transfer_and_recording(daemon: Daemon, sim: SimulatedAsterisk) -> None:
    request_id, channels = await bridged_call(daemon)
    destination = next(c for c in channels if "918000680029" in c and c.endswith(";1"))
    agent = next(c for c in channels if "919979270019" in c and c.endswith(";1"))
    status, body = await daemon.post(
        "/api/modify_call", {"channel": destination, "modify_type": "3"}
    )
    assert (status, body["response"]["message"]) == (200, "call recording started successfully")
    [mix] = [a for a in sim.actions if a["Action"] == "MixMonitor"]
    assert mix["Channel"] == destination

    # The agent (the transferer, as the seed says) hands the customer over to 102.
    status, body = await daemon.post(
        "/api/modify_call", {"channel": agent, "modify_type": "0", "transfer_to": "102"}
    )
    assert (status, body["response"]["message"]) == (200, "blind transferred successfully")
    [transfer] = [a for a in sim.actions if a["Action"] == "BlindTransfer"]
    assert (transfer["Channel"], transfer["Context"], transfer["Exten"]) == (
        agent,
        "cpaas-transfer",
        "102",
    )

    async def customer_rings_102() -> bool:
        return any(c.startswith("Local/102@sim-endpoints") for c in sim.core.channels)

    await daemon.wait_for(customer_rings_102)
    # The transferred leg's CDR names the request, so the transfer is counted (TRSC).
    await daemon.cdr(request_id)

    async def counted() -> bool:
        body = {"userId": "account_1", "token": daemon.accounts["account_1"], "ssid": "s"}
        _, reply = await daemon.post("/api/v2/overallCount/Ecounters", body, account=None)
        return reply["message"]["TRSC"] == 1

    await daemon.wait_for(counted, within=15)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"channel": "PJSIP/1&PJSIP/2", "modify_type": "2"}, "channel is not a valid"),
        ({"channel": "PJSIP/101-0000023c", "modify_type": "9"}, "modify_type"),
        ({"channel": "PJSIP/101-0000023c", "modify_type": "0"}, "transfer_to is required"),
        (
            {"channel": "PJSIP/101-0000023c", "modify_type": "0", "transfer_to": "1,2"},
            "transfer_to",
        ),
    ],
)
async def test_modify_call_validation(
    daemon: Daemon, sim: SimulatedAsterisk, body: dict[str, str], message: str
) -> None:
    status, reply = await daemon.post("/api/modify_call", body)
    assert status == 400
    assert message in reply["response"]["message"]
    assert not [a for a in sim.actions if a["Action"] not in CONNECTION_UPKEEP or "Channel" in a]
