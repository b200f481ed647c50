"""The hub: cheap bus handler, coalesced rebuilds, no work without viewers, clean close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from cpaas_daemon.ami.bus import EventBus
from cpaas_daemon.queue_log.filters import Scope
from cpaas_daemon.wallboard.board import Board
from cpaas_daemon.wallboard.hub import WallboardHub


class CountingSource:
    def __init__(self) -> None:
        self.builds = 0

    async def build(self) -> Board:
        self.builds += 1
        return Board(at=self.builds, queues=(), live_calls={}, channels=0, campaigns=())


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def source() -> CountingSource:
    return CountingSource()


@pytest.fixture
async def hub(bus: EventBus, source: CountingSource) -> AsyncIterator[WallboardHub]:
    hub = WallboardHub(source.build, bus, coalesce=0.1, resync=60)
    task = asyncio.create_task(hub.run())
    yield hub
    hub.close()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_nothing_is_built_while_nobody_watches(
    hub: WallboardHub, bus: EventBus, source: CountingSource
) -> None:
    for _ in range(100):
        bus.publish({"Event": "Newchannel"})
    await asyncio.sleep(0.2)
    assert source.builds == 0


async def test_a_burst_of_events_costs_one_rebuild_per_coalescing_period(
    hub: WallboardHub, bus: EventBus, source: CountingSource
) -> None:
    with hub.watch(Scope()) as viewer:
        updates = viewer.updates(heartbeat=5)
        first = await anext(updates)
        for _ in range(500):
            bus.publish({"Event": "QueueCallerJoin"})
        bus.publish({"Event": "VarSet"})  # not on the board: ignored
        second = await anext(updates)
        await asyncio.sleep(0.3)
    assert [board.at if board else None for board in (first, second)] == [1, 2]
    assert source.builds == 2  # the snapshot and one rebuild for 500 events


async def test_a_quiet_stream_yields_heartbeats(hub: WallboardHub) -> None:
    with hub.watch(Scope()) as viewer:
        updates = viewer.updates(heartbeat=0.05)
        assert await anext(updates) is not None
        assert await anext(updates) is None


async def test_close_ends_open_and_later_streams(hub: WallboardHub) -> None:
    with hub.watch(Scope()) as viewer:
        updates = viewer.updates(heartbeat=5)
        await anext(updates)
        hub.close()
        with pytest.raises(StopAsyncIteration):
            await anext(updates)
    with hub.watch(Scope()) as late:
        assert [board async for board in late.updates(heartbeat=5)] == []
