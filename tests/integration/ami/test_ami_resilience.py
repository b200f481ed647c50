"""The AMI link survives what production throws at it: restarts, dead peers, refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cpaas_daemon import keys
from cpaas_daemon.ami import actions
from cpaas_daemon.ami.actions import AmiAction
from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.ami.errors import AmiUnavailable
from cpaas_daemon.calls.model import is_originated_leg, request_id_from_uniqueid
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, running_daemon
from tests.integration.calls.test_call_control import LONG_CALL
from tests.integration.calls.test_click2call import SEED_BODY, originates
from tests.netfault import FaultyLink


async def reconnected(daemon: Daemon, times: int = 1) -> bool:
    """What an operator's Prometheus sees: the reconnect counter moved and AMI is up."""
    async with daemon.session.get(daemon.url + "/metrics") as response:
        text = await response.text()
    return (
        f"cpaas_ami_reconnects_total {times}.0" in text
        and 'cpaas_ami_connected{pbx="default"} 1.0' in text
    )


async def connected(daemon: Daemon) -> bool:
    return daemon.app[keys.DOMAINS].pbx.pool.connected


async def disconnected(daemon: Daemon) -> bool:
    return not daemon.app[keys.DOMAINS].pbx.pool.connected


async def test_asterisk_restart_shutdown_eof_refusal_then_reconnect(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """As `restart_reconnect` in the traces: Shutdown, EOF, ~1 s of refused connects."""
    await sim.restart(down_for=1.0)
    await daemon.wait_for(lambda: disconnected(daemon), within=2)
    status, body = await daemon.post("/api/click2call", SEED_BODY)
    assert status == 503  # nothing is queued for later while Asterisk is down
    assert originates(sim) == []
    await daemon.wait_for(lambda: connected(daemon), within=10)
    status, body = await daemon.post("/api/click2call", SEED_BODY)
    assert status == 200
    [cdr] = await daemon.cdr(body["response"]["request_id"])
    assert cdr["call_status"] == "ANSWERED"
    assert len(originates(sim)) == 1


async def test_dead_peer_is_detected_by_the_missed_pong(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int
) -> None:
    link = FaultyLink(sim.port)
    await link.start()
    try:
        async with running_daemon(daemon_config(tmp_path, link.port, agi_port)) as daemon:
            assert link.connections == 1
            link.blackhole = True  # TCP stays up, nothing comes back: only a Ping can tell
            await daemon.wait_for(lambda: disconnected(daemon), within=5)
            link.blackhole = False
            await daemon.wait_for(lambda: reconnected(daemon), within=5)
            assert link.connections == 2
    finally:
        await link.stop()


async def test_simulator_dropping_the_socket_is_survived(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    sim.drop_connections()
    await daemon.wait_for(lambda: reconnected(daemon), within=5)
    status, _ = await daemon.post("/api/click2call", SEED_BODY)
    assert status == 200


async def test_replies_panoramisk_took_for_lists_resolve_and_keep_the_link(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """'Atxfer successfully queued' raised KeyError('async') inside panoramisk's protocol
    (the link dropped) and QueueAdd's 'Added interface to queue' waited for a list that
    never comes; the caller now says which actions answer with lists."""
    ami = daemon.app[keys.DOMAINS].pbx.pool.first.client
    _, reply = await daemon.post("/api/click2call", LONG_CALL)
    request_id = reply["response"]["request_id"]

    async def agent_up() -> str | None:
        return next(
            (
                c.name
                for c in daemon.app[keys.DOMAINS].core.tracker.live_channels()
                if is_originated_leg(c.uniqueid)
                and request_id_from_uniqueid(c.uniqueid) == request_id
                and c.state == "Up"
            ),
            None,
        )

    agent = await daemon.wait_for(agent_up)
    queued = await ami.send_one(actions.atxfer(agent, "cpaas-transfer", "102"))
    assert queued.get("Message") == "Atxfer successfully queued"
    # Not an action the daemon sends: built by hand, as a new one would be in actions.py.
    queue_add = AmiAction("QueueAdd", {"Queue": "sales", "Interface": "Local/205@agents/n"}, False)
    added = await ami.send_one(queue_add)
    assert added.get("Message") == "Added interface to queue"
    assert ami.connected
    registry = daemon.app[keys.DOMAINS].core.metrics.registry
    assert registry.get_sample_value("cpaas_ami_reconnects_total") == 0


async def test_a_login_hook_timing_out_on_a_live_link_does_not_keep_it_down(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int
) -> None:
    """A PBX slow to answer one hook at boot: the daemon still comes up on the live link."""
    config = daemon_config(tmp_path, sim.port, agi_port)
    ami = AmiClient(config.ami, EventBus(), Metrics())

    async def slow() -> None:
        raise AmiUnavailable("PBX did not answer CoreShowChannels in time", sent=True)

    ami.on_login(slow)
    await ami.start()
    try:
        async with asyncio.timeout(5):
            await ami.wait_connected()
        assert ami.connected
    finally:
        await ami.stop()


async def test_login_asks_only_for_the_event_classes_the_daemon_reads(
    daemon: Daemon, sim: SimulatedAsterisk
) -> None:
    """No dialplan class (VarSet, Newexten: about half of a real stream) on the wire,
    and a click2call still ends with its CDR."""
    [login] = [a for a in sim.actions if a.get("Action") == "Login"]
    assert login["Events"] == "agent,call,cdr,system"
    status, body = await daemon.post("/api/click2call", SEED_BODY)
    assert status == 200
    [cdr] = await daemon.cdr(body["response"]["request_id"])
    assert cdr["call_status"] == "ANSWERED"
