"""Place a due callback exactly once, and settle it from the call's CDR.

Order of a dial, which is what makes "never twice" hold across races and crashes:

1. re-read the row and judge lateness against its own due time and the grace period;
2. claim it: ``scheduled -> dialing`` in one conditional UPDATE (a PATCH, DELETE or a
   second timer that got there first makes the claim fail, and nothing is dialled);
3. ``CallService.two_party`` with the callback's request_id: it writes the ``calls`` row,
   then sends one Originate. ``calls.request_id`` is UNIQUE, so a second placement of the
   same callback could not even be written.

The placement's outcome (``calls/placement.py``) decides what follows: ``NotSent`` (the
PBX is not connected; no ``calls`` row, nothing sent): the claim is released and retried
while still within grace, then the callback fails with the reason. ``Refused`` (nothing
rang): the callback fails. ``Uncertain`` (the link dropped while the Originate was in
flight, the call may ring): the callback stays ``dialing`` and its CDR (if any) settles it.

Several daemons on one store (docs/scaling.md, "Work claimed once across nodes"): every
node's :class:`DuePoller` sees every due callback and offers it to its dialer; the claim
in step 2 lets exactly one of them dial it. A callback whose node died is therefore dialled
by another node, and one left ``dialing`` by a dead node is settled by
:func:`reconcile_dialing` on whichever node sweeps it (its CDR, or no ``calls`` row), once
the claim is older than ``STALE_CLAIM`` -- a live node writes its ``calls`` row within
milliseconds of claiming.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

import structlog

from cpaas_daemon.callbacks.model import (
    Callback,
    CallbackState,
    Verdict,
    state_after_call,
    verdict,
)
from cpaas_daemon.callbacks.recovery import reconcile_dialing
from cpaas_daemon.callbacks.repository import CallbackRepository
from cpaas_daemon.callbacks.scheduler import DuePoller
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.placement import NotSent, Refused, Uncertain
from cpaas_daemon.calls.service import CallService
from cpaas_daemon.errors import DomainError
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.timefmt import iso, utc_now

log = structlog.get_logger(__name__)

RETRY_DELAY = timedelta(seconds=1)
STOP_TIMEOUT = 5.0
STALE_CLAIM = timedelta(seconds=30)  # a ``dialing`` row this old belongs to a dead node...
SWEEP_EVERY = 10.0  # ...and is looked for this often (seconds)
SETTLEABLE = (CallbackState.DIALING, CallbackState.COMPLETED, CallbackState.FAILED)


class CallbackDialer:
    def __init__(
        self,
        repo: CallbackRepository,
        calls: CallService,
        grace_seconds: int,
        poll_seconds: float = 1.0,
    ) -> None:
        self._repo = repo
        self._calls = calls
        self._grace = timedelta(seconds=grace_seconds)
        self._poller = DuePoller(repo.due_by, self._fire, poll_seconds)
        self._tasks: set[asyncio.Task[None]] = set()
        self._handling: set[str] = set()  # request_ids this node is judging or dialling
        self._not_before: dict[str, datetime] = {}  # retries this node waits for
        self._sweeper: asyncio.Task[None] | None = None
        self._running = False

    async def start(self) -> None:
        """Settle what a previous run left ``dialing``, then poll the table: ``scheduled``
        rows already due fire at once and are judged against the grace period."""
        await reconcile_dialing(self._repo)
        self._poller.start()
        self._sweeper = asyncio.create_task(self._sweep_stale_claims(), name="callback-sweep")
        self._running = True
        log.info("callbacks.started")

    async def stop(self) -> None:
        """Stop polling, let dials in flight finish (bounded), then cancel the rest: a dial
        cut short stays ``dialing`` and the next start-up (or another node) reconciles it."""
        self._running = False
        await self._poller.stop()
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if not self._tasks:
            return
        _, late = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def schedule(self) -> None:
        """A callback was created or moved here: read the table now, not at the next poll."""
        self._poller.nudge()

    def on_cdr_summary(self, request_id: str, dial_status: str) -> None:
        """``CdrIngest`` listener (synchronous): settle the callback in a task.

        CDRs flushed while the daemon shuts down are ignored here; they are in ``calls``
        and the next start-up's reconciliation settles the callback from them.
        """
        if self._running:
            self._spawn(self._settle(request_id, dial_status))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("callback.task_failed", exc_info=task.exception())

    def _fire(self, request_id: str) -> None:
        """The poller's hint: judge it in a task the dialer owns (one at a time per id; the
        poller repeats the hint while the row stays ``scheduled``)."""
        retry_at = self._not_before.get(request_id)
        if request_id in self._handling or (retry_at is not None and utc_now() < retry_at):
            return
        self._not_before.pop(request_id, None)
        self._handling.add(request_id)
        self._spawn(self._dial_if_due(request_id))

    async def _dial_if_due(self, request_id: str) -> None:
        try:
            await self._judge(request_id)
        finally:
            self._handling.discard(request_id)

    async def _judge(self, request_id: str) -> None:
        callback = await self._repo.get(request_id)
        if callback is None or callback.state is not CallbackState.SCHEDULED:
            return  # cancelled, or already handled by an earlier timer
        now = utc_now()
        bound = log.bind(request_id=request_id, account=callback.account_id)
        match verdict(callback.due_at, now, self._grace):
            case Verdict.WAIT:
                return  # moved later since the poll read it: a later poll fires it
            case Verdict.MISS:
                reason = (
                    f"due at {iso(callback.due_at)} but the daemon could only run it at"
                    f" {iso(now)}, beyond the {int(self._grace.total_seconds())} s grace"
                )
                if await self._repo.move(
                    request_id, CallbackState.MISSED, [CallbackState.SCHEDULED], reason=reason
                ):
                    bound.warning("callback.missed", reason=reason)
                return
        if not await self._repo.claim(request_id, callback.due_at):
            return  # changed since we read it: PATCH, DELETE or another node won
        bound.info("callback.dialing")
        await self._place(callback)

    async def _place(self, callback: Callback) -> None:
        try:
            await self._calls.two_party(
                callback.account_id,
                callback.spec.two_party_call(),
                kind=CallKind.CALLBACK,
                request_id=callback.request_id,
            )
        except NotSent as exc:
            await self._retry_or_fail(callback, exc.message)
        except Refused as exc:
            await self._fail(callback.request_id, f"PBX refused the call: {exc.message}")
        except Uncertain:  # it may ring, so only its CDR decides
            await self._repo.move(
                callback.request_id,
                CallbackState.DIALING,
                [CallbackState.DIALING],
                reason="link to the PBX was lost while placing the call; awaiting its CDR",
            )
        except (StoreUnavailable, DomainError) as exc:  # the calls row was refused: nothing sent
            await self._fail(callback.request_id, f"could not place the call: {exc.message}")

    async def _retry_or_fail(self, callback: Callback, reason: str) -> None:
        """Nothing was sent: release the claim and retry while within grace, else fail."""
        request_id = callback.request_id
        retry_at = utc_now() + RETRY_DELAY
        if retry_at - callback.due_at <= self._grace and await self._repo.move(
            request_id,
            CallbackState.SCHEDULED,
            [CallbackState.DIALING],
            reason=f"retrying: {reason}",
        ):
            self._not_before[request_id] = retry_at  # any other node may retry it sooner
            log.info("callback.retry", request_id=request_id, reason=reason)
            return
        await self._fail(request_id, f"PBX unavailable within the grace period: {reason}")

    async def _fail(self, request_id: str, reason: str) -> None:
        await self._repo.move(
            request_id, CallbackState.FAILED, [CallbackState.DIALING], reason=reason
        )
        log.warning("callback.failed", request_id=request_id, reason=reason)

    async def _sweep_stale_claims(self) -> None:
        """Settle ``dialing`` rows a dead node left behind, without waiting for a restart."""
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            now = utc_now()
            self._not_before = {rid: at for rid, at in self._not_before.items() if at > now}
            try:
                await reconcile_dialing(self._repo, claimed_before=utc_now() - STALE_CLAIM)
            except StoreUnavailable as exc:
                log.warning("callbacks.sweep_failed", error=exc.message)

    async def _settle(self, request_id: str, dial_status: str) -> None:
        """The CDR is the truth about the call; a later, fuller summary may still refine it."""
        state = state_after_call(dial_status)
        if await self._repo.move(request_id, state, SETTLEABLE, dial_status=dial_status):
            log.info(
                "callback.settled", request_id=request_id, state=state, dial_status=dial_status
            )
