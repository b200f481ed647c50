"""Issue 10.1: the FastAGI port does not trust whoever connects to it.

The attack as filed: a local process opens a session with its own account's DID and
answers ``GET VARIABLE CHANNEL(linkedid)`` with the Linkedid of another account's live
call, to move that call to its account and then hang it up. Variants: no secret, a
wrong secret, a channel the PBX does not have, too many connections.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cpaas_daemon import keys
from cpaas_daemon.agi import server as agi_server
from cpaas_daemon.calls.model import request_id_from_uniqueid
from cpaas_daemon.sim.daemon_config import daemon_config
from cpaas_daemon.sim.server import SimulatedAsterisk
from tests.harness import Daemon, running_daemon

DID = "5550100"
LONG_CALL = {  # both legs answer and stay up (numbers ending in 9)
    "agent_number": "919979270019",
    "caller_id": "15168148111",
    "destination_number": "918000680029",
}


async def session(port: int, env: dict[str, str], linkedid: str = "") -> list[str]:
    """A hostile FastAGI client: sends ``env``, answers every command (a GET VARIABLE
    with ``linkedid``); returns the commands the daemon sent before it hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write("".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n")
    commands = []
    async with asyncio.timeout(10):
        while line := await reader.readline():
            commands.append(line.decode().strip())
            writer.write(f"200 result=1 ({linkedid})\n".encode())
    writer.close()
    return commands


def env(uniqueid: str, channel: str, secret: str | None) -> dict[str, str]:
    query = "" if secret is None else f"?secret={secret}"
    return {
        "agi_network": "yes",
        "agi_network_script": f"inbound{query}",
        "agi_request": f"agi://127.0.0.1/inbound{query}",
        "agi_channel": channel,
        "agi_uniqueid": uniqueid,
        "agi_callerid": "0612345678",
        "agi_context": "cpaas-inbound",
        "agi_extension": DID,
    }


async def victims_call(daemon: Daemon) -> tuple[str, str, str]:
    """account_2's live click2call: (request_id, agent channel, its Uniqueid)."""
    _, reply = await daemon.post("/api/click2call", LONG_CALL, "account_2")
    request_id = reply["response"]["request_id"]
    tracker = daemon.app[keys.DOMAINS].core.tracker

    async def agent_leg() -> tuple[str, str] | None:
        for c in tracker.live_channels():
            if request_id_from_uniqueid(c.uniqueid) == request_id and c.name.endswith(";1"):
                return c.name, c.uniqueid
        return None

    channel, uniqueid = await daemon.wait_for(agent_leg)
    return request_id, channel, uniqueid


def rejections(daemon: Daemon, limit: str) -> float:
    registry = daemon.app[keys.DOMAINS].core.metrics.registry
    return registry.get_sample_value("cpaas_limit_rejections_total", {"limit": limit}) or 0.0


async def secret_of(daemon: Daemon, sim: SimulatedAsterisk) -> str:
    async def announced() -> str | None:
        return sim.core.dialplan.globals.get("CPAAS_AGI_SECRET")

    return str(await daemon.wait_for(announced))


async def assert_untouched(daemon: Daemon, sim: SimulatedAsterisk, channel: str) -> None:
    """The victim's call is still account_2's: account_1 cannot hang it up."""
    assert daemon.app[keys.DOMAINS].core.tracker.owner(channel) == "account_2"
    status, _ = await daemon.post("/api/modify_call", {"channel": channel, "modify_type": "2"})
    assert status == 404
    assert not [a for a in sim.actions if a["Action"] == "Hangup"]
    assert (
        await daemon.app[keys.DOMAINS].core.db.fetchval(
            "SELECT COUNT(*) FROM calls WHERE account_id = 'account_1'"
        )
        == 0
    )


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"])
async def test_a_session_without_the_secret_is_refused_before_any_command(
    daemon: Daemon, sim: SimulatedAsterisk, agi_port: int, secret: str | None
) -> None:
    await daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
    _, channel, uniqueid = await victims_call(daemon)
    victim_linkedid = daemon.app[keys.DOMAINS].core.tracker.channel(channel).linkedid  # type: ignore[union-attr]
    assert await session(agi_port, env(uniqueid, channel, secret), victim_linkedid) == []
    await assert_untouched(daemon, sim, channel)
    assert rejections(daemon, "agi_auth") == 1


async def test_a_session_for_a_channel_the_pbx_does_not_have_writes_nothing(
    daemon: Daemon, sim: SimulatedAsterisk, agi_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agi_server, "LIVE_WAIT", 0.2)
    await daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
    secret = await secret_of(daemon, sim)
    fake = env("1733000000.999", "PJSIP/fake-00000001", secret)
    assert await session(agi_port, fake) == []
    assert await daemon.app[keys.DOMAINS].core.db.fetchval("SELECT COUNT(*) FROM calls") == 0
    assert rejections(daemon, "agi_channel") == 1


async def test_an_owned_call_is_never_relinked_even_with_the_secret(
    daemon: Daemon, sim: SimulatedAsterisk, agi_port: int
) -> None:
    await daemon.app[keys.DOMAINS].calls.dids.add(DID, "account_1", "sales")
    secret = await secret_of(daemon, sim)
    _, channel, uniqueid = await victims_call(daemon)
    assert await session(agi_port, env(uniqueid, channel, secret)) == []
    await assert_untouched(daemon, sim, channel)


async def test_agi_connections_past_the_cap_are_refused_and_http_still_answers(
    tmp_path: Path, sim: SimulatedAsterisk, agi_port: int
) -> None:
    config = daemon_config(tmp_path, sim.port, agi_port, agi={"max_connections": 3})
    async with running_daemon(config) as daemon:
        idle = [await asyncio.open_connection("127.0.0.1", agi_port) for _ in range(3)]
        reader, writer = await asyncio.open_connection("127.0.0.1", agi_port)
        try:
            async with asyncio.timeout(3):
                assert await reader.read() == b""  # closed at once, nothing said
        except ConnectionResetError:
            pass  # aborted: as good as closed
        writer.close()
        assert rejections(daemon, "agi_connections") == 1
        status, _ = await daemon.get("/health", None)
        assert status == 200
        for _, idle_writer in idle:
            idle_writer.close()
