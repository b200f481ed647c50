"""The webhook worker runs on the holder of ('webhooks', 'delivery') only, on the
configured store: a second node waits, takes over at once when the holder lets go and
within the lease time when the holder dies; the old holder's late writes are fenced."""

from __future__ import annotations

import asyncio
import time

import pytest

from cpaas_daemon.cluster.leases import WEBHOOKS, LeaseLost, LeaseRepository
from cpaas_daemon.config import WebhooksConfig
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database
from cpaas_daemon.webhooks.delivery import DELIVERY, Delivery
from cpaas_daemon.webhooks.events import Outbox
from cpaas_daemon.webhooks.repository import WebhookRepository
from cpaas_daemon.webhooks.worker import DeliveryWorker
from tests.lease_doubles import Unreachable

LEASE_SECONDS = 1.0


def node(db: Database, leases: LeaseRepository) -> Delivery:
    outbox = Outbox(db)
    worker = DeliveryWorker(db, outbox, WebhooksConfig(), Metrics())
    return Delivery(worker, outbox, WebhookRepository(db), leases, LEASE_SECONDS)


async def test_one_node_delivers_and_a_released_lease_moves_to_the_other_at_once(
    stores: tuple[Database, Database],
) -> None:
    a = node(stores[0], LeaseRepository(stores[0], "node-a"))
    b = node(stores[1], LeaseRepository(stores[1], "node-b"))
    await a.start()  # alone: it takes the lease before start returns, as a single daemon
    await b.start()
    try:
        assert a.delivering()
        assert a.worker.running
        assert not b.delivering()
        assert not b.worker.running
        holder = await LeaseRepository(stores[1], "node-b").holdings(WEBHOOKS)
        assert holder[DELIVERY].holder == "node-a"

        await a.stop()  # a clean shutdown releases the lease
        assert not a.worker.running
        await b.keeper.round()
        await b.keeper.started()
        assert b.delivering()
        assert b.worker.running
    finally:
        await b.stop()
        await a.stop()


async def test_a_dead_holder_is_replaced_within_the_lease_and_its_late_writes_are_fenced(
    stores: tuple[Database, Database],
) -> None:
    dying = Unreachable(stores[0], "node-a")
    a = node(stores[0], dying)
    b = node(stores[1], LeaseRepository(stores[1], "node-b"))
    await a.start()
    await b.start()
    try:
        stale = a.keeper.valid(DELIVERY)
        assert stale is not None
        dying.down = True  # killed: nothing it asks reaches the store again
        died = time.monotonic()
        while not b.delivering():  # b's own rounds, every third of the lease
            await asyncio.sleep(0.05)
            assert time.monotonic() - died < LEASE_SECONDS * 2, "nobody took over"
        took = time.monotonic() - died
        assert took < LEASE_SECONDS * 1.5  # the database's expiry, then a round of b
        assert a.keeper.valid(DELIVERY) is None  # a stopped acting on its own clock
        await a.keeper.round()  # and its next round stops its worker
        assert not a.worker.running
        taken = b.keeper.valid(DELIVERY)
        assert taken is not None
        assert taken.token == stale.token + 1
        with pytest.raises(LeaseLost):  # the old holder's outcome write is refused
            await WebhookRepository(stores[0]).write_outcomes(
                delivered=[], retries=[], dead=[], disabled=[], finished=[], now="", fence=stale
            )
    finally:
        await b.stop()
        await a.stop()
