"""A call's row commits only under its PBX's current lease: a node that lost the PBX
writes nothing (and so dials nothing). On the configured store."""

from __future__ import annotations

import pytest

from cpaas_daemon.calls.repository import CallRepository
from cpaas_daemon.cluster.leases import PBX, LeaseLost, LeaseRepository
from cpaas_daemon.store.db import Database
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
