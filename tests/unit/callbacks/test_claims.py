"""A callback is placed once cluster-wide: every node polls the table, one claim wins.

Two :class:`Database` objects on one store stand for two daemons (two asyncpg pools on
one PostgreSQL database with ``TEST_STORE=postgresql``, two connections to one SQLite
file otherwise); the call service is a stand-in that counts placements.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from cpaas_daemon.callbacks.dialer import STALE_CLAIM, CallbackDialer
from cpaas_daemon.callbacks.model import CallbackSpec, CallbackState
from cpaas_daemon.callbacks.recovery import NOT_PLACED, reconcile_dialing
from cpaas_daemon.callbacks.repository import CallbackRepository
from cpaas_daemon.callbacks.scheduler import DuePoller
from cpaas_daemon.calls.model import CallKind, CallRequest
from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.store.db import Database
from cpaas_daemon.timefmt import iso, utc_now

SPEC = CallbackSpec(
    "919979270010", "15168148111", "918000680020", "off", "Asia/Kolkata", "2030-01-01 10:00:00"
)
CALLBACKS = 20


class _Calls:
    """Places every call it is asked to (shared by both nodes), counting per request_id."""

    def __init__(self, expected: int) -> None:
        self.placed: Counter[str] = Counter()
        self.by_node: Counter[str] = Counter()
        self._expected = expected
        self.all_placed = asyncio.Event()

    def node(self, name: str) -> Any:
        calls = self

        class _Node:
            async def two_party(self, *_: Any, request_id: str, **__: Any) -> str:
                calls.placed[request_id] += 1
                calls.by_node[name] += 1
                if sum(calls.placed.values()) >= calls._expected:
                    calls.all_placed.set()
                return request_id

        return _Node()


async def test_claims_racing_from_two_nodes_win_once_each(
    db: Database, other_node: Database
) -> None:
    due = utc_now() - timedelta(seconds=1)
    repos = [CallbackRepository(db), CallbackRepository(other_node)]
    ids = [await repos[n % 2].insert("account_1", SPEC, due) for n in range(CALLBACKS)]

    won = await asyncio.gather(*(repo.claim(rid, due) for rid in ids for repo in repos * 2))

    assert sum(won) == CALLBACKS  # four claims per callback, exactly one succeeds
    assert [won[4 * n : 4 * n + 4].count(True) for n in range(CALLBACKS)] == [1] * CALLBACKS


async def test_callbacks_created_on_either_node_are_placed_once_by_the_pair(
    db: Database, other_node: Database
) -> None:
    repos = [CallbackRepository(db), CallbackRepository(other_node)]
    calls = _Calls(CALLBACKS)
    dialers = [
        CallbackDialer(repo, calls.node(f"node{n}"), grace_seconds=60, poll_seconds=0.2)
        for n, repo in enumerate(repos)
    ]
    for dialer in dialers:
        await dialer.start()
    try:
        due = utc_now() + timedelta(seconds=0.5)  # all at the same instant
        ids = [await repos[n % 2].insert("account_1", SPEC, due) for n in range(CALLBACKS)]
        await asyncio.wait_for(calls.all_placed.wait(), 10)
    finally:
        for dialer in dialers:
            await dialer.stop()

    assert calls.placed == Counter(dict.fromkeys(ids, 1))  # every one, exactly once
    rows = await db.fetchall("SELECT DISTINCT state FROM callbacks")
    assert [row["state"] for row in rows] == [CallbackState.DIALING]


async def test_a_node_places_what_another_created_and_never_fired(
    db: Database, other_node: Database
) -> None:
    """Node A created it and is gone (it never runs a dialer); node B's poll fires it."""
    calls = _Calls(1)
    request_id = await CallbackRepository(db).insert(
        "account_1", SPEC, utc_now() + timedelta(seconds=0.3)
    )
    survivor = CallbackDialer(
        CallbackRepository(other_node), calls.node("b"), grace_seconds=60, poll_seconds=0.2
    )
    await survivor.start()
    try:
        await asyncio.wait_for(calls.all_placed.wait(), 10)
    finally:
        await survivor.stop()
    assert calls.placed == Counter({request_id: 1})


