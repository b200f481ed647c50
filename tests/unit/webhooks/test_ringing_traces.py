"""call.ringing and call.answered from what a real Asterisk 22 sent (tests/traces), over
a SIP trunk (PJSIP loopback, production's channel type) and over Local channels:
ringing is a channel of the call in state Ringing (a 180), once per party; a busy
destination, or one that answers at once, never rang."""

from __future__ import annotations

from typing import Any

import pytest

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.ami.protocol import parse_event
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.webhooks.calls import CallStateEvents
from cpaas_daemon.webhooks.events import ALL, Outbox
from tests.fixtures import ami_frames

REQUEST = RequestInfo("00000000a1", "acme", CallKind.C2C)
RINGING, UP = "call.ringing", "call.answered"


class RecordingOutbox(Outbox):
    """What would be written, without a store."""

    def __init__(self) -> None:
        super().__init__(db=None)  # type: ignore[arg-type]
        self.subscribed = {"acme": frozenset({ALL})}
        self.emitted: list[tuple[str, dict[str, Any]]] = []

    def emit(self, account_id: str, type_: str, request_id: str, data: dict[str, Any]) -> None:
        assert (account_id, request_id) == (REQUEST.account_id, REQUEST.request_id)
        self.emitted.append((type_, data))


def replay(scenario: str) -> list[tuple[str, str]]:
    """(type, channel) of each event the scenario's frames raise; the first channel's
    call (its Linkedid) is the request's, as the FastAGI hook links an inbound call."""
    bus, outbox = EventBus(), RecordingOutbox()
    tracker = CallTracker(bus, Metrics())
    CallStateEvents(bus, tracker, outbox)
    linked = False
    for frame in ami_frames(scenario):
        event = parse_event(str(frame["raw"])) if frame["dir"] == "recv" else None
        if event is None or "Event" not in event:
            continue
        if not linked and event["Event"] == "Newchannel":
            linked = tracker.link(event["Linkedid"], REQUEST)
        bus.publish(event)
    return [(type_, data["channel"]) for type_, data in outbox.emitted]


def sip(type_: str, counter: str) -> tuple[str, str]:
    return type_, f"PJSIP/loopback-{counter}"


def local(type_: str, number: str, counter: str) -> tuple[str, str]:
    return type_, f"Local/{number}@sim-endpoints-{counter};1"


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [  # click-to-calls over a SIP trunk, whose far end answers at once (no 180)
        ("pjsip_originate_answered", [sip(UP, "00000000"), sip(UP, "00000002")]),
        ("pjsip_originate_noanswer", [sip(RINGING, "00000006")]),
        ("pjsip_destination_busy", [sip(UP, "00000008")]),  # busy: a 486, no 180
        # Local channels: the busy number's ;2 half is born in Ring, and never rang
        ("originate_destination_busy", [local(UP, "1001", "00000005")]),
        (
            "originate_destination_noanswer",
            [local(UP, "1001", "00000007"), local(RINGING, "1006", "00000008")],
        ),
    ],
)
def test_a_party_rings_when_asterisk_says_ringing_only(
    scenario: str, expected: list[tuple[str, str]]
) -> None:
    assert replay(scenario) == expected
