"""A lease repository whose store stops answering: a node cut off from the database, or
killed while holding its leases (tests of the keeper and of the webhook delivery lease)."""

from __future__ import annotations

from cpaas_daemon.cluster.leases import Lease, LeaseRepository
from cpaas_daemon.store.errors import StoreUnavailable


class Unreachable(LeaseRepository):
    """Renewals and acquisitions fail with StoreUnavailable while ``down`` is set."""

    down = False

    async def renew(self, lease: Lease, seconds: float) -> bool:
        if self.down:
            raise StoreUnavailable("storage unavailable: server gone")
        return await super().renew(lease, seconds)

    async def acquire(self, kind: str, name: str, seconds: float) -> Lease | None:
        if self.down:
            raise StoreUnavailable("storage unavailable: server gone")
        return await super().acquire(kind, name, seconds)
