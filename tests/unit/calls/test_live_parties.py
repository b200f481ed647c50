"""calls/live.py: which live channel is the agent and which the customer, per call kind,
with the channel names a real Asterisk gives (PJSIP, Local pairs), and `since`."""

from __future__ import annotations

import time

import pytest

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.calls.live import Leg, LiveState, live_calls
from cpaas_daemon.calls.model import CallKind, channel_id_for
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.metrics import Metrics

RID = "00000000a1"
ORIGIN = channel_id_for(RID)


def shown(name: str, uniqueid: str, state: str = "Up", duration: str = "") -> dict[str, str]:
    return {
        "Event": "CoreShowChannel",
        "Channel": name,
        "Uniqueid": uniqueid,
        "Linkedid": ORIGIN,
        "ChannelStateDesc": state,
        "Duration": duration,
    }


def tracker_with(kind: CallKind, *channels: dict[str, str]) -> CallTracker:
    tracker = CallTracker(EventBus(), Metrics())
    tracker.register(RequestInfo(RID, "acme", kind))
    tracker.reset(channels)
    return tracker


def test_click2call_over_a_sip_trunk_starts_at_the_agent() -> None:
    tracker = tracker_with(
        CallKind.C2C,
        shown("PJSIP/trunk-00000001", ORIGIN),
        shown("PJSIP/trunk-00000002", "1795363404.2", state="Ringing"),
    )
    [call] = live_calls(tracker, "acme")
    assert (call.agent and call.agent.name, call.customer and call.customer.name) == (
        "PJSIP/trunk-00000001",
        "PJSIP/trunk-00000002",
    )
    assert call.state is LiveState.UP
    assert live_calls(tracker, "globex") == []


@pytest.mark.parametrize("kind", [CallKind.CAMPAIGN, CallKind.OTP])
def test_campaign_and_otp_calls_start_at_the_customer(kind: CallKind) -> None:
    tracker = tracker_with(kind, shown("Local/9199@out-0000000a;1", ORIGIN, state="Ringing"))
    [call] = live_calls(tracker, "acme")
    assert (call.customer and call.customer.name, call.agent) == ("Local/9199@out-0000000a;1", None)
    assert call.state is LiveState.RINGING


def test_the_inner_half_of_a_local_pair_is_neither_party() -> None:
    tracker = tracker_with(
        CallKind.CALLBACK,
        shown("Local/101@out-00000001;1", ORIGIN),
        shown("Local/101@out-00000001;2", f"{ORIGIN}-2"),
        shown("Local/9199@out-00000002;1", "1795363404.3"),
        shown("Local/9199@out-00000002;2", "1795363404.4"),
    )
    [call] = live_calls(tracker, "acme")
    assert call.leg(Leg.AGENT).name == "Local/101@out-00000001;1"  # type: ignore[union-attr]
    assert call.leg(Leg.CUSTOMER).name == "Local/9199@out-00000002;1"  # type: ignore[union-attr]
    assert call.state is LiveState.CONNECTED


def test_since_after_a_reconnect_comes_from_the_channels_duration() -> None:
    tracker = tracker_with(CallKind.C2C, shown("PJSIP/a-1", ORIGIN, duration="01:02:03"))
    [call] = live_calls(tracker, "acme")
    assert abs(time.time() - 3723 - call.since) < 5
