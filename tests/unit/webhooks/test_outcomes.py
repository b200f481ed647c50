"""Outcomes written behind the POSTs: each stream's next delivery released in one
statement, and the reader sending new events while earlier outcomes wait to be written."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from cpaas_daemon.config import WebhooksConfig
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import iso, utc_now
from cpaas_daemon.webhooks.events import Outbox
from cpaas_daemon.webhooks.repository import WebhookRepository
from cpaas_daemon.webhooks.worker import PARKED, DeliveryWorker
from tests.integration.webhooks.receiver import Receiver, running_receiver


async def store_event(db: Database, stream: str, type_: str) -> None:
    """One event of ``stream`` (a call's request_id) as a trigger writes it: the fan-out
    trigger numbers it and queues (or parks) its delivery."""
    await db.execute(
        "INSERT INTO webhook_events (account_id, type, stream, request_id)"
        " VALUES ('acme', ?, ?, ?)",
        (type_, stream, stream),
    )


async def deliveries(db: Database) -> dict[tuple[str, int], Any]:
    """(stream, seq) -> the delivery row."""
    rows = await db.fetchall(
        "SELECT d.id, d.state, d.next_at, e.stream, e.seq FROM webhook_deliveries d"
        " JOIN webhook_events e ON e.id = d.event_rowid"
    )
    return {(row["stream"], row["seq"]): row for row in rows}


@pytest.fixture
async def store(db: Database) -> Database:
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acme', 'x')")
    return db


async def test_one_write_releases_the_next_delivery_of_each_finished_stream(
    store: Database,
) -> None:
    await WebhookRepository(store).add("acme", "https://crm.example.com/hook")
    for stream in ("call_a", "call_b", "call_c", "call_d"):
        for type_ in ("call.initiated", "call.answered", "call.completed"):
            await store_event(store, stream, type_)
    rows = await deliveries(store)
    now = iso(utc_now())
    head = {stream: rows[(stream, 1)]["id"] for stream in ("call_a", "call_b", "call_c", "call_d")}
    unparked = await WebhookRepository(store).write_outcomes(
        delivered=[(1, 200, now, head["call_a"]), (1, 200, now, head["call_b"])],
        retries=[(1, 500, "HTTP 500", now, now, head["call_d"])],
        dead=[(12, 500, "HTTP 500", now, head["call_c"])],
        disabled=[],
        finished=[head["call_a"], head["call_b"], head["call_c"]],
        now=now,
    )
    assert unparked == 3
    rows = await deliveries(store)
    for stream in ("call_a", "call_b", "call_c"):  # the next one is due, the one after not
        assert rows[(stream, 2)]["next_at"] == now
        assert rows[(stream, 3)]["next_at"] == PARKED
    assert rows[("call_d", 1)]["state"] == "pending"  # a retry holds its stream back
    assert rows[("call_d", 2)]["next_at"] == PARKED


class HeldOutcomes(WebhookRepository):
    """Outcome writes wait until :attr:`release` is set (a store busy with other writers)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()

    async def write_outcomes(self, *, finished: Sequence[int], **rows: Any) -> int:
        self.waiting.set()
        await self.release.wait()
        return await super().write_outcomes(finished=finished, **rows)


def types_of(receiver: Receiver, stream: str) -> list[str]:
    return [r.event["type"] for r in receiver.received if r.event["request_id"] == stream]


async def test_new_events_go_out_while_earlier_outcomes_wait_to_be_written(
    store: Database,
) -> None:
    config = WebhooksConfig(allowed_networks=("127.0.0.0/8",), poll_interval=0.05)
    held = HeldOutcomes(store)
    worker = DeliveryWorker(store, Outbox(store), config, Metrics(), held)
    async with running_receiver() as receiver:
        await WebhookRepository(store).add("acme", receiver.url("/crm"))
        await store_event(store, "call_a", "call.initiated")
        await store_event(store, "call_a", "call.answered")  # parked behind the first
        await worker.start()
        try:
            worker.wake()
            await receiver.wait(lambda: types_of(receiver, "call_a"))
            async with asyncio.timeout(10):  # call_a's first outcome is not written yet
                await held.waiting.wait()
            await store_event(store, "call_b", "call.completed")
            worker.wake()
            await receiver.wait(lambda: types_of(receiver, "call_b"))
            # rounds ran meanwhile (one sent call_b): none sent call_a's first again,
            # and its next event waits for that outcome
            assert types_of(receiver, "call_a") == ["call.initiated"]
            held.release.set()
            await receiver.wait(lambda: len(types_of(receiver, "call_a")) == 2)
        finally:
            held.release.set()
            async with asyncio.timeout(10):
                await worker.stop()
    assert types_of(receiver, "call_a") == ["call.initiated", "call.answered"]
    assert types_of(receiver, "call_b") == ["call.completed"]
    rows = await deliveries(store)  # (the last one's answer may have been cut by stop)
    assert rows[("call_a", 1)]["state"] == rows[("call_b", 1)]["state"] == "delivered"
