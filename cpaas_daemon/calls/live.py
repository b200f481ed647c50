"""Which live channel of a call is the agent and which the customer.

A CRM without access to the PBX cannot know channel names, yet ``modify_call`` acts on
a channel. This module names the two parties of each live call from the tracker's
channels, so ``GET /api/live_calls`` can list them and ``modify_call`` can take
``request_id`` + ``leg`` instead of a raw channel.

The rule, from how calls are built (docs/api-cpaas.md, "live_calls"):

* the **origin** is the channel whose Uniqueid is the call's Linkedid: the channel we
  originated (``cpaas-<request_id>``), or the inbound caller's channel;
* the **other party** is the first later channel that is not the inner half (``;2``) of a
  Local pair whose ``;1`` is also in the call: the channel Dial or Queue created;
* click-to-call and callbacks dial the agent first, so there the origin is the agent;
  OTP, campaign and inbound calls start at the customer, so the other party is an agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.tracker import CallTracker, LiveChannel, RequestInfo
from cpaas_daemon.errors import NotFound

AGENT_FIRST = frozenset({CallKind.C2C, CallKind.CALLBACK})
UP = "Up"


class Leg(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"


class LiveState(StrEnum):
    """A live call as a CRM sees it."""

    RINGING = "ringing"  # no party has answered yet
    UP = "up"  # a party answered; the other is not (or not yet) there: IVR, dialling
    CONNECTED = "connected"  # agent and customer are both up


@dataclass(frozen=True)
class LiveCall:
    info: RequestInfo
    agent: LiveChannel | None
    customer: LiveChannel | None
    since: float  # when its first live channel appeared (epoch seconds)

    def leg(self, leg: Leg) -> LiveChannel | None:
        return self.agent if leg is Leg.AGENT else self.customer

    @property
    def state(self) -> LiveState:
        parties = [channel for channel in (self.agent, self.customer) if channel is not None]
        up = [channel for channel in parties if channel.state == UP]
        if len(up) == 2:
            return LiveState.CONNECTED
        return LiveState.UP if up else LiveState.RINGING


def _inner_half(channel: LiveChannel, names: set[str]) -> bool:
    return channel.name.endswith(";2") and channel.name[:-1] + "1" in names


def live_call(info: RequestInfo, channels: Sequence[LiveChannel]) -> LiveCall:
    """The parties of one call from its live channels (in the order they appeared)."""
    names = {channel.name for channel in channels}
    origin = next((c for c in channels if c.uniqueid == c.linkedid), None)
    other = next(
        (c for c in channels if c is not origin and not _inner_half(c, names)),
        None,
    )
    agent, customer = (origin, other) if info.kind in AGENT_FIRST else (other, origin)
    return LiveCall(info, agent, customer, min(channel.since for channel in channels))


def live_calls(tracker: CallTracker, account_id: str) -> list[LiveCall]:
    """The account's live calls, oldest first."""
    calls = [live_call(info, legs) for info, legs in tracker.calls_of(account_id).values()]
    return sorted(calls, key=lambda call: call.since)


def leg_channel(tracker: CallTracker, account_id: str, request_id: str, leg: Leg) -> LiveChannel:
    """The live channel of one party of an account's call, for ``modify_call``.

    Not live, another account's, or without that party yet: one answer for all three,
    so a request_id of another account cannot be probed.
    """
    found = tracker.calls_of(account_id).get(request_id)
    channel = live_call(*found).leg(leg) if found is not None else None
    if channel is None:
        raise NotFound(f"no live {leg} channel for request_id {request_id}")
    return channel  # not its name: two PBXs may each have a channel of that name
