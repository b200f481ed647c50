"""Call events no transaction of ours covers: ringing and answered (AMI), transfer.

One event per party and state: a Local channel's two halves (``...;1``/``...;2``) are one
party, reported by the name of its ``;1`` half, the one ``modify_call`` acts on. Each
event carries that channel, which is what a CRM needs to act on the call. Subscribed
after the tracker, so the channel's call is already known.

Ringing is the party's phone alerting: the channel state ``Ringing`` (5; a SIP 180, or
``Ringing()`` in the dialplan behind a Local channel). Not ``Ring`` (4): the ``;2`` half
of a Local channel is born in it only because it runs dialplan, and a real Asterisk shows
it for a busy or unreachable number that never rang (tests/real_asterisk/
test_webhooks.py); the other channels born in it are inbound callers, which become a
request only later, when the dialplan asks the FastAGI hook, so none is reported ringing.
"""

from __future__ import annotations

from cpaas_daemon.ami.bus import PBX_KEY, Event, EventBus
from cpaas_daemon.calls.service import ModifyType
from cpaas_daemon.calls.tracker import CallTracker, RequestInfo
from cpaas_daemon.config import DEFAULT_PBX_ID
from cpaas_daemon.webhooks.events import Outbox

RINGING, UP = "5", "6"  # AMI ChannelState
_TYPES = {RINGING: "call.ringing", UP: "call.answered"}
MAX_TOLD = 20_000  # parties remembered before those no longer live are forgotten


def party(channel: str) -> str:
    """``Local/100@ctx-00000001;2`` -> ``Local/100@ctx-00000001;1``; others unchanged."""
    if channel.startswith("Local/") and channel.endswith(";2"):
        return channel[:-1] + "1"
    return channel


def _number(value: str) -> str:
    """AMI's ``<unknown>`` (no caller id) as an empty string, as in the CDR."""
    return "" if value == "<unknown>" else value


class CallStateEvents:
    def __init__(self, bus: EventBus, tracker: CallTracker, outbox: Outbox) -> None:
        self._tracker = tracker
        self._outbox = outbox
        # (PBX, party) -> event types already emitted: channel names are unique per PBX.
        self._told: dict[tuple[str, str], set[str]] = {}
        bus.subscribe(self._on_state, "Newchannel", "Newstate")
        bus.subscribe(self._on_hangup, "Hangup")

    def _on_state(self, event: Event) -> None:
        type_ = _TYPES.get(event.get("ChannelState", ""))
        if type_ is None or not self._outbox.subscribed:
            return
        channel = self._tracker.of_event(event)
        info = self._tracker.request_of(channel) if channel is not None else None
        if channel is None or info is None or not self._outbox.wants(info.account_id, type_):
            return
        name = party(event.get("Channel", ""))
        if len(self._told) >= MAX_TOLD:  # Hangups missed while the AMI link was down
            live = {(c.pbx_id, party(c.name)) for c in self._tracker.live_channels()}
            self._told = {p: types for p, types in self._told.items() if p in live}
        told = self._told.setdefault((channel.pbx_id, name), set())
        if type_ in told:
            return
        told.add(type_)
        self._outbox.emit(
            info.account_id,
            type_,
            info.request_id,
            {
                "kind": info.kind.value,
                "channel": name,
                "linkedid": event.get("Linkedid", ""),
                "caller_id": _number(event.get("CallerIDNum", "")),
                "connected_line": _number(event.get("ConnectedLineNum", "")),
            },
        )

    def _on_hangup(self, event: Event) -> None:
        if self._told:
            self._told.pop(
                (event.get(PBX_KEY, DEFAULT_PBX_ID), party(event.get("Channel", ""))), None
            )

    def on_transfer(
        self, info: RequestInfo, channel: str, modify_type: ModifyType, transfer_to: str
    ) -> None:
        """``CallService.on_transfer`` listener: modify_call moved this call on."""
        self._outbox.emit(
            info.account_id,
            "call.transfer",
            info.request_id,
            {
                "kind": info.kind.value,
                "channel": channel,
                "transfer_to": transfer_to,
                "mode": "blind" if modify_type is ModifyType.BLIND_TRANSFER else "attended",
            },
        )
