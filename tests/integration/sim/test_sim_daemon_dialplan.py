"""The daemon's own dialplan (asterisk/extensions_cpaas.conf) running inside the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cpaas_daemon.sim import SimConfig, SimulatedAsterisk
from tests.integration.sim.conftest import SCALE
from tests.integration.sim.sim_ami_client import AmiClient, Frame, get


def originate(
    client: AmiClient, action_id: str, channel: str, context: str, exten: str, **variables: str
) -> None:
    """Async Originate with Variable headers."""
    client.send(
        ("Action", "Originate"),
        ("ActionID", action_id),
        ("Channel", channel),
        ("Context", context),
        ("Exten", exten),
        ("Priority", "1"),
        ("Timeout", "30000"),
        ("CallerID", '"CPaaS" <5000>'),
        *(("Variable", f"{name}={value}") for name, value in variables.items()),
        ("Async", "true"),
    )


def named(frames: list[Frame], event: str) -> list[Frame]:
    """All events of one type."""
    return [f for f in frames if get(f, "Event") == event]


@pytest.fixture
async def client(sim: SimulatedAsterisk) -> AsyncIterator[AmiClient]:
    """A logged-in AMI client."""
    ami = await AmiClient.connect(sim.port)
    await ami.login()
    yield ami
    await ami.close()


async def finish(sim: SimulatedAsterisk, client: AmiClient, *originates: str) -> list[Frame]:
    """Wait for the OriginateResponse of each action id, then until every channel is gone."""
    for action_id in originates:
        await client.wait_for(
            lambda f, a=action_id: (
                get(f, "Event") == "OriginateResponse" and get(f, "ActionID") == a
            )
        )
    await asyncio.wait_for(sim.wait_idle(), 20)
    client.send(("Action", "Ping"), ("ActionID", "sync"))
    await client.wait_for(lambda f: get(f, "ActionID") == "sync" and get(f, "Ping") == "Pong")
    return client.frames


async def test_click2call_puts_request_id_in_userfield(
    sim: SimulatedAsterisk, client: AmiClient
) -> None:
    """cpaas-click2call dials CPAAS_DEST_DIAL and tags the agent leg's CDR with the request id."""
    originate(
        client,
        "c2c",
        "Local/1001@sim-endpoints",
        "cpaas-click2call",
        "1002",
        CPAAS_REQUEST_ID="req-42",
        CPAAS_DEST_DIAL="Local/1002@sim-endpoints",
        CPAAS_RING_TIMEOUT="20",
        CPAAS_RECORD="off",
    )
    frames = await finish(sim, client, "c2c")
    dial_leg = next(f for f in named(frames, "Cdr") if get(f, "LastApplication") == "Dial")
    assert get(dial_leg, "UserField") == "req-42"
    assert get(dial_leg, "Disposition") == "ANSWERED"
    assert get(dial_leg, "DestinationChannel").startswith("Local/1002@sim-endpoints-")
    assert int(get(dial_leg, "BillableSeconds")) >= 2
    assert not named(frames, "MixMonitorStart")


async def test_click2call_records_when_asked(sim: SimulatedAsterisk, client: AmiClient) -> None:
    """CPAAS_RECORD other than off runs MixMonitor with the daemon's file and options."""
    originate(
        client,
        "rec",
        "Local/1001@sim-endpoints",
        "cpaas-click2call",
        "1002",
        CPAAS_REQUEST_ID="req-43",
        CPAAS_DEST_DIAL="Local/1002@sim-endpoints",
        CPAAS_RING_TIMEOUT="20",
        CPAAS_RECORD="both",
        CPAAS_RECORDING_FILE="/tmp/r.wav",
        CPAAS_MIXMON_OPTIONS="b",
    )
    frames = await finish(sim, client, "rec")
    assert len(named(frames, "MixMonitorStart")) == 1
    filenames = [
        get(f, "Value")
        for f in named(frames, "VarSet")
        if get(f, "Variable") == "MIXMONITOR_FILENAME"
    ]
    assert filenames == ["/tmp/r.wav"]


async def test_click2call_busy_destination(sim: SimulatedAsterisk, client: AmiClient) -> None:
    """A busy destination gives DialEnd BUSY and a BUSY CDR carrying the request id."""
    originate(
        client,
        "busy",
        "Local/1001@sim-endpoints",
        "cpaas-click2call",
        "1004",
        CPAAS_REQUEST_ID="req-44",
        CPAAS_DEST_DIAL="Local/1004@sim-endpoints",
        CPAAS_RING_TIMEOUT="20",
        CPAAS_RECORD="off",
    )
    frames = await finish(sim, client, "busy")
    assert "BUSY" in [get(f, "DialStatus") for f in named(frames, "DialEnd")]
    busy = [
        f
        for f in named(frames, "Cdr")
        if get(f, "Disposition") == "BUSY" and get(f, "LastApplication") == "Dial"
    ]
    assert [get(f, "UserField") for f in busy] == ["req-44"]


async def test_otp_says_the_digits_repeat_times(sim: SimulatedAsterisk, client: AmiClient) -> None:
    """cpaas-otp without a prompt falls back to SayDigits, CPAAS_REPEAT times."""
    originate(
        client,
        "otp",
        "Local/5550101@sim-endpoints",
        "cpaas-otp",
        "s",
        SIM_WAIT="30",
        CPAAS_REQUEST_ID="otp-1",
        CPAAS_OTP="1987",
        CPAAS_REPEAT="2",
    )
    frames = await finish(sim, client, "otp")
    said = [
        get(f, "AppData") for f in named(frames, "Newexten") if get(f, "Application") == "SayDigits"
    ]
    assert said == ["1987", "1987"]
    otp_leg = next(f for f in named(frames, "Cdr") if get(f, "Channel").endswith(";1"))
    assert get(otp_leg, "UserField") == "otp-1"
    assert get(otp_leg, "LastApplication") == "Hangup"


