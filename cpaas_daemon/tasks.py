"""Background work of long-lived components: one way to repeat it and one way to end it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

log = structlog.get_logger(__name__)


async def every(
    interval: float,
    work: Callable[[], Awaitable[object]],
    failure: str,
    *,
    at_once: bool = False,
    **fields: Any,
) -> None:
    """Run ``work`` every ``interval`` seconds until cancelled (the first time at once if
    ``at_once``). A failure is logged as ``failure`` (with ``fields`` and the traceback)
    and the next round still runs: a locked store or a full disk is often temporary."""
    if not at_once:
        await asyncio.sleep(interval)
    while True:
        try:
            await work()
        except Exception:
            log.exception(failure, **fields)
        await asyncio.sleep(interval)


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel a component's task and wait until it has ended (None: nothing was started)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
