"""The lease repository on the configured store (TEST_STORE=postgresql too): two nodes
on two connections to one store, as two daemons would be."""

from __future__ import annotations

import asyncio

import pytest

from cpaas_daemon.cluster.leases import NODE, PBX, Lease, LeaseLost, LeaseRepository
from cpaas_daemon.store.db import Database

LONG = 60.0


@pytest.fixture
def nodes(stores: tuple[Database, Database]) -> tuple[LeaseRepository, LeaseRepository]:
    return (
        LeaseRepository(stores[0], "node-a", "http://a:8080"),
        LeaseRepository(stores[1], "node-b", "http://b:8080"),
    )


async def test_a_held_lease_is_not_taken_and_its_holder_takes_it_back(
    nodes: tuple[LeaseRepository, LeaseRepository],
) -> None:
    a, b = nodes
    assert await a.acquire(PBX, "east", LONG) == Lease(PBX, "east", "node-a", 1)
    assert await b.acquire(PBX, "east", LONG) is None
    # A restarted node-a takes its own back at once, under a new token.
    assert await a.acquire(PBX, "east", LONG) == Lease(PBX, "east", "node-a", 2)
    held = (await b.holdings(PBX))["east"]
    assert (held.holder, held.token, held.holder_url, held.live) == (
        "node-a",
        2,
        "http://a:8080",
        True,
    )


async def test_two_nodes_racing_for_the_same_leases_get_one_holder_each(
    nodes: tuple[LeaseRepository, LeaseRepository],
) -> None:
    a, b = nodes
    names = [f"pbx{i}" for i in range(20)]
    got = await asyncio.gather(
        *(node.acquire(PBX, name, LONG) for name in names for node in (a, b))
    )
    for i, name in enumerate(names):
        winners = [lease for lease in got[2 * i : 2 * i + 2] if lease is not None]
        assert len(winners) == 1, name
        assert winners[0].token == 1
    holders = await a.holdings(PBX)
    assert sorted(holders) == sorted(names)
    assert {h.holder for h in holders.values()} <= {"node-a", "node-b"}


async def test_an_expired_lease_is_taken_under_a_higher_token_and_the_old_holder_is_fenced(
    nodes: tuple[LeaseRepository, LeaseRepository], stores: tuple[Database, Database]
) -> None:
    a, b = nodes
    old = await a.acquire(PBX, "east", 0.0)  # expires at once, on the database's clock
    assert old is not None
    new = await b.acquire(PBX, "east", LONG)
    assert new == Lease(PBX, "east", "node-b", old.token + 1)
    assert await a.renew(old, LONG) is False  # the conditional UPDATE finds no row
    assert (await a.holdings(PBX))["east"].holder == "node-b"
    assert await a.acquire(PBX, "east", LONG) is None  # b's lease runs

    # The fence: a write of the old holder's is refused with its transaction.
    with pytest.raises(LeaseLost):
        async with stores[0].transaction() as conn:
            await old.check(conn)
    async with stores[1].transaction() as conn:
        await new.check(conn)


async def test_renewal_keeps_a_lease_that_would_have_expired(
    nodes: tuple[LeaseRepository, LeaseRepository],
) -> None:
    a, b = nodes
    lease = await a.acquire(PBX, "east", 0.0)
    assert lease is not None
    assert (await a.holdings(PBX))["east"].live is False
    assert await a.renew(lease, LONG) is True  # nobody took it: still a's, same token
    assert await b.acquire(PBX, "east", LONG) is None
    assert (await b.holdings(PBX))["east"] == (await a.holdings(PBX))["east"]


async def test_a_released_lease_is_free_at_once_and_its_token_keeps_growing(
    nodes: tuple[LeaseRepository, LeaseRepository],
) -> None:
    a, b = nodes
    tokens = []
    for holder in (a, b, a, b):
        lease = await holder.acquire(PBX, "east", LONG)
        assert lease is not None
        assert lease.holder == holder.node_id
        tokens.append(lease.token)
        await holder.release(lease)
    assert tokens == [1, 2, 3, 4]
    stale = Lease(PBX, "east", "node-a", 3)
    await a.release(stale)  # not a's any more: changes nothing
    assert await a.renew(stale, LONG) is False


async def test_live_nodes_counts_unexpired_node_leases(
    nodes: tuple[LeaseRepository, LeaseRepository],
) -> None:
    a, b = nodes
    assert await a.live_nodes() == 1  # none yet: this node counts itself
    await a.acquire(NODE, a.node_id, LONG)
    gone = await b.acquire(NODE, b.node_id, LONG)
    assert gone is not None
    assert await a.live_nodes() == 2
    await b.release(gone)
    assert await a.live_nodes() == 1
