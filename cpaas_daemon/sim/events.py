"""Event fan-out and the header blocks Asterisk repeats in almost every call event.

The ``channel_fields`` block (Channel … Linkedid) is what ast_manager_build_channel_state_string
produces; Dial and LocalBridge events repeat it with a ``Dest``/``LocalOne``/``LocalTwo`` prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cpaas_daemon.sim.protocol import Fields

if TYPE_CHECKING:
    from cpaas_daemon.sim.channel import Channel

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
CAUSE_TEXT = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    34: "Circuit/channel congestion",
}

Listener = Callable[[Fields], None]


class EventBus:
    """Delivers every event frame to the sessions that are listening (logged-in AMI users)."""

    def __init__(self) -> None:
        self.listeners: list[Listener] = []

    def emit(self, event: str, privilege: str, fields: Fields) -> None:
        """Build ``Event``/``Privilege`` + fields once and hand it to every listener."""
        frame: Fields = [("Event", event), ("Privilege", f"{privilege},all"), *fields]
        for listener in list(self.listeners):
            listener(frame)

    def channel_event(
        self, event: str, chan: Channel, extra: Fields | None = None, cls: str = "call"
    ) -> None:
        """An event about one channel: its state block followed by event-specific fields."""
        self.emit(event, cls, [*channel_fields(chan), *(extra or [])])


def channel_fields(chan: Channel, prefix: str = "") -> Fields:
    """The standard channel snapshot block, optionally prefixed (``Dest``, ``LocalOne``…)."""
    return [
        (f"{prefix}Channel", chan.name),
        (f"{prefix}ChannelState", str(chan.state)),
        (f"{prefix}ChannelStateDesc", STATE_DESC[chan.state]),
        (f"{prefix}CallerIDNum", chan.cid_num or "<unknown>"),
        (f"{prefix}CallerIDName", chan.cid_name or "<unknown>"),
        (f"{prefix}ConnectedLineNum", chan.conn_num or "<unknown>"),
        (f"{prefix}ConnectedLineName", chan.conn_name or "<unknown>"),
        (f"{prefix}Language", "en"),
        (f"{prefix}AccountCode", chan.accountcode),
        (f"{prefix}Context", chan.context),
        (f"{prefix}Exten", chan.exten),
        (f"{prefix}Priority", str(chan.priority)),
        (f"{prefix}Uniqueid", chan.uniqueid),
        (f"{prefix}Linkedid", chan.linkedid),
    ]
