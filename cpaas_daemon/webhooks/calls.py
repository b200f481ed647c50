"""Call events the AMI reports and no transaction of ours covers: ringing and answered.

Each carries the channel that changed, which is what ``modify_call`` needs to act on the
call. Subscribed after the tracker, so the channel's call is already known.
"""

from __future__ import annotations

from cpaas_daemon.ami.bus import Event, EventBus
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.webhooks.events import Outbox

RINGING, UP = "5", "6"  # AMI ChannelState


class CallStateEvents:
    def __init__(self, bus: EventBus, tracker: CallTracker, outbox: Outbox) -> None:
        self._tracker = tracker
        self._outbox = outbox
        bus.subscribe(self._on_newstate, "Newstate")

    def _on_newstate(self, event: Event) -> None:
        state = event.get("ChannelState", "")
        if state not in (RINGING, UP) or not self._outbox.subscribed:
            return
        channel = self._tracker.channel(event.get("Channel", ""))
        info = self._tracker.request_of(channel) if channel is not None else None
        if info is None:
            return
        self._outbox.emit(
            info.account_id,
            "call.ringing" if state == RINGING else "call.answered",
            info.request_id,
            {
                "kind": info.kind.value,
                "channel": event.get("Channel", ""),
                "uniqueid": event.get("Uniqueid", ""),
                "linkedid": event.get("Linkedid", ""),
                "caller_id": event.get("CallerIDNum", ""),
                "connected_line": event.get("ConnectedLineNum", ""),
            },
        )
