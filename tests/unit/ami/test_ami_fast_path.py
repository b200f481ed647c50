"""The AMI reader's fast path: unwanted events are only counted, wanted ones arrive
exactly as panoramisk would have parsed them, and actions still get their list items."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from panoramisk.message import Message

from cpaas_daemon.ami import actions
from cpaas_daemon.ami.bus import PBX_KEY, EventBus
from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.ami.protocol import as_event, parse_event, parse_frame
from cpaas_daemon.config import DEFAULT_PBX_ID, AmiConfig
from cpaas_daemon.metrics import Metrics
from tests.fixtures import ASTERISK, ami_frames

EOL = "\r\n"


def frame(*headers: str) -> bytes:
    return (EOL.join(headers) + EOL + EOL).encode()


class ScriptedAsterisk:
    """Answers the Login; then writes what a test hands it and records actions."""

    def __init__(self) -> None:
        self.actions: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.writer: asyncio.StreamWriter | None = None
        self.connected = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        self.writer = writer
        while raw := await reader.readuntil(b"\r\n\r\n"):
            action = dict(
                line.split(": ", 1) for line in raw.decode().strip().split(EOL) if ": " in line
            )
            if action.get("Action") == "Login":
                writer.write(frame("Response: Success", f"ActionID: {action['ActionID']}"))
                self.connected.set()
            else:
                await self.actions.put(action)

    def send(self, *frames: bytes) -> None:
        assert self.writer is not None
        self.writer.write(b"".join(frames))


@pytest.fixture
async def asterisk() -> AsyncIterator[tuple[ScriptedAsterisk, int]]:
    peer = ScriptedAsterisk()
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
    yield peer, server.sockets[0].getsockname()[1]
    server.close()


@pytest.fixture
async def client(
    asterisk: tuple[ScriptedAsterisk, int],
) -> AsyncIterator[tuple[AmiClient, ScriptedAsterisk, list[Any]]]:
    peer, port = asterisk
    bus, metrics = EventBus(), Metrics()
    received: list[Any] = []
    bus.subscribe(received.append, "Newchannel", "CoreShowChannel")
    ami = AmiClient(AmiConfig(host="127.0.0.1", port=port, ping_interval=600), bus, metrics)
    await ami.start()
    async with asyncio.timeout(5):
        await ami.wait_connected()
    yield ami, peer, received
    await ami.stop()


def events_counted(ami: AmiClient) -> float:
    return ami.metrics.registry.get_sample_value("cpaas_ami_events_total") or 0.0


async def until(condition: Any) -> None:
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


NEWCHANNEL = frame(
    "Event: Newchannel",
    "Privilege: call,all",
    "Channel: Local/1001@sim-endpoints-0000001a;1",
    "Uniqueid: cpaas-0123456789",
    "Linkedid: cpaas-0123456789",
    "ChanVariable: A=1",
    "ChanVariable: B=2",
)
VARSET = frame("Event: VarSet", "Channel: Local/1@x-1;1", "Variable: X", "Value: 1")


async def test_unsubscribed_event_is_counted_not_delivered_and_subscribed_one_is_as_before(
    client: tuple[AmiClient, ScriptedAsterisk, list[Any]],
) -> None:
    ami, peer, received = client
    peer.send(VARSET, NEWCHANNEL, VARSET)
    await until(lambda: events_counted(ami) == 3)
    [event] = received
    expected = as_event(Message.from_line(NEWCHANNEL.decode().strip()))
    # As panoramisk parses it, plus the PBX it came from (added last, by the client).
    assert list(event.items()) == [*expected.items(), (PBX_KEY, DEFAULT_PBX_ID)]
    assert event["ChanVariable"] == "A=1\nB=2"


async def test_list_response_items_still_complete_their_action_unsubscribed_or_not(
    client: tuple[AmiClient, ScriptedAsterisk, list[Any]],
) -> None:
    """CoreShowChannel items carry the ActionID: they go to the action, not the bus, even
    though the bus has a subscriber for that name; an unwanted event in between is skipped."""
    ami, peer, received = client
    listing = asyncio.ensure_future(ami.send(actions.core_show_channels()))
    action = await asyncio.wait_for(peer.actions.get(), 5)
    action_id = action["ActionID"]
    peer.send(
        frame("Response: Success", f"ActionID: {action_id}", "EventList: start",
              "Message: Channels will follow"),
        frame("Event: CoreShowChannel", f"ActionID: {action_id}", "Channel: SIP/a-1"),
        VARSET,
        frame("Event: VarSet", f"ActionID: {action_id}", "Variable: Y", "Value: 2"),
        frame("Event: CoreShowChannelsComplete", f"ActionID: {action_id}",
              "EventList: Complete", "ListItems: 1"),
    )  # fmt: skip
    result = await asyncio.wait_for(listing, 5)
    assert [message.get("Event") or message.get("Response") for message in result] == [
        "Success",
        "CoreShowChannel",
        "VarSet",
        "CoreShowChannelsComplete",
    ]
    assert received == []
    assert events_counted(ami) == 1  # the unwanted VarSet without an ActionID


async def test_event_with_an_unknown_action_id_and_no_subscriber_is_skipped(
    client: tuple[AmiClient, ScriptedAsterisk, list[Any]],
) -> None:
    ami, peer, received = client
    pending = asyncio.ensure_future(ami.send(actions.ping()))
    action = await asyncio.wait_for(peer.actions.get(), 5)
    peer.send(frame("Event: VarSet", "ActionID: someone-else-1", "Variable: Z", "Value: 3"))
    await until(lambda: events_counted(ami) == 1)
    peer.send(frame("Response: Success", f"ActionID: {action['ActionID']}", "Ping: Pong"))
    assert (await asyncio.wait_for(pending, 5)).get("Ping") == "Pong"
    assert received == []


async def test_shutdown_without_a_subscriber_still_drops_the_link(
    client: tuple[AmiClient, ScriptedAsterisk, list[Any]],
) -> None:
    ami, peer, _ = client
    assert not ami.bus.wants("Shutdown")
    peer.send(frame("Event: Shutdown", "Shutdown: Cleanly", "Restart: True"))
    await until(lambda: not ami.connected)


def test_bus_wants_only_names_with_a_live_subscriber() -> None:
    bus = EventBus()
    assert not bus.wants("Hangup")
    bus.subscribe(print, "Hangup")
    assert bus.wants("Hangup")
    assert not bus.wants("VarSet")
    bus.unsubscribe(print)
    assert not bus.wants("Hangup")
    bus.subscribe(print)  # every event
    assert bus.wants("VarSet")


def test_parse_event_equals_panoramisk_on_every_recorded_event() -> None:
    frames = [
        str(f["raw"]).strip()
        for path in sorted(ASTERISK.glob("*.ami.jsonl"))
        for f in ami_frames(path.name.removesuffix(".ami.jsonl"))
        if f["dir"] == "recv" and str(f["raw"]).startswith("Event: ")
    ]
    assert len(frames) > 1000
    for raw in frames:
        expected = list(as_event(Message.from_line(raw)).items())
        parsed = parse_event(raw)
        # It declines a Result header (AttendedTransfer, BlindTransfer): panoramisk
        # un-quotes it, so parse_frame takes panoramisk's path and still agrees.
        assert parsed is not None or "\r\nResult: " in raw, raw
        assert list((parsed or parse_frame(raw) or {}).items()) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Event: AGIExecEnd\r\nResult: 200%20result%3D1",  # panoramisk un-quotes Result
        "Event: X\r\nFoo: 1\r\nfoo: 2",  # names equal but for case
        "Event: X\r\nContent: body",  # would collide with the Message's content
    ],
)
def test_parse_event_defers_to_panoramisk_where_it_would_differ(raw: str) -> None:
    assert parse_event(raw) is None
