"""The daemon's AMI protocol replayed against every stream recorded from a real Asterisk
(tests/traces/*.ami.jsonl): each action gets exactly the frames that name it (a list
action all of them, up to its ``...Complete``), every other event reaches the bus as
panoramisk would have parsed it, and the end of the stream fails what is still pending."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from panoramisk.message import Message

from cpaas_daemon.ami.actions import ACTIONS, AmiAction
from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.ami.errors import AmiUnavailable
from cpaas_daemon.ami.protocol import AmiProtocol, as_event, parse_frame
from cpaas_daemon.metrics import Metrics
from tests.fixtures import ASTERISK, ami_frames

SCENARIOS = sorted(path.name.removesuffix(".ami.jsonl") for path in ASTERISK.glob("*.ami.jsonl"))
_HEADER = re.compile(r"^(\w+): (.*)$", re.MULTILINE)


class _Wire(asyncio.Transport):
    """A transport that records what is written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.written.append(data)

    def close(self) -> None:
        self.closed = True


def _headers(raw: str) -> dict[str, str]:
    return dict(_HEADER.findall(raw.replace("\r\n", "\n")))


def _expected(frames: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """What each action should resolve with, and what the bus should see, worked out
    from the trace alone: a frame naming a pending action goes to it; a list action
    (one whose first answer starts an EventList) ends at its ``EventList: Complete``."""
    answers: dict[str, Any] = {}
    published: list[dict[str, str]] = []
    pending: dict[str, bool] = {}
    for frame in frames:
        raw = str(frame["raw"])
        action_id = _headers(raw).get("ActionID", "")
        if frame["dir"] == "send" and action_id:
            pending[action_id] = _is_list(frames, action_id)
        if frame["dir"] != "recv" or raw.startswith("Asterisk Call Manager/"):
            continue
        parsed = as_event(Message.from_line(raw.strip()))
        action_id = parsed.get("ActionID", "")
        if action_id not in pending:
            if "Event" in parsed:
                published.append(parsed)
            continue
        if not pending[action_id]:
            answers[action_id] = parsed
            del pending[action_id]
            continue
        answers.setdefault(action_id, []).append(parsed)
        if parsed.get("Response") == "Error" or parsed.get("EventList") == "Complete":
            del pending[action_id]
    return answers, published


def _is_list(frames: list[dict[str, Any]], action_id: str) -> bool:
    for frame in frames:
        headers = _headers(str(frame["raw"]))
        if frame["dir"] == "recv" and headers.get("ActionID") == action_id:
            return headers.get("EventList") == "start"
    return False


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_recorded_stream_reaches_actions_and_bus_as_asterisk_framed_it(
    scenario: str,
) -> None:
    """A banner starts a connection (restart_reconnect has three), ``eof`` ends it."""
    frames = ami_frames(scenario)
    answers, published = _expected(frames)
    bus, metrics, lost = EventBus(), Metrics(), []
    seen: list[dict[str, str]] = []
    bus.subscribe(seen.append)
    protocol, wires = AmiProtocol(bus, metrics, lost.append), [_Wire()]
    futures: dict[str, asyncio.Future[Any]] = {}
    for index, frame in enumerate(frames):
        raw = str(frame["raw"])
        if frame["dir"] == "send":
            headers = _headers(raw)
            name, action_id = headers.pop("Action"), headers.pop("ActionID", None)
            if action_id is None:  # a raw probe without an id: ours always carry one
                continue
            as_list = ACTIONS.get(name, _is_list(frames, action_id))
            futures[action_id] = protocol.send(AmiAction(name, headers, as_list), action_id)
        elif frame["dir"] == "recv":
            if raw.startswith("Asterisk Call Manager/"):
                protocol = AmiProtocol(bus, metrics, lost.append)
                wires.append(_Wire())
                protocol.connection_made(wires[-1])
            data = raw.encode("latin-1")
            cut = index % 7 * len(data) // 7  # frames split across reads, at varying points
            protocol.data_received(data[:cut])
            protocol.data_received(data[cut:])
            assert protocol.version == "11.0.0"
        elif frame["dir"] == "eof":
            protocol.connection_lost(None)
    for action_id, future in futures.items():
        if action_id in answers:
            assert future.result() == answers[action_id], action_id
        else:  # the link ended first, or had ended: it fails, and is never re-sent
            assert isinstance(future.exception(), AmiUnavailable), action_id
    assert [list(event.items()) for event in seen] == [list(event.items()) for event in published]
    connections = sum(1 for f in frames if str(f["raw"]).startswith("Asterisk Call Manager/"))
    assert len(lost) == connections  # each told once, Shutdown or eof
    assert metrics.registry.get_sample_value("cpaas_ami_events_total") == len(published)
    failures = [f.exception() for f in futures.values()]
    sent = sum(1 for exc in failures if not isinstance(exc, AmiUnavailable) or exc.sent)
    assert sum(len(wire.written) for wire in wires) == sent  # once each, none again


def test_an_action_goes_on_the_wire_as_its_headers_with_our_action_id() -> None:
    protocol = AmiProtocol(EventBus(), Metrics(), lambda _exc: None)
    wire = _Wire()
    protocol.connection_made(wire)
    action = AmiAction("Originate", {"Channel": "PJSIP/1", "Variable": ["A=1", "B=2"]}, False)

    async def send() -> None:
        protocol.send(action, "cpaas-1")

    asyncio.run(send())
    assert wire.written == [
        b"Action: Originate\r\nChannel: PJSIP/1\r\nVariable: A=1\r\nVariable: B=2\r\n"
        b"ActionID: cpaas-1\r\n\r\n"
    ]


def test_parse_frame_equals_panoramisk_on_every_recorded_frame() -> None:
    frames = [
        str(f["raw"]).strip()
        for scenario in SCENARIOS
        for f in ami_frames(scenario)
        if f["dir"] == "recv" and not str(f["raw"]).startswith("Asterisk Call Manager/")
    ]
    assert sum(1 for raw in frames if raw.startswith("Response: ")) > 100
    for raw in [*frames, "Response: Follows\r\nActionID: 1\r\nbody line\r\n--END COMMAND--"]:
        message = Message.from_line(raw)
        assert parse_frame(raw) == (None if message is None else as_event(message)), raw