async def test_campaign_announcement_plays_repeat_times(
    sim: SimulatedAsterisk, client: AmiClient
) -> None:
    """cpaas-campaign type 0 plays the prompt CPAAS_REPEAT times, then hangs up."""
    originate(
        client,
        "cmp",
        "Local/5550101@sim-endpoints",
        "cpaas-campaign",
        "s",
        SIM_WAIT="30",
        CPAAS_REQUEST_ID="cmp-1",
        CPAAS_CAMPAIGN_TYPE="0",
        CPAAS_PROMPT="/var/lib/cpaas/prompt",
        CPAAS_REPEAT="3",
    )
    frames = await finish(sim, client, "cmp")
    played = [
        get(f, "AppData") for f in named(frames, "Newexten") if get(f, "Application") == "Playback"
    ]
    assert played == ["/var/lib/cpaas/prompt"] * 3


async def test_endpoint_8_is_unavailable(sim: SimulatedAsterisk, client: AmiClient) -> None:
    """Product rule (deviation from the rig): numbers ending in 8 are channel-unavailable."""
    originate(client, "u1", "Local/1008@sim-endpoints", "click2call", "1002")
    originate(client, "u2", "Local/1001@sim-endpoints", "click2call", "1008")
    frames = await finish(sim, client, "u1", "u2")
    failed = [f for f in named(frames, "OriginateResponse") if get(f, "ActionID") == "u1"]
    assert [(get(f, "Response"), get(f, "Reason")) for f in failed] == [("Failure", "0")]
    assert "CHANUNAVAIL" in [get(f, "DialStatus") for f in named(frames, "DialEnd")]
    causes = {get(f, "Cause") for f in named(frames, "Hangup") if "1008@" in get(f, "Channel")}
    assert "20" in causes


class FastAgiScript:
    """A tiny FastAGI server playing the daemon's role: answer, ask for a digit, store it."""

    def __init__(self) -> None:
        self.env: dict[str, str] = {}
        self.replies: list[str] = []
        self.done = asyncio.Event()

    async def command(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: str
    ) -> None:
        """Send one AGI command and keep its reply line."""
        writer.write((line + "\n").encode())
        await writer.drain()
        self.replies.append((await reader.readline()).decode().strip())

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := (await reader.readline()).decode().strip():
            key, _, value = line.partition(": ")
            self.env[key] = value
        await self.command(reader, writer, "ANSWER")
        await self.command(reader, writer, "GET DATA campaign-prompt 3000 1")
        digit = self.replies[-1].split("=", 1)[1].split()[0]
        await self.command(reader, writer, f'SET VARIABLE CDR(userfield) "dtmf={digit}"')
        await self.command(reader, writer, "VERBOSE done 1")
        writer.close()
        self.done.set()


@pytest.fixture
async def agi_sim(tmp_path: Path) -> AsyncIterator[tuple[SimulatedAsterisk, FastAgiScript]]:
    """A simulator whose CPAAS_AGI points at a test FastAGI server on a random port."""
    script = FastAgiScript()
    server = await asyncio.start_server(script.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sim = SimulatedAsterisk(
        SimConfig(
            time_scale=SCALE,
            globals={
                "CPAAS_AGI": f"agi://127.0.0.1:{port}",
                "CPAAS_AGI_SECRET": "s3cret",
                "CPAAS_PBX_ID": "east",
            },
        )
    )
    await sim.start()
    yield sim, script
    await sim.stop()
    server.close()
    await server.wait_closed()


async def test_campaign_ivr_runs_fastagi(agi_sim: tuple[SimulatedAsterisk, FastAgiScript]) -> None:
    """cpaas-campaign type 1 hands the call to FastAGI; endpoint 7 answers GET DATA with 1."""
    sim, script = agi_sim
    client = await AmiClient.connect(sim.port)
    await client.login()
    originate(
        client,
        "camp",
        "Local/1007@sim-endpoints",
        "cpaas-campaign",
        "s",
        CPAAS_REQUEST_ID="camp-1",
        CPAAS_CAMPAIGN_TYPE="1",
        CPAAS_CAMPAIGN_ID="7",
        CPAAS_CONTACT_ID="9",
    )
    await asyncio.wait_for(script.done.wait(), 10)
    frames = await finish(sim, client, "camp")
    await client.close()
    assert script.env["agi_network"] == "yes"
    assert script.env["agi_network_script"] == "campaign-ivr"
    assert script.env["agi_request"].endswith("/campaign-ivr?secret=s3cret&pbx=east")
    assert script.env["agi_channel"].startswith("Local/1007@sim-endpoints-")
    assert script.env["agi_context"] == "cpaas-campaign"
    assert script.env["agi_extension"] == "s"
    assert script.replies == ["200 result=0", "200 result=1", "200 result=1", "200 result=1"]
    assert [get(f, "Command") for f in named(frames, "AGIExecStart")][:2] == [
        "ANSWER",
        "GET DATA campaign-prompt 3000 1",
    ]
    leg = next(f for f in named(frames, "Cdr") if get(f, "Channel").endswith(";1"))
    assert get(leg, "UserField") == "dtmf=1"
