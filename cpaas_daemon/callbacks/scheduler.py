"""Wake up at a callback's due time: APScheduler 3.11, in-memory job store.

The only module that imports apscheduler. Jobs are disposable -- the ``callbacks`` table
is the truth and the jobs are rebuilt from it at start-up -- so the in-memory store is
enough and nothing synchronous touches SQLite on the event loop (3.11's SQLAlchemy store
would). One job per callback, keyed by its request_id, so rescheduling replaces it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

Fire = Callable[[str], Awaitable[None]]


class DueTimer:
    """Calls ``fire(request_id)`` once, at (or as soon as possible after) a UTC instant."""

    def __init__(self, fire: Fire) -> None:
        self._fire = fire
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                # APScheduler's default grace is 1 s: a job later than that is silently
                # dropped and its row would stay `scheduled` forever. Lateness is judged by
                # the dialer against the callback's own due time and configured grace
                # instead (one rule for start-up and run time), so never drop a job here.
                "misfire_grace_time": None,
                "coalesce": True,
                "max_instances": 1,
            },
        )

    def start(self) -> None:
        """Needs the running loop; jobs added before start fire once it has started."""
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def at(self, request_id: str, when: datetime) -> None:
        """Fire at ``when`` (immediately if it is already past); replaces an earlier time."""
        self._scheduler.add_job(
            self._fire,
            DateTrigger(run_date=when, timezone=UTC),
            args=(request_id,),
            id=request_id,
            name=f"callback {request_id}",
            replace_existing=True,
        )

    def cancel(self, request_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(request_id)
