"""Issue 10.5: stats logins are no timing oracle and cannot starve the daemon's threads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from cpaas_daemon.errors import TooManyRequests
from cpaas_daemon.metrics import Metrics
from cpaas_daemon.queue_log import users as users_module
from cpaas_daemon.queue_log.users import MAX_PENDING_LOGINS, StatsUsers
from cpaas_daemon.store.db import Database


@pytest.fixture
async def users(db: Database) -> StatsUsers:
    stats_users = StatsUsers(db, Metrics())
    await stats_users.add("alice", "*", "correct-horse")
    return stats_users


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every scrypt verification (against which stored hash)."""
    calls: list[str] = []
    real: Callable[[str, str], bool] = users_module.verify_password

    def verify(password: str, stored: str) -> bool:
        calls.append(stored)
        return real(password, stored)

    monkeypatch.setattr(users_module, "verify_password", verify)
    return calls


async def test_an_unknown_name_costs_the_same_scrypt_as_a_wrong_password(
    users: StatsUsers, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    assert await users.authenticate("alice", "wrong-password") is None
    assert await users.authenticate("mallory", "wrong-password") is None
    assert len(calls) == 2
    assert all(stored.startswith("scrypt$") for stored in calls)


async def test_a_flood_of_wrong_passwords_is_bounded_and_leaves_other_threads_free(
    users: StatsUsers,
) -> None:
    async def attempt(name: str) -> Any:
        try:
            return await users.authenticate(name, "wrong-password")
        except TooManyRequests as exc:
            return exc

    flood = [asyncio.create_task(attempt(f"user{i}")) for i in range(60)]
    await asyncio.sleep(0)  # every attempt has started
    started = time.perf_counter()
    assert await asyncio.to_thread(lambda: "served") == "served"  # queue stats' executor
    assert time.perf_counter() - started < 0.2
    results = await asyncio.gather(*flood)
    refused = [r for r in results if isinstance(r, TooManyRequests)]
    assert len(refused) == 60 - MAX_PENDING_LOGINS
    rejected = users._metrics.registry.get_sample_value(  # type: ignore[union-attr]
        "cpaas_limit_rejections_total", {"limit": "stats_login_queue"}
    )
    assert rejected == 60 - MAX_PENDING_LOGINS
    assert await users.authenticate("alice", "correct-horse") is not None
