"""The PBXs the daemon drives, and where a new call goes.

A :class:`Pbx` is everything that belongs to one Asterisk: its AMI client (health is
"logged in and its login hooks ran"), its dial templates and capacity, and the readers
of the files it writes (Master.csv, queue_log), each committing its read position with
the rows it produced, keyed by the PBX. It starts and stops as one unit, independently
of the others: that unit is what a lease will later hand from one daemon to another.

:meth:`PbxPool.route` is the placement rule: a healthy PBX with room (its calls, live or
being placed, below ``max_channels``), the least loaded first, ties to the first
configured. None qualifying is :class:`NotSent`: no row, nothing dialled, the same 503
``pbx_unavailable`` the API gave with its one PBX down.

With several daemons on one store a PBX is worked only by the node holding its lease
(:mod:`cpaas_daemon.pbx.ownership`): the pool routes only to the PBXs whose lease this
node may still act on, and hands that lease to the call as its fence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

import structlog

from cpaas_daemon.ami.actions import AmiAction
from cpaas_daemon.ami.bus import PBX_KEY
from cpaas_daemon.ami.client import AmiClient
from cpaas_daemon.ami.errors import AmiRefused, AmiUnavailable
from cpaas_daemon.ami.protocol import Event
from cpaas_daemon.calls.dialstring import dial_string
from cpaas_daemon.calls.model import CallRequest
from cpaas_daemon.calls.placement import NotSent
from cpaas_daemon.cdr.csv_backfill import CdrCsvBackfill
from cpaas_daemon.cluster.leases import Lease
from cpaas_daemon.config import PbxConfig
from cpaas_daemon.queue_log.tailer import QueueLogTailer
from cpaas_daemon.tasks import cancel

log = structlog.get_logger(__name__)


@dataclass
class Pbx:
    """One Asterisk: its AMI client, how numbers become its channels, its capacity and
    the readers of the files it writes."""

    config: PbxConfig
    client: AmiClient
    outbound_template: str
    extension_template: str
    cdr_csv: CdrCsvBackfill | None = None
    queue_log: QueueLogTailer | None = None
    _tailing: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def healthy(self) -> bool:
        return self.client.connected

    def has_room(self, load: int) -> bool:
        return self.config.max_channels is None or load < self.config.max_channels

    def routed(self, call: CallRequest) -> CallRequest:
        """The call as this PBX places it: its numbers through this PBX's outbound
        template, and its ``pbx_id``."""
        variables = dict(call.variables)
        for name, number in call.outbound_variables.items():
            variables[name] = dial_string(self.outbound_template, number)
        channel = call.channel
        if call.outbound_number:
            channel = dial_string(self.outbound_template, call.outbound_number)
        return replace(call, channel=channel, variables=variables, pbx_id=self.id)

    async def start(self) -> None:
        """Master.csv is caught up first (what reconciles after start sees those CDRs),
        then AMI, then the queue_log tailer."""
        if self.cdr_csv is not None:
            await self.cdr_csv.start()
        await self.client.start()
        if self.queue_log is not None:
            self._tailing = asyncio.create_task(self.queue_log.run(), name=f"queue_log-{self.id}")
            log.info("queue_log.tailing", pbx=self.id, path=str(self.queue_log.path))

    async def stop(self) -> None:
        await cancel(self._tailing)
        self._tailing = None
        await self.client.stop()
        if self.cdr_csv is not None:
            await self.cdr_csv.stop()


def choose(pbxes: Sequence[Pbx], load: Callable[[str], int]) -> Pbx | None:
    """A healthy PBX with room, the least loaded; ties go to the first in ``pbxes``."""
    best: tuple[int, int, Pbx] | None = None
    for order, pbx in enumerate(pbxes):
        if not pbx.healthy:
            continue
        now = load(pbx.id)
        if pbx.has_room(now) and (best is None or (now, order) < best[:2]):
            best = (now, order, pbx)
    return None if best is None else best[2]


class PbxPool:
    """Every configured PBX, in configuration order; the ones this node works are those
    whose lease ``lease(pbx_id)`` answers (None given: all of them, unfenced)."""

    def __init__(
        self,
        pbxes: Sequence[Pbx],
        load: Callable[[str], int],
        lease: Callable[[str], Lease | None] | None = None,
    ) -> None:
        self._pbxes = list(pbxes)
        self._by_id = {pbx.id: pbx for pbx in self._pbxes}
        self._load = load
        self._lease = lease

    @property
    def pbxes(self) -> list[Pbx]:
        return list(self._pbxes)

    def owns(self, pbx_id: str) -> bool:
        """This node may act on that PBX now (its lease, judged on the local clock)."""
        return self._lease is None or self._lease(pbx_id) is not None

    def lease(self, pbx_id: str) -> Lease | None:
        """The fence of a call placed on that PBX (None: unfenced, or not ours)."""
        return None if self._lease is None else self._lease(pbx_id)

    def owned(self) -> list[str]:
        return [pbx.id for pbx in self._pbxes if self.owns(pbx.id)]

    @property
    def first(self) -> Pbx:
        """The first configured (``--simulate`` points it at the simulator)."""
        return self._pbxes[0]

    def get(self, pbx_id: str) -> Pbx:
        """The PBX of that id (raises KeyError: a row names a PBX no longer configured)."""
        return self._by_id[pbx_id]

    @property
    def connected(self) -> bool:
        """At least one PBX this node works is healthy."""
        return any(pbx.healthy and self.owns(pbx.id) for pbx in self._pbxes)

    def health(self) -> dict[str, bool]:
        """Each PBX: healthy and worked by this node (another node's shows False)."""
        return {pbx.id: pbx.healthy and self.owns(pbx.id) for pbx in self._pbxes}

    def route(self, request_id: str) -> Pbx:
        """Where a new call goes (:func:`choose` among the PBXs this node works);
        :class:`NotSent` when nowhere."""
        pbx = choose([pbx for pbx in self._pbxes if self.owns(pbx.id)], self._load)
        if pbx is not None:
            return pbx
        if not self.connected:  # the single PBX's answer, word for word
            raise NotSent("PBX is not connected; no call was placed", request_id)
        raise NotSent("every connected PBX is at its max_channels; no call was placed", request_id)

    async def wait_connected(self) -> None:
        """Until some PBX is healthy (callers bound it with ``asyncio.timeout``)."""
        waits = [asyncio.ensure_future(pbx.client.wait_connected()) for pbx in self._pbxes]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def send_list_everywhere(self, action: AmiAction) -> list[Event]:
        """A list action on every healthy PBX at once, their events in configuration
        order, each naming its PBX (``CpaasPbx``): the realtime queue view, where one
        queue may have members and callers on several PBXs. A PBX that fails meanwhile
        is left out (logged); AmiUnavailable or AmiRefused only when none answers."""
        healthy = [pbx for pbx in self._pbxes if pbx.healthy and self.owns(pbx.id)]
        if not healthy:
            return await self._pbxes[0].client.send_list(action)  # raises AmiUnavailable
        answers = await asyncio.gather(
            *(pbx.client.send_list(action) for pbx in healthy), return_exceptions=True
        )
        events: list[Event] = []
        failures: list[AmiUnavailable | AmiRefused] = []
        for pbx, answer in zip(healthy, answers, strict=True):
            if isinstance(answer, AmiUnavailable | AmiRefused):
                log.warning("pbx.list_failed", pbx=pbx.id, action=action.name, error=str(answer))
                failures.append(answer)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                events.extend({**event, PBX_KEY: pbx.id} for event in answer)
        if len(failures) == len(healthy):
            raise failures[0]
        return events

    def on_login(self, hook: Callable[[Pbx], Awaitable[None]]) -> None:
        """Run ``hook(pbx)`` after every login to any PBX."""
        for pbx in self._pbxes:
            pbx.client.on_login(_bound(hook, pbx))

    async def start(self) -> None:
        for pbx in self._pbxes:
            await pbx.start()

    async def stop(self) -> None:
        for pbx in reversed(self._pbxes):
            await pbx.stop()


def _bound(hook: Callable[[Pbx], Awaitable[None]], pbx: Pbx) -> Callable[[], Awaitable[None]]:
    def run() -> Awaitable[None]:
        return hook(pbx)

    return run
