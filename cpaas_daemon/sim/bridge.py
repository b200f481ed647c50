"""Basic two-party bridges (``BridgeType: basic`` / ``simple_bridge``) as Dial and Queue make.

The bridge only records membership and emits the Bridge* events; whoever created it (the
caller's Dial or Queue) waits on ``changed`` and decides who leaves, like app_dial's
bridge-after-answer with a basic bridge that dissolves when one party leaves.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cpaas_daemon.sim.events import channel_fields
from cpaas_daemon.sim.protocol import Fields

if TYPE_CHECKING:
    from cpaas_daemon.sim.channel import Channel
    from cpaas_daemon.sim.core import Core


class Bridge:
    """A basic bridge with up to two members."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.uniqueid = core.next_bridge_id()
        self.members: list[Channel] = []
        self.changed = asyncio.Event()
        self.destroyed = False
        # Set while an attended transfer or a Local optimisation has taken the parties from
        # the Dial/Queue that made the bridge; resolves True when they are gone for good,
        # False when they are handed back (a consultation that failed).
        self.handover: asyncio.Future[bool] | None = None
        core.bus.emit("BridgeCreate", "call", self.fields())

    def fields(self) -> Fields:
        """The bridge snapshot block."""
        return [
            ("BridgeUniqueid", self.uniqueid),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
            ("BridgeNumChannels", str(len(self.members))),
            ("BridgeVideoSourceMode", "none"),
        ]

    def enter(self, chan: Channel) -> None:
        """BridgeEnter; BRIDGEPEER is set on both once two parties are in."""
        self.members.append(chan)
        chan.bridge = self
        self.core.bus.emit("BridgeEnter", "call", [*self.fields(), *channel_fields(chan)])
        if len(self.members) == 2:
            first, second = self.members
            second.set_var("BRIDGEPEER", first.name)
            first.set_var("BRIDGEPEER", second.name)

    def leave(self, chan: Channel) -> None:
        """BridgeLeave; the last one out destroys the bridge."""
        if chan not in self.members:
            return
        self.members.remove(chan)
        chan.bridge = None
        self.core.bus.emit("BridgeLeave", "call", [*self.fields(), *channel_fields(chan)])
        self.changed.set()
        if not self.members and not self.destroyed:
            self.destroyed = True
            self.core.bus.emit("BridgeDestroy", "call", self.fields())

    def peer_of(self, chan: Channel) -> Channel | None:
        """The other member, if any."""
        return next((other for other in self.members if other is not chan), None)

    async def hold(self) -> None:
        """Return once a member must leave (hang-up request, redirect) or has left, or the
        parties were taken over (``handover``)."""
        while self.handover is None and self.intact():
            self.changed.clear()
            await self.changed.wait()

    async def hold_taken_over(self) -> None:
        """``hold`` for the new owner of a bridge that was handed over."""
        while self.intact():
            self.changed.clear()
            await self.changed.wait()

    def intact(self) -> bool:
        """Two parties, neither asked to leave."""
        return len(self.members) == 2 and not any(m.stopped for m in self.members)

    def take_over(self) -> asyncio.Future[bool]:
        """Take the parties from the bridge's creator (see ``handover``)."""
        self.handover = asyncio.get_running_loop().create_future()
        self.changed.set()
        return self.handover
