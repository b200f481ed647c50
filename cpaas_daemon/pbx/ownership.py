"""Which PBXs this node works, when several daemons share one store (docs/scaling.md).

Each node holds ('node', its id) while it runs, so every node can count the live ones.
A PBX is worked only by the node holding ('pbx', id): gaining that lease starts the
:class:`Pbx` (Master.csv caught up, AMI, queue_log); losing it, or handing it over,
stops it first. Each node wants its fair share, ``ceil(PBXs / live nodes)``, preferring
the PBXs in configuration order: a node started next to one that holds them all gets
its share once that one hands the extras over (it lets go of the last-configured first),
and a node that dies leaves its PBXs to the others once their leases expire.

A single daemon (SQLite, or the only node on PostgreSQL) is its own fair share: it
takes every PBX in its first round, before ``start`` returns, as before leases existed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cpaas_daemon.cluster.keeper import LeaseKeeper, Wanted
from cpaas_daemon.cluster.leases import NODE, PBX, Lease, LeaseRepository
from cpaas_daemon.pbx.pool import Pbx


class PbxOwnership:
    """The node's own lease and its PBXs' leases, each PBX started while held."""

    def __init__(self, pbxes: Sequence[Pbx], leases: LeaseRepository, lease_seconds: float) -> None:
        self._pbxes = {pbx.id: pbx for pbx in pbxes}
        self._leases = leases
        self.node = LeaseKeeper(
            leases,
            NODE,
            lease_seconds=lease_seconds,
            want=self._me,
            on_gained=_nothing,
            on_lost=_nothing,
        )
        self.pbx = LeaseKeeper(
            leases,
            PBX,
            lease_seconds=lease_seconds,
            want=self._share,
            on_gained=self._start,
            on_lost=self._stop,
        )

    def lease(self, pbx_id: str) -> Lease | None:
        """The PBX's lease while this node may act on it (the pool's routing filter)."""
        return self.pbx.valid(pbx_id)

    async def start(self) -> None:
        await self.node.start()
        await self.pbx.start()

    async def stop(self) -> None:
        """Every PBX stopped and its lease released, then the node's own."""
        await self.pbx.stop()
        await self.node.stop()

    async def _me(self) -> Wanted:
        return Wanted([self._leases.node_id], 1)

    async def _share(self) -> Wanted:
        live = await self._leases.live_nodes()
        return Wanted(list(self._pbxes), math.ceil(len(self._pbxes) / live))

    async def _start(self, lease: Lease) -> None:
        await self._pbxes[lease.name].start()

    async def _stop(self, pbx_id: str) -> None:
        await self._pbxes[pbx_id].stop()


async def _nothing(_: object) -> None:
    """The node's own lease starts and stops nothing: it only says the node is alive."""
