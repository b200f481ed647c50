"""until_stored: background work waits out a store outage, and nothing else."""

from __future__ import annotations

import pytest

from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.store.retry import until_stored


async def test_work_is_run_again_until_the_store_takes_it() -> None:
    tries: list[int] = []

    async def work() -> str:
        tries.append(len(tries))
        if len(tries) < 3:
            raise StoreUnavailable("storage unavailable: server gone")
        return "written"

    assert await until_stored(work, "test.work") == "written"
    assert len(tries) == 3


async def test_a_failure_that_is_not_the_store_is_raised_at_once() -> None:
    tries: list[int] = []

    async def work() -> None:
        tries.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await until_stored(work, "test.work")
    assert tries == [1]
