"""Per-account call limits and failed-login throttling (issue 10.4, docs/security.md).

One tenant must not be able to flood the PBX (all of its calls share one trunk) nor
spend the daemon's CPU guessing secrets. Both checks are in memory and O(1) on the
path that places a call; only an account already at its concurrency ceiling pays one
pass over the live channels to drop its calls that have ended.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.calls.tracker import CallTracker
from cpaas_daemon.config import LimitsConfig
from cpaas_daemon.errors import TooManyRequests, Unauthorized
from cpaas_daemon.metrics import Metrics

Clock = Callable[[], float]


@dataclass(frozen=True)
class CallLimits:
    calls_per_second: float
    max_concurrent_calls: int


@dataclass
class CallSlot:
    """Filled in by the caller with the request_id of the call it placed."""

    request_id: str | None = None


@dataclass
class _Bucket:
    """Token bucket: ``calls_per_second`` tokens a second, at most one second's worth
    (never less than one) saved up, so a quiet account may burst that many at once."""

    tokens: float
    stamp: float


class CallLimiter:
    """Admits calls per account; O(1) per call, plus one pass over the live channels
    whenever an account reaches its cap or its record of calls has doubled."""

    CACHE_SECONDS = 10.0  # `accounts limits` (another process) is seen within this
    GRACE_SECONDS = 5.0  # a placed call counts this long even before its first channel

    def __init__(
        self,
        accounts: AccountRepository,
        tracker: CallTracker,
        defaults: LimitsConfig,
        metrics: Metrics,
        clock: Clock = time.monotonic,
    ) -> None:
        self._accounts = accounts
        self._tracker = tracker
        self._defaults = CallLimits(defaults.calls_per_second, defaults.max_concurrent_calls)
        self._metrics = metrics
        self._clock = clock
        self._cache: dict[str, tuple[float, CallLimits]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._calls: dict[str, dict[object, float]] = {}  # request_id (or slot) -> placed at
        self._prune_at: dict[str, int] = {}  # size at which ended calls are next dropped

    async def limits(self, account_id: str) -> CallLimits:
        cached = self._cache.get(account_id)
        now = self._clock()
        if cached is not None and now - cached[0] < self.CACHE_SECONDS:
            return cached[1]
        cps, concurrent = await self._accounts.limits(account_id)
        limits = CallLimits(
            cps if cps is not None else self._defaults.calls_per_second,
            concurrent if concurrent is not None else self._defaults.max_concurrent_calls,
        )
        self._cache[account_id] = (now, limits)
        return limits

    @contextlib.asynccontextmanager
    async def slot(self, account_id: str) -> AsyncIterator[CallSlot]:
        """Admit one call or raise 429; the slot is held while the call is placed and,
        once the caller names its request_id, until the call has ended."""
        limits = await self.limits(account_id)
        now = self._clock()  # no await from here to the reservation: no race
        calls = self._calls.setdefault(account_id, {})
        if len(calls) >= min(limits.max_concurrent_calls, self._prune_at.get(account_id, 64)):
            # At the cap, or the record doubled since the last pass (so a generous cap
            # does not let ended calls pile up): one pass over the live channels.
            self._drop_ended(calls, now)
            self._prune_at[account_id] = max(64, 2 * len(calls))
            if len(calls) >= limits.max_concurrent_calls:
                raise self._rejected(
                    "concurrent_calls",
                    f"account {account_id} already has {len(calls)} calls up"
                    f" (limit {limits.max_concurrent_calls}); no call was placed",
                )
        bucket = self._buckets.get(account_id)
        burst = max(1.0, limits.calls_per_second)
        if bucket is None:
            bucket = self._buckets[account_id] = _Bucket(burst, now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * limits.calls_per_second)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            raise self._rejected(
                "calls_per_second",
                f"account {account_id} may place {limits.calls_per_second:g} calls per"
                " second; no call was placed",
            )
        bucket.tokens -= 1.0
        key, slot = object(), CallSlot()
        calls[key] = now
        try:
            yield slot
        finally:
            del calls[key]
        if slot.request_id is not None:
            calls[slot.request_id] = now

    def _drop_ended(self, calls: dict[object, float], now: float) -> None:
        live = self._tracker.live_requests()
        for key, placed in list(calls.items()):
            if isinstance(key, str) and now - placed > self.GRACE_SECONDS and key not in live:
                del calls[key]

    def _rejected(self, limit: str, message: str) -> TooManyRequests:
        self._metrics.limit_rejections.labels(limit).inc()
        return TooManyRequests(message, details={"limit": limit})


class AuthThrottle:
    """Counts failed logins per peer address and per claimed identity in fixed windows;
    once either is over its budget, attempts are refused (429) without checking the
    secret until the window ends. The identity budget is larger than a peer's, so one
    peer alone cannot lock an account out; memory is bounded by dropping old windows."""

    MAX_KEYS = 50_000

    def __init__(self, config: LimitsConfig, metrics: Metrics, clock: Clock = time.monotonic):
        self._config = config
        self._metrics = metrics
        self._clock = clock
        self._failures: dict[tuple[str, str], tuple[float, int]] = {}

    def _count(self, key: tuple[str, str], now: float) -> int:
        entry = self._failures.get(key)
        if entry is None or now - entry[0] >= self._config.auth_window_seconds:
            return 0
        return entry[1]

    def check(self, peer: str, identity: str) -> None:
        now = self._clock()
        if self._count(("peer", peer), now) >= self._config.auth_failures_per_peer:
            raise self._rejected("auth_peer")
        if identity and (
            self._count(("identity", identity), now) >= self._config.auth_failures_per_account
        ):
            raise self._rejected("auth_account")

    def failed(self, peer: str, identity: str) -> None:
        now = self._clock()
        if len(self._failures) >= self.MAX_KEYS:
            window = self._config.auth_window_seconds
            self._failures = {k: v for k, v in self._failures.items() if now - v[0] < window}
        for key in (("peer", peer), ("identity", identity)):
            count = self._count(key, now)
            start = self._failures[key][0] if count else now
            self._failures[key] = (start, count + 1)

    @contextlib.contextmanager
    def attempt(self, peer: str | None, identity: str) -> Iterator[None]:
        """Refuse a throttled attempt up front; count it if the block raises a 401."""
        self.check(peer or "", identity)
        try:
            yield
        except Unauthorized:
            self.failed(peer or "", identity)
            raise

    def _rejected(self, limit: str) -> TooManyRequests:
        self._metrics.limit_rejections.labels(limit).inc()
        return TooManyRequests("too many failed logins; try again later", details={"limit": limit})
