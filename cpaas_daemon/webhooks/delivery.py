"""Webhook delivery on one node of a cluster, and the subscriptions known on all of them.

Every node writes events to the outbox, but only the holder of the ('webhooks',
'delivery') lease runs the :class:`DeliveryWorker`: two workers would POST the same
delivery, and "ordered per call per endpoint" needs one sender per stream. Any node may
take the lease; losing it stops the worker (its POSTs in flight stay pending and are
sent again by the next holder, same ``webhook-id``); a node killed with the lease leaves
delivery to another one within ``cluster.lease_seconds`` (docs/scaling.md). A single
daemon takes the lease in its first round, before :meth:`start` returns, as before.

Which accounts subscribe to what (:attr:`Outbox.subscribed`, what decides whether an
event is written at all) is re-read once a second on EVERY node, holder or not: the CLI
changes it from another process.
"""

from __future__ import annotations

import asyncio

import structlog

from cpaas_daemon.cluster.keeper import LeaseKeeper, Wanted
from cpaas_daemon.cluster.leases import WEBHOOKS, Lease, LeaseRepository
from cpaas_daemon.tasks import cancel
from cpaas_daemon.webhooks.events import Outbox
from cpaas_daemon.webhooks.repository import WebhookRepository
from cpaas_daemon.webhooks.worker import DeliveryWorker

log = structlog.get_logger(__name__)

DELIVERY = "delivery"
"""The lease's name: one worker per store."""
REFRESH_EVERY = 1.0  # seconds between re-reads of who subscribes to what


class Delivery:
    """The delivery lease (the worker runs while it is held) and the subscription map."""

    def __init__(
        self,
        worker: DeliveryWorker,
        outbox: Outbox,
        repository: WebhookRepository,
        leases: LeaseRepository,
        lease_seconds: float,
    ) -> None:
        self.worker = worker
        self._outbox = outbox
        self._repo = repository
        self.keeper = LeaseKeeper(
            leases,
            WEBHOOKS,
            lease_seconds=lease_seconds,
            want=_the_one,
            on_gained=self._gained,
            on_lost=self._lost,
        )
        self._refresher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscriptions read, then the lease tried (the worker started if taken)."""
        self._outbox.subscribed = await self._repo.subscribed_accounts()
        self._outbox.on_emit = self.worker.wake_soon
        self._refresher = asyncio.create_task(self._refresh(), name="webhook-subscriptions")
        await self.keeper.start()

    async def stop(self) -> None:
        """The worker stopped and the lease released (another node delivers at once)."""
        await self.keeper.stop()
        await cancel(self._refresher)
        self._refresher = None

    def delivering(self) -> bool:
        """Whether this node delivers now (holds the lease)."""
        return bool(self.keeper.held())

    async def _gained(self, lease: Lease) -> None:
        log.info("webhook.delivery_started", fencing_token=lease.token)
        await self.worker.start(lease, lambda: self.keeper.valid(DELIVERY) is not None)

    async def _lost(self, _name: str) -> None:
        await self.worker.stop()
        log.info("webhook.delivery_stopped")

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            try:
                self._outbox.subscribed = await self._repo.subscribed_accounts()
            except Exception:
                log.exception("webhook.subscriptions_refresh_failed")


async def _the_one() -> Wanted:
    """Every node wants the one delivery lease; whoever holds it keeps it."""
    return Wanted([DELIVERY], 1)
