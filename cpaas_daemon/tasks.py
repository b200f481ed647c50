"""Background work of long-lived components: one way to repeat it and one way to end it."""

from __future__ import annotations

import asyncio
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
    """Cancel a component's task and wait until it has ended (None: nothing was started).

    The caller's own cancellation still reaches the caller: awaiting the task under
    ``suppress(CancelledError)`` would swallow it too (a lease keeper stopping a PBX
    while it is itself being stopped then ran on forever)."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.result()  # what it ended with instead, as awaiting it would raise
