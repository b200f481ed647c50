"""The simulated PBX core: counters, the live channel table, tasks and the shared config.

Everything that Asterisk keeps process-wide lives here, so ``restart`` can simply build a new
Core (channel counter back to 00000000, Uptime 0) while the TCP server object stays.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from cpaas_daemon.sim.cdr import CdrConf, CdrRecord, append_csv, final_records
from cpaas_daemon.sim.channel import Channel
from cpaas_daemon.sim.dialplan import Dialplan
from cpaas_daemon.sim.events import EventBus
from cpaas_daemon.sim.queue_log import QueueLog
from cpaas_daemon.sim.queues import QueueSet


class Core:
    """Process-wide state of one simulated Asterisk run."""

    def __init__(
        self,
        bus: EventBus,
        dialplan: Dialplan,
        queues: QueueSet,
        *,
        scale: float,
        queue_log: QueueLog,
        cdr_csv_path: Path | None,
        cdr_conf: CdrConf,
    ) -> None:
        self.bus = bus
        self.dialplan = dialplan
        self.queues = queues
        self.scale = scale
        self.queue_log = queue_log
        self.cdr_csv_path = cdr_csv_path
        self.cdr_conf = cdr_conf
        self.started = time.time()
        self.channels: dict[str, Channel] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.idle = asyncio.Event()
        self.idle.set()
        self._chan_counter = itertools.count()
        self._uid_counter = itertools.count()
        self._bridge_counter = itertools.count()
        self._optimization_counter = itertools.count()

    # -- identifiers ----------------------------------------------------------------------
    def next_suffix(self) -> str:
        """The global 8-hex channel counter (``-0000000a``)."""
        return f"{next(self._chan_counter):08x}"

    def next_uniqueid(self) -> str:
        """``<epoch>.<sequence>`` like ast_channel_alloc."""
        return f"{int(time.time())}.{next(self._uid_counter)}"

    def next_bridge_id(self) -> str:
        """A UUID-shaped bridge id (Asterisk uses a random UUID)."""
        value = next(self._bridge_counter)
        return f"{int(self.started):08x}-{value:04x}-4000-8000-{value:012x}"

    def next_optimization_id(self) -> str:
        """The Id of LocalOptimizationBegin/End, counting from 0 per process."""
        return str(next(self._optimization_counter))

    # -- channels -------------------------------------------------------------------------
    def new_channel(
        self,
        name: str,
        context: str,
        exten: str,
        linkedid: str | None,
        state: int = 0,
        *,
        uniqueid: str | None = None,
    ) -> Channel:
        """Allocate and register a channel and emit Newchannel.

        ``uniqueid`` is Originate's ChannelId / OtherChannelId when the client chose one.
        """
        uniqueid = uniqueid or self.next_uniqueid()
        chan = Channel(self, name, uniqueid, linkedid or uniqueid, context, exten, state)
        chan.cdr = CdrRecord()
        self.channels[name] = chan
        self.idle.clear()
        chan.event("Newchannel")
        return chan

    def channel_gone(self, chan: Channel) -> None:
        """Called by Channel.hangup: unregister, publish its CDRs, maybe become idle."""
        self.channels.pop(chan.name, None)
        records = self.cdr_conf.published(final_records(chan))
        for record in records:
            self.bus.emit("Cdr", "cdr", record)
        if self.cdr_csv_path is not None and records:
            append_csv(self.cdr_csv_path, records)
        if not self.channels:
            self.idle.set()

    def find_channel(self, name: str) -> Channel | None:
        """Look a live channel up by its exact name."""
        return self.channels.get(name)

    # -- tasks ----------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a call task; kept so stop()/restart() can cancel it."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def shutdown(self) -> None:
        """Cancel every call task (used by stop and restart)."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.channels.clear()
        self.idle.set()

    def uptime(self) -> int:
        """Seconds since this core started (FullyBooted Uptime)."""
        return int(time.time() - self.started)
