"""Holding the leases of one kind this node wants, and starting or stopping their work.

A :class:`LeaseKeeper` runs one round every ``lease_seconds / 3``: it renews what it
holds, lets go of what it no longer wants, and tries to take what it wants and lacks
(:meth:`LeaseKeeper.round`). Taking a lease runs ``on_gained`` (start the PBX, launch
the campaign) in a task of its own, so a slow start (a long Master.csv to catch up)
never delays the renewal of the other leases; losing or letting go cancels a start
still running, runs ``on_lost`` (stop it) and then releases the lease.

Validity is judged twice. The database decides who may take a lease (its clock, its
expiry). This node decides, on its OWN monotonic clock, how long it may still act: a
lease is :meth:`valid` until ``lease_seconds - margin`` after the moment the last
successful renewal was SENT (the database's expiry is at least ``lease_seconds`` after
that moment). So a node whose renewals fail (store gone, process paused, network cut)
stops acting on the lease before any other node can take it; the work that commits to
the store is also fenced by the token (:meth:`Lease.check`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from cpaas_daemon.cluster.leases import Lease, LeaseRepository
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.tasks import cancel

log = structlog.get_logger(__name__)

MARGIN = 0.25
"""Of ``lease_seconds``: how long before the database's expiry this node stops acting
(covers a renewal answered late and the two clocks' rates differing)."""


@dataclass(frozen=True)
class Wanted:
    """What the keeper should hold: ``names`` in order of preference, at most ``limit``."""

    names: Sequence[str]
    limit: int


@dataclass
class _Held:
    lease: Lease
    renewed_at: float
    """Monotonic time at which the last successful acquire/renew was sent."""


class LeaseKeeper:
    def __init__(
        self,
        leases: LeaseRepository,
        kind: str,
        *,
        lease_seconds: float,
        want: Callable[[], Awaitable[Wanted]],
        on_gained: Callable[[Lease], Awaitable[None]],
        on_lost: Callable[[str], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases = leases
        self.kind = kind
        self.seconds = lease_seconds
        self.interval = lease_seconds / 3
        self._usable = lease_seconds * (1 - MARGIN)
        self._want = want
        self._on_gained = on_gained
        self._on_lost = on_lost
        self._clock = clock
        self._held: dict[str, _Held] = {}
        self._starting: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def valid(self, name: str) -> Lease | None:
        """The lease on ``name`` if this node may still act on it (local clock)."""
        held = self._held.get(name)
        if held is None or self._clock() - held.renewed_at >= self._usable:
            return None
        return held.lease

    def held(self) -> list[str]:
        return [name for name in self._held if self.valid(name) is not None]

    async def start(self) -> None:
        """One round now (what is free is started before start returns), then a round
        every third of the lease."""
        await self.round()
        await self.started()
        self._loop = asyncio.create_task(self._every_interval(), name=f"leases-{self.kind}")

    async def _every_interval(self) -> None:
        await asyncio.sleep(self.interval)
        await self._run()

    async def stop(self) -> None:
        """Stop every piece of work and release its lease, so another node takes it at
        once instead of after expiry. A round under way finishes first (the lock): a
        round cancelled halfway, inside a PBX's stop that waits for its own tasks, could
        lose the cancellation and run on."""
        async with self._lock:
            await cancel(self._loop)
            self._loop = None
            for name in list(self._held):
                await self._let_go(name, release=True)

    async def started(self) -> None:
        """Until the work of every lease taken so far has started (or failed to)."""
        await asyncio.gather(*self._starting.values(), return_exceptions=True)

    async def claim(self, name: str) -> bool:
        """Take ``name`` now if it is free (work created on this node starts here at
        once instead of at the next round); True when this node holds it."""
        async with self._lock:
            if name not in self._held:
                await self._take(name)
            return self.valid(name) is not None

    async def _run(self) -> None:
        """A round every interval, counted from the start of the last one (a slow round,
        say one that started a PBX, does not push the next renewal further out)."""
        while True:
            started = self._clock()
            try:
                await self.round()
            except Exception:
                log.exception("lease.round_failed", kind=self.kind)
            await asyncio.sleep(max(0.0, self.interval - (self._clock() - started)))

    async def round(self) -> None:
        """Renew, let go of what is no longer wanted, take what is wanted and free."""
        async with self._lock:
            for name in list(self._held):
                await self._renew(name)
            try:
                wanted = await self._want()
            except StoreUnavailable:
                return
            keep = [name for name in wanted.names if name in self._held][: wanted.limit]
            for name in [name for name in self._held if name not in keep]:
                log.info("lease.handed_over", kind=self.kind, name=name)
                await self._let_go(name, release=True)
            for name in wanted.names:
                if len(self._held) >= wanted.limit:
                    break
                if name not in self._held:
                    await self._take(name)

    async def _renew(self, name: str) -> None:
        held = self._held[name]
        sent = self._clock()
        try:
            async with asyncio.timeout(self.interval):
                renewed = await self._leases.renew(held.lease, self.seconds)
        except (StoreUnavailable, TimeoutError) as exc:
            log.warning("lease.renew_failed", kind=self.kind, name=name, error=str(exc))
            if self.valid(name) is None:  # too late to act on it: stop before others take it
                log.warning("lease.expired_locally", kind=self.kind, name=name)
                await self._let_go(name, release=False)
            return
        if renewed:
            held.renewed_at = sent
        else:
            log.warning(
                "lease.taken_over", kind=self.kind, name=name, fencing_token=held.lease.token
            )
            await self._let_go(name, release=False)

    async def _take(self, name: str) -> None:
        sent = self._clock()
        try:
            async with asyncio.timeout(self.interval):
                lease = await self._leases.acquire(self.kind, name, self.seconds)
        except (StoreUnavailable, TimeoutError) as exc:
            log.warning("lease.acquire_failed", kind=self.kind, name=name, error=str(exc))
            return
        if lease is None:
            return
        self._held[name] = _Held(lease, sent)
        log.info("lease.gained", kind=self.kind, name=name, fencing_token=lease.token)
        self._starting[name] = asyncio.create_task(
            self._start(lease), name=f"lease-start-{self.kind}-{name}"
        )

    async def _start(self, lease: Lease) -> None:
        try:
            await self._on_gained(lease)
        except Exception:
            log.exception("lease.start_failed", kind=self.kind, name=lease.name)
            self._starting.pop(lease.name, None)
            async with self._lock:
                held = self._held.get(lease.name)
                if held is not None and held.lease == lease:
                    await self._let_go(lease.name, release=True)
        else:
            self._starting.pop(lease.name, None)

    async def _let_go(self, name: str, *, release: bool) -> None:
        """Stop the work first (a start still running is cancelled), then (if still
        ours) free the lease."""
        held = self._held.pop(name)
        await cancel(self._starting.pop(name, None))
        try:
            await self._on_lost(name)
        except Exception:
            log.exception("lease.stop_failed", kind=self.kind, name=name)
        if release:
            with contextlib.suppress(StoreUnavailable):
                await self._leases.release(held.lease)
        log.info("lease.lost" if not release else "lease.released", kind=self.kind, name=name)
