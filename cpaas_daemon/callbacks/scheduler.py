"""Wake up when callbacks are due, whichever daemon created them: the table is the timer.

Several daemons may share one store (docs/scaling.md), and a callback created on one must
fire even if that one is dead, so no node keeps a private schedule (APScheduler's
in-memory jobs used to be one, filled only with the callbacks that node created or
loaded at start-up). Instead every node reads the ``scheduled`` rows due within the next
``poll_seconds`` (index ``callbacks_state_due``), fires those already due and sleeps
until the earliest of the others -- so a callback fires at its due instant, not up to a
poll late -- or until the next poll, or until :meth:`DuePoller.nudge` says this node
created or moved one. Firing is only a hint: the dialer's conditional claim
(``scheduled -> dialing``) decides which single node dials.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from cpaas_daemon.store.errors import StoreUnavailable
from cpaas_daemon.tasks import cancel
from cpaas_daemon.timefmt import utc_now

log = structlog.get_logger(__name__)

DueBy = Callable[[datetime], Awaitable[list[tuple[str, datetime]]]]
"""``(request_id, due_at)`` of the ``scheduled`` callbacks due at or before an instant."""
Fire = Callable[[str], None]


class DuePoller:
    """Calls ``fire(request_id)`` at (or as soon as possible after) each due instant, and
    again at every poll while the row is still ``scheduled`` (the dialer ignores repeats)."""

    def __init__(self, due_by: DueBy, fire: Fire, poll_seconds: float) -> None:
        self._due_by = due_by
        self._fire = fire
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="callback-poller")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    def nudge(self) -> None:
        """Read the table now: this node created or moved a callback."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            await self._sleep(await self._tick())

    async def _tick(self) -> float:
        """Fire what is due; the seconds until the next due instant or poll."""
        now = utc_now()
        try:
            due = await self._due_by(now + timedelta(seconds=self._poll))
        except StoreUnavailable as exc:
            log.warning("callbacks.poll_failed", error=exc.message)
            return self._poll
        wait = self._poll
        for request_id, due_at in due:
            if due_at <= now:
                self._fire(request_id)
            else:
                wait = min(wait, (due_at - now).total_seconds())
        return wait

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(seconds, 0.0))
