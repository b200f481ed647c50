"""A call's row commits only under its PBX's current lease: a node that lost the PBX
writes nothing (and so dials nothing). On the configured store."""

from __future__ import annotations

import asyncio

import pytest

from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.cluster.leases import CAMPAIGN, PBX, Fences, LeaseLost, LeaseRepository
from cpaas_daemon.store.db import Database
from tests.store_rig import ON_POSTGRES
from tests.unit.calls.test_deferred_writes import call


async def test_only_the_current_holder_of_the_pbx_lease_can_write_a_call_row(
    db: Database,
) -> None:
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acct', 'x')")
    calls = CallRepository(db)
    a, b = LeaseRepository(db, "node-a"), LeaseRepository(db, "node-b")
    old = await a.acquire(PBX, "default", 0.0)  # expires at once
    assert old is not None
    await calls.insert(call(1), fence=old)  # still a's: nobody took it yet

    new = await b.acquire(PBX, "default", 60.0)
    assert new is not None
    with pytest.raises(LeaseLost):
        await calls.insert(call(2), fence=old)
    await calls.insert(call(3), fence=new)
    rows = await db.fetchall("SELECT request_id FROM calls ORDER BY request_id")
    assert [row[0] for row in rows] == [call(1).request_id, call(3).request_id]


async def test_a_campaign_call_row_also_needs_the_campaign_lease(db: Database) -> None:
    """A node that still works its PBX but lost the campaign (the new holder reconciles
    the campaign's open attempts: one with no row is dialled again) writes nothing."""
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acct', 'x')")
    calls = CallRepository(db)
    a, b = LeaseRepository(db, "node-a"), LeaseRepository(db, "node-b")
    pbx = await a.acquire(PBX, "default", 60.0)
    campaign = await a.acquire(CAMPAIGN, "CM1", 0.0)  # expires at once
    assert pbx is not None
    assert campaign is not None
    await calls.insert(call(1), fence=Fences((pbx, campaign)))
    assert await b.acquire(CAMPAIGN, "CM1", 60.0) is not None  # b takes the campaign
    with pytest.raises(LeaseLost):
        await calls.insert(call(2), fence=Fences((pbx, campaign)))
    assert await db.fetchval("SELECT COUNT(*) FROM calls") == 1


@pytest.mark.skipif(ON_POSTGRES, reason="reads SQLite's statement trace")
async def test_calls_placed_at_once_on_two_pbxs_are_one_fenced_batch_per_pbx(
    db: Database,
) -> None:
    await db.execute("INSERT INTO accounts (account_id, auth_hash) VALUES ('acct', 'x')")
    calls, node = CallRepository(db), LeaseRepository(db, "node-a")
    fences = [await node.acquire(PBX, pbx_id, 60.0) for pbx_id in ("pbx1", "pbx2")]
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    await asyncio.gather(*(calls.insert(call(n), fence=fences[n % 2]) for n in range(20)))
    await db.conn.set_trace_callback(None)  # type: ignore[attr-defined]
    inserts = {s for s in statements if s.startswith("INSERT INTO calls")}
    assert sorted(s.count("),(") + 1 for s in inserts) == [10, 10]  # a batch per PBX
    assert len([s for s in statements if s.startswith("SELECT 1 FROM leases")]) == 2
    assert await db.fetchval("SELECT COUNT(*) FROM calls") == 20
