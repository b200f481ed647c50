"""AuthThrottle budgets and CallLimiter bookkeeping (issue 10.4)."""

from __future__ import annotations

import pytest

from cpaas_daemon.accounts.limits import AuthThrottle, CallLimiter
from cpaas_daemon.config import LimitsConfig
from cpaas_daemon.errors import TooManyRequests, Unauthorized
from cpaas_daemon.metrics import Metrics


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock) -> AuthThrottle:
    config = LimitsConfig(
        auth_failures_per_peer=3, auth_failures_per_account=5, auth_window_seconds=60
    )
    return AuthThrottle(config, Metrics(), clock)


def fail(guard: AuthThrottle, peer: str, identity: str) -> None:
    with pytest.raises(Unauthorized), guard.attempt(peer, identity):
        raise Unauthorized("wrong")


def test_a_peer_is_refused_after_its_budget_until_the_window_ends() -> None:
    clock = Clock()
    guard = throttle(clock)
    for _ in range(3):
        fail(guard, "10.0.0.1", "acme")
    with pytest.raises(TooManyRequests, match="too many failed logins"):
        guard.check("10.0.0.1", "other")
    guard.check("10.0.0.2", "acme")  # another peer may still try this account
    clock.now += 60
    guard.check("10.0.0.1", "acme")


def test_many_peers_guessing_one_account_lock_only_that_account() -> None:
    clock = Clock()
    guard = throttle(clock)
    for peer in range(5):
        fail(guard, f"10.0.0.{peer}", "acme")
    with pytest.raises(TooManyRequests):
        guard.check("10.9.9.9", "acme")
    guard.check("10.9.9.9", "someone-else")


def test_a_success_is_not_counted() -> None:
    guard = throttle(Clock())
    for _ in range(10):
        with guard.attempt("10.0.0.1", "acme"):
            pass
    guard.check("10.0.0.1", "acme")


async def test_the_call_limiter_forgets_ended_calls_under_a_generous_cap() -> None:
    """Ended calls do not pile up when the cap is never reached (bounded memory)."""

    class Accounts:
        async def limits(self, account_id: str) -> tuple[float | None, int | None]:
            return (1e9, 10**9)

    class Tracker:
        def live_requests(self) -> set[str]:
            return set()  # every call placed so far has ended

    clock = Clock()
    limiter = CallLimiter(Accounts(), Tracker(), LimitsConfig(), Metrics(), clock)  # type: ignore[arg-type]
    for i in range(1000):
        clock.now += 10  # past the grace period
        async with limiter.slot("acme") as slot:
            slot.request_id = f"{i:010x}"
    assert len(limiter._calls["acme"]) <= 64
