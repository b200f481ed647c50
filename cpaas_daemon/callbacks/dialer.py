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
from cpaas_daemon.callbacks.scheduler import DueTimer
from cpaas_daemon.calls.model import CallKind
from cpaas_daemon.calls.placement import NotSent, Refused, Uncertain
from cpaas_daemon.calls.service import CallService
from cpaas_daemon.errors import DomainError
from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.timefmt import iso, utc_now

log = structlog.get_logger(__name__)

RETRY_DELAY = timedelta(seconds=1)
STOP_TIMEOUT = 5.0
SETTLEABLE = (CallbackState.DIALING, CallbackState.COMPLETED, CallbackState.FAILED)


class CallbackDialer:
    def __init__(self, repo: CallbackRepository, calls: CallService, grace_seconds: int) -> None:
        self._repo = repo
        self._calls = calls
        self._grace = timedelta(seconds=grace_seconds)
        self._timer = DueTimer(self._fire)
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False

    async def start(self) -> None:
        """Settle what a previous run left ``dialing``, then re-arm every ``scheduled`` row
        (overdue ones fire at once and are judged against the grace period)."""
        await reconcile_dialing(self._repo)
        pending = await self._repo.in_state(CallbackState.SCHEDULED)
        for callback in pending:
            self._timer.at(callback.request_id, callback.due_at)
        self._timer.start()
        self._running = True
        log.info("callbacks.started", scheduled=len(pending))

    async def stop(self) -> None:
        """Stop timers, let dials in flight finish (bounded), then cancel the rest: a dial
        cut short stays ``dialing`` and the next start-up reconciles it."""
        self._running = False
        self._timer.stop()
        if not self._tasks:
            return
        _, late = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def schedule(self, request_id: str, due_at: datetime) -> None:
        self._timer.at(request_id, due_at)

    def unschedule(self, request_id: str) -> None:
        self._timer.cancel(request_id)

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

    async def _fire(self, request_id: str) -> None:
        """The timer's job: hand over to a task the dialer owns (APScheduler would cancel
        its own on shutdown without waiting, mid-dial)."""
        self._spawn(self._dial_if_due(request_id))

    async def _dial_if_due(self, request_id: str) -> None:
        callback = await self._repo.get(request_id)
        if callback is None or callback.state is not CallbackState.SCHEDULED:
            return  # cancelled, or already handled by an earlier timer
        now = utc_now()
        bound = log.bind(request_id=request_id, account=callback.account_id)
        match verdict(callback.due_at, now, self._grace):
            case Verdict.WAIT:
                # Early: the loop's timer may fire a clock tick before the due instant.
                self._timer.at(request_id, callback.due_at)
                return
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
            return  # changed since we read it: PATCH, DELETE or another timer won
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
            self._timer.at(request_id, retry_at)
            log.info("callback.retry", request_id=request_id, reason=reason)
            return
        await self._fail(request_id, f"PBX unavailable within the grace period: {reason}")

    async def _fail(self, request_id: str, reason: str) -> None:
        await self._repo.move(
            request_id, CallbackState.FAILED, [CallbackState.DIALING], reason=reason
        )
        log.warning("callback.failed", request_id=request_id, reason=reason)

    async def _settle(self, request_id: str, dial_status: str) -> None:
        """The CDR is the truth about the call; a later, fuller summary may still refine it."""
        state = state_after_call(dial_status)
        if await self._repo.move(request_id, state, SETTLEABLE, dial_status=dial_status):
            log.info(
                "callback.settled", request_id=request_id, state=state, dial_status=dial_status
            )