async def test_a_live_sweep_settles_only_claims_older_than_a_live_node_would_leave(
    db: Database,
) -> None:
    """Another node may be between its claim and its calls row right now: a fresh claim
    is left alone; a stale one (its node died) fails as at start-up, never re-dialled."""
    repo = CallbackRepository(db)
    due = utc_now() - timedelta(seconds=1)
    fresh, stale = [await repo.insert("account_1", SPEC, due) for _ in range(2)]
    for request_id in (fresh, stale):
        assert await repo.claim(request_id, due)
    long_ago = iso(utc_now() - STALE_CLAIM - timedelta(seconds=1))
    await db.execute("UPDATE callbacks SET updated_at = ? WHERE request_id = ?", (long_ago, stale))

    await reconcile_dialing(repo, claimed_before=utc_now() - STALE_CLAIM)

    left, settled = await repo.get(fresh), await repo.get(stale)
    assert left is not None
    assert settled is not None
    assert left.state is CallbackState.DIALING
    assert (settled.state, settled.reason) == (CallbackState.FAILED, NOT_PLACED)


async def test_the_poll_fires_at_the_due_instant_not_a_poll_later(db: Database) -> None:
    """A long poll interval does not make a callback late: the node sleeps until the due
    instant of each callback due before its next poll."""
    repo = CallbackRepository(db)
    due = utc_now() + timedelta(seconds=0.4)
    request_id = await repo.insert("account_1", SPEC, due)
    fired: asyncio.Queue[tuple[str, datetime]] = asyncio.Queue()
    poller = DuePoller(repo.due_by, lambda rid: fired.put_nowait((rid, utc_now())), 5.0)
    poller.start()
    try:
        fired_id, at = await asyncio.wait_for(fired.get(), 2)
    finally:
        await poller.stop()
    stored = await repo.get(request_id)
    assert stored is not None
    assert fired_id == request_id
    assert stored.due_at <= at < stored.due_at + timedelta(seconds=0.1)


async def test_a_dead_nodes_dialing_callback_is_settled_by_another_from_the_store(
    db: Database, other_node: Database
) -> None:
    """Node A claimed and placed two callbacks, then died. Node B settles both from what
    A left in the shared store: one whose CDR B's ingest reports (B took over A's PBX),
    one whose CDR A had already stored (B's sweep of stale claims)."""
    node_b = CallbackRepository(other_node)
    survivor = CallbackDialer(node_b, _Calls(0).node("b"), grace_seconds=60)
    await survivor.start()  # already running when A dies: no start-up reconciliation
    node_a = CallbackRepository(db)
    due = utc_now() + timedelta(hours=1)  # claimed by A directly; B's poll never fires it
    reported, stored = [await node_a.insert("account_1", SPEC, due) for _ in range(2)]
    for request_id in (reported, stored):
        assert await node_a.claim(request_id, due)
        await CallRepository(db).insert(
            CallRequest(request_id, "account_1", CallKind.CALLBACK, "Local/1@x", "c", "1", "")
        )
    await db.execute(
        "UPDATE calls SET dial_status = 'BUSY', state = 'completed' WHERE request_id = ?",
        (stored,),
    )
    long_ago = iso(utc_now() - STALE_CLAIM - timedelta(seconds=1))
    await db.execute("UPDATE callbacks SET updated_at = ?", (long_ago,))

    survivor.on_cdr_summary(reported, "ANSWER")
    await reconcile_dialing(node_b, claimed_before=utc_now() - STALE_CLAIM)
    await survivor.stop()  # waits for the settlement it started

    settled = [await node_b.get(request_id) for request_id in (reported, stored)]
    assert [(c.state, c.dial_status) for c in settled if c is not None] == [
        (CallbackState.COMPLETED, "ANSWER"),
        (CallbackState.FAILED, "BUSY"),
    ]
