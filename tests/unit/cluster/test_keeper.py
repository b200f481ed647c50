"""The lease keeper on the configured store, its local clock driven by the test: what
it starts and stops, and that it stops acting before the database would let another
node take the lease."""

from __future__ import annotations

import asyncio

import pytest

from cpaas_daemon.cluster.keeper import MARGIN, LeaseKeeper, Wanted
from cpaas_daemon.cluster.leases import PBX, Lease, LeaseRepository
from cpaas_daemon.store.db import Database
from tests.lease_doubles import Unreachable

SECONDS = 30.0  # the database's expiry is never reached by these tests' real time


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Work:
    """What the keeper starts and stops, as it was told; ``slow`` starts wait for
    ``go``."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, int | None]] = []
        self.wanted = Wanted(["east", "west"], 2)
        self.slow: set[str] = set()
        self.go = asyncio.Event()

    async def want(self) -> Wanted:
        return self.wanted

    async def gained(self, lease: Lease) -> None:
        if lease.name in self.slow:
            await self.go.wait()
        self.log.append(("start", lease.name, lease.token))

    async def lost(self, name: str) -> None:
        self.log.append(("stop", name, None))


@pytest.fixture
def other(stores: tuple[Database, Database]) -> LeaseRepository:
    return LeaseRepository(stores[1], "node-b")


def keeper(repo: LeaseRepository, work: Work, clock: Clock) -> LeaseKeeper:
    return LeaseKeeper(
        repo, PBX, lease_seconds=SECONDS, want=work.want, on_gained=work.gained,
        on_lost=work.lost, clock=clock,
    )  # fmt: skip


async def test_free_leases_are_taken_and_started_and_a_lapse_stops_acting_before_expiry(
    stores: tuple[Database, Database], other: LeaseRepository
) -> None:
    clock, work = Clock(), Work()
    repo = Unreachable(stores[0], "node-a")
    mine = keeper(repo, work, clock)
    await mine.round()
    await mine.started()
    assert work.log == [("start", "east", 1), ("start", "west", 1)]
    assert mine.valid("east") == Lease(PBX, "east", "node-a", 1)

    repo.down = True
    clock.now += SECONDS * (1 - MARGIN) - 0.01
    await mine.round()  # renewals fail, but the last one is recent enough
    assert mine.held() == ["east", "west"]
    clock.now += 0.02
    assert mine.valid("east") is None  # routing stops now, on the local clock alone ...
    holdings = await other.holdings(PBX)
    assert holdings["east"].live  # ... while the database still says node-a holds it
    assert await other.acquire(PBX, "east", SECONDS) is None
    await mine.round()  # and the next round stops the work, without releasing
    assert work.log[2:] == [("stop", "east", None), ("stop", "west", None)]
    repo.down = False  # the store is back and nobody took them: this node takes them again
    await mine.round()
    await mine.started()
    assert work.log[4:] == [("start", "east", 2), ("start", "west", 2)]


async def test_a_lease_taken_over_is_stopped_at_the_next_renewal(
    stores: tuple[Database, Database], other: LeaseRepository
) -> None:
    clock, work = Clock(), Work()
    repo = LeaseRepository(stores[0], "node-a")
    mine = keeper(repo, work, clock)
    work.wanted = Wanted(["east"], 1)
    await mine.round()
    await mine.started()
    lease = mine.valid("east")
    assert lease is not None
    await repo.release(lease)  # as if it expired while node-a was paused
    assert await other.acquire(PBX, "east", SECONDS) == Lease(PBX, "east", "node-b", 2)
    await mine.round()
    await mine.started()
    assert work.log == [("start", "east", 1), ("stop", "east", None)]
    assert mine.valid("east") is None
    assert (await other.holdings(PBX))["east"].holder == "node-b"


async def test_a_lease_no_longer_wanted_is_stopped_then_released_for_another_node(
    stores: tuple[Database, Database], other: LeaseRepository
) -> None:
    clock, work = Clock(), Work()
    mine = keeper(LeaseRepository(stores[0], "node-a"), work, clock)
    await mine.round()
    await mine.started()
    work.wanted = Wanted(["east", "west"], 1)  # a second node came: keep the first only
    await mine.round()
    await mine.started()
    assert work.log[-1] == ("stop", "west", None)
    assert mine.held() == ["east"]
    assert await other.acquire(PBX, "west", SECONDS) == Lease(PBX, "west", "node-b", 2)
    assert await other.acquire(PBX, "east", SECONDS) is None

    await mine.stop()  # a clean stop hands everything over at once
    assert work.log[-1] == ("stop", "east", None)
    assert await other.acquire(PBX, "east", SECONDS) == Lease(PBX, "east", "node-b", 2)


async def test_a_slow_start_does_not_hold_up_the_renewal_of_the_other_leases(
    stores: tuple[Database, Database],
) -> None:
    clock, work = Clock(), Work()
    mine = keeper(LeaseRepository(stores[0], "node-a"), work, clock)
    work.wanted = Wanted(["east"], 2)
    await mine.round()
    await mine.started()
    work.slow, work.wanted = {"west"}, Wanted(["east", "west"], 2)
    async with asyncio.timeout(5):  # a round that waited for the start would hang here
        await mine.round()  # takes west; its start (a long Master.csv, say) still runs
    assert work.log == [("start", "east", 1)]
    clock.now += SECONDS * (1 - MARGIN) - 0.01
    await mine.round()  # ... and east is renewed meanwhile
    clock.now += 0.02
    assert mine.valid("east") is not None
    work.go.set()
    await mine.started()
    assert work.log == [("start", "east", 1), ("start", "west", 1)]
