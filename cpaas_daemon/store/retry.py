"""Retrying a background write until the store takes it again.

An HTTP request that meets a store outage answers 503 and the client decides. A task of
the daemon's own (a campaign's run, a contact's outcome) has nobody to tell: giving up
would leave a contact claimed and never dialled, or its outcome never written. Such work
waits for the store instead (PostgreSQL restarted, SQLite's disk freed), then carries on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog

from cpaas_daemon.store.errors import StoreUnavailable

log = structlog.get_logger(__name__)

T = TypeVar("T")
FIRST_DELAY = 0.05
MAX_DELAY = 2.0


async def until_stored(work: Callable[[], Awaitable[T]], what: str, **ids: Any) -> T:
    """``await work()`` again (capped exponential pause) while it raises StoreUnavailable.

    ``work`` must be safe to run again after a failure: a failed statement wrote nothing,
    so a unit of work that is one transaction, or that re-reads what it needs, is.
    ``what`` and ``ids`` name it in the ``store.retrying`` log line.
    """
    delay = FIRST_DELAY
    while True:
        try:
            return await work()
        except StoreUnavailable as exc:
            log.warning("store.retrying", what=what, retry_in=delay, reason=exc.message, **ids)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_DELAY)
